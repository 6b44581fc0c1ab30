/* Thread-local storage (initialized and zeroed __thread variables) and an IFUNC resolved by
 * the dynamic loader (an IRELATIVE relocation), besides libc's own IFUNCs (strlen, memcpy). */
#include <stdio.h>
#include <string.h>

__thread int counter = 5;
__thread char buffer[64];

static int narrow(void) { return 32; }
static int wide(void) { return 64; }
static int (*pick_width(void))(void) { return sizeof(long) == 8 ? wide : narrow; }
int width(void) __attribute__((ifunc("pick_width")));

int main(void) {
    for (int i = 0; i < 4; i++) counter += i;
    strcpy(buffer, "thread-local buffer");
    char copy[64];
    memcpy(copy, buffer, strlen(buffer) + 1);
    printf("counter=%d buffer=%s len=%zu width=%d\n", counter, copy, strlen(copy), width());
    return 0;
}

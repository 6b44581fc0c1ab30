/* Asks the CPU (qemu-aarch64-static) which instruction words are allocated: reads
   little-endian 32-bit words from the file argv[1], executes each once (followed by RET)
   from its own slot of an executable buffer, and prints '1' if it ran or '0' if it raised
   SIGILL, one character per word. Registers are whatever the call leaves; the words only
   touch v0-v3 and x0 (the caller fixes their register fields). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf env;

static void on_sigill(int sig) {
    (void)sig;
    siglongjmp(env, 1);
}

int main(int argc, char **argv) {
    if (argc != 2) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned *words = malloc(len);
    if (fread(words, 1, len, f) != (size_t)len) return 2;
    long n = len / 4;
    unsigned *code = mmap(0, n * 8, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) return 2;
    for (long i = 0; i < n; i++) {
        code[2 * i] = words[i];
        code[2 * i + 1] = 0xd65f03c0; /* ret */
    }
    __builtin___clear_cache((char *)code, (char *)(code + 2 * n));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigill;
    sa.sa_flags = SA_NODEFER;
    sigaction(SIGILL, &sa, 0);
    char *out = malloc(n);
    for (long i = 0; i < n; i++) {
        if (sigsetjmp(env, 1) == 0) {
            ((unsigned long (*)(void))(code + 2 * i))();
            out[i] = '1';
        } else {
            out[i] = '0';
        }
    }
    fwrite(out, 1, n, stdout);
    return 0;
}

/* A tiny static program for the ELF fuzzer's seed corpus (fuzz/run.sh builds it for both
 * guest ISAs): two PT_LOAD segments, one of them with .bss, and an exit through a syscall. */
static char bss_area[64];
static const char message[] = "tiny\n";

void _start(void) {
    bss_area[0] = message[0];
#if defined(__x86_64__)
    __asm__ volatile("mov $60, %%eax; xor %%edi, %%edi; syscall" ::: "rax", "rdi", "memory");
#elif defined(__aarch64__)
    __asm__ volatile("mov x8, #93; mov x0, #0; svc #0" ::: "x0", "x8", "memory");
#endif
    for (;;) {
    }
}

/* clone3: the argument checks of kernel/fork.c, a fork and a vfork made with it, and a
   thread that glibc's pthread_create makes with it. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435 /* the same number on x86-64 and asm-generic */
#endif
#ifndef CLONE_PARENT_SETTID
#define CLONE_PARENT_SETTID 0x00100000
#endif

/* linux/sched.h's struct clone_args (its third version, 88 bytes), spelled out so that the
   program builds with libcs that do not ship the kernel headers. */
struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

static const char *errno_name(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case EPERM: return "EPERM";
    default: return "another errno";
    }
}

static long clone3_raw(void *args, size_t size) {
    return syscall(SYS_clone3, args, size);
}

static void show(const char *what, long r) {
    if (r < 0)
        printf("%s: %s\n", what, errno_name(errno));
    else
        printf("%s: ok\n", what);
}

static void *worker(void *arg) {
    return (char *)arg + 1;
}

int main(void) {
    struct { struct clone_args a; char tail[16]; } big;
    struct clone_args a;

    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    show("size 63", clone3_raw(&a, 63));
    show("size 4097", clone3_raw(&a, 4097));
    memset(&big, 0, sizeof big);
    big.a.exit_signal = SIGCHLD;
    big.tail[2] = 1;
    show("unknown field set", clone3_raw(&big, sizeof big));
    show("bad pointer", clone3_raw((void *)8, sizeof a));
    a.stack = (uint64_t)(uintptr_t)&big;
    show("stack without size", clone3_raw(&a, sizeof a));
    a.stack = 0;
    a.exit_signal = 65;
    show("exit signal 65", clone3_raw(&a, sizeof a));
    a.exit_signal = SIGCHLD;
    a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    show("thread with exit signal", clone3_raw(&a, sizeof a));
    a.flags = 0x40; /* a CSIGNAL bit in the flags */
    show("signal bits in flags", clone3_raw(&a, sizeof a));

    /* A fork that reports its pid to the parent. */
    pid_t parent_tid = 0;
    memset(&a, 0, sizeof a);
    a.flags = CLONE_PARENT_SETTID;
    a.parent_tid = (uint64_t)(uintptr_t)&parent_tid;
    a.exit_signal = SIGCHLD;
    long pid = clone3_raw(&a, sizeof a);
    if (pid == 0)
        _exit(7);
    int status = 0;
    pid_t waited = waitpid((pid_t)pid, &status, 0);
    printf("fork: waited for it %d, parent_tid is its pid %d, exit %d\n", waited == pid, parent_tid == pid,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    /* The 64-byte first version of the struct works as well. */
    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    pid = clone3_raw(&a, 64);
    if (pid == 0)
        _exit(3);
    waited = waitpid((pid_t)pid, &status, 0);
    printf("fork, 64-byte struct: waited for it %d, exit %d\n", waited == pid,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    pthread_t t;
    void *ret = NULL;
    static char base[2];
    if (pthread_create(&t, NULL, worker, base) != 0 || pthread_join(t, &ret) != 0)
        puts("pthread: failed");
    else
        printf("pthread: returned %d\n", ret == base + 1);
    return 0;
}

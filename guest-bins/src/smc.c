/* Self-modifying and JIT-generated code: a program writes machine code, runs it, rewrites it
 * and runs it again, by each path a JIT (or a patcher) uses. Usage: smc CASE
 *   rwx        an RWX mapping: write "return 1", call, rewrite to 2, call, to 9, call
 *   next-insn  a store that rewrites the next instruction of the same straight-line code
 *   memfd      two mappings of one memfd, one writable, one executable (V8, the JVM, .NET)
 *   text       mprotect the program's own text writable, patch a function, call it
 *   read       read() new code from a pipe into a code page
 *   threads    one thread runs the code in a loop while another rewrites it
 *   kernel-writes  the kernel writes into a page that holds code that ran, by calls whose
 *              buffers are written by the kernel itself (recvmsg, recvmmsg, ioctl,
 *              getsockopt, pselect6, readv, rt_sigtimedwait) or by the call's converter
 *              (fstat); the code runs right before each call, then new code arrives by
 *              recvmsg
 *   kernel-writes2  more of the same: epoll_wait and epoll_pwait events, SysV msgctl,
 *              semctl and shmctl IPC_STAT, capget; and sendmsg and setsockopt, which only
 *              read their buffers there
 *   kernel-writes-aio  io_getevents (AIO), the same way
 * Each prints the values the code returned. AArch64 code is made visible to instruction
 * fetch with __builtin___clear_cache, as real code must. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* Machine code for a function returning `v` (0 <= v < 65536); returns its length. */
static size_t ret_const(unsigned char *p, int v) {
#if defined(__x86_64__)
    unsigned char code[] = {0xb8, (unsigned char)v, (unsigned char)(v >> 8), 0, 0, 0xc3}; /* mov eax, v; ret */
#elif defined(__aarch64__)
    uint32_t words[2] = {0x52800000u | ((uint32_t)v << 5), 0xd65f03c0u}; /* movz w0, #v; ret */
    unsigned char code[8];
    memcpy(code, words, 8);
#endif
    memcpy(p, code, sizeof code);
    return sizeof code;
}

static void sync_code(void *p, size_t n) {
    __builtin___clear_cache((char *)p, (char *)p + n);
}

static void *map_rwx(void) {
    void *p = mmap(0, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static void put(unsigned char *code, int v) {
    sync_code(code, ret_const(code, v));
}

static int case_rwx(void) {
    unsigned char *code = map_rwx();
    fn_t f = (fn_t)code;
    put(code, 1);
    int a = f();
    put(code, 2);
    int b = f();
    put(code, 9);
    int c = f();
    printf("%d %d %d\n", a, b, c);
    return 0;
}

static int case_next_insn(void) {
    unsigned char *code = map_rwx();
#if defined(__x86_64__)
    /* mov dword [rip+1], 7   (the immediate of the next instruction)
     * mov eax, 1
     * ret */
    unsigned char body[] = {0xc7, 0x05, 1, 0, 0, 0, 7, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xc3};
    memcpy(code, body, sizeof body);
    fn_t f = (fn_t)code;
    int a = f();
    /* Back to "mov eax, 1", then once more. */
    code[11] = 1;
    int b = f();
    printf("%d %d\n", a, b);
#elif defined(__aarch64__)
    /* The new instruction word comes in w0:
     *   adr x1, patched
     *   str w0, [x1]
     *   dc cvau, x1; dsb ish; ic ivau, x1; dsb ish; isb
     * patched:
     *   movz w0, #1
     *   ret */
    uint32_t body[] = {0x100000e1u, 0xb9000020u, 0xd50b7b21u, 0xd5033b9fu, 0xd50b7521u,
                       0xd5033b9fu, 0xd5033fdfu, 0x52800020u, 0xd65f03c0u};
    memcpy(code, body, sizeof body);
    sync_code(code, sizeof body);
    int (*f)(uint32_t) = (int (*)(uint32_t))code;
    int a = f(0x52800000u | (7u << 5));
    int b = f(0x52800000u | (1u << 5));
    printf("%d %d\n", a, b);
#endif
    return 0;
}

static int case_memfd(void) {
    int fd = memfd_create("smc", 0);
    if (fd < 0 || ftruncate(fd, 4096) != 0) {
        perror("memfd");
        return 1;
    }
    unsigned char *w = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    unsigned char *x = mmap(0, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (w == MAP_FAILED || x == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    fn_t f = (fn_t)x;
    size_t n = ret_const(w, 1);
    sync_code(x, n);
    int a = f();
    ret_const(w, 2);
    sync_code(x, n);
    int b = f();
    printf("%d %d\n", a, b);
    return 0;
}

__attribute__((noinline, aligned(64))) int patched_text(void) {
    __asm__ volatile("");
    return 1;
}

static int case_text(void) {
    fn_t volatile f = patched_text;
    uintptr_t page = (uintptr_t)f & ~(uintptr_t)4095;
    int a = f();
    size_t len = ((uintptr_t)f + 16 - page + 4095) & ~(size_t)4095;
    if (mprotect((void *)page, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
        perror("mprotect");
        return 1;
    }
    put((unsigned char *)f, 5);
    int b = f();
    mprotect((void *)page, len, PROT_READ | PROT_EXEC);
    int c = f();
    printf("%d %d %d\n", a, b, c);
    return 0;
}

static int case_read(void) {
    unsigned char *code = map_rwx();
    fn_t f = (fn_t)code;
    put(code, 1);
    int a = f();
    unsigned char fresh[16];
    size_t n = ret_const(fresh, 3);
    int pipefd[2];
    if (pipe(pipefd) != 0 || write(pipefd[1], fresh, n) != (ssize_t)n) {
        perror("pipe");
        return 1;
    }
    ssize_t got = read(pipefd[0], code, n);
    if (got != (ssize_t)n) {
        perror("read");
        return 1;
    }
    sync_code(code, n);
    int b = f();
    printf("%d %d\n", a, b);
    return 0;
}

/* The kernel's AIO and capability structs (linux/aio_abi.h, linux/capability.h, which
 * musl-gcc does not have), for 64-bit little-endian ABIs. */
typedef unsigned long aio_context_t;
struct iocb {
    uint64_t aio_data;
    uint32_t aio_key, aio_rw_flags;
    uint16_t aio_lio_opcode;
    int16_t aio_reqprio;
    uint32_t aio_fildes;
    uint64_t aio_buf, aio_nbytes;
    int64_t aio_offset;
    uint64_t aio_reserved2;
    uint32_t aio_flags, aio_resfd;
};
struct io_event {
    uint64_t data, obj;
    int64_t res, res2;
};
#define IOCB_CMD_PREAD 0
struct __user_cap_header_struct {
    uint32_t version;
    int pid;
};
struct __user_cap_data_struct {
    uint32_t effective, permitted, inheritable;
};
#define _LINUX_CAPABILITY_VERSION_3 0x20080522

static unsigned char *shared_code;
static atomic_int ran_once;

static void *runner(void *arg) {
    (void)arg;
    fn_t f = (fn_t)shared_code;
    int first = f();
    atomic_store(&ran_once, 1);
    long spins = 0;
    int v;
    /* On AArch64 another thread's new code is only guaranteed after a context
     * synchronization event (ISB) on this one: call through a barrier each time. */
    while ((v = f()) == first && spins++ < 2000000000L) {
#if defined(__aarch64__)
        __asm__ volatile("isb" ::: "memory");
#endif
    }
    printf("runner: %d then %d\n", first, v);
    return NULL;
}

static int case_threads(void) {
    shared_code = map_rwx();
    put(shared_code, 1);
    pthread_t t;
    if (pthread_create(&t, NULL, runner, NULL) != 0) {
        return 1;
    }
    while (!atomic_load(&ran_once)) {
    }
    put(shared_code, 2);
    pthread_join(t, NULL);
    printf("writer: wrote 2\n");
    return 0;
}

static void say(const char *what, long ret) {
    if (ret < 0)
        printf("%s: %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, ret);
}

/* Runs the code on the page (so that it is translated again after the setup's own stores
 * there) right before the next call writes the page. */
static void run(fn_t f) {
    printf("code: %d\n", f());
}

static int case_kernel_writes(void) {
    unsigned char *page = map_rwx();
    fn_t f = (fn_t)page;
    put(page, 1);
    run(f);
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    /* recvmsg: the data, the msghdr the kernel updates, and its name and control buffers,
     * all in the code page. */
    send(sv[1], "hello", 5, 0);
    struct msghdr *m = (struct msghdr *)(page + 1024);
    struct iovec *iov = (struct iovec *)(page + 1024 + 64);
    memset(m, 0, sizeof *m);
    iov->iov_base = page + 1024 + 128;
    iov->iov_len = 16;
    m->msg_iov = iov;
    m->msg_iovlen = 1;
    m->msg_control = page + 1024 + 192;
    m->msg_controllen = 64;
    run(f);
    long r = recvmsg(sv[0], m, 0);
    say("recvmsg", r);
    if (r > 0) printf("  got %.*s, controllen %lu\n", (int)r, (char *)iov->iov_base, (unsigned long)m->msg_controllen);
    /* recvmmsg */
    send(sv[1], "world", 5, 0);
    struct mmsghdr *mm = (struct mmsghdr *)(page + 1536);
    memset(mm, 0, sizeof *mm);
    struct iovec *iov2 = (struct iovec *)(page + 1536 + 64);
    iov2->iov_base = page + 1536 + 128;
    iov2->iov_len = 16;
    mm->msg_hdr.msg_iov = iov2;
    mm->msg_hdr.msg_iovlen = 1;
    run(f);
    r = recvmmsg(sv[0], mm, 1, 0, NULL);
    say("recvmmsg", r);
    if (r > 0) printf("  got %.*s (%u bytes)\n", (int)mm->msg_len, (char *)iov2->iov_base, mm->msg_len);
    /* ioctl FIONREAD (a request without a size in its number) */
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        perror("pipe");
        return 1;
    }
    write(pipefd[1], "12345", 5);
    int *count = (int *)(page + 2048);
    run(f);
    r = ioctl(pipefd[0], FIONREAD, count);
    say("ioctl FIONREAD", r);
    if (r == 0) printf("  %d bytes to read\n", *count);
    /* getsockopt: the value and its length */
    int *type = (int *)(page + 2048 + 16);
    socklen_t *len = (socklen_t *)(page + 2048 + 32);
    *len = sizeof(int);
    run(f);
    r = getsockopt(sv[0], SOL_SOCKET, SO_TYPE, type, len);
    say("getsockopt SO_TYPE", r);
    if (r == 0) printf("  type %d (SOCK_DGRAM %d), length %u\n", *type, SOCK_DGRAM, *len);
    /* pselect6: the fd set the kernel rewrites */
    fd_set *set = (fd_set *)(page + 2048 + 64);
    FD_ZERO(set);
    FD_SET(pipefd[0], set);
    struct timespec zero = {0, 0};
    run(f);
    r = pselect(pipefd[0] + 1, set, NULL, NULL, &zero, NULL);
    say("pselect", r);
    if (r > 0) printf("  readable: %d\n", FD_ISSET(pipefd[0], set) != 0);
    /* readv */
    struct iovec v = {page + 2048 + 256, 5};
    run(f);
    r = readv(pipefd[0], &v, 1);
    say("readv", r);
    if (r > 0) printf("  got %.*s\n", (int)r, (char *)v.iov_base);
    /* rt_sigtimedwait: the siginfo */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    raise(SIGUSR2);
    siginfo_t *info = (siginfo_t *)(page + 2048 + 512);
    run(f);
    r = sigtimedwait(&usr2, info, &zero);
    say("sigtimedwait", r);
    if (r > 0) printf("  si_signo %d (SIGUSR2 %d)\n", info->si_signo, SIGUSR2);
    /* fstat (converted by xlate between layouts, written by xlate itself) */
    struct stat *st = (struct stat *)(page + 3072);
    run(f);
    r = fstat(pipefd[0], st);
    say("fstat", r);
    if (r == 0) printf("  a FIFO: %d\n", S_ISFIFO(st->st_mode) != 0);
    /* New code by recvmsg, straight over the function. */
    unsigned char fresh[16];
    size_t n = ret_const(fresh, 4);
    send(sv[1], fresh, n, 0);
    struct iovec over = {page, n};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &over;
    mh.msg_iovlen = 1;
    run(f);
    r = recvmsg(sv[0], &mh, 0);
    say("recvmsg of new code", r);
    sync_code(page, n);
    run(f);
    return 0;
}

static int case_kernel_writes2(void) {
    unsigned char *page = map_rwx();
    fn_t f = (fn_t)page;
    put(page, 1);
    run(f);
    int pipefd[2];
    if (pipe(pipefd) != 0) {
        perror("pipe");
        return 1;
    }
    write(pipefd[1], "x", 1);
    /* epoll_wait and epoll_pwait: the events array */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
    epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev);
    struct epoll_event *events = (struct epoll_event *)(page + 1024);
    run(f);
    long r = epoll_wait(ep, events, 4, 0);
    say("epoll_wait", r);
    if (r > 0) printf("  events %#x data %#llx\n", events[0].events, (unsigned long long)events[0].data.u64);
    memset(events, 0, 4 * sizeof *events);
    sigset_t none;
    sigemptyset(&none);
    run(f);
    r = epoll_pwait(ep, events, 4, 0, &none);
    say("epoll_pwait", r);
    if (r > 0) printf("  events %#x data %#llx\n", events[0].events, (unsigned long long)events[0].data.u64);
    /* SysV IPC_STAT */
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    struct msqid_ds *mq = (struct msqid_ds *)(page + 1536);
    run(f);
    r = msgctl(q, IPC_STAT, mq);
    say("msgctl IPC_STAT", r);
    if (r == 0) printf("  mode %o, %lu messages\n", mq->msg_perm.mode & 0777, (unsigned long)mq->msg_qnum);
    msgctl(q, IPC_RMID, NULL);
    int sem = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    struct semid_ds *sd = (struct semid_ds *)(page + 1792);
    run(f);
    r = semctl(sem, 0, IPC_STAT, sd);
    say("semctl IPC_STAT", r);
    if (r == 0) printf("  mode %o, %lu semaphores\n", sd->sem_perm.mode & 0777, (unsigned long)sd->sem_nsems);
    semctl(sem, 0, IPC_RMID);
    int shm = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
    struct shmid_ds *sh = (struct shmid_ds *)(page + 2048);
    run(f);
    r = shmctl(shm, IPC_STAT, sh);
    say("shmctl IPC_STAT", r);
    if (r == 0) printf("  mode %o, %lu bytes, %lu attached\n", sh->shm_perm.mode & 0777, (unsigned long)sh->shm_segsz, (unsigned long)sh->shm_nattch);
    shmctl(shm, IPC_RMID, NULL);
    /* capget: the header (the kernel writes its version back) and the data */
    struct __user_cap_header_struct *hdr = (struct __user_cap_header_struct *)(page + 2304);
    struct __user_cap_data_struct *data = (struct __user_cap_data_struct *)(page + 2320);
    hdr->version = _LINUX_CAPABILITY_VERSION_3;
    hdr->pid = 0;
    run(f);
    r = syscall(SYS_capget, hdr, data);
    say("capget", r);
    if (r == 0) printf("  version 3 %d, permitted includes effective %d\n", hdr->version == _LINUX_CAPABILITY_VERSION_3, (data[0].effective & ~data[0].permitted) == 0);
    hdr->version = 1;
    run(f);
    r = syscall(SYS_capget, hdr, data);
    say("capget with a bad version", r);
    printf("  version written back is 3: %d\n", hdr->version == _LINUX_CAPABILITY_VERSION_3);
    /* sendmsg and setsockopt read from the code page */
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
        perror("socketpair");
        return 1;
    }
    memcpy(page + 3072, "ping", 4);
    struct iovec *iov = (struct iovec *)(page + 3072 + 16);
    iov->iov_base = page + 3072;
    iov->iov_len = 4;
    struct msghdr *m = (struct msghdr *)(page + 3072 + 64);
    memset(m, 0, sizeof *m);
    m->msg_iov = iov;
    m->msg_iovlen = 1;
    run(f);
    r = sendmsg(sv[1], m, 0);
    say("sendmsg", r);
    char got[8] = {0};
    r = recv(sv[0], got, sizeof got, 0);
    printf("  received %.*s\n", (int)(r > 0 ? r : 0), got);
    int *size = (int *)(page + 3072 + 192);
    *size = 65536;
    run(f);
    r = setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, size, sizeof *size);
    say("setsockopt SO_RCVBUF", r);
    run(f);
    return 0;
}

/* io_getevents writing its event into the code page (x86-64 guests only: qemu-user, the
 * AArch64 oracle, has no AIO calls). */
static int case_kernel_writes_aio(void) {
    unsigned char *page = map_rwx();
    fn_t f = (fn_t)page;
    put(page, 1);
    run(f);
    long r;
    /* io_getevents: the completed event */
    aio_context_t ctx = 0;
    r = syscall(SYS_io_setup, 4, &ctx);
    say("io_setup", r);
    if (r == 0) {
        int mfd = memfd_create("aio", 0);
        write(mfd, "abcdef", 6);
        static char buf[8];
        struct iocb cb;
        memset(&cb, 0, sizeof cb);
        cb.aio_lio_opcode = IOCB_CMD_PREAD;
        cb.aio_fildes = mfd;
        cb.aio_buf = (uintptr_t)buf;
        cb.aio_nbytes = 6;
        cb.aio_data = 42;
        struct iocb *cbs[1] = {&cb};
        r = syscall(SYS_io_submit, ctx, 1, cbs);
        say("io_submit", r);
        struct io_event *done = (struct io_event *)(page + 2560);
        run(f);
        r = syscall(SYS_io_getevents, ctx, 1, 2, done, NULL);
        say("io_getevents", r);
        if (r > 0) printf("  data %llu, result %lld, read %.6s\n", (unsigned long long)done->data, (long long)done->res, buf);
        syscall(SYS_io_destroy, ctx);
    }
    run(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: smc rwx|next-insn|memfd|text|read|threads|kernel-writes|kernel-writes2|kernel-writes-aio\n");
        return 2;
    }
    const char *c = argv[1];
    if (!strcmp(c, "rwx")) return case_rwx();
    if (!strcmp(c, "next-insn")) return case_next_insn();
    if (!strcmp(c, "memfd")) return case_memfd();
    if (!strcmp(c, "text")) return case_text();
    if (!strcmp(c, "read")) return case_read();
    if (!strcmp(c, "threads")) return case_threads();
    if (!strcmp(c, "kernel-writes")) return case_kernel_writes();
    if (!strcmp(c, "kernel-writes2")) return case_kernel_writes2();
    if (!strcmp(c, "kernel-writes-aio")) return case_kernel_writes_aio();
    fprintf(stderr, "smc: unknown case %s\n", c);
    return 2;
}

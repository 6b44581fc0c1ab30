/* File I/O in a fresh temporary directory: open/read/write/lseek/pread/pwrite/fstat/ftruncate/
 * getdents64/rename/unlink/dup/pipe, with the directory listing printed sorted. The directory
 * name itself (random) is never printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static char dir[64];

static void die(const char *what)
{
    printf("FAILED: %s: errno=%d\n", what, errno);
    exit(1);
}

static char *path(const char *name)
{
    static char buf[2][320];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

static uint32_t checksum(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the directory with the raw getdents64 system call, sorted by name, with sizes. */
static void list_dir(const char *title)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        die("open dir");
    char buf[1024]; /* small, so that a directory with many entries needs several calls */
    char *names[256];
    int n = 0, calls = 0;
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got < 0)
            die("getdents64");
        if (got == 0)
            break;
        calls++;
        for (long off = 0; off < got;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..") && n < 256)
                names[n++] = strdup(d->d_name);
            off += d->d_reclen;
        }
    }
    close(fd);
    qsort(names, n, sizeof names[0], cmp_str);
    printf("%s: %d entries\n", title, n);
    for (int i = 0; i < n; i++) {
        struct stat st;
        if (stat(path(names[i]), &st) != 0)
            die("stat");
        /* A directory's st_size depends on the file system: print it for files only. */
        if (S_ISREG(st.st_mode))
            printf("  %-12s %8lld bytes\n", names[i], (long long)st.st_size);
        else
            printf("  %-12s %s\n", names[i], S_ISDIR(st.st_mode) ? "directory" : "other");
        free(names[i]);
    }
    (void)calls;
}

int main(void)
{
    strcpy(dir, "/tmp/xlate-fileio-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp");

    /* Write a pattern in chunks of varying size. */
    static unsigned char data[200000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    int fd = open(path("data.bin"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0)
        die("open data.bin");
    size_t done = 0, chunk = 1;
    while (done < sizeof data) {
        size_t n = chunk < sizeof data - done ? chunk : sizeof data - done;
        ssize_t w = write(fd, data + done, n);
        if (w != (ssize_t)n)
            die("write");
        done += n;
        chunk = chunk * 3 + 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        die("fstat");
    printf("data.bin size after write: %lld\n", (long long)st.st_size);
    close(fd);

    /* Read back whole, then pieces with lseek and pread. */
    static unsigned char back[200000];
    fd = open(path("data.bin"), O_RDWR);
    if (fd < 0)
        die("reopen");
    ssize_t r, total = 0;
    while ((r = read(fd, back + total, 7777)) > 0)
        total += r;
    printf("read back %zd bytes, equal: %s, checksum %08x\n", total,
           memcmp(data, back, sizeof data) == 0 ? "yes" : "no", checksum(back, total));
    printf("read at EOF returns %zd\n", read(fd, back, 10));
    off_t pos = lseek(fd, 1000, SEEK_SET);
    printf("lseek SEEK_SET 1000 -> %lld\n", (long long)pos);
    pos = lseek(fd, -10, SEEK_END);
    printf("lseek SEEK_END -10 -> %lld\n", (long long)pos);
    pos = lseek(fd, -90, SEEK_CUR);
    printf("lseek SEEK_CUR -90 -> %lld\n", (long long)pos);
    r = read(fd, back, 16);
    printf("read 16 at %lld: %zd bytes, equal: %s\n", (long long)pos, r,
           memcmp(back, data + pos, 16) == 0 ? "yes" : "no");
    pos = lseek(fd, -1, SEEK_SET);
    printf("lseek to -1 -> %lld errno=%s\n", (long long)pos, errno == EINVAL ? "EINVAL" : "other");

    /* pwrite in the middle and past the end (a hole), pread back. */
    if (pwrite(fd, "HELLO", 5, 500) != 5)
        die("pwrite");
    if (pwrite(fd, "TAIL", 4, 300000) != 4)
        die("pwrite past end");
    fstat(fd, &st);
    printf("size after pwrite past end: %lld\n", (long long)st.st_size);
    char small[8] = {0};
    pread(fd, small, 5, 500);
    printf("pread 500: %s\n", small);
    memset(small, 'x', sizeof small);
    pread(fd, small, 4, 250000);
    printf("hole reads zeros: %s\n", small[0] == 0 && small[3] == 0 ? "yes" : "no");
    if (ftruncate(fd, 4096) != 0)
        die("ftruncate");
    fstat(fd, &st);
    printf("size after ftruncate: %lld\n", (long long)st.st_size);

    /* dup shares the offset. */
    int fd2 = dup(fd);
    lseek(fd, 100, SEEK_SET);
    printf("dup shares offset: %s\n", lseek(fd2, 0, SEEK_CUR) == 100 ? "yes" : "no");
    close(fd2);
    close(fd);

    /* O_APPEND and a few more files of different sizes. */
    fd = open(path("log.txt"), O_CREAT | O_WRONLY | O_APPEND, 0600);
    for (int i = 0; i < 10; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "line %d\n", i);
        lseek(fd, 0, SEEK_SET); /* ignored by O_APPEND writes */
        write(fd, line, n);
    }
    close(fd);
    FILE *f = fopen(path("log.txt"), "r");
    char line[64];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines++;
    fclose(f);
    line[strcspn(line, "\n")] = 0;
    printf("log.txt lines: %d (last: %s)\n", lines, line);

    for (int i = 0; i < 40; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%02d", i);
        fd = open(path(name), O_CREAT | O_WRONLY | O_TRUNC, 0644);
        write(fd, data, (size_t)i * 37);
        close(fd);
    }
    if (mkdir(path("subdir"), 0755) != 0)
        die("mkdir");
    list_dir("after create");

    /* rename and unlink */
    if (rename(path("data.bin"), path("renamed.bin")) != 0)
        die("rename");
    for (int i = 0; i < 40; i += 2) {
        char name[32];
        snprintf(name, sizeof name, "f%02d", i);
        if (unlink(path(name)) != 0)
            die("unlink");
    }
    int rc = open(path("f00"), O_RDONLY);
    printf("open missing: %d errno=%s\n", rc, errno == ENOENT ? "ENOENT" : "other");
    rc = unlink(path("nothere"));
    printf("unlink missing: %d errno=%s\n", rc, errno == ENOENT ? "ENOENT" : "other");
    rc = open(path("renamed.bin"), O_CREAT | O_EXCL | O_WRONLY, 0644);
    printf("open O_EXCL existing: %d errno=%s\n", rc, errno == EEXIST ? "EEXIST" : "other");
    list_dir("after rename and unlink");

    /* pipe */
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    write(p[1], "through a pipe", 14);
    close(p[1]);
    char pb[32] = {0};
    r = read(p[0], pb, sizeof pb - 1);
    printf("pipe: %zd bytes \"%s\"\n", r, pb);
    close(p[0]);

    /* clean up */
    DIR *d = opendir(dir);
    struct dirent *e;
    int removed = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (e->d_type == DT_DIR ? rmdir(path(e->d_name)) : unlink(path(e->d_name)))
            die("cleanup");
        removed++;
    }
    closedir(d);
    printf("removed %d entries\n", removed);
    if (rmdir(dir) != 0)
        die("rmdir");
    printf("done\n");
    return 0;
}

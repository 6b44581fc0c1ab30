/* dlopen of a library named on the command line, dlsym, calls, dlclose; and a missing one. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        printf("dlopen failed\n");
        return 1;
    }
    int (*f)(int) = (int (*)(int))dlsym(h, "plugin_value");
    if (!f) return 4;
    printf("plugin_value(6) = %d\n", f(6));
    printf("plugin_value(6) = %d\n", f(6));
    printf("dlclose = %d\n", dlclose(h));
    printf("missing library: %s\n", dlopen("libxlate-no-such-library.so", RTLD_NOW) ? "loaded" : "not found");
    return 0;
}

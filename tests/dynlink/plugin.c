/* A shared library that dlopen.c loads at run time. */
static int calls;

int plugin_value(int x) {
    calls++;
    return x * 7 + calls;
}

// build-aarch64: -O3 -mcpu=neoverse-n1+crypto+nolse -mno-outline-atomics
// n1feat.c with the atomics as inline exclusives (LDAXR/STLXR, LDAXP/STLXP for 128 bits).
#include "n1feat.c"

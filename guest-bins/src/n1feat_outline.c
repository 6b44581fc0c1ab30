// build-aarch64: -O3 -mcpu=neoverse-n1+crypto+nolse -moutline-atomics
// n1feat.c with the atomics as calls of libgcc's out-of-line helpers, which choose LSE or
// exclusives by AT_HWCAP's ATOMICS bit at run time.
#include "n1feat.c"

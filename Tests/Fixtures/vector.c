/* Loads known floats into ymm5 and stops at its own int3, so r ymm5 / r xmm5 can be checked. */
#include <immintrin.h>

int main(void) {
    __m256 lanes = _mm256_set_ps(8, 7, 6, 5, 4, 3, 2, 1.5f);
    __asm__ volatile("vmovaps %0, %%ymm5\n\tint3" : : "x"(lanes) : "xmm5");
    return 0;
}

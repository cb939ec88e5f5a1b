// Training's matrix product C (+)= A·B for rows lo ..< hi of C, row-major B and C; A is read through
// strides (element (i, k) at a[i*sa + k*sk]) so Aᵀ needs no transposed copy (sa = 1, sk = lda).
//
// Every element is one chain of fused multiply-adds over k in order, within k-blocks of GEMM_KB
// added to C in block order, on every path (scalar, AVX2, AVX-512): so the path, the tile a row
// falls in and the thread split never change a bit, and training is bit-identical for any thread
// count.
#include "proctor_kernels.h"

/// Rows of B held in one k-block: a panel of B stays in L2 while a strip of C is computed.
#define GEMM_KB 256

/// One C element's partial sum over a k-block, in the order every path uses.
static inline float gemm_dot(const float *a, long sk, const float *b, long ldb, long kn) {
    float s = 0;
    for (long k = 0; k < kn; k++) s = __builtin_fmaf(a[k * sk], b[k * ldb], s);
    return s;
}

static void gemm_scalar(float *c, long ldc, const float *a, long sa, long sk, const float *b, long ldb,
                        long n, long kdim, long lo, long hi) {
    for (long k0 = 0; k0 < kdim; k0 += GEMM_KB) {
        long kn = kdim - k0 < GEMM_KB ? kdim - k0 : GEMM_KB;
        for (long i = lo; i < hi; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] += gemm_dot(a + i * sa + k0 * sk, sk, b + k0 * ldb + j, ldb, kn);
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int proctor_kernels_gemm_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/// Tiles of 4 rows × 16 columns: 8 accumulators, each B load shared by 4 broadcasts.
__attribute__((target("avx2,fma")))
static void gemm_avx2(float *c, long ldc, const float *a, long sa, long sk, const float *b, long ldb,
                      long n, long kdim, long lo, long hi) {
    for (long k0 = 0; k0 < kdim; k0 += GEMM_KB) {
        long kn = kdim - k0 < GEMM_KB ? kdim - k0 : GEMM_KB;
        const float *bk = b + k0 * ldb;
        long i = lo;
        for (; i + 4 <= hi; i += 4) {
            const float *a0 = a + i * sa + k0 * sk, *a1 = a0 + sa, *a2 = a1 + sa, *a3 = a2 + sa;
            float *c0 = c + i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            long j = 0;
            for (; j + 16 <= n; j += 16) {
                __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) {
                    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
                    __m256 x = _mm256_broadcast_ss(a0 + k * sk);
                    s00 = _mm256_fmadd_ps(x, b0, s00); s01 = _mm256_fmadd_ps(x, b1, s01);
                    x = _mm256_broadcast_ss(a1 + k * sk);
                    s10 = _mm256_fmadd_ps(x, b0, s10); s11 = _mm256_fmadd_ps(x, b1, s11);
                    x = _mm256_broadcast_ss(a2 + k * sk);
                    s20 = _mm256_fmadd_ps(x, b0, s20); s21 = _mm256_fmadd_ps(x, b1, s21);
                    x = _mm256_broadcast_ss(a3 + k * sk);
                    s30 = _mm256_fmadd_ps(x, b0, s30); s31 = _mm256_fmadd_ps(x, b1, s31);
                }
                _mm256_storeu_ps(c0 + j, _mm256_add_ps(_mm256_loadu_ps(c0 + j), s00)); _mm256_storeu_ps(c0 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c0 + j + 8), s01));
                _mm256_storeu_ps(c1 + j, _mm256_add_ps(_mm256_loadu_ps(c1 + j), s10)); _mm256_storeu_ps(c1 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c1 + j + 8), s11));
                _mm256_storeu_ps(c2 + j, _mm256_add_ps(_mm256_loadu_ps(c2 + j), s20)); _mm256_storeu_ps(c2 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c2 + j + 8), s21));
                _mm256_storeu_ps(c3 + j, _mm256_add_ps(_mm256_loadu_ps(c3 + j), s30)); _mm256_storeu_ps(c3 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c3 + j + 8), s31));
            }
            for (; j < n; j++) {
                c0[j] += gemm_dot(a0, sk, bk + j, ldb, kn); c1[j] += gemm_dot(a1, sk, bk + j, ldb, kn);
                c2[j] += gemm_dot(a2, sk, bk + j, ldb, kn); c3[j] += gemm_dot(a3, sk, bk + j, ldb, kn);
            }
        }
        for (; i < hi; i++) {
            const float *a0 = a + i * sa + k0 * sk;
            float *c0 = c + i * ldc;
            long j = 0;
            for (; j + 8 <= n; j += 8) {
                __m256 s0 = _mm256_setzero_ps();
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k * sk), _mm256_loadu_ps(bp), s0);
                _mm256_storeu_ps(c0 + j, _mm256_add_ps(_mm256_loadu_ps(c0 + j), s0));
            }
            for (; j < n; j++) c0[j] += gemm_dot(a0, sk, bk + j, ldb, kn);
        }
    }
}

/// Tiles of 6 rows × 32 columns: 12 accumulators of 16 floats; a column tail is masked, so every
/// column takes the vector path.
__attribute__((target("avx512f")))
static void gemm_avx512(float *c, long ldc, const float *a, long sa, long sk, const float *b, long ldb,
                        long n, long kdim, long lo, long hi) {
    for (long k0 = 0; k0 < kdim; k0 += GEMM_KB) {
        long kn = kdim - k0 < GEMM_KB ? kdim - k0 : GEMM_KB;
        const float *bk = b + k0 * ldb;
        long i = lo;
        for (; i + 6 <= hi; i += 6) {
            const float *ar[6];
            for (int r = 0; r < 6; r++) ar[r] = a + (i + r) * sa + k0 * sk;
            long j = 0;
            for (; j + 32 <= n; j += 32) {
                __m512 s[6][2];
                for (int r = 0; r < 6; r++) s[r][0] = s[r][1] = _mm512_setzero_ps();
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) {
                    __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
                    for (int r = 0; r < 6; r++) {
                        __m512 x = _mm512_set1_ps(ar[r][k * sk]);
                        s[r][0] = _mm512_fmadd_ps(x, b0, s[r][0]);
                        s[r][1] = _mm512_fmadd_ps(x, b1, s[r][1]);
                    }
                }
                for (int r = 0; r < 6; r++) {
                    float *cr = c + (i + r) * ldc + j;
                    _mm512_storeu_ps(cr, _mm512_add_ps(_mm512_loadu_ps(cr), s[r][0]));
                    _mm512_storeu_ps(cr + 16, _mm512_add_ps(_mm512_loadu_ps(cr + 16), s[r][1]));
                }
            }
            for (; j < n; j += 16) {
                __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
                __m512 s[6];
                for (int r = 0; r < 6; r++) s[r] = _mm512_setzero_ps();
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) {
                    __m512 b0 = _mm512_maskz_loadu_ps(m, bp);
                    for (int r = 0; r < 6; r++) s[r] = _mm512_fmadd_ps(_mm512_set1_ps(ar[r][k * sk]), b0, s[r]);
                }
                for (int r = 0; r < 6; r++) {
                    float *cr = c + (i + r) * ldc + j;
                    _mm512_mask_storeu_ps(cr, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr), s[r]));
                }
            }
        }
        for (; i < hi; i++) {
            const float *a0 = a + i * sa + k0 * sk;
            float *c0 = c + i * ldc;
            for (long j = 0; j < n; j += 16) {
                __mmask16 m = n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
                __m512 s0 = _mm512_setzero_ps();
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) s0 = _mm512_fmadd_ps(_mm512_set1_ps(a0[k * sk]), _mm512_maskz_loadu_ps(m, bp), s0);
                _mm512_mask_storeu_ps(c0 + j, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, c0 + j), s0));
            }
        }
    }
}
#else
int proctor_kernels_gemm_level(void) { return 0; }
#endif

void proctor_gemm_strided(int level, float *c, long ldc, const float *a, long sa, long sk, const float *b, long ldb,
                          long n, long kdim, long lo, long hi, int accumulate) {
    if (!accumulate)
        for (long i = lo; i < hi; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2) { gemm_avx512(c, ldc, a, sa, sk, b, ldb, n, kdim, lo, hi); return; }
    if (level >= 1) { gemm_avx2(c, ldc, a, sa, sk, b, ldb, n, kdim, lo, hi); return; }
#endif
    (void)level;
    gemm_scalar(c, ldc, a, sa, sk, b, ldb, n, kdim, lo, hi);
}

void proctor_gemm_rows(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                       long n, long kdim, long lo, long hi, int accumulate) {
    proctor_gemm_strided(proctor_kernels_gemm_level(), c, ldc, a, lda, 1, b, ldb, n, kdim, lo, hi, accumulate);
}

void proctor_gemm_rows_portable(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                                long n, long kdim, long lo, long hi) {
    gemm_scalar(c, ldc, a, lda, 1, b, ldb, n, kdim, lo, hi);
}

#include "proctor_kernels.h"

/// Columns of B held in one k-block: 256 rows of B stay in L2 while a strip of C is computed.
#define GEMM_KB 256

/// One C element's partial sum over a k-block, in the order every path uses (so that which path a
/// row takes, and so the thread split, never changes a result).
static inline float gemm_dot(const float *a, const float *b, long ldb, long kn) {
    float s = 0;
    for (long k = 0; k < kn; k++) s = __builtin_fmaf(a[k], b[k * ldb], s);
    return s;
}

static void gemm_scalar(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                        long n, long kdim, long lo, long hi) {
    for (long k0 = 0; k0 < kdim; k0 += GEMM_KB) {
        long kn = kdim - k0 < GEMM_KB ? kdim - k0 : GEMM_KB;
        for (long i = lo; i < hi; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] += gemm_dot(a + i * lda + k0, b + k0 * ldb + j, ldb, kn);
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int proctor_kernels_fast(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma")))
static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    __m128 sh = _mm_movehdup_ps(lo);
    __m128 s = _mm_add_ps(lo, sh);
    sh = _mm_movehl_ps(sh, s);
    return _mm_cvtss_f32(_mm_add_ss(s, sh));
}

__attribute__((target("avx2,fma")))
void proctor_matvec_rows(float *out, const float *x, const float *w, long n, long lo, long hi) {
    for (long i = lo; i < hi; i++) {
        const float *row = w + i * n;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        long j = 0;
        for (; j + 32 <= n; j += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(x + j), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 8), _mm256_loadu_ps(x + j + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 16), _mm256_loadu_ps(x + j + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j + 24), _mm256_loadu_ps(x + j + 24), a3);
        }
        for (; j + 8 <= n; j += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(x + j), a0);
        float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; j < n; j++) s += row[j] * x[j];
        out[i] = s;
    }
}

__attribute__((target("avx2,fma")))
static float sum_avx2(const float *x, long n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    long j = 0;
    for (; j + 32 <= n; j += 32) {
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(x + j)); a1 = _mm256_add_ps(a1, _mm256_loadu_ps(x + j + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(x + j + 16)); a3 = _mm256_add_ps(a3, _mm256_loadu_ps(x + j + 24));
    }
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; j < n; j++) s += x[j];
    return s;
}

float proctor_sum(const float *x, long n) {
    if (proctor_kernels_fast()) return sum_avx2(x, n);
    float s = 0;
    for (long j = 0; j < n; j++) s += x[j];
    return s;
}

/// Rows of C in a tile: 4 rows x 16 columns = 8 accumulators, B loaded once per 4 broadcasts.
__attribute__((target("avx2,fma")))
static void gemm_avx2(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                      long n, long kdim, long lo, long hi) {
    for (long k0 = 0; k0 < kdim; k0 += GEMM_KB) {
        long kn = kdim - k0 < GEMM_KB ? kdim - k0 : GEMM_KB;
        const float *bk = b + k0 * ldb;
        long i = lo;
        for (; i + 4 <= hi; i += 4) {
            const float *a0 = a + i * lda + k0, *a1 = a0 + lda, *a2 = a1 + lda, *a3 = a2 + lda;
            float *c0 = c + i * ldc, *c1 = c0 + ldc, *c2 = c1 + ldc, *c3 = c2 + ldc;
            long j = 0;
            for (; j + 16 <= n; j += 16) {
                __m256 s00 = _mm256_setzero_ps(), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00, s30 = s00, s31 = s00;
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) {
                    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
                    __m256 x = _mm256_broadcast_ss(a0 + k);
                    s00 = _mm256_fmadd_ps(x, b0, s00); s01 = _mm256_fmadd_ps(x, b1, s01);
                    x = _mm256_broadcast_ss(a1 + k);
                    s10 = _mm256_fmadd_ps(x, b0, s10); s11 = _mm256_fmadd_ps(x, b1, s11);
                    x = _mm256_broadcast_ss(a2 + k);
                    s20 = _mm256_fmadd_ps(x, b0, s20); s21 = _mm256_fmadd_ps(x, b1, s21);
                    x = _mm256_broadcast_ss(a3 + k);
                    s30 = _mm256_fmadd_ps(x, b0, s30); s31 = _mm256_fmadd_ps(x, b1, s31);
                }
                _mm256_storeu_ps(c0 + j, _mm256_add_ps(_mm256_loadu_ps(c0 + j), s00)); _mm256_storeu_ps(c0 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c0 + j + 8), s01));
                _mm256_storeu_ps(c1 + j, _mm256_add_ps(_mm256_loadu_ps(c1 + j), s10)); _mm256_storeu_ps(c1 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c1 + j + 8), s11));
                _mm256_storeu_ps(c2 + j, _mm256_add_ps(_mm256_loadu_ps(c2 + j), s20)); _mm256_storeu_ps(c2 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c2 + j + 8), s21));
                _mm256_storeu_ps(c3 + j, _mm256_add_ps(_mm256_loadu_ps(c3 + j), s30)); _mm256_storeu_ps(c3 + j + 8, _mm256_add_ps(_mm256_loadu_ps(c3 + j + 8), s31));
            }
            for (; j + 8 <= n; j += 8) {
                __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) {
                    __m256 b0 = _mm256_loadu_ps(bp);
                    s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k), b0, s0);
                    s1 = _mm256_fmadd_ps(_mm256_broadcast_ss(a1 + k), b0, s1);
                    s2 = _mm256_fmadd_ps(_mm256_broadcast_ss(a2 + k), b0, s2);
                    s3 = _mm256_fmadd_ps(_mm256_broadcast_ss(a3 + k), b0, s3);
                }
                _mm256_storeu_ps(c0 + j, _mm256_add_ps(_mm256_loadu_ps(c0 + j), s0));
                _mm256_storeu_ps(c1 + j, _mm256_add_ps(_mm256_loadu_ps(c1 + j), s1));
                _mm256_storeu_ps(c2 + j, _mm256_add_ps(_mm256_loadu_ps(c2 + j), s2));
                _mm256_storeu_ps(c3 + j, _mm256_add_ps(_mm256_loadu_ps(c3 + j), s3));
            }
            for (; j < n; j++) {
                c0[j] += gemm_dot(a0, bk + j, ldb, kn); c1[j] += gemm_dot(a1, bk + j, ldb, kn);
                c2[j] += gemm_dot(a2, bk + j, ldb, kn); c3[j] += gemm_dot(a3, bk + j, ldb, kn);
            }
        }
        for (; i < hi; i++) {
            const float *a0 = a + i * lda + k0;
            float *c0 = c + i * ldc;
            long j = 0;
            for (; j + 8 <= n; j += 8) {
                __m256 s0 = _mm256_setzero_ps();
                const float *bp = bk + j;
                for (long k = 0; k < kn; k++, bp += ldb) s0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a0 + k), _mm256_loadu_ps(bp), s0);
                _mm256_storeu_ps(c0 + j, _mm256_add_ps(_mm256_loadu_ps(c0 + j), s0));
            }
            for (; j < n; j++) c0[j] += gemm_dot(a0, bk + j, ldb, kn);
        }
    }
}

#else
float proctor_sum(const float *x, long n) { float s = 0; for (long j = 0; j < n; j++) s += x[j]; return s; }
int proctor_kernels_fast(void) { return 0; }
void proctor_matvec_rows(float *out, const float *x, const float *w, long n, long lo, long hi) { (void)out; (void)x; (void)w; (void)n; (void)lo; (void)hi; }
#endif

void proctor_gemm_rows(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                       long n, long kdim, long lo, long hi, int accumulate) {
    if (!accumulate)
        for (long i = lo; i < hi; i++)
            for (long j = 0; j < n; j++) c[i * ldc + j] = 0;
#if defined(__x86_64__) || defined(__i386__)
    if (proctor_kernels_fast()) { gemm_avx2(c, ldc, a, lda, b, ldb, n, kdim, lo, hi); return; }
#endif
    gemm_scalar(c, ldc, a, lda, b, ldb, n, kdim, lo, hi);
}

void proctor_gemm_rows_portable(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                                long n, long kdim, long lo, long hi) {
    gemm_scalar(c, ldc, a, lda, b, ldb, n, kdim, lo, hi);
}

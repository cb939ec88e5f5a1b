#include "proctor_kernels.h"

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
void proctor_matmat_rows(float *out, const float *x, const float *w, long n, long d, long tokens, long lo, long hi) {
    for (long i = lo; i < hi; i++) {
        const float *row = w + i * n;
        long t = 0;
        for (; t + 4 <= tokens; t += 4) {
            const float *x0 = x + t * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
            __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
            long j = 0;
            for (; j + 8 <= n; j += 8) {
                __m256 wv = _mm256_loadu_ps(row + j);
                a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x0 + j), a0);
                a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x1 + j), a1);
                a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x2 + j), a2);
                a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(x3 + j), a3);
            }
            float s0 = hsum256(a0), s1 = hsum256(a1), s2 = hsum256(a2), s3 = hsum256(a3);
            for (; j < n; j++) { s0 += row[j] * x0[j]; s1 += row[j] * x1[j]; s2 += row[j] * x2[j]; s3 += row[j] * x3[j]; }
            out[t * d + i] = s0; out[(t + 1) * d + i] = s1; out[(t + 2) * d + i] = s2; out[(t + 3) * d + i] = s3;
        }
        for (; t < tokens; t++) {
            const float *xt = x + t * n;
            __m256 a = _mm256_setzero_ps();
            long j = 0;
            for (; j + 8 <= n; j += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(row + j), _mm256_loadu_ps(xt + j), a);
            float s = hsum256(a);
            for (; j < n; j++) s += row[j] * xt[j];
            out[t * d + i] = s;
        }
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

#else
float proctor_sum(const float *x, long n) { float s = 0; for (long j = 0; j < n; j++) s += x[j]; return s; }
int proctor_kernels_fast(void) { return 0; }
void proctor_matvec_rows(float *out, const float *x, const float *w, long n, long lo, long hi) { (void)out; (void)x; (void)w; (void)n; (void)lo; (void)hi; }
void proctor_matmat_rows(float *out, const float *x, const float *w, long n, long d, long tokens, long lo, long hi) {
    (void)out; (void)x; (void)w; (void)n; (void)d; (void)tokens; (void)lo; (void)hi;
}
#endif

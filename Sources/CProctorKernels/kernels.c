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
#endif


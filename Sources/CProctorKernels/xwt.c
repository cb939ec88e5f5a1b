// Prefill's matrix product: OUT(T, d) = X(T, n) · W(d, n)ᵀ with W as stored in the checkpoint (one
// row per output), so no transposed copy is made. Register tiles of tokens × rows accumulate along
// n; a block of W rows stays in L2 while every token tile passes over it, and one tile of X rows
// and W rows stays in L1 for the whole dot product.
#include "proctor_kernels.h"

/// W rows per L2 block (e.g. 64 rows × 768 floats = 192 KB).
#define XWT_ROWS_PER_BLOCK 64

static void xwt_portable(float *out, const float *x, long ldx, const float *w, long ldw, long n, long d, long tokens, long lo, long hi) {
    for (long i = lo; i < hi; i++)
        for (long t = 0; t < tokens; t++) {
            const float *a = x + t * ldx, *b = w + i * ldw;
            float s = 0;
            for (long k = 0; k < n; k++) s += a[k] * b[k];
            out[t * d + i] = s;
        }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int proctor_kernels_xwt_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return 1;
    return 0;
}

/// A tile of TT tokens × 4 rows: 4·TT accumulators of 16 floats.
#define XWT512_TILE(TT)                                                                                           \
    do {                                                                                                          \
        __m512 acc[TT][4];                                                                                        \
        for (int a = 0; a < TT; a++) for (int r = 0; r < 4; r++) acc[a][r] = _mm512_setzero_ps();               \
        long k = 0;                                                                                               \
        for (; k + 16 <= n; k += 16) {                                                                            \
            __m512 w0 = _mm512_loadu_ps(w0p + k), w1 = _mm512_loadu_ps(w1p + k);                                  \
            __m512 w2 = _mm512_loadu_ps(w2p + k), w3 = _mm512_loadu_ps(w3p + k);                                  \
            for (int a = 0; a < TT; a++) {                                                                        \
                __m512 xv = _mm512_loadu_ps(xt + a * ldx + k);                                                      \
                acc[a][0] = _mm512_fmadd_ps(xv, w0, acc[a][0]); acc[a][1] = _mm512_fmadd_ps(xv, w1, acc[a][1]);   \
                acc[a][2] = _mm512_fmadd_ps(xv, w2, acc[a][2]); acc[a][3] = _mm512_fmadd_ps(xv, w3, acc[a][3]);   \
            }                                                                                                     \
        }                                                                                                         \
        if (k < n) {                                                                                              \
            __mmask16 m = (__mmask16)((1u << (n - k)) - 1);                                                       \
            __m512 w0 = _mm512_maskz_loadu_ps(m, w0p + k), w1 = _mm512_maskz_loadu_ps(m, w1p + k);                \
            __m512 w2 = _mm512_maskz_loadu_ps(m, w2p + k), w3 = _mm512_maskz_loadu_ps(m, w3p + k);                \
            for (int a = 0; a < TT; a++) {                                                                        \
                __m512 xv = _mm512_maskz_loadu_ps(m, xt + a * ldx + k);                                             \
                acc[a][0] = _mm512_fmadd_ps(xv, w0, acc[a][0]); acc[a][1] = _mm512_fmadd_ps(xv, w1, acc[a][1]);   \
                acc[a][2] = _mm512_fmadd_ps(xv, w2, acc[a][2]); acc[a][3] = _mm512_fmadd_ps(xv, w3, acc[a][3]);   \
            }                                                                                                     \
        }                                                                                                         \
        for (int a = 0; a < TT; a++) for (int r = 0; r < 4; r++)                                                 \
            out[(t + a) * d + i + r] = _mm512_reduce_add_ps(acc[a][r]);                                           \
    } while (0)

__attribute__((target("avx512f")))
static void xwt_one_row_avx512(float *out, const float *x, long ldx, const float *row, long n, long d, long tokens, long i) {
    for (long t = 0; t < tokens; t++) {
        const float *xt = x + t * ldx;
        __m512 acc = _mm512_setzero_ps();
        long k = 0;
        for (; k + 16 <= n; k += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(xt + k), _mm512_loadu_ps(row + k), acc);
        if (k < n) {
            __mmask16 m = (__mmask16)((1u << (n - k)) - 1);
            acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, xt + k), _mm512_maskz_loadu_ps(m, row + k), acc);
        }
        out[t * d + i] = _mm512_reduce_add_ps(acc);
    }
}

__attribute__((target("avx512f")))
static void xwt_avx512(float *out, const float *x, long ldx, const float *w, long ldw, long n, long d, long tokens, long lo, long hi) {
    for (long b0 = lo; b0 < hi; b0 += XWT_ROWS_PER_BLOCK) {
        long b1 = b0 + XWT_ROWS_PER_BLOCK < hi ? b0 + XWT_ROWS_PER_BLOCK : hi;
        long t = 0;
        for (; t + 6 <= tokens; t += 6) {
            const float *xt = x + t * ldx;
            long i = b0;
            for (; i + 4 <= b1; i += 4) {
                const float *w0p = w + i * ldw, *w1p = w0p + ldw, *w2p = w1p + ldw, *w3p = w2p + ldw;
                XWT512_TILE(6);
            }
            for (; i < b1; i++) xwt_one_row_avx512(out + t * d, xt, ldx, w + i * ldw, n, d, 6, i);
        }
        if (t < tokens) {
            long left = tokens - t;
            const float *xt = x + t * ldx;
            long i = b0;
            for (; i + 4 <= b1; i += 4) {
                const float *w0p = w + i * ldw, *w1p = w0p + ldw, *w2p = w1p + ldw, *w3p = w2p + ldw;
                switch (left) {
                case 5: XWT512_TILE(5); break;
                case 4: XWT512_TILE(4); break;
                case 3: XWT512_TILE(3); break;
                case 2: XWT512_TILE(2); break;
                default: XWT512_TILE(1); break;
                }
            }
            for (; i < b1; i++) xwt_one_row_avx512(out + t * d, xt, ldx, w + i * ldw, n, d, left, i);
        }
    }
}

__attribute__((target("avx2,fma")))
static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma")))
static void xwt_avx2(float *out, const float *x, long ldx, const float *w, long ldw, long n, long d, long tokens, long lo, long hi) {
    for (long b0 = lo; b0 < hi; b0 += XWT_ROWS_PER_BLOCK) {
        long b1 = b0 + XWT_ROWS_PER_BLOCK < hi ? b0 + XWT_ROWS_PER_BLOCK : hi;
        for (long t = 0; t < tokens; t += 4) {
            long tt = tokens - t < 4 ? tokens - t : 4;
            const float *xt = x + t * ldx;
            long i = b0;
            for (; i + 3 <= b1 && tt == 4; i += 3) {
                const float *r0 = w + i * ldw, *r1 = r0 + ldw, *r2 = r1 + ldw;
                __m256 acc[4][3];
                for (int a = 0; a < 4; a++) for (int r = 0; r < 3; r++) acc[a][r] = _mm256_setzero_ps();
                long k = 0;
                for (; k + 8 <= n; k += 8) {
                    __m256 w0 = _mm256_loadu_ps(r0 + k), w1 = _mm256_loadu_ps(r1 + k), w2 = _mm256_loadu_ps(r2 + k);
                    for (int a = 0; a < 4; a++) {
                        __m256 xv = _mm256_loadu_ps(xt + a * ldx + k);
                        acc[a][0] = _mm256_fmadd_ps(xv, w0, acc[a][0]);
                        acc[a][1] = _mm256_fmadd_ps(xv, w1, acc[a][1]);
                        acc[a][2] = _mm256_fmadd_ps(xv, w2, acc[a][2]);
                    }
                }
                for (int a = 0; a < 4; a++)
                    for (int r = 0; r < 3; r++) {
                        const float *rr = w + (i + r) * ldw, *xa = xt + a * ldx;
                        float s = hsum8(acc[a][r]);
                        for (long kk = k; kk < n; kk++) s += xa[kk] * rr[kk];
                        out[(t + a) * d + i + r] = s;
                    }
            }
            for (; i < b1; i++) {
                const float *rr = w + i * ldw;
                for (long a = 0; a < tt; a++) {
                    const float *xa = xt + a * ldx;
                    __m256 acc = _mm256_setzero_ps();
                    long k = 0;
                    for (; k + 8 <= n; k += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(xa + k), _mm256_loadu_ps(rr + k), acc);
                    float s = hsum8(acc);
                    for (; k < n; k++) s += xa[k] * rr[k];
                    out[(t + a) * d + i] = s;
                }
            }
        }
    }
}

#else
int proctor_kernels_xwt_level(void) { return 0; }
#endif

void proctor_xwt_strided(int level, float *out, long ldo, const float *x, long ldx, const float *w, long ldw, long n, long tokens, long lo, long hi) {
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2) { xwt_avx512(out, x, ldx, w, ldw, n, ldo, tokens, lo, hi); return; }
    if (level >= 1) { xwt_avx2(out, x, ldx, w, ldw, n, ldo, tokens, lo, hi); return; }
#endif
    (void)level;
    xwt_portable(out, x, ldx, w, ldw, n, ldo, tokens, lo, hi);
}

void proctor_xwt_rows(int level, float *out, const float *x, const float *w, long n, long d, long tokens, long lo, long hi) {
    proctor_xwt_strided(level, out, d, x, n, w, n, n, tokens, lo, hi);
}

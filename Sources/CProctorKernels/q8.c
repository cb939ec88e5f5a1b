// Int8 (Q8_0) kernels with llama2.c runq.c semantics: symmetric int8 in groups of `gs` with one fp32
// scale per group, activations quantized the same way before each product, integer dot products per
// group, and the float accumulation `val += (float)ival * w_scale * x_scale` in group order.
//
// The portable and AVX2 paths compute each group's integer sum exactly and then do the float steps
// in runq.c's order, so they give runq.c's bits, whatever the thread split. The AVX-512 VNNI path
// (the fast one) keeps the exact integer products but scales each group's lane sums in vector fp32,
// which changes only the last bits (see proctor_q8_rows_vnni). Float contraction is off here so
// `a * b * c + d` is never fused into an FMA where runq.c's order is kept.
#pragma STDC FP_CONTRACT OFF
#include "proctor_kernels.h"
#include <math.h>

void proctor_q8_quantize_portable(int8_t *q, float *s, const float *x, long n, long gs) {
    long groups = n / gs;
    for (long g = 0; g < groups; g++) {
        const float *xg = x + g * gs;
        float wmax = 0;
        for (long i = 0; i < gs; i++) {
            float v = fabsf(xg[i]);
            if (v > wmax) wmax = v;
        }
        float scale = wmax / 127.0f;
        s[g] = scale;
        for (long i = 0; i < gs; i++) {
            // runq.c divides by a zero scale (undefined); an all-zero group is zeros here.
            q[g * gs + i] = scale == 0 ? 0 : (int8_t)roundf(xg[i] / scale);
        }
    }
}

/// The float step shared by every path, in runq.c's order.
static inline float q8_step(float val, int ival, float ws, float xs) {
    return val + (float)ival * ws * xs;
}

void proctor_q8_rows_portable(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                              long n, long d, long gs, long lo, long hi) {
    long groups = n / gs, nx = groups;
    for (long i = lo; i < hi; i++) {
        const int8_t *row = wq + i * n;
        for (long t = 0; t < tokens; t++) {
            const int8_t *xt = xq + t * n;
            float val = 0;
            for (long j = 0; j + gs <= n; j += gs) {
                int ival = 0;
                for (long k = 0; k < gs; k++) ival += (int)xt[j + k] * (int)row[j + k];
                val = q8_step(val, ival, ws[(i * n + j) / gs], xs[t * nx + j / gs]);
            }
            out[t * d + i] = val;
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

int proctor_kernels_q8_level(void) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
    return 0;
}

__attribute__((target("avx2")))
static inline int hsum_epi32_256(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
    return _mm_cvtsi128_si32(s);
}

/// 32 products of one weight chunk with one activation chunk, summed in pairs (|w| · sign(w)·x,
/// exact: |pair| ≤ 2·128·127 < 2¹⁵) and then into 8 int32 lanes.
__attribute__((target("avx2")))
static inline __m256i dot32_avx2(__m256i aw, __m256i w, const int8_t *x) {
    __m256i p = _mm256_maddubs_epi16(aw, _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)x), w));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

__attribute__((target("avx2")))
void proctor_q8_rows_avx2(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi) {
    long nx = n / gs;
    for (long i = lo; i < hi; i++) {
        const int8_t *row = wq + i * n;
        long t = 0;
        for (; t + 4 <= tokens; t += 4) {
            const int8_t *x0 = xq + t * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
            float v0 = 0, v1 = 0, v2 = 0, v3 = 0;
            for (long j = 0; j + gs <= n; j += gs) {
                __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
                for (long k = j; k < j + gs; k += 32) {
                    __m256i w = _mm256_loadu_si256((const __m256i *)(row + k));
                    __m256i aw = _mm256_sign_epi8(w, w);
                    a0 = _mm256_add_epi32(a0, dot32_avx2(aw, w, x0 + k));
                    a1 = _mm256_add_epi32(a1, dot32_avx2(aw, w, x1 + k));
                    a2 = _mm256_add_epi32(a2, dot32_avx2(aw, w, x2 + k));
                    a3 = _mm256_add_epi32(a3, dot32_avx2(aw, w, x3 + k));
                }
                float sw = ws[(i * n + j) / gs];
                long g = j / gs;
                v0 = q8_step(v0, hsum_epi32_256(a0), sw, xs[t * nx + g]);
                v1 = q8_step(v1, hsum_epi32_256(a1), sw, xs[(t + 1) * nx + g]);
                v2 = q8_step(v2, hsum_epi32_256(a2), sw, xs[(t + 2) * nx + g]);
                v3 = q8_step(v3, hsum_epi32_256(a3), sw, xs[(t + 3) * nx + g]);
            }
            out[t * d + i] = v0; out[(t + 1) * d + i] = v1; out[(t + 2) * d + i] = v2; out[(t + 3) * d + i] = v3;
        }
        for (; t < tokens; t++) {
            const int8_t *xt = xq + t * n;
            float val = 0;
            for (long j = 0; j + gs <= n; j += gs) {
                __m256i a = _mm256_setzero_si256();
                for (long k = j; k < j + gs; k += 32) {
                    __m256i w = _mm256_loadu_si256((const __m256i *)(row + k));
                    a = _mm256_add_epi32(a, dot32_avx2(_mm256_sign_epi8(w, w), w, xt + k));
                }
                val = q8_step(val, hsum_epi32_256(a), ws[(i * n + j) / gs], xs[t * nx + j / gs]);
            }
            out[t * d + i] = val;
        }
    }
}


/// Groups per row this kernel handles.
#define Q8_MAX_GROUPS 4096

int proctor_q8_vnni_fits(long n, long gs) { return gs % 64 == 0 && n % gs == 0 && n / gs <= Q8_MAX_GROUPS; }

/// acc + 64 products |w| · (x negated where w < 0) in 16 int32 lanes: the same exact sums as x · w.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline __m512i q8_signed_dot(__m512i acc, __m512i aw, __mmask64 neg, const int8_t *x) {
    __m512i xv = _mm512_loadu_si512((const void *)x);
    return _mm512_dpbusd_epi32(acc, aw, _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv));
}

/// One group's exact integer products as 16 int32 lanes (each the sum of four products): dpbusd of
/// x + 128 (as u8) with w, minus 128·Σw (from dpbusd of ones with w), chunk by chunk.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline __m512i q8_group_lanes(const int8_t *x, const int8_t *w, long chunks) {
    const __m512i flip = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    if (chunks == 1) {  // groups of 64, straight-line
        __m512i wv = _mm512_loadu_si512((const void *)w);
        __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(_mm512_loadu_si512((const void *)x), flip), wv);
        return _mm512_sub_epi32(a, _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, wv), 7));
    }
    __m512i a = _mm512_setzero_si512();
    for (long c = 0; c < chunks; c++) {
        __m512i wv = _mm512_loadu_si512((const void *)(w + c * 64));
        a = _mm512_dpbusd_epi32(a, _mm512_xor_si512(_mm512_loadu_si512((const void *)(x + c * 64)), flip), wv);
        a = _mm512_sub_epi32(a, _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, wv), 7));
    }
    return a;
}

/// AVX-512 VNNI with whole groups per row (n % gs == 0, gs % 64 == 0). The integer products are
/// exact as in runq.c; the fp32 scaling is applied to each group's 16 lane sums (lane · (w_scale ·
/// x_scale), fused into one vector accumulator) instead of to the group's total, so no horizontal
/// sum is needed per group — the rounding differs from runq.c's in the last bits (as the fp32 SIMD
/// kernels differ from run.c's loops). Each (token, row) is the same sequence of operations in the
/// one-token and the four-token paths, so prefill and decode give the same bits.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
void proctor_q8_rows_vnni(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi) {
    const long groups = n / gs, chunks = gs / 64;
    long t = 0;
    // Four tokens at a time share each weight chunk and its Σw.
    for (; t + 4 <= tokens; t += 4) {
        const int8_t *x0 = xq + t * n;
        const float *s0 = xs + t * groups;
        for (long i = lo; i < hi; i++) {
            const int8_t *row = wq + i * n;
            const float *wsr = ws + i * groups;
            __m512 acc0 = _mm512_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (long g = 0; g < groups; g++) {
                __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
                for (long c = 0; c < chunks; c++) {
                    // |w| · (x with w's sign): exact, and |w| and the sign mask are shared by the four tokens.
                    long k = g * gs + c * 64;
                    __m512i wv = _mm512_loadu_si512((const void *)(row + k));
                    __m512i aw = _mm512_abs_epi8(wv);
                    __mmask64 neg = _mm512_movepi8_mask(wv);
                    a0 = q8_signed_dot(a0, aw, neg, x0 + k);
                    a1 = q8_signed_dot(a1, aw, neg, x0 + n + k);
                    a2 = q8_signed_dot(a2, aw, neg, x0 + 2 * n + k);
                    a3 = q8_signed_dot(a3, aw, neg, x0 + 3 * n + k);
                }
                float sw = wsr[g];
                acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a0), _mm512_set1_ps(sw * s0[g]), acc0);
                acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a1), _mm512_set1_ps(sw * s0[groups + g]), acc1);
                acc2 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a2), _mm512_set1_ps(sw * s0[2 * groups + g]), acc2);
                acc3 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a3), _mm512_set1_ps(sw * s0[3 * groups + g]), acc3);
            }
            out[t * d + i] = _mm512_reduce_add_ps(acc0);
            out[(t + 1) * d + i] = _mm512_reduce_add_ps(acc1);
            out[(t + 2) * d + i] = _mm512_reduce_add_ps(acc2);
            out[(t + 3) * d + i] = _mm512_reduce_add_ps(acc3);
        }
    }
    for (; t < tokens; t++) {
        const int8_t *xt = xq + t * n;
        const float *st = xs + t * groups;
        for (long i = lo; i < hi; i++) {
            const int8_t *row = wq + i * n;
            const float *wsr = ws + i * groups;
            __m512 acc = _mm512_setzero_ps();
            for (long g = 0; g < groups; g++)
                acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q8_group_lanes(xt + g * gs, row + g * gs, chunks)), _mm512_set1_ps(wsr[g] * st[g]), acc);
            out[t * d + i] = _mm512_reduce_add_ps(acc);
        }
    }
}

/// proctor_q8_quantize with 16-float vectors (gs % 16 == 0), the same bits: the division is IEEE
/// either way, and half-away-from-zero rounding is trunc(v) plus sign(v) where |v − trunc(v)| ≥ ½
/// (v − trunc(v) is exact), never floor(|v| + ½), which rounds 0.49999997 up.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void q8_quantize_avx512(int8_t *q, float *s, const float *x, long n, long gs) {
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.0f);
    const __m512i absmask = _mm512_set1_epi32(0x7fffffff);
    for (long g = 0; g < n / gs; g++) {
        const float *xg = x + g * gs;
        __m512 m = _mm512_setzero_ps();
        for (long i = 0; i < gs; i += 16) m = _mm512_max_ps(m, _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(xg + i)), absmask)));
        float wmax = _mm512_reduce_max_ps(m);
        float scale = wmax / 127.0f;
        s[g] = scale;
        if (scale == 0) {
            for (long i = 0; i < gs; i++) q[g * gs + i] = 0;
            continue;
        }
        __m512 sv = _mm512_set1_ps(scale);
        for (long i = 0; i < gs; i += 16) {
            __m512 v = _mm512_div_ps(_mm512_loadu_ps(xg + i), sv);
            __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
            __m512 frac = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_sub_ps(v, t)), absmask));
            __mmask16 up = _mm512_cmp_ps_mask(frac, half, _CMP_GE_OQ);
            __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
            t = _mm512_mask_add_ps(t, up & ~neg, t, one);
            t = _mm512_mask_sub_ps(t, up & neg, t, one);
            _mm_storeu_si128((__m128i *)(q + g * gs + i), _mm512_cvtepi32_epi8(_mm512_cvttps_epi32(t)));
        }
    }
}

#else
int proctor_kernels_q8_level(void) { return 0; }
int proctor_q8_vnni_fits(long n, long gs) { (void)n; (void)gs; return 0; }
void proctor_q8_rows_vnni(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi) {
    proctor_q8_rows_portable(out, xq, xs, tokens, wq, ws, n, d, gs, lo, hi);
}
void proctor_q8_rows_avx2(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi) {
    proctor_q8_rows_portable(out, xq, xs, tokens, wq, ws, n, d, gs, lo, hi);
}
#endif

void proctor_q8_quantize(int level, int8_t *q, float *s, const float *x, long n, long gs) {
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2 && gs % 16 == 0) { q8_quantize_avx512(q, s, x, n, gs); return; }
#endif
    (void)level;
    proctor_q8_quantize_portable(q, s, x, n, gs);
}

void proctor_q8_rows(int level, float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                     long n, long d, long gs, long lo, long hi) {
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2 && proctor_q8_vnni_fits(n, gs)) { proctor_q8_rows_vnni(out, xq, xs, tokens, wq, ws, n, d, gs, lo, hi); return; }
#endif
    if (level >= 1 && gs % 32 == 0) { proctor_q8_rows_avx2(out, xq, xs, tokens, wq, ws, n, d, gs, lo, hi); return; }
    proctor_q8_rows_portable(out, xq, xs, tokens, wq, ws, n, d, gs, lo, hi);
}

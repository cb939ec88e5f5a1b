// Int8 (Q8_0) kernels with llama2.c runq.c semantics: symmetric int8 in groups of `gs` with one fp32
// scale per group, activations quantized the same way before each product, integer dot products per
// group, and the float accumulation `val += (float)ival * w_scale * x_scale` in group order.
//
// Every path (portable, AVX2, AVX-512 VNNI) computes each group's integer sum exactly and then does
// the float steps in the same order, so all paths, any thread split and prefill versus decode give
// the same bits as runq.c. Float contraction is off so `a * b * c + d` is never fused into an FMA.
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

/// 64 products of one weight chunk with one activation chunk into 16 int32 lanes (VNNI dpbusd on
/// |w| and x negated where w < 0).
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __m512i dot64_vnni(__m512i acc, __m512i aw, __mmask64 neg, const int8_t *x) {
    __m512i xv = _mm512_loadu_si512((const void *)x);
    __m512i sx = _mm512_mask_sub_epi8(xv, neg, _mm512_setzero_si512(), xv);
    return _mm512_dpbusd_epi32(acc, aw, sx);
}

/// Sums of 16 vectors of 16 int32 lanes: lane g of the result is the sum of v[g]'s lanes (45 shuffles
/// and adds instead of 16 horizontal reductions).
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static inline __m512i sum16_epi32(const __m512i *v) {
    __m512i s[8], q[4];
    for (int p = 0; p < 8; p++)
        s[p] = _mm512_add_epi32(_mm512_unpacklo_epi32(v[2 * p], v[2 * p + 1]), _mm512_unpackhi_epi32(v[2 * p], v[2 * p + 1]));
    for (int p = 0; p < 4; p++)
        q[p] = _mm512_add_epi32(_mm512_unpacklo_epi64(s[2 * p], s[2 * p + 1]), _mm512_unpackhi_epi64(s[2 * p], s[2 * p + 1]));
    // q[p]'s 128-bit lane L holds groups 4p..4p+3 summed over lane L; add the four lanes.
    __m512i ab = _mm512_add_epi32(_mm512_shuffle_i32x4(q[0], q[1], 0x88), _mm512_shuffle_i32x4(q[0], q[1], 0xdd));
    __m512i cd = _mm512_add_epi32(_mm512_shuffle_i32x4(q[2], q[3], 0x88), _mm512_shuffle_i32x4(q[2], q[3], 0xdd));
    return _mm512_add_epi32(_mm512_shuffle_i32x4(ab, cd, 0x88), _mm512_shuffle_i32x4(ab, cd, 0xdd));
}

/// Rows per block: their weights (8 × n bytes) stay in L1 while every token passes over them.
#define Q8_ROW_BLOCK 8
/// Groups per row this kernel handles (its per-row correction table).
#define Q8_MAX_GROUPS 1024

int proctor_q8_vnni_fits(long n, long gs) { return gs % 64 == 0 && n % gs == 0 && n / gs <= Q8_MAX_GROUPS; }

/// Σ over group g0+g (g < cnt ≤ 16) of u·w for 64-byte chunks, u = x + 128 as u8; with `corrected`,
/// minus 128·Σw (so the lanes sum to the exact Σx·w); zero for g ≥ cnt.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline void q8_block_vnni(__m512i acc[16], const int8_t *x, const int8_t *w, long gs, long chunks, long cnt, int corrected) {
    const __m512i flip = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    if (chunks == 1 && corrected) {  // the common case (groups of 64), straight-line
#pragma clang loop unroll(full)
        for (int g = 0; g < 16; g++) {
            if (g < cnt) {
                __m512i wv = _mm512_loadu_si512((const void *)(w + g * 64));
                __m512i a = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(_mm512_loadu_si512((const void *)(x + g * 64)), flip), wv);
                __m512i c = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, wv);
                acc[g] = _mm512_sub_epi32(a, _mm512_slli_epi32(c, 7));
            } else {
                acc[g] = _mm512_setzero_si512();
            }
        }
        return;
    }
#pragma clang loop unroll(full)
    for (int g = 0; g < 16; g++) {
        __m512i a = _mm512_setzero_si512();
        if (g < cnt) {
            for (long c = 0; c < chunks; c++) {
                __m512i wv = _mm512_loadu_si512((const void *)(w + g * gs + c * 64));
                a = _mm512_dpbusd_epi32(a, _mm512_xor_si512(_mm512_loadu_si512((const void *)(x + g * gs + c * 64)), flip), wv);
                if (corrected) a = _mm512_sub_epi32(a, _mm512_slli_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, wv), 7));
            }
        }
        acc[g] = a;
    }
}

/// The float steps of up to 16 groups (each product as runq.c computes it, as vectors), added to
/// `val` in group order.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline))
static inline float q8_finish_vnni(float val, __m512i ival, const float *ws, const float *xs, long cnt) {
    __mmask16 m = (__mmask16)(cnt == 16 ? 0xffff : (1u << cnt) - 1);
    __m512 f = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(ival), _mm512_maskz_loadu_ps(m, ws)), _mm512_maskz_loadu_ps(m, xs));
    float tmp[16];
    _mm512_storeu_ps(tmp, f);
    for (long g = 0; g < cnt; g++) val = val + tmp[g];
    return val;
}

/// AVX-512 VNNI with whole groups per row (n % gs == 0, gs % 64 == 0): dpbusd of x + 128 (as u8)
/// with w, minus 128·Σw per group (exact), 16 groups summed at once by sum16_epi32, then the float
/// steps. One token: the correction is folded into the pass. Several: it is computed once per row
/// for a block of rows that stays in L1 while every token passes over it.
__attribute__((target("avx512f,avx512bw,avx512vnni")))
void proctor_q8_rows_vnni(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi) {
    const long groups = n / gs, chunks = gs / 64;
    if (tokens == 1) {
        for (long i = lo; i < hi; i++) {
            const int8_t *row = wq + i * n;
            float val = 0;
            for (long g0 = 0; g0 < groups; g0 += 16) {
                long cnt = groups - g0 < 16 ? groups - g0 : 16;
                __m512i acc[16];
                q8_block_vnni(acc, xq + g0 * gs, row + g0 * gs, gs, chunks, cnt, 1);
                val = q8_finish_vnni(val, sum16_epi32(acc), ws + i * groups + g0, xs + g0, cnt);
            }
            out[i] = val;
        }
        return;
    }
    // Four tokens at a time share each weight chunk (|w| and its sign computed once); their four
    // accumulators are reduced together; the float steps run with one lane per token, so each
    // token's sum is still in group order. xsT holds the tile's activation scales by group.
    float xsT[(Q8_MAX_GROUPS + 1) * 4];
    long t = 0;
    for (; t + 4 <= tokens; t += 4) {
        const int8_t *x0 = xq + t * n;
        for (long g = 0; g < groups; g++)
            for (int a = 0; a < 4; a++) xsT[g * 4 + a] = xs[(t + a) * groups + g];
        for (long b0 = lo; b0 < hi; b0 += Q8_ROW_BLOCK) {
            long b1 = b0 + Q8_ROW_BLOCK < hi ? b0 + Q8_ROW_BLOCK : hi;
            for (long i = b0; i < b1; i++) {
                const int8_t *row = wq + i * n;
                const float *wsr = ws + i * groups;
                __m128 val = _mm_setzero_ps();
                for (long g = 0; g < groups; g++) {
                    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
                    for (long c = 0; c < chunks; c++) {
                        long k = g * gs + c * 64;
                        __m512i w = _mm512_loadu_si512((const void *)(row + k));
                        __m512i aw = _mm512_abs_epi8(w);
                        __mmask64 neg = _mm512_movepi8_mask(w);
                        a0 = dot64_vnni(a0, aw, neg, x0 + k);
                        a1 = dot64_vnni(a1, aw, neg, x0 + n + k);
                        a2 = dot64_vnni(a2, aw, neg, x0 + 2 * n + k);
                        a3 = dot64_vnni(a3, aw, neg, x0 + 3 * n + k);
                    }
                    // Lanes → [t0, t1, t2, t3] per 128-bit lane, then the four 128-bit lanes added.
                    __m512i s01 = _mm512_add_epi32(_mm512_unpacklo_epi32(a0, a1), _mm512_unpackhi_epi32(a0, a1));
                    __m512i s23 = _mm512_add_epi32(_mm512_unpacklo_epi32(a2, a3), _mm512_unpackhi_epi32(a2, a3));
                    __m512i q = _mm512_add_epi32(_mm512_unpacklo_epi64(s01, s23), _mm512_unpackhi_epi64(s01, s23));
                    __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(q), _mm512_extracti64x4_epi64(q, 1));
                    __m128i iv = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
                    __m128 f = _mm_mul_ps(_mm_mul_ps(_mm_cvtepi32_ps(iv), _mm_set1_ps(wsr[g])), _mm_loadu_ps(xsT + g * 4));
                    val = _mm_add_ps(val, f);
                }
                float v[4];
                _mm_storeu_ps(v, val);
                for (int a = 0; a < 4; a++) out[(t + a) * d + i] = v[a];
            }
        }
    }
    for (; t < tokens; t++) proctor_q8_rows_vnni(out + t * d, xq + t * n, xs + t * groups, 1, wq, ws, n, d, gs, lo, hi);
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

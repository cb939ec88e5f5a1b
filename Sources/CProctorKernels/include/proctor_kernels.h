// Dot-product kernels for the built-in model's matrix products, with AVX2/FMA paths chosen at run
// time (function-level target attributes, so the package needs no compiler flags). Callers fall
// back to Swift SIMD when `proctor_kernels_fast()` is 0.
#ifndef PROCTOR_KERNELS_H
#define PROCTOR_KERNELS_H

/// 1 when the CPU has AVX2 and FMA.
int proctor_kernels_fast(void);

/// out[i] = dot(w[i*n ..< i*n+n], x) for rows lo ..< hi.
void proctor_matvec_rows(float *out, const float *x, const float *w, long n, long lo, long hi);

/// Training GEMM level the CPU supports: 2 = AVX-512F, 1 = AVX2 + FMA, 0 = portable C.
int proctor_kernels_gemm_level(void);

/// C = A·B (or C += A·B when accumulate is 1) for rows lo ..< hi of C, B and C row-major, A's element
/// (i, k) at a[i*sa + k*sk] (sa = lda, sk = 1 for A; sa = 1, sk = lda for Aᵀ without a copy). Each
/// element is one ordered FMA chain per k-block of 256, so every level, tile and thread split gives
/// the same bits.
void proctor_gemm_strided(int level, float *c, long ldc, const float *a, long sa, long sk, const float *b, long ldb,
                          long n, long kdim, long lo, long hi, int accumulate);

/// C = A·B (or C += A·B when accumulate is 1) for rows lo ..< hi of C, all row-major with leading
/// dimensions lda, ldb, ldc: A is (rows, kdim), B is (kdim, n). Every element is summed in the same
/// order whichever rows a call gets, so splitting rows across threads never changes a result.
void proctor_gemm_rows(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                       long n, long kdim, long lo, long hi, int accumulate);

/// proctor_gemm_rows (accumulating) without SIMD, as machines without AVX2 run it; exported so tests
/// can check that both paths give the same bits.
void proctor_gemm_rows_portable(float *c, long ldc, const float *a, long lda, const float *b, long ldb,
                                long n, long kdim, long lo, long hi);

/// Sum of n floats (memory bandwidth measurement).
float proctor_sum(const float *x, long n);

#include <stdint.h>

/// Int8 kernel level the CPU supports: 2 = AVX-512 BW + VNNI, 1 = AVX2, 0 = portable C.
int proctor_kernels_q8_level(void);

/// runq.c `quantize`: x(n) into int8 q(n) and one scale per whole group of gs in s(n / gs);
/// scale = max|x| / 127, q = round(x / scale) (half away from zero). An all-zero group is zeros.
/// `level` as for proctor_q8_rows (every level gives the same bits).
void proctor_q8_quantize(int level, int8_t *q, float *s, const float *x, long n, long gs);
/// The portable path of proctor_q8_quantize (runq.c's loop), for tests.
void proctor_q8_quantize_portable(int8_t *q, float *s, const float *x, long n, long gs);

/// runq.c `matmul` for rows lo ..< hi and `tokens` activation rows: out[t*d + i] = Σ over the whole
/// groups j of row i: (float)Σ(xq[t*n + j..] · wq[i*n + j..]) · ws[(i*n + j) / gs] · xs[t*(n/gs) + j/gs],
/// accumulated in group order. `level` picks the path (any level gives the same bits).
void proctor_q8_rows(int level, float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                     long n, long d, long gs, long lo, long hi);
/// The paths of proctor_q8_rows, exported so tests can check they agree bit for bit.
void proctor_q8_rows_portable(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                              long n, long d, long gs, long lo, long hi);
void proctor_q8_rows_avx2(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi);
/// The fastest path (AVX-512 VNNI, 16 groups reduced at once); only where proctor_q8_vnni_fits.
void proctor_q8_rows_vnni(float *out, const int8_t *xq, const float *xs, long tokens, const int8_t *wq, const float *ws,
                          long n, long d, long gs, long lo, long hi);
/// 1 when proctor_q8_rows_vnni handles this width and group size (whole groups of a multiple of 64 per row).
int proctor_q8_vnni_fits(long n, long gs);

/// Float GEMM level the CPU supports: 2 = AVX-512F, 1 = AVX2 + FMA, 0 = portable C.
int proctor_kernels_xwt_level(void);

/// Prefill's product for rows lo ..< hi of W(d, n): out[t*d + i] = X[t] · W[i] for t ..< tokens,
/// W as stored (no transpose), tiled for registers, L1 and L2.
void proctor_xwt_rows(int level, float *out, const float *x, const float *w, long n, long d, long tokens, long lo, long hi);
/// proctor_xwt_rows with row strides: out[t*ldo + i] = Σ_k x[t*ldx + k] · w[i*ldw + k] for k < n (attention's
/// Q·Kᵀ reads one head's slice of the cache rows this way). Each element's sum runs in the same order
/// whichever tile or block it falls in, so one token alone gives the same bits as in a block.
void proctor_xwt_strided(int level, float *out, long ldo, const float *x, long ldx, const float *w, long ldw, long n, long tokens, long lo, long hi);

/// A fixed set of threads for one caller at a time (pool.c). A job runs fn(ctx, i) for i in
/// 0 ..< parts, the caller being 0; waits spin `spin` times, then sleep.
typedef struct proctor_pool proctor_pool;
typedef void (*proctor_pool_fn)(void *ctx, int index);
proctor_pool *proctor_pool_create(int threads, int spin);
int proctor_pool_threads(const proctor_pool *pool);
void proctor_pool_run(proctor_pool *pool, int parts, proctor_pool_fn fn, void *ctx);
void proctor_pool_destroy(proctor_pool *pool);

#endif

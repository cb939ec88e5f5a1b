// Dot-product kernels for the built-in model's matrix products, with AVX2/FMA paths chosen at run
// time (function-level target attributes, so the package needs no compiler flags). Callers fall
// back to Swift SIMD when `proctor_kernels_fast()` is 0.
#ifndef PROCTOR_KERNELS_H
#define PROCTOR_KERNELS_H

/// 1 when the CPU has AVX2 and FMA.
int proctor_kernels_fast(void);

/// out[i] = dot(w[i*n ..< i*n+n], x) for rows lo ..< hi.
void proctor_matvec_rows(float *out, const float *x, const float *w, long n, long lo, long hi);

/// For rows lo ..< hi: out[t*d + i] = dot(w row i, x + t*n) for t ..< tokens (four tokens share each row read).
void proctor_matmat_rows(float *out, const float *x, const float *w, long n, long d, long tokens, long lo, long hi);

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

#endif

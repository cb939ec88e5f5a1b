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

/// Sum of n floats (memory bandwidth measurement).
float proctor_sum(const float *x, long n);

#endif

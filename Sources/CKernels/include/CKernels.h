// Hot loops that BLAS does not cover, in C so they can use AVX-512 where the CPU has it
// (per-function target attributes + a runtime CPU check; portable scalar fallbacks otherwise).
#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// dst[i] = float(src[i]) for bfloat16 / float16 bit patterns.
void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n);
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);
/// dst[i] = round-to-nearest-even bfloat16 / float16 of src[i] (for writing checkpoints).
void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n);
void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n);

/// y[r] = sum_c W[r, c] * x[c] for rows [row_begin, row_end), W (rows, cols) row-major in bf16 / f16.
void ck_matvec_bf16(const uint16_t *W, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);
void ck_matvec_f16(const uint16_t *W, const float *x, float *y, size_t cols, size_t row_begin, size_t row_end);

/// In-place row softmax over n values: x = exp(x - max) / sum. Returns nothing; n > 0.
void ck_softmax(float *x, size_t n);

/// Softmax backward of one row in place: d = p ⊙ (d − Σ_j p_j d_j) (d holds dL/dp on entry).
void ck_softmax_backward(const float *p, float *d, size_t n);

/// SwiGLU gate m[i] = silu(g[i]) · u[i], and its backward (dg, du from dm).
void ck_silu_mul(const float *g, const float *u, float *m, size_t n);
void ck_silu_mul_backward(const float *dm, const float *g, const float *u, float *dg, float *du, size_t n);

/// Attention of one query row over keys/values [start, S): q (NH·HS), k and v (S, NKV·HS) → out (NH·HS).
void ck_attention_row(const float *q, const float *k, const float *v, float *out, size_t S, size_t start,
                      size_t NH, size_t NKV, size_t HS);

/// Runs fn(ctx, 0) on the caller and fn(ctx, 1) on a persistent helper thread, returning when both
/// are done. Nested or concurrent calls run both parts on the caller.
void ck_run2(void (*fn)(void *, long), void *ctx);

/// Which instruction set the kernels above use on this CPU ("avx512" or "scalar").
const char *ck_isa(void);

/// glibc only: keep freed blocks below 256 MB in the heap instead of returning them to the OS
/// (no page faults when a training step reallocates its activations). Returns 1 if applied.
int ck_keep_freed_memory(void);

#endif

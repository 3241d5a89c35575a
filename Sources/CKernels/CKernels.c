// See CKernels.h. Every function has a scalar reference path; the AVX-512 path is chosen at
// run time, so the binary still runs on CPUs without AVX-512.
#include "CKernels.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_X86 1
#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,f16c,avx2")))
static int ck_has_avx512(void) {
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") ? 1 : 0;
    }
    return cached;
}
#else
#define CK_X86 0
static int ck_has_avx512(void) { return 0; }
#endif

// Training allocates and frees the same few-MB activation arrays every step. glibc serves blocks
// that large with mmap and gives them back with munmap (or trims them off the heap top), so every
// step page-faults its activations in again (~4% of a demo stage-2 step in perf). Raising both
// thresholds keeps freed blocks in the heap for reuse; peak memory is unchanged.
int ck_keep_freed_memory(void) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, 256 << 20) && mallopt(M_TRIM_THRESHOLD, 1 << 30);
#else
    return 0;
#endif
}

const char *ck_isa(void) { return ck_has_avx512() ? "avx512" : "scalar"; }

static inline float bf16_scalar(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline float f16_scalar(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t man = h & 0x3FF;
    uint32_t u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { // subnormal: normalise
            int e = -1;
            do { e++; man <<= 1; } while (!(man & 0x400));
            u = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3FF) << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7F800000 | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static inline uint16_t bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7FFFFFFF) > 0x7F800000) return (uint16_t)((u >> 16) | 0x40); // quiet NaN
    u += 0x7FFF + ((u >> 16) & 1);
    return (uint16_t)(u >> 16);
}

static inline uint16_t f16_round(float f) {
    // Round-to-nearest-even float -> half, as numpy / torch do.
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000;
    uint32_t absu = u & 0x7FFFFFFF;
    if (absu > 0x7F800000) return (uint16_t)(sign | 0x7E00);
    if (absu >= 0x477FF000) return (uint16_t)(sign | 0x7C00); // overflow to inf (>= 65520)
    if (absu < 0x38800000) { // subnormal or zero in half
        if (absu < 0x33000000) return (uint16_t)sign; // < 2^-25 rounds to 0
        uint32_t e = absu >> 23;
        uint32_t m = (absu & 0x7FFFFF) | 0x800000;
        uint32_t shift = 126 - e; // 14 - (e - 127) + 10 + 13 - 23 ...
        uint32_t half = m >> (shift - 0);
        // m is 24-bit; target value = m * 2^(e-150) / 2^-24 = m >> (126 - e)
        uint32_t rem = m & ((1u << shift) - 1);
        uint32_t mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = ((absu >> 13) - ((127 - 15) << 10));
    uint32_t rem = absu & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
    return (uint16_t)(sign | h);
}

#if CK_X86
CK_AVX512 static void bf16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)(src + i));
        __m512i w = _mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16);
        _mm512_storeu_ps(dst + i, _mm512_castsi512_ps(w));
    }
    for (; i < n; i++) dst[i] = bf16_scalar(src[i]);
}

CK_AVX512 static void f16_to_f32_avx512(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i h = _mm256_loadu_si256((const __m256i *)(src + i));
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(h));
    }
    for (; i < n; i++) dst[i] = f16_scalar(src[i]);
}

// bf16 pairs are loaded as 32-bit lanes: the high half is the odd element as-is (mask), the low
// half shifted up is the even element. x is split into even and odd halves once per call, and
// four rows are processed together so each x load serves four rows of weights.
CK_AVX512 static inline float dot_bf16_tail(const uint16_t *row, const float *x, size_t c, size_t cols) {
    float s = 0;
    for (; c < cols; c++) s += bf16_scalar(row[c]) * x[c];
    return s;
}

CK_AVX512 static void matvec_bf16_avx512(const uint16_t *W, const float *x, float *y, size_t cols,
                                         size_t r0, size_t r1) {
    size_t body = cols / 32 * 32;
    float *xe = (float *)aligned_alloc(64, (body / 2 + 16) * sizeof(float));
    float *xo = (float *)aligned_alloc(64, (body / 2 + 16) * sizeof(float));
    for (size_t j = 0; j < body / 2; j++) { xe[j] = x[2 * j]; xo[j] = x[2 * j + 1]; }
    const __m512i mask = _mm512_set1_epi32((int)0xFFFF0000);
    size_t r = r0;
    for (; r + 4 <= r1; r += 4) {
        const uint16_t *w0 = W + r * cols, *w1 = w0 + cols, *w2 = w1 + cols, *w3 = w2 + cols;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps(), b2 = _mm512_setzero_ps(), b3 = _mm512_setzero_ps();
        for (size_t c = 0; c < body; c += 32) {
            __m512 ve = _mm512_load_ps(xe + c / 2), vo = _mm512_load_ps(xo + c / 2);
            __m512i p0 = _mm512_loadu_si512((const void *)(w0 + c)), p1 = _mm512_loadu_si512((const void *)(w1 + c));
            __m512i p2 = _mm512_loadu_si512((const void *)(w2 + c)), p3 = _mm512_loadu_si512((const void *)(w3 + c));
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(p0, 16)), ve, a0);
            b0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(p0, mask)), vo, b0);
            a1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(p1, 16)), ve, a1);
            b1 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(p1, mask)), vo, b1);
            a2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(p2, 16)), ve, a2);
            b2 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(p2, mask)), vo, b2);
            a3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(p3, 16)), ve, a3);
            b3 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(p3, mask)), vo, b3);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, b0)) + dot_bf16_tail(w0, x, body, cols);
        y[r + 1] = _mm512_reduce_add_ps(_mm512_add_ps(a1, b1)) + dot_bf16_tail(w1, x, body, cols);
        y[r + 2] = _mm512_reduce_add_ps(_mm512_add_ps(a2, b2)) + dot_bf16_tail(w2, x, body, cols);
        y[r + 3] = _mm512_reduce_add_ps(_mm512_add_ps(a3, b3)) + dot_bf16_tail(w3, x, body, cols);
    }
    for (; r < r1; r++) {
        const uint16_t *w0 = W + r * cols;
        __m512 a0 = _mm512_setzero_ps(), b0 = _mm512_setzero_ps();
        for (size_t c = 0; c < body; c += 32) {
            __m512i p0 = _mm512_loadu_si512((const void *)(w0 + c));
            a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_slli_epi32(p0, 16)), _mm512_load_ps(xe + c / 2), a0);
            b0 = _mm512_fmadd_ps(_mm512_castsi512_ps(_mm512_and_si512(p0, mask)), _mm512_load_ps(xo + c / 2), b0);
        }
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, b0)) + dot_bf16_tail(w0, x, body, cols);
    }
    free(xe);
    free(xo);
}

CK_AVX512 static void matvec_f16_avx512(const uint16_t *W, const float *x, float *y, size_t cols,
                                        size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = W + r * cols;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        size_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            __m512 w0 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + c)));
            __m512 w1 = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(row + c + 16)));
            acc0 = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + c), acc0);
            acc1 = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + c + 16), acc1);
        }
        float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
        for (; c < cols; c++) s += f16_scalar(row[c]) * x[c];
        y[r] = s;
    }
}
#endif

void ck_bf16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { bf16_to_f32_avx512(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = bf16_scalar(src[i]);
}

void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { f16_to_f32_avx512(src, dst, n); return; }
#endif
    for (size_t i = 0; i < n; i++) dst[i] = f16_scalar(src[i]);
}

void ck_f32_to_bf16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = bf16_round(src[i]);
}

void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f16_round(src[i]);
}

void ck_matvec_bf16(const uint16_t *W, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    if (ck_has_avx512()) { matvec_bf16_avx512(W, x, y, cols, r0, r1); return; }
#endif
    for (size_t r = r0; r < r1; r++) {
        float s = 0;
        for (size_t c = 0; c < cols; c++) s += bf16_scalar(W[r * cols + c]) * x[c];
        y[r] = s;
    }
}

void ck_matvec_f16(const uint16_t *W, const float *x, float *y, size_t cols, size_t r0, size_t r1) {
#if CK_X86
    if (ck_has_avx512()) { matvec_f16_avx512(W, x, y, cols, r0, r1); return; }
#endif
    for (size_t r = r0; r < r1; r++) {
        float s = 0;
        for (size_t c = 0; c < cols; c++) s += f16_scalar(W[r * cols + c]) * x[c];
        y[r] = s;
    }
}

#if CK_X86
// exp(x) for x <= 0 (softmax after subtracting the max): x = k ln2 + r, |r| <= ln2/2, exp(r) by a
// degree-6 polynomial (Cephes expf coefficients), 2^k by exponent bits. Max relative error ~2e-7.
CK_AVX512 static inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
    __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)), _MM_FROUND_TO_NEAREST_INT);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500E-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073E-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894E-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459E-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201E-1f));
    __m512 r2 = _mm512_mul_ps(r, r);
    p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

CK_AVX512 static void softmax_avx512(float *x, size_t n) {
    __m512 vm = _mm512_set1_ps(-INFINITY);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) vm = _mm512_max_ps(vm, _mm512_loadu_ps(x + i));
    float m = _mm512_reduce_max_ps(vm);
    for (; i < n; i++) m = x[i] > m ? x[i] : m;
    __m512 vmax = _mm512_set1_ps(m), vs = _mm512_setzero_ps();
    i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 e = exp512(_mm512_sub_ps(_mm512_loadu_ps(x + i), vmax));
        _mm512_storeu_ps(x + i, e);
        vs = _mm512_add_ps(vs, e);
    }
    float sum = _mm512_reduce_add_ps(vs);
    for (; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    __m512 inv = _mm512_set1_ps(1.0f / sum);
    i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, _mm512_mul_ps(_mm512_loadu_ps(x + i), inv));
    float invs = 1.0f / sum;
    for (; i < n; i++) x[i] *= invs;
}
#endif

void ck_softmax(float *x, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { softmax_avx512(x, n); return; }
#endif
    float m = x[0];
    for (size_t i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
    float sum = 0;
    for (size_t i = 0; i < n; i++) { x[i] = expf(x[i] - m); sum += x[i]; }
    float inv = 1.0f / sum;
    for (size_t i = 0; i < n; i++) x[i] *= inv;
}

// Softmax backward of one row: d = p ⊙ (d − Σ_j p_j d_j), with d holding dL/dp on entry.
#if CK_X86
CK_AVX512 static void softmax_backward_avx512(const float *p, float *d, size_t n) {
    __m512 vs = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) vs = _mm512_fmadd_ps(_mm512_loadu_ps(p + i), _mm512_loadu_ps(d + i), vs);
    float dot = _mm512_reduce_add_ps(vs);
    for (; i < n; i++) dot += p[i] * d[i];
    __m512 vdot = _mm512_set1_ps(dot);
    i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(d + i, _mm512_mul_ps(_mm512_loadu_ps(p + i), _mm512_sub_ps(_mm512_loadu_ps(d + i), vdot)));
    for (; i < n; i++) d[i] = p[i] * (d[i] - dot);
}
#endif

void ck_softmax_backward(const float *p, float *d, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { softmax_backward_avx512(p, d, n); return; }
#endif
    float dot = 0;
    for (size_t i = 0; i < n; i++) dot += p[i] * d[i];
    for (size_t i = 0; i < n; i++) d[i] = p[i] * (d[i] - dot);
}

// SwiGLU's gate: m = silu(g) · u, silu(g) = g · σ(g). σ from e = exp(−|g|), which never
// overflows: σ(g) = 1 / (1 + e) for g ≥ 0, e / (1 + e) below.
#if CK_X86
CK_AVX512 static inline __m512 sigmoid512(__m512 g) {
    __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_abs_ps(g)));
    __mmask16 neg = _mm512_cmp_ps_mask(g, _mm512_setzero_ps(), _CMP_LT_OQ);
    __m512 num = _mm512_mask_blend_ps(neg, _mm512_set1_ps(1.0f), e);
    return _mm512_div_ps(num, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

// Whole arrays, the tail through a masked vector: every element gets the same arithmetic
// wherever it sits, so packing samples differently cannot change a result.
CK_AVX512 static void silu_mul_avx512(const float *g, const float *u, float *m, size_t n) {
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i);
        _mm512_mask_storeu_ps(m + i, k, _mm512_mul_ps(_mm512_mul_ps(gv, sigmoid512(gv)), _mm512_maskz_loadu_ps(k, u + i)));
    }
}

CK_AVX512 static void silu_mul_backward_avx512(const float *dm, const float *g, const float *u, float *dg, float *du,
                                               size_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? 0xFFFF : (__mmask16)((1u << (n - i)) - 1);
        __m512 gv = _mm512_maskz_loadu_ps(k, g + i), dmv = _mm512_maskz_loadu_ps(k, dm + i);
        __m512 sv = sigmoid512(gv);
        _mm512_mask_storeu_ps(du + i, k, _mm512_mul_ps(_mm512_mul_ps(dmv, gv), sv));
        __m512 t = _mm512_fmadd_ps(gv, _mm512_sub_ps(one, sv), one);  // 1 + g (1 − σ)
        _mm512_mask_storeu_ps(dg + i, k, _mm512_mul_ps(_mm512_mul_ps(_mm512_mul_ps(dmv, _mm512_maskz_loadu_ps(k, u + i)), sv), t));
    }
}
#endif

static inline float sigmoid_scalar(float g) {
    float e = expf(-fabsf(g));
    return (g < 0 ? e : 1.0f) / (1.0f + e);
}

void ck_silu_mul(const float *g, const float *u, float *m, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { silu_mul_avx512(g, u, m, n); return; }
#endif
    for (size_t i = 0; i < n; i++) m[i] = g[i] * sigmoid_scalar(g[i]) * u[i];
}

void ck_silu_mul_backward(const float *dm, const float *g, const float *u, float *dg, float *du, size_t n) {
#if CK_X86
    if (ck_has_avx512()) { silu_mul_backward_avx512(dm, g, u, dg, du, n); return; }
#endif
    for (size_t i = 0; i < n; i++) {
        float s = sigmoid_scalar(g[i]);
        du[i] = dm[i] * g[i] * s;
        dg[i] = dm[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    }
}

// One query row (decode step) against S cached keys/values, all heads: scores = q·k / √HS over
// keys [start, S), softmax, out = Σ p v. q (NH·HS), k and v (S, NKV·HS), out (NH·HS).
static void attention_row_scalar(const float *q, const float *k, const float *v, float *out, float *scores,
                                 size_t S, size_t start, size_t NH, size_t NKV, size_t HS) {
    const float scale = 1.0f / sqrtf((float)HS);
    const size_t group = NH / NKV;
    for (size_t h = 0; h < NH; h++) {
        const float *qh = q + h * HS;
        const size_t kvh = h / group;
        for (size_t j = start; j < S; j++) {
            const float *kj = k + (j * NKV + kvh) * HS;
            float d = 0;
            for (size_t i = 0; i < HS; i++) d += qh[i] * kj[i];
            scores[j - start] = d * scale;
        }
        ck_softmax(scores, S - start);
        float *oh = out + h * HS;
        for (size_t i = 0; i < HS; i++) oh[i] = 0;
        for (size_t j = start; j < S; j++) {
            const float p = scores[j - start];
            const float *vj = v + (j * NKV + kvh) * HS;
            for (size_t i = 0; i < HS; i++) oh[i] += p * vj[i];
        }
    }
}

#if CK_X86
// The same with HS a multiple of 16: 16-wide FMAs over the head dimension.
CK_AVX512 static void attention_row_avx512(const float *q, const float *k, const float *v, float *out, float *scores,
                                           size_t S, size_t start, size_t NH, size_t NKV, size_t HS) {
    const float scale = 1.0f / sqrtf((float)HS);
    const size_t group = NH / NKV;
    for (size_t h = 0; h < NH; h++) {
        const float *qh = q + h * HS;
        const size_t kvh = h / group;
        for (size_t j = start; j < S; j++) {
            const float *kj = k + (j * NKV + kvh) * HS;
            __m512 acc = _mm512_setzero_ps();
            for (size_t i = 0; i < HS; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(qh + i), _mm512_loadu_ps(kj + i), acc);
            scores[j - start] = _mm512_reduce_add_ps(acc) * scale;
        }
        ck_softmax(scores, S - start);
        float *oh = out + h * HS;
        for (size_t i = 0; i < HS; i += 16) {
            __m512 acc = _mm512_setzero_ps();
            for (size_t j = start; j < S; j++) {
                acc = _mm512_fmadd_ps(_mm512_set1_ps(scores[j - start]), _mm512_loadu_ps(v + (j * NKV + kvh) * HS + i), acc);
            }
            _mm512_storeu_ps(oh + i, acc);
        }
    }
}
#endif

void ck_attention_row(const float *q, const float *k, const float *v, float *out, size_t S, size_t start,
                      size_t NH, size_t NKV, size_t HS) {
    float *scores = (float *)malloc((S - start) * sizeof(float));
#if CK_X86
    if (ck_has_avx512() && HS % 16 == 0) {
        attention_row_avx512(q, k, v, out, scores, S, start, NH, NKV, HS);
        free(scores);
        return;
    }
#endif
    attention_row_scalar(q, k, v, out, scores, S, start, NH, NKV, HS);
    free(scores);
}

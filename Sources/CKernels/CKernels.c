// See CKernels.h. Every function has a scalar reference path; the AVX-512 path is chosen at
// run time, so the binary still runs on CPUs without AVX-512.
#include "CKernels.h"
#include <math.h>
#include <string.h>

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

// bf16 pairs are loaded as 32-bit lanes: the high half is the odd element as-is (mask),
// the low half shifted up is the even element. x is de-interleaved to match once per call.
CK_AVX512 static void matvec_bf16_avx512(const uint16_t *W, const float *x, float *y, size_t cols,
                                         size_t r0, size_t r1) {
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *row = W + r * cols;
        __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
        size_t c = 0;
        for (; c + 32 <= cols; c += 32) {
            __m512i p = _mm512_loadu_si512((const void *)(row + c));
            __m512 even = _mm512_castsi512_ps(_mm512_slli_epi32(p, 16));
            __m512 odd = _mm512_castsi512_ps(_mm512_and_si512(p, _mm512_set1_epi32((int)0xFFFF0000)));
            // x[c + 2j] and x[c + 2j + 1]
            __m512 xa = _mm512_loadu_ps(x + c), xb = _mm512_loadu_ps(x + c + 16);
            __m512i idx_even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            __m512i idx_odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            __m512 xe = _mm512_permutex2var_ps(xa, idx_even, xb);
            __m512 xo = _mm512_permutex2var_ps(xa, idx_odd, xb);
            acc0 = _mm512_fmadd_ps(even, xe, acc0);
            acc1 = _mm512_fmadd_ps(odd, xo, acc1);
        }
        float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
        for (; c < cols; c++) s += bf16_scalar(row[c]) * x[c];
        y[r] = s;
    }
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

// molab's native CPU path: BLAS matmuls on tensors that live in the tfjs wasm heap (read and written in place through
// the heap's ArrayBuffer, no copies), and frozen weights held in native memory (f32 or bf16, f32 accumulation),
// outside the 4 GiB wasm32 heap. Built at install by node-gyp against the system BLAS (OpenBLAS on Linux,
// Accelerate on macOS); lib/native/addon.ts loads it and lib/native/kernels.ts registers the tfjs kernels.
//
// Every function takes byte offsets into the heap and checks them against its length before touching memory.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#ifdef MOLAB_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#ifdef __AVX512F__
#include <immintrin.h>
#endif

namespace {

// ---- N-API plumbing -------------------------------------------------------------------------------------------

struct Args {
  napi_env env;
  size_t argc = 16;
  napi_value argv[16];
  bool failed = false;
  Args(napi_env e, napi_callback_info info) : env(e) { napi_get_cb_info(e, info, &argc, argv, nullptr, nullptr); }
  void fail(const char* msg) {
    if (!failed) napi_throw_error(env, "MOLAB_NATIVE", msg);
    failed = true;
  }
  double num(size_t i) {
    double v = 0;
    if (i >= argc || napi_get_value_double(env, argv[i], &v) != napi_ok) fail("expected a number argument");
    return v;
  }
  int64_t i64(size_t i) { return static_cast<int64_t>(num(i)); }
  bool flag(size_t i) {
    bool v = false;
    if (i >= argc || napi_get_value_bool(env, argv[i], &v) != napi_ok) fail("expected a boolean argument");
    return v;
  }
  // The bytes of an ArrayBuffer (the wasm heap) or a typed array.
  uint8_t* bytes(size_t i, size_t* len) {
    void* data = nullptr;
    *len = 0;
    bool isAb = false;
    if (i < argc) napi_is_arraybuffer(env, argv[i], &isAb);
    if (isAb) {
      if (napi_get_arraybuffer_info(env, argv[i], &data, len) != napi_ok) fail("cannot read the ArrayBuffer");
      return static_cast<uint8_t*>(data);
    }
    bool isTa = false;
    if (i < argc) napi_is_typedarray(env, argv[i], &isTa);
    if (!isTa) {
      fail("expected an ArrayBuffer or a typed array");
      return nullptr;
    }
    napi_typedarray_type t;
    size_t n = 0, off = 0;
    napi_value ab;
    napi_get_typedarray_info(env, argv[i], &t, &n, &data, &ab, &off);
    size_t item = (t == napi_int8_array || t == napi_uint8_array || t == napi_uint8_clamped_array) ? 1
                  : (t == napi_int16_array || t == napi_uint16_array)                               ? 2
                  : (t == napi_float64_array || t == napi_bigint64_array || t == napi_biguint64_array) ? 8
                                                                                                       : 4;
    *len = n * item;
    return static_cast<uint8_t*>(data);
  }
  std::string str(size_t i) {
    size_t n = 0;
    if (i >= argc || napi_get_value_string_utf8(env, argv[i], nullptr, 0, &n) != napi_ok) {
      fail("expected a string argument");
      return "";
    }
    std::string s(n, '\0');
    napi_get_value_string_utf8(env, argv[i], &s[0], n + 1, &n);
    return s;
  }
};

// A float32 region of the heap: [off, off + count·4) must lie inside it and be 4-byte aligned.
float* region(Args& a, uint8_t* heap, size_t len, int64_t off, int64_t count) {
  if (off < 0 || count < 0 || (off & 3) || static_cast<uint64_t>(off) + static_cast<uint64_t>(count) * 4 > len) {
    a.fail("heap region out of bounds");
    return nullptr;
  }
  return reinterpret_cast<float*>(heap + off);
}

napi_value undefinedValue(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

// ---- Threads ---------------------------------------------------------------------------------------------------
// The configured count is a ceiling: small products (a decoding step's gemv, attention heads) run on one thread —
// waking BLAS's workers costs more than they save there, and much more when other processes share the cores.

int gThreads = 1;     // configured (setThreads)
int gBlasNow = -1;    // what BLAS is set to now
const double PARALLEL_FLOPS = 4e6;

void blasThreads(double flops) {
  int want = flops >= PARALLEL_FLOPS ? gThreads : 1;
  if (want == gBlasNow) return;
  gBlasNow = want;
#ifndef MOLAB_ACCELERATE
  openblas_set_num_threads(want);
#endif
}

bool parallel(double work) { return gThreads > 1 && work >= PARALLEL_FLOPS; }

// ---- BLAS ------------------------------------------------------------------------------------------------------

void sgemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda, const float* B, int ldb, float beta,
           float* C, int ldc) {
  if (M == 0 || N == 0) return;
  blasThreads(2.0 * M * N * K);  // for gemv below, and for gemm in a build without OpenMP (with it, gemm sets its own)
  if (K == 0) {
    for (int i = 0; i < M; i++)
      for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0 ? 0.f : beta * C[(size_t)i * ldc + j];
    return;
  }
  if (M == 1 && !ta) {
    // A row vector times B: gemv on B (BLAS gemm does not special-case it everywhere).
    if (tb) cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, alpha, B, ldb, A, 1, beta, C, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, K, N, alpha, B, ldb, A, 1, beta, C, 1);
    return;
  }
#if defined(_OPENMP) && !defined(MOLAB_ACCELERATE)
  // Several threads: C is split into blocks of rows (or of columns, when it has more columns than rows), one
  // single-threaded gemm each, so that every element is the same sum in the same order as in one single-threaded gemm
  // of the whole product, whatever the thread count. OpenBLAS's own threaded driver halves a K remainder between
  // GEMM_Q and 2·GEMM_Q differently from its serial driver (e.g. K = 500 or 1000 with the SkylakeX kernels), so a
  // training run's weights depended on the number of cores. Blocks stay above 1e6 multiply-adds, where OpenBLAS's
  // small-matrix kernels (another summation order) stop.
  const double mnk = (double)M * N * K;
  const bool byCols = N > M;
  const int64_t D = byCols ? N : M;
  int64_t blocks = gThreads < D / 16 ? gThreads : D / 16;
  if (blocks > (int64_t)(mnk / 1.1e6)) blocks = (int64_t)(mnk / 1.1e6);
  if (blocks > 1 && 2.0 * mnk >= PARALLEL_FLOPS) {
    blasThreads(0);  // one BLAS thread inside each block
#pragma omp parallel for schedule(static) num_threads((int)blocks)
    for (int64_t b = 0; b < blocks; b++) {
      const int64_t i0 = D * b / blocks / 16 * 16, i1 = b + 1 == blocks ? D : D * (b + 1) / blocks / 16 * 16;
      const float* Ab = byCols ? A : ta ? A + i0 : A + i0 * lda;
      const float* Bb = !byCols ? B : tb ? B + i0 * ldb : B + i0;
      float* Cb = byCols ? C + i0 : C + i0 * ldc;
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                  byCols ? M : (int)(i1 - i0), byCols ? (int)(i1 - i0) : N, K, alpha, Ab, lda, Bb, ldb, beta, Cb, ldc);
    }
    return;
  }
  blasThreads(0);
#endif
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
              beta, C, ldc);
}

std::vector<float>& scratch(size_t n) {
  static std::vector<float> s;
  if (s.size() < n) s.resize(n);
  return s;
}

// dst[c, r] = src[r, c] for src [rows, cols], in 32×32 tiles.
void transposeInto(const float* src, int64_t rows, int64_t cols, float* dst) {
  const int64_t T = 32;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(rows * cols / 16.0)) num_threads(gThreads)
#endif
  for (int64_t r0 = 0; r0 < rows; r0 += T)
    for (int64_t c0 = 0; c0 < cols; c0 += T) {
      int64_t r1 = r0 + T < rows ? r0 + T : rows, c1 = c0 + T < cols ? c0 + T : cols;
      for (int64_t r = r0; r < r1; r++)
        for (int64_t c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
    }
}

enum Act { LINEAR = 0, RELU = 1, RELU6 = 2, SIGMOID = 3, ELU = 4, LEAKYRELU = 5 };

void epilogue(float* c, int64_t rows, int64_t cols, const float* bias, int64_t biasLen, int act, float alpha) {
  if (!bias && act == LINEAR) return;
  for (int64_t i = 0; i < rows; i++) {
    float* r = c + i * cols;
    if (bias) {
      if (biasLen == 1)
        for (int64_t j = 0; j < cols; j++) r[j] += bias[0];
      else
        for (int64_t j = 0; j < cols; j++) r[j] += bias[j];
    }
    switch (act) {
      case RELU:
        for (int64_t j = 0; j < cols; j++) r[j] = r[j] > 0 ? r[j] : 0;
        break;
      case RELU6:
        for (int64_t j = 0; j < cols; j++) r[j] = r[j] < 0 ? 0 : (r[j] > 6 ? 6 : r[j]);
        break;
      case SIGMOID:
        for (int64_t j = 0; j < cols; j++) r[j] = 1.f / (1.f + std::exp(-r[j]));
        break;
      case ELU:
        for (int64_t j = 0; j < cols; j++) r[j] = r[j] > 0 ? r[j] : std::expm1(r[j]);
        break;
      case LEAKYRELU:
        for (int64_t j = 0; j < cols; j++) r[j] = r[j] > 0 ? r[j] : alpha * r[j];
        break;
      default:
        break;
    }
  }
}

// matmul(heap, aOff, bOff, cOff, batchA, batchB, M, N, K, transA, transB, biasOff, biasLen, act, alpha)
// C[b] = op(A[b % batchA]) · op(B[b % batchB]) (+ bias, activation), b < max(batchA, batchB); tfjs BatchMatMul semantics.
napi_value MatMul(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t aOff = a.i64(1), bOff = a.i64(2), cOff = a.i64(3), batchA = a.i64(4), batchB = a.i64(5);
  int64_t M = a.i64(6), N = a.i64(7), K = a.i64(8);
  bool ta = a.flag(9), tb = a.flag(10);
  int64_t biasOff = a.i64(11), biasLen = a.i64(12);
  int act = static_cast<int>(a.i64(13));
  float alpha = static_cast<float>(a.num(14));
  if (a.failed) return nullptr;
  if (batchA < 1 || batchB < 1 || M < 0 || N < 0 || K < 0 || M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) {
    a.fail("matmul: bad shape");
    return nullptr;
  }
  int64_t batch = batchA > batchB ? batchA : batchB;
  const float* A = region(a, heap, len, aOff, batchA * M * K);
  const float* B = region(a, heap, len, bOff, batchB * K * N);
  float* C = region(a, heap, len, cOff, batch * M * N);
  const float* bias = biasOff >= 0 ? region(a, heap, len, biasOff, biasLen) : nullptr;
  if (a.failed) return nullptr;
  if (bias && biasLen != 1 && biasLen != N) {
    a.fail("matmul: bias must have 1 or N entries");
    return nullptr;
  }
  int lda = ta ? (int)M : (int)K, ldb = tb ? (int)K : (int)N;
  if (tb && batch == 1 && M > 1) {
    // A·Bᵀ of plain matrices (every input gradient dx = dy·Wᵀ): Bᵀ is copied out first and the product runs
    // untransposed. Same cost order, and with OpenBLAS's Haswell kernels its rounding tracks PyTorch's more closely than
    // the transposed kernel (test/lora/peft_parity's FLOAT32_SPREAD says how much kernels alone move a training loop).
    std::vector<float>& bt = scratch((size_t)K * N);
    transposeInto(B, N, K, bt.data());
    sgemm(ta, false, (int)M, (int)N, (int)K, 1.f, A, lda, bt.data(), (int)N, 0.f, C, (int)N);
    epilogue(C, M, N, bias, biasLen, act, alpha);
    return undefinedValue(env);
  }
  if (batchB == 1 && !ta && batchA > 1) {
    // Stacked rows of A against one B: a single gemm with batchA·M rows.
    if (batchA * M <= INT32_MAX) {
      sgemm(false, tb, (int)(batchA * M), (int)N, (int)K, 1.f, A, lda, B, ldb, 0.f, C, (int)N);
      epilogue(C, batch * M, N, bias, biasLen, act, alpha);
      return undefinedValue(env);
    }
  }
  // Batches of small products (attention heads) run one after another on one thread (sgemm picks the threads per
  // product): spreading them over OpenMP threads lost more to wake-ups than it gained on this shared 2-core machine.
  for (int64_t i = 0; i < batch; i++)
    sgemm(ta, tb, (int)M, (int)N, (int)K, 1.f, A + (i % batchA) * M * K, lda, B + (i % batchB) * K * N, ldb, 0.f,
          C + i * M * N, (int)N);
  epilogue(C, batch * M, N, bias, biasLen, act, alpha);
  return undefinedValue(env);
}

// ---- Elementwise ----------------------------------------------------------------------------------------------

// expf by range reduction (x = n·ln2 + r) and a degree-6 polynomial (Cephes): within 2 ulp, and written so the
// compiler vectorises the loop (the scalar libm call does not).
inline float expApprox(float x) {
  if (x != x) return x;
  const float hi = 88.72283935546875f, lo = -103.97207641601562f;
  if (x > hi) return INFINITY;
  if (x < lo) return 0.f;
  float n = std::floor(x * 1.44269504088896341f + 0.5f);
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.f;
  // y · 2^n in two steps, so that n down to -150 (subnormal results) stays exact.
  int32_t k = (int32_t)n;
  int32_t k1 = k / 2, k2 = k - k1;
  uint32_t b1 = (uint32_t)(k1 + 127) << 23, b2 = (uint32_t)(k2 + 127) << 23;
  float s1, s2;
  std::memcpy(&s1, &b1, 4);
  std::memcpy(&s2, &b2, 4);
  return y * s1 * s2;
}

#ifdef __AVX512F__
// The same computation, 16 lanes at a time.
inline __m512 exp16(__m512 x) {
  const __m512 hi = _mm512_set1_ps(88.72283935546875f), lo = _mm512_set1_ps(-103.97207641601562f);
  __m512 xc = _mm512_min_ps(_mm512_max_ps(x, lo), hi);
  __m512 n = _mm512_roundscale_ps(_mm512_fmadd_ps(xc, _mm512_set1_ps(1.44269504088896341f), _mm512_set1_ps(0.5f)),
                                  _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
  r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  __m512 y = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.f)));
  __m512i k = _mm512_cvtps_epi32(n);
  __m512i k1 = _mm512_srai_epi32(k, 1), k2 = _mm512_sub_epi32(k, k1);
  const __m512i bias = _mm512_set1_epi32(127);
  __m512 s1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k1, bias), 23));
  __m512 s2 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(k2, bias), 23));
  __m512 v = _mm512_mul_ps(_mm512_mul_ps(y, s1), s2);
  v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), v, _mm512_set1_ps(INFINITY));
  v = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), v, _mm512_setzero_ps());
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), v, x);
}
#endif

void expRange(const float* x, float* y, int64_t a, int64_t b) {
  int64_t i = a;
#ifdef __AVX512F__
  for (; i + 16 <= b; i += 16) _mm512_storeu_ps(y + i, exp16(_mm512_loadu_ps(x + i)));
#endif
  for (; i < b; i++) y[i] = expApprox(x[i]);
}

// exp(heap, xOff, yOff, n)
napi_value Exp(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), yOff = a.i64(2), n = a.i64(3);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, n);
  float* y = region(a, heap, len, yOff, n);
  if (a.failed) return nullptr;
  const int64_t block = 1 << 16;
  const int64_t blocks = (n + block - 1) / block;
  // One thread: memory-bound at ~1 ns per element, a second thread's wake-up costs more than it saves.
  for (int64_t j = 0; j < blocks; j++) expRange(x, y, j * block, (j + 1) * block < n ? (j + 1) * block : n);
  return undefinedValue(env);
}

// softmax(heap, xOff, yOff, rows, cols): y[r, :] = softmax(x[r, :]) (tfjs Softmax, last axis).
// Per row: the max, then exp(x − max) summed in float64, then one multiply by the reciprocal. Rows split over the
// threads when the work is large (attention probabilities, a vocabulary's logits).
void softmaxRows(const float* x, float* y, int64_t r0, int64_t r1, int64_t cols) {
  for (int64_t r = r0; r < r1; r++) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    float mx = -INFINITY;
    int64_t j = 0;
#ifdef __AVX512F__
    __m512 vmx = _mm512_set1_ps(-INFINITY);
    __mmask16 nan = 0;
    for (; j + 16 <= cols; j += 16) {
      __m512 v = _mm512_loadu_ps(xr + j);
      nan |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
      vmx = _mm512_max_ps(vmx, v);
    }
    mx = nan ? NAN : _mm512_reduce_max_ps(vmx);
#endif
    for (; j < cols; j++) mx = (xr[j] > mx || xr[j] != xr[j]) ? xr[j] : mx;
    if (mx == -INFINITY || mx == INFINITY || mx != mx) {
      // every entry −∞, an entry +∞ or NaN: exp(x − max) / Σ is NaN throughout, as in tfjs's kernel
      for (int64_t j = 0; j < cols; j++) yr[j] = NAN;
      continue;
    }
    j = 0;
    double sum = 0;
#ifdef __AVX512F__
    const __m512 m = _mm512_set1_ps(mx);
    __m512 acc = _mm512_setzero_ps();
    for (; j + 16 <= cols; j += 16) {
      __m512 e = exp16(_mm512_sub_ps(_mm512_loadu_ps(xr + j), m));
      _mm512_storeu_ps(yr + j, e);
      acc = _mm512_add_ps(acc, e);
    }
    sum = _mm512_reduce_add_ps(acc);
#endif
    for (; j < cols; j++) sum += (yr[j] = expApprox(xr[j] - mx));
    const float inv = (float)(1.0 / sum);
    j = 0;
#ifdef __AVX512F__
    const __m512 vinv = _mm512_set1_ps(inv);
    for (; j + 16 <= cols; j += 16) _mm512_storeu_ps(yr + j, _mm512_mul_ps(_mm512_loadu_ps(yr + j), vinv));
#endif
    for (; j < cols; j++) yr[j] *= inv;
  }
}

napi_value Softmax(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), yOff = a.i64(2), rows = a.i64(3), cols = a.i64(4);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, rows * cols);
  float* y = region(a, heap, len, yOff, rows * cols);
  if (a.failed) return nullptr;
#ifdef _OPENMP
  if (rows > 1 && parallel(8.0 * rows * cols)) {
#pragma omp parallel num_threads(gThreads)
    {
      int t = omp_get_thread_num(), nt = omp_get_num_threads();
      softmaxRows(x, y, rows * t / nt, rows * (t + 1) / nt, cols);
    }
    return undefinedValue(env);
  }
#endif
  softmaxRows(x, y, 0, rows, cols);
  return undefinedValue(env);
}

// sigmoid(heap, xOff, yOff, n): y = 1 / (1 + exp(−x)).
napi_value Sigmoid(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), yOff = a.i64(2), n = a.i64(3);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, n);
  float* y = region(a, heap, len, yOff, n);
  if (a.failed) return nullptr;
  int64_t i = 0;
#ifdef __AVX512F__
  const __m512 one = _mm512_set1_ps(1.f);
  for (; i + 16 <= n; i += 16) {
    __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_loadu_ps(x + i)));
    _mm512_storeu_ps(y + i, _mm512_div_ps(one, _mm512_add_ps(one, e)));
  }
#endif
  for (; i < n; i++) y[i] = 1.f / (1.f + expApprox(-x[i]));
  return undefinedValue(env);
}

// Cross-entropy of rows of logits x [N, V] against int32 targets t [N] with float32 weights w [N]: rows of weight 0
// (prompt tokens, padding) are skipped. ceForward writes lse[i] = log Σⱼ exp(x[i, j]) (0 for skipped rows) and
// value = Σᵢ wᵢ·(lseᵢ − x[i, tᵢ]); ceGrad writes dx[i, j] = (exp(x[i, j] − lseᵢ) − [j = tᵢ])·(wᵢ·dy).
float rowMax(const float* x, int64_t V) {
  int64_t j = 0;
  float mx = -INFINITY;
#ifdef __AVX512F__
  __m512 vmx = _mm512_set1_ps(-INFINITY);
  for (; j + 16 <= V; j += 16) vmx = _mm512_max_ps(vmx, _mm512_loadu_ps(x + j));
  mx = _mm512_reduce_max_ps(vmx);
#endif
  for (; j < V; j++) mx = x[j] > mx ? x[j] : mx;
  return mx;
}

double rowSumExp(const float* x, int64_t V, float mx) {
  int64_t j = 0;
  double sum = 0;
#ifdef __AVX512F__
  const __m512 m = _mm512_set1_ps(mx);
  __m512 acc = _mm512_setzero_ps();
  for (; j + 16 <= V; j += 16) acc = _mm512_add_ps(acc, exp16(_mm512_sub_ps(_mm512_loadu_ps(x + j), m)));
  sum = _mm512_reduce_add_ps(acc);
#endif
  for (; j < V; j++) sum += expApprox(x[j] - mx);
  return sum;
}

// ceForward(heap, xOff, tOff, wOff, lseOff, valueOff, N, V)
napi_value CeForward(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), tOff = a.i64(2), wOff = a.i64(3), lseOff = a.i64(4), valOff = a.i64(5), N = a.i64(6),
          V = a.i64(7);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, N * V);
  const int32_t* t = reinterpret_cast<const int32_t*>(region(a, heap, len, tOff, N));
  const float* w = region(a, heap, len, wOff, N);
  float* lse = region(a, heap, len, lseOff, N);
  float* value = region(a, heap, len, valOff, 1);
  if (a.failed) return nullptr;
  for (int64_t i = 0; i < N; i++)
    if (w[i] != 0.f && (t[i] < 0 || t[i] >= V)) {
      a.fail("cross-entropy: a target id is outside the vocabulary");
      return nullptr;
    }
  // Each row's term, then their sum in row order: the loss is the same bits on any number of threads.
  std::vector<double> term(N, 0.0);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(8.0 * N * V)) num_threads(gThreads)
#endif
  for (int64_t i = 0; i < N; i++) {
    if (w[i] == 0.f) {
      lse[i] = 0.f;
      continue;
    }
    const float* xr = x + i * V;
    const float mx = rowMax(xr, V);
    const float l = mx + (float)std::log(rowSumExp(xr, V, mx));
    lse[i] = l;
    term[i] = (double)w[i] * ((double)l - (double)xr[t[i]]);
  }
  double total = 0;
  for (int64_t i = 0; i < N; i++) total += term[i];
  value[0] = (float)total;
  return undefinedValue(env);
}

// ceGrad(heap, xOff, lseOff, tOff, wOff, dyOff, dxOff, N, V)
napi_value CeGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), lseOff = a.i64(2), tOff = a.i64(3), wOff = a.i64(4), dyOff = a.i64(5), dxOff = a.i64(6),
          N = a.i64(7), V = a.i64(8);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, N * V);
  const float* lse = region(a, heap, len, lseOff, N);
  const int32_t* t = reinterpret_cast<const int32_t*>(region(a, heap, len, tOff, N));
  const float* w = region(a, heap, len, wOff, N);
  const float* dy = region(a, heap, len, dyOff, 1);
  float* dx = region(a, heap, len, dxOff, N * V);
  if (a.failed) return nullptr;
  const float g = dy[0];
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(8.0 * N * V)) num_threads(gThreads)
#endif
  for (int64_t i = 0; i < N; i++) {
    float* o = dx + i * V;
    if (w[i] == 0.f) {
      std::memset(o, 0, sizeof(float) * V);
      continue;
    }
    const float* xr = x + i * V;
    const float c = w[i] * g;
    int64_t j = 0;
#ifdef __AVX512F__
    const __m512 l = _mm512_set1_ps(lse[i]), vc = _mm512_set1_ps(c);
    for (; j + 16 <= V; j += 16)
      _mm512_storeu_ps(o + j, _mm512_mul_ps(exp16(_mm512_sub_ps(_mm512_loadu_ps(xr + j), l)), vc));
#endif
    for (; j < V; j++) o[j] = expApprox(xr[j] - lse[i]) * c;
    const int32_t ti = t[i];
    o[ti] = (expApprox(xr[ti] - lse[i]) - 1.f) * c;
  }
  return undefinedValue(env);
}

// RMSNorm over the last axis of x [rows, n] with weight w [n]: y = x·r·w, r = 1/√(mean(x²) + eps), r kept per row
// for the gradient. rmsNormGrad: with x̂ = x·r and g = dy·w, dx = r·(g − x̂·mean(g·x̂)) and dw = Σ_rows dy·x̂.
// rmsNorm(heap, xOff, wOff, yOff, rOff, rows, n, eps)
napi_value RmsNorm(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), wOff = a.i64(2), yOff = a.i64(3), rOff = a.i64(4), rows = a.i64(5), n = a.i64(6);
  const float eps = (float)a.num(7);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, rows * n);
  const float* w = region(a, heap, len, wOff, n);
  float* y = region(a, heap, len, yOff, rows * n);
  float* rr = region(a, heap, len, rOff, rows);
  if (a.failed) return nullptr;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(16.0 * rows * n)) num_threads(gThreads)
#endif
  for (int64_t i = 0; i < rows; i++) {
    const float* xr = x + i * n;
    float* yr = y + i * n;
    float ss = 0;
#pragma omp simd reduction(+ : ss)
    for (int64_t j = 0; j < n; j++) ss += xr[j] * xr[j];
    const float r = 1.f / std::sqrt(ss / (float)n + eps);
    rr[i] = r;
#pragma omp simd
    for (int64_t j = 0; j < n; j++) yr[j] = xr[j] * r * w[j];
  }
  return undefinedValue(env);
}

// rmsNormGrad(heap, xOff, wOff, rOff, dyOff, dxOff, dwOff, rows, n)
napi_value RmsNormGrad(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), wOff = a.i64(2), rOff = a.i64(3), dyOff = a.i64(4), dxOff = a.i64(5), dwOff = a.i64(6),
          rows = a.i64(7), n = a.i64(8);
  if (a.failed) return nullptr;
  const float* x = region(a, heap, len, xOff, rows * n);
  const float* w = region(a, heap, len, wOff, n);
  const float* rr = region(a, heap, len, rOff, rows);
  const float* dy = region(a, heap, len, dyOff, rows * n);
  float* dx = region(a, heap, len, dxOff, rows * n);
  float* dw = region(a, heap, len, dwOff, n);
  if (a.failed) return nullptr;
  std::vector<double> acc(n, 0.0);
  for (int64_t i = 0; i < rows; i++) {
    const float* xr = x + i * n;
    const float* gr = dy + i * n;
    float* o = dx + i * n;
    const float r = rr[i];
    float dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < n; j++) dot += gr[j] * w[j] * xr[j] * r;
    const float c = dot / (float)n;
#pragma omp simd
    for (int64_t j = 0; j < n; j++) o[j] = r * (gr[j] * w[j] - xr[j] * r * c);
    for (int64_t j = 0; j < n; j++) acc[j] += (double)gr[j] * (double)(xr[j] * r);
  }
  for (int64_t j = 0; j < n; j++) dw[j] = (float)acc[j];
  return undefinedValue(env);
}

// topk(heap, xOff, valuesOff, indicesOff, rows, n, k): per row the k largest values, sorted descending, ties by the
// lower index first (tfjs's order); int32 indices. Returns false, writing nothing, when x holds a NaN (the caller
// then uses tfjs's own kernel, whose NaN order this does not reproduce).
napi_value TopK(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), vOff = a.i64(2), iOff = a.i64(3), rows = a.i64(4), n = a.i64(5), k = a.i64(6);
  if (a.failed) return nullptr;
  if (k < 0 || k > n) {
    a.fail("topk: k must be within 0..n");
    return nullptr;
  }
  const float* x = region(a, heap, len, xOff, rows * n);
  float* vals = region(a, heap, len, vOff, rows * k);
  int32_t* ids = reinterpret_cast<int32_t*>(region(a, heap, len, iOff, rows * k));
  if (a.failed) return nullptr;
  for (int64_t i = 0; i < rows * n; i++)
    if (x[i] != x[i]) {
      napi_value f;
      napi_get_boolean(env, false, &f);
      return f;
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(64.0 * rows * n)) num_threads(gThreads)
#endif
  for (int64_t r = 0; r < rows; r++) {
    if (k == 0) continue;
    const float* xr = x + r * n;
    // A lower bound of the k-th largest value: split the row into at least k blocks; the k-th largest block maximum
    // has k values at or above it (one per block), so nothing below it can be in the top k. Then only the values at
    // or above it are sorted (value descending, lower index first on ties, as tfjs orders them).
    const int64_t bs = n / k, nb = (n + bs - 1) / bs;
    std::vector<float> maxima(nb);
    for (int64_t b = 0; b < nb; b++) {
      float mx = -INFINITY;
      const int64_t end = (b + 1) * bs < n ? (b + 1) * bs : n;
      for (int64_t j = b * bs; j < end; j++) mx = xr[j] > mx ? xr[j] : mx;
      maxima[b] = mx;
    }
    std::nth_element(maxima.begin(), maxima.begin() + (k - 1), maxima.end(), std::greater<float>());
    const float floor = maxima[k - 1];
    struct E {
      float v;
      int32_t i;
    };
    std::vector<E> cand;
    cand.reserve(2 * k);
    for (int64_t j = 0; j < n; j++)
      if (xr[j] >= floor) cand.push_back({xr[j], (int32_t)j});
    auto before = [](const E& p, const E& q) { return p.v > q.v || (p.v == q.v && p.i < q.i); };
    std::partial_sort(cand.begin(), cand.begin() + k, cand.end(), before);
    for (int64_t j = 0; j < k; j++) {
      vals[r * k + j] = cand[j].v;
      ids[r * k + j] = cand[j].i;
    }
  }
  napi_value t;
  napi_get_boolean(env, true, &t);
  return t;
}

// adamw(heap, pOff, gOff, mOff, vOff, npOff, nmOff, nvOff, n, keep, oneMinusB1, b2, oneMinusB2, bc2Sqrt, eps, stepSize)
// One AdamW update of n floats into new buffers, with the same float32 operations in the same order as
// lib/train/optim.ts's tensor code (so the two give bit-identical results: binding.gyp compiles with
// -ffp-contract=off, so no a·b + c becomes one FMA): m' = m + (g − m)·(1 − β1); v' = v·β2 + g·g·(1 − β2);
// p' = p·keep − (m' / (√v' / bc2 + ε))·stepSize, where keep = 1 − lr·wd (1: no decay).
napi_value AdamW(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t pOff = a.i64(1), gOff = a.i64(2), mOff = a.i64(3), vOff = a.i64(4), npOff = a.i64(5), nmOff = a.i64(6),
          nvOff = a.i64(7), n = a.i64(8);
  const float keep = (float)a.num(9), c1 = (float)a.num(10), b2 = (float)a.num(11), c2 = (float)a.num(12),
              bc2 = (float)a.num(13), eps = (float)a.num(14), stepSize = (float)a.num(15);
  if (a.failed) return nullptr;
  const float* p = region(a, heap, len, pOff, n);
  const float* g = region(a, heap, len, gOff, n);
  const float* m = region(a, heap, len, mOff, n);
  const float* v = region(a, heap, len, vOff, n);
  float* np = region(a, heap, len, npOff, n);
  float* nm = region(a, heap, len, nmOff, n);
  float* nv = region(a, heap, len, nvOff, n);
  if (a.failed) return nullptr;
  const bool decay = keep != 1.f;
  for (int64_t i = 0; i < n; i++) {
    const float gi = g[i];
    const float mi = m[i] + (gi - m[i]) * c1;
    const float vi = v[i] * b2 + (gi * gi) * c2;
    const float denom = std::sqrt(vi) / bc2 + eps;
    const float pi = decay ? p[i] * keep : p[i];
    nm[i] = mi;
    nv[i] = vi;
    np[i] = pi - (mi / denom) * stepSize;
  }
  return undefinedValue(env);
}

// ---- Frozen weights in native memory ---------------------------------------------------------------------------

enum DType { F32 = 0, BF16 = 1, F16 = 2 };

struct Weight {
  void* data = nullptr;
  int dtype = F32;  // F32 or BF16 as stored (F16 is widened to F32 at load)
  int64_t rows = 0, cols = 0;
  size_t bytes() const { return (size_t)rows * cols * (dtype == BF16 ? 2 : 4); }
};

size_t liveBytes = 0;

void freeWeight(Weight* w) {
  if (w->data) {
    liveBytes -= w->bytes();
    free(w->data);
    w->data = nullptr;
  }
}

void finalizeWeight(napi_env, void* data, void*) {
  Weight* w = static_cast<Weight*>(data);
  freeWeight(w);
  delete w;
}

inline float bf16ToF32(uint16_t h) {
  uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline float f16ToF32(uint16_t h) {
  uint32_t s = (h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0) {
    if (m == 0) u = s;
    else {
      e = 127 - 15 + 1;
      while (!(m & 0x400)) {
        m <<= 1;
        e--;
      }
      u = s | (e << 23) | ((m & 0x3ff) << 13);
    }
  } else if (e == 31) u = s | 0x7f800000u | (m << 13);
  else u = s | ((e + 127 - 15) << 23) | (m << 13);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

Weight* getWeight(Args& a, size_t i) {
  void* p = nullptr;
  if (i >= a.argc || napi_get_value_external(a.env, a.argv[i], &p) != napi_ok || !p) {
    a.fail("expected a native weight");
    return nullptr;
  }
  Weight* w = static_cast<Weight*>(p);
  if (!w->data) a.fail("the native weight was freed");
  return w;
}

napi_value wrapWeight(napi_env env, Weight* w) {
  liveBytes += w->bytes();
  napi_value out;
  napi_create_external(env, w, finalizeWeight, nullptr, &out);
  return out;
}

// Allocates a weight of `rows`×`cols` stored as `store` and fills it from `src` (raw bytes of dtype `srcType`).
Weight* makeWeight(const uint8_t* src, int srcType, int store, int64_t rows, int64_t cols) {
  Weight* w = new Weight();
  w->dtype = store;
  w->rows = rows;
  w->cols = cols;
  size_t n = (size_t)rows * cols;
  w->data = aligned_alloc(64, ((w->bytes() + 63) / 64) * 64 + 64);
  if (!w->data) {
    delete w;
    return nullptr;
  }
  if (srcType == store) std::memcpy(w->data, src, w->bytes());
  else if (store == F32) {
    float* d = static_cast<float*>(w->data);
    const uint16_t* s = reinterpret_cast<const uint16_t*>(src);
    if (srcType == BF16)
      for (size_t i = 0; i < n; i++) d[i] = bf16ToF32(s[i]);
    else
      for (size_t i = 0; i < n; i++) d[i] = f16ToF32(s[i]);
  } else {
    // f32 or f16 → bf16 (round to nearest even)
    uint16_t* d = static_cast<uint16_t*>(w->data);
    for (size_t i = 0; i < n; i++) {
      float f = srcType == F32 ? reinterpret_cast<const float*>(src)[i] : f16ToF32(reinterpret_cast<const uint16_t*>(src)[i]);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      d[i] = static_cast<uint16_t>((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
    }
  }
  return w;
}

int parseType(const std::string& s) { return s == "bf16" ? BF16 : s == "f16" ? F16 : s == "f32" ? F32 : -1; }

// weightFromBuffer(bytes, srcType, store, rows, cols): copies a JS buffer (raw bytes of srcType) into native memory.
napi_value WeightFromBuffer(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  const uint8_t* src = a.bytes(0, &len);
  int srcType = parseType(a.str(1)), store = parseType(a.str(2));
  int64_t rows = a.i64(3), cols = a.i64(4);
  if (a.failed) return nullptr;
  if (srcType < 0 || (store != F32 && store != BF16) || rows < 0 || cols < 0 ||
      (size_t)rows * cols * (srcType == F32 ? 4 : 2) > len) {
    a.fail("weightFromBuffer: bad arguments");
    return nullptr;
  }
  Weight* w = makeWeight(src, srcType, store, rows, cols);
  if (!w) {
    a.fail("weightFromBuffer: out of memory");
    return nullptr;
  }
  return wrapWeight(env, w);
}

// Reads `rows` rows of a tensor (raw srcType bytes at `off` in `path`) into rows [r0, r0 + rows) of w, converting to
// w's storage in chunks: at most one chunk of the source is in memory besides the weight. Returns an error or "".
std::string fillFromFile(Weight* w, int64_t r0, const std::string& path, int64_t off, int srcType, int64_t rows) {
  if (r0 < 0 || rows < 0 || r0 + rows > w->rows || off < 0) return "rows out of range";
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) return "cannot open " + path;
  const int64_t cols = w->cols;
  const size_t srcItem = srcType == F32 ? 4 : 2, dstItem = w->dtype == BF16 ? 2 : 4;
  auto readAll = [&](uint8_t* dst, size_t bytes, int64_t at) {
    size_t done = 0;
    while (done < bytes) {
      ssize_t r = pread(fd, dst + done, bytes - done, at + (int64_t)done);
      if (r <= 0) return false;
      done += (size_t)r;
    }
    return true;
  };
  uint8_t* dst = static_cast<uint8_t*>(w->data) + (size_t)r0 * cols * dstItem;
  bool ok = true;
  if (srcType == w->dtype) {
    ok = readAll(dst, (size_t)rows * cols * srcItem, off);
  } else {
    int64_t chunk = cols ? (int64_t)((8u << 20) / (cols * srcItem)) : rows;
    if (chunk < 1) chunk = 1;
    std::vector<uint8_t> buf;
    for (int64_t a = 0; ok && a < rows; a += chunk) {
      int64_t b = a + chunk < rows ? a + chunk : rows;
      size_t sb = (size_t)(b - a) * cols * srcItem;
      buf.resize(sb);
      ok = readAll(buf.data(), sb, off + (int64_t)((size_t)a * cols * srcItem));
      if (!ok) break;
      Weight* part = makeWeight(buf.data(), srcType, w->dtype, b - a, cols);
      if (!part) {
        ok = false;
        break;
      }
      std::memcpy(dst + (size_t)a * cols * dstItem, part->data, part->bytes());
      free(part->data);
      delete part;
    }
  }
  close(fd);
  return ok ? "" : "cannot read " + path;
}

Weight* allocWeight(int store, int64_t rows, int64_t cols) {
  Weight* w = new Weight();
  w->dtype = store;
  w->rows = rows;
  w->cols = cols;
  w->data = aligned_alloc(64, ((w->bytes() + 63) / 64) * 64 + 64);
  if (!w->data) {
    delete w;
    return nullptr;
  }
  return w;
}

// weightFromFile(path, byteOffset, srcType, store, rows, cols): a tensor read straight from a file (safetensors data)
// into native memory; when srcType == store, no intermediate copy exists anywhere.
napi_value WeightFromFile(napi_env env, napi_callback_info info) {
  Args a(env, info);
  std::string path = a.str(0);
  int64_t off = a.i64(1);
  int srcType = parseType(a.str(2)), store = parseType(a.str(3));
  int64_t rows = a.i64(4), cols = a.i64(5);
  if (a.failed) return nullptr;
  if (srcType < 0 || (store != F32 && store != BF16) || rows < 0 || cols < 0 || off < 0) {
    a.fail("weightFromFile: bad arguments");
    return nullptr;
  }
  Weight* w = allocWeight(store, rows, cols);
  if (!w) {
    a.fail("weightFromFile: out of memory");
    return nullptr;
  }
  std::string err = fillFromFile(w, 0, path, off, srcType, rows);
  if (!err.empty()) {
    free(w->data);
    delete w;
    a.fail(("weightFromFile: " + err).c_str());
    return nullptr;
  }
  return wrapWeight(env, w);
}

// weightAlloc(store, rows, cols): an uninitialised weight, filled by weightFill (several tensors stacked by rows).
napi_value WeightAlloc(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int store = parseType(a.str(0));
  int64_t rows = a.i64(1), cols = a.i64(2);
  if (a.failed) return nullptr;
  if ((store != F32 && store != BF16) || rows < 0 || cols < 0) {
    a.fail("weightAlloc: bad arguments");
    return nullptr;
  }
  Weight* w = allocWeight(store, rows, cols);
  if (!w) {
    a.fail("weightAlloc: out of memory");
    return nullptr;
  }
  return wrapWeight(env, w);
}

// weightFill(weight, rowOffset, path, byteOffset, srcType, rows)
napi_value WeightFill(napi_env env, napi_callback_info info) {
  Args a(env, info);
  Weight* w = getWeight(a, 0);
  int64_t r0 = a.i64(1);
  std::string path = a.str(2);
  int64_t off = a.i64(3);
  int srcType = parseType(a.str(4));
  int64_t rows = a.i64(5);
  if (a.failed) return nullptr;
  if (srcType < 0) {
    a.fail("weightFill: bad source dtype");
    return nullptr;
  }
  std::string err = fillFromFile(w, r0, path, off, srcType, rows);
  if (!err.empty()) {
    a.fail(("weightFill: " + err).c_str());
    return nullptr;
  }
  return undefinedValue(env);
}

napi_value WeightFree(napi_env env, napi_callback_info info) {
  Args a(env, info);
  void* p = nullptr;
  if (a.argc > 0 && napi_get_value_external(env, a.argv[0], &p) == napi_ok && p) freeWeight(static_cast<Weight*>(p));
  return undefinedValue(env);
}

// Rows [r0, r1) of a bf16 weight, widened to f32 into dst (row-major, `cols` wide).
void widenRows(const Weight* w, int64_t r0, int64_t r1, float* dst) {
  const uint16_t* s = static_cast<const uint16_t*>(w->data) + (size_t)r0 * w->cols;
  size_t n = (size_t)(r1 - r0) * w->cols;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(n / 16.0)) num_threads(gThreads)
#endif
  for (int64_t i = 0; i < (int64_t)n; i++) {
    uint32_t u = static_cast<uint32_t>(s[i]) << 16;
    std::memcpy(dst + i, &u, 4);
  }
}

// y[m, n] = Σ_k x[m, k] · W[n, k] for a bf16 W and few rows of x: one pass over W, f32 accumulation.
void bf16RowsDot(const Weight* w, const float* x, int64_t M, float* y) {
  const int64_t N = w->rows, K = w->cols;
  const uint16_t* W = static_cast<const uint16_t*>(w->data);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel(2.0 * M * N * K)) num_threads(gThreads)
#endif
  for (int64_t n = 0; n < N; n++) {
    const uint16_t* wr = W + n * K;
    for (int64_t m = 0; m < M; m++) {
      const float* xr = x + m * K;
      float acc = 0.f;
#pragma omp simd reduction(+ : acc)
      for (int64_t k = 0; k < K; k++) {
        uint32_t u = static_cast<uint32_t>(wr[k]) << 16;
        float f;
        std::memcpy(&f, &u, 4);
        acc += xr[k] * f;
      }
      y[m * N + n] = acc;
    }
  }
}

// linear(heap, xOff, M, weight, yOff, transposed, biasOff)
//   transposed = true:  y[M, rows] = x[M, cols] · Wᵀ (+ bias[rows])  — a projection with W in HF layout [out, in]
//   transposed = false: y[M, cols] = x[M, rows] · W                  — its input gradient
napi_value Linear(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t xOff = a.i64(1), M = a.i64(2);
  Weight* w = getWeight(a, 3);
  int64_t yOff = a.i64(4);
  bool tr = a.flag(5);
  int64_t biasOff = a.argc > 6 ? a.i64(6) : -1;
  if (a.failed) return nullptr;
  const int64_t R = w->rows, Cc = w->cols;
  const int64_t inF = tr ? Cc : R, outF = tr ? R : Cc;
  if (M < 0 || M > INT32_MAX || R > INT32_MAX || Cc > INT32_MAX) {
    a.fail("linear: bad shape");
    return nullptr;
  }
  const float* x = region(a, heap, len, xOff, M * inF);
  float* y = region(a, heap, len, yOff, M * outF);
  const float* bias = biasOff >= 0 ? region(a, heap, len, biasOff, outF) : nullptr;
  if (a.failed) return nullptr;
  if (M == 0) return undefinedValue(env);
  if (w->dtype == F32) {
    const float* W = static_cast<const float*>(w->data);
    sgemm(false, tr, (int)M, (int)outF, (int)inF, 1.f, x, (int)inF, W, (int)Cc, 0.f, y, (int)outF);
  } else if (tr && M <= 4) {
    bf16RowsDot(w, x, M, y);
  } else {
    // Panels of W widened to f32 (about 2 MiB each), then BLAS on each panel.
    int64_t panel = (int64_t)((2u << 20) / (4 * Cc));
    if (panel < 16) panel = 16;
    if (panel > R) panel = R;
    std::vector<float>& buf = scratch((size_t)panel * Cc);
    for (int64_t r0 = 0; r0 < R; r0 += panel) {
      int64_t r1 = r0 + panel < R ? r0 + panel : R;
      widenRows(w, r0, r1, buf.data());
      if (tr)  // y[:, r0:r1] = x · panelᵀ
        sgemm(false, true, (int)M, (int)(r1 - r0), (int)Cc, 1.f, x, (int)Cc, buf.data(), (int)Cc, 0.f, y + r0, (int)R);
      else  // y += x[:, r0:r1] · panel
        sgemm(false, false, (int)M, (int)Cc, (int)(r1 - r0), 1.f, x + r0, (int)R, buf.data(), (int)Cc, r0 == 0 ? 0.f : 1.f,
              y, (int)Cc);
    }
  }
  epilogue(y, M, outF, bias, bias ? outF : 0, LINEAR, 0.f);
  return undefinedValue(env);
}

// gather(heap, idsOff, n, weight, outOff): out[i, :] = W[ids[i], :] as f32 (an embedding lookup).
napi_value Gather(napi_env env, napi_callback_info info) {
  Args a(env, info);
  size_t len;
  uint8_t* heap = a.bytes(0, &len);
  int64_t idsOff = a.i64(1), n = a.i64(2);
  Weight* w = getWeight(a, 3);
  int64_t outOff = a.i64(4);
  if (a.failed) return nullptr;
  const int32_t* ids = reinterpret_cast<const int32_t*>(region(a, heap, len, idsOff, n));
  float* out = region(a, heap, len, outOff, n * w->cols);
  if (a.failed) return nullptr;
  for (int64_t i = 0; i < n; i++) {
    int64_t r = ids[i];
    if (r < 0 || r >= w->rows) {
      a.fail("gather: id out of range");
      return nullptr;
    }
    if (w->dtype == F32) std::memcpy(out + i * w->cols, static_cast<const float*>(w->data) + r * w->cols, w->cols * 4);
    else widenRows(w, r, r + 1, out + i * w->cols);
  }
  return undefinedValue(env);
}

// ---- Info and threads -----------------------------------------------------------------------------------------

napi_value SetThreads(napi_env env, napi_callback_info info) {
  Args a(env, info);
  int n = static_cast<int>(a.i64(0));
  if (a.failed) return nullptr;
  if (n < 1) n = 1;
  gThreads = n;
  gBlasNow = -1;
  blasThreads(PARALLEL_FLOPS);
  return undefinedValue(env);
}

napi_value Info(napi_env env, napi_callback_info) {
  napi_value o, v;
  napi_create_object(env, &o);
#ifdef MOLAB_ACCELERATE
  std::string blas = "Accelerate";
  int threads = 0;
#else
  std::string blas = openblas_get_config();
  std::string core = openblas_get_corename();
  blas += " (" + core + ")";
  int threads = gThreads;
#endif
  napi_create_string_utf8(env, blas.c_str(), NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, o, "blas", v);
  napi_create_int32(env, threads, &v);
  napi_set_named_property(env, o, "threads", v);
  napi_create_double(env, (double)liveBytes, &v);
  napi_set_named_property(env, o, "weightBytes", v);
  return o;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"matmul", nullptr, MatMul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightFromBuffer", nullptr, WeightFromBuffer, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightFromFile", nullptr, WeightFromFile, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightAlloc", nullptr, WeightAlloc, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightFill", nullptr, WeightFill, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"weightFree", nullptr, WeightFree, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"linear", nullptr, Linear, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"exp", nullptr, Exp, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sigmoid", nullptr, Sigmoid, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adamw", nullptr, AdamW, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"topk", nullptr, TopK, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNorm", nullptr, RmsNorm, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"rmsNormGrad", nullptr, RmsNormGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ceForward", nullptr, CeForward, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ceGrad", nullptr, CeGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof(d) / sizeof(d[0]), d);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

//===- Harness.h - Tests of the emulated CUDA kernels -----------*- C++ -*-===//
//
// Suites and their registration, buffers in emulated device memory,
// random fills, tolerances and the comparison that counts checks and
// failures; the CUDA kernels run in the emulator (kernels/cuda/emulation),
// the reference is the CPU library.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TEST_CUDA_EMULATOR_HARNESS_H
#define KESTREL_TEST_CUDA_EMULATOR_HARNESS_H

#include "kernels/cuda/Kernels.h"
#include "kernels/cuda/emulation/DeviceMemory.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace kestrel;
using cpu::DType;
using cpu::Shape;
using cpu::Tensor;

/// A test suite: Main runs the registered suites named on its command line
/// in `order`, each from the seed kSeed.
struct TestSuite {
  const char *name;
  int order;
  void (*run)();
};
std::vector<TestSuite> &testSuites(); // Main.cpp
/// `RegisterSuite registered("name", order, runFn);` in a suite file's
/// anonymous namespace.
struct RegisterSuite {
  RegisterSuite(const char *name, int order, void (*run)()) {
    testSuites().push_back({name, order, run});
  }
};

constexpr unsigned kSeed = 12345;
inline std::mt19937 &rng() {
  static std::mt19937 g(kSeed);
  return g;
}
inline int64_t randInt(int64_t lo, int64_t hi) { // inclusive
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng());
}
inline double randUnit() {
  return std::uniform_real_distribution<double>(0, 1)(rng());
}

/// A tensor in emulated device memory (DeviceMemory.h): one allocation of
/// `offsetBytes` (so that tests can misalign the tensor) plus the tensor's
/// bytes, which end where the allocation ends, so that the checker sees an
/// access past the tensor. Filled with 0xAB.
struct Buf {
  std::shared_ptr<void> storage;
  Tensor t;
  Buf() = default;
  Buf(DType d, Shape s, size_t offsetBytes = 0) {
    t.dtype = d;
    t.shape = s;
    size_t bytes = size_t(s.numel()) * cpu::dtypeSize(d) + offsetBytes;
    void *p = emu::deviceAlloc(bytes);
    if (!p) {
      std::fprintf(stderr, "Buf: cannot allocate %zu bytes\n", bytes);
      std::abort();
    }
    storage = std::shared_ptr<void>(p, [](void *q) { emu::deviceFree(q); });
    std::memset(p, 0xAB, bytes);
    t.data = static_cast<char *>(p) + offsetBytes;
  }
  Buf like() const { return Buf(t.dtype, t.shape); }
};

inline double getD(const Tensor &t, int64_t i) {
  const char *p = static_cast<const char *>(t.data);
  switch (t.dtype) {
  case DType::F32: {
    float v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case DType::F16: {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    return cpu::f16ToF32(v);
  }
  case DType::BF16: {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    return cpu::bf16ToF32(v);
  }
  case DType::F8E4M3FN:
    return cpu::f8e4m3fnToF32(uint8_t(p[i]));
  case DType::I64: {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return double(v);
  }
  case DType::I32: {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  case DType::I1:
  case DType::U8:
    return double(uint8_t(p[i]));
  }
  return 0;
}
inline int64_t getI(const Tensor &t, int64_t i) {
  const char *p = static_cast<const char *>(t.data);
  if (t.dtype == DType::I64) {
    int64_t v;
    std::memcpy(&v, p + 8 * i, 8);
    return v;
  }
  if (t.dtype == DType::I32) {
    int32_t v;
    std::memcpy(&v, p + 4 * i, 4);
    return v;
  }
  return int64_t(getD(t, i));
}
inline void setD(Tensor &t, int64_t i, double x) {
  char *p = static_cast<char *>(t.data);
  switch (t.dtype) {
  case DType::F32: {
    float v = float(x);
    std::memcpy(p + 4 * i, &v, 4);
    break;
  }
  case DType::F16: {
    uint16_t v = cpu::f32ToF16(float(x));
    std::memcpy(p + 2 * i, &v, 2);
    break;
  }
  case DType::BF16: {
    uint16_t v = cpu::f32ToBf16(float(x));
    std::memcpy(p + 2 * i, &v, 2);
    break;
  }
  case DType::F8E4M3FN:
    p[i] = char(cpu::f32ToF8e4m3fn(float(x)));
    break;
  case DType::I64: {
    int64_t v = int64_t(x);
    std::memcpy(p + 8 * i, &v, 8);
    break;
  }
  case DType::I32: {
    int32_t v = int32_t(x);
    std::memcpy(p + 4 * i, &v, 4);
    break;
  }
  case DType::I1:
    p[i] = x != 0 ? 1 : 0;
    break;
  case DType::U8:
    p[i] = char(uint8_t(x));
    break;
  }
}
inline void setI(Tensor &t, int64_t i, int64_t x) {
  char *p = static_cast<char *>(t.data);
  if (t.dtype == DType::I64)
    std::memcpy(p + 8 * i, &x, 8);
  else if (t.dtype == DType::I32) {
    int32_t v = int32_t(x);
    std::memcpy(p + 4 * i, &v, 4);
  } else
    setD(t, i, double(x));
}

inline bool isFloatDT(DType d) {
  return d == DType::F32 || d == DType::F16 || d == DType::BF16 ||
         d == DType::F8E4M3FN;
}

/// Random contents: floats in [-range, range] (with a few specials when
/// `specials`), integers in [lo, hi], i1 0/1.
inline void fill(Tensor &t, double range = 3.0, bool specials = false,
                 int64_t lo = -50, int64_t hi = 50) {
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (isFloatDT(t.dtype)) {
      double v = (2 * randUnit() - 1) * range;
      if (specials) {
        int r = int(randInt(0, 40));
        if (r == 0)
          v = NAN;
        if (r == 1)
          v = INFINITY;
        if (r == 2)
          v = -INFINITY;
        if (r == 3)
          v = 0.0;
        if (r == 4)
          v = -0.0;
      }
      setD(t, i, v);
    } else if (t.dtype == DType::I1) {
      setD(t, i, double(randInt(0, 1)));
    } else {
      setI(t, i, randInt(lo, hi));
    }
  }
}

struct Tol {
  double atol = 0, rtol = 0;
};
inline Tol tolFor(DType d, double scale = 1) {
  switch (d) {
  case DType::F32:
    return {1e-5 * scale, 1e-5 * scale};
  case DType::F16:
    return {2e-3 * scale, 2e-3 * scale};
  case DType::BF16:
    return {1.6e-2 * scale, 1.6e-2 * scale};
  case DType::F8E4M3FN:
    return {0.13 * scale, 0.13 * scale};
  default:
    return {0, 0};
  }
}

extern int failures, checks;
inline bool compare(const char *what, const Tensor &got, const Tensor &want,
                    Tol tol = {}, bool quiet = false) {
  ++checks;
  if (got.numel() != want.numel() || got.dtype != want.dtype) {
    std::printf("FAIL %s: shape/dtype mismatch\n", what);
    ++failures;
    return false;
  }
  bool exact = !isFloatDT(got.dtype);
  int bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    bool ok;
    if (exact) {
      if (got.dtype == DType::I1)
        ok = static_cast<const uint8_t *>(got.data)[i] ==
             static_cast<const uint8_t *>(want.data)[i];
      else
        ok = getI(got, i) == getI(want, i);
    } else {
      double a = getD(got, i), b = getD(want, i);
      if (std::isnan(a) || std::isnan(b))
        ok = std::isnan(a) && std::isnan(b);
      else if (std::isinf(a) || std::isinf(b))
        ok = a == b;
      else
        ok = std::fabs(a - b) <= tol.atol + tol.rtol * std::fabs(b);
    }
    if (!ok) {
      if (bad < 5 && !quiet)
        std::printf("  %s: element %lld got %.9g want %.9g\n", what,
                    (long long)i, getD(got, i), getD(want, i));
      ++bad;
    }
  }
  if (bad) {
    std::printf("FAIL %s: %d of %lld elements differ\n", what, bad,
                (long long)got.numel());
    ++failures;
    return false;
  }
  return true;
}

/// sqrt(sum (got - want)^2 / sum want^2) over the elements.
inline double relL2(const Tensor &got, const Tensor &want) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    double d = getD(got, i) - getD(want, i);
    num += d * d;
    den += getD(want, i) * getD(want, i);
  }
  return std::sqrt(num / (den > 0 ? den : 1));
}

struct Ctxs {
  cpu::Context c;
  cuda::Context g;
  int flag = 0;
  Ctxs() {
    c.parallelFor = cpu::runSerially;
    g.errorFlag = &flag;
  }
};

inline const char *dn(DType d) { return cpu::dtypeName(d); }
inline std::string S(const Shape &s) { return s.str(); }
#define EXPECT(cond, ...)                                                      \
  do {                                                                         \
    ++checks;                                                                  \
    if (!(cond)) {                                                             \
      ++failures;                                                              \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);              \
      std::printf(__VA_ARGS__);                                                \
      std::printf("\n");                                                       \
    }                                                                          \
  } while (0)

#endif // KESTREL_TEST_CUDA_EMULATOR_HARNESS_H

//===- KernelsTest.cpp - The CPU kernel library against references -------===//
//
// Every entry point of kernels/cpu/Kernels.h against a reference
// computed here in double (or, for data movement, by index arithmetic), on
// random inputs: broadcasting, the dtypes each op accepts, the parallel
// paths (with a three-thread ParallelFor), and the error paths.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"

#include "test/unit/cpu/RelativeError.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <thread>

using namespace kestrel::cpu;
using kestrel::test::relativeL2;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Threads that take tasks round-robin.
void runOnThreads(int64_t n, const std::function<void(int64_t)> &body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int64_t i = t; i < n; i += 3)
        body(i);
    });
  for (auto &th : threads)
    th.join();
}

Context serialContext() {
  Context ctx;
  ctx.parallelFor = runSerially;
  ctx.numThreads = 1;
  return ctx;
}

Context threadedContext() {
  Context ctx;
  ctx.parallelFor = runOnThreads;
  ctx.numThreads = 3;
  return ctx;
}

/// A tensor and the bytes it owns.
struct Buf {
  DType dtype;
  Shape shape;
  std::vector<uint64_t> words; // 8-byte aligned storage

  Buf(DType type, Shape s)
      : dtype(type), shape(s),
        words(std::max<size_t>(1, (s.numel() * dtypeSize(type) + 7) / 8)) {}
  Tensor t() { return Tensor{words.data(), dtype, shape}; }
  template <typename T> T *as() { return reinterpret_cast<T *>(words.data()); }
  int64_t numel() const { return shape.numel(); }

  void set(int64_t i, double v) {
    switch (dtype) {
    case DType::F32:
      as<float>()[i] = float(v);
      break;
    case DType::F16:
      as<uint16_t>()[i] = f32ToF16(float(v));
      break;
    case DType::BF16:
      as<uint16_t>()[i] = f32ToBf16(float(v));
      break;
    case DType::F8E4M3FN:
      as<uint8_t>()[i] = f32ToF8e4m3fn(float(v));
      break;
    case DType::I64:
      as<int64_t>()[i] = int64_t(v);
      break;
    case DType::I32:
      as<int32_t>()[i] = int32_t(v);
      break;
    case DType::I1:
      as<uint8_t>()[i] = v != 0;
      break;
    case DType::U8:
      as<uint8_t>()[i] = uint8_t(v);
      break;
    }
  }
  double get(int64_t i) {
    switch (dtype) {
    case DType::F32:
      return as<float>()[i];
    case DType::F16:
      return f16ToF32(as<uint16_t>()[i]);
    case DType::BF16:
      return bf16ToF32(as<uint16_t>()[i]);
    case DType::F8E4M3FN:
      return f8e4m3fnToF32(as<uint8_t>()[i]);
    case DType::I64:
      return double(as<int64_t>()[i]);
    case DType::I32:
      return as<int32_t>()[i];
    case DType::I1:
    case DType::U8:
      return as<uint8_t>()[i];
    }
    return 0;
  }
  std::vector<double> values() {
    std::vector<double> v(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i)
      v[size_t(i)] = get(i);
    return v;
  }
  std::vector<float> floats() {
    std::vector<float> v(static_cast<size_t>(numel()));
    for (int64_t i = 0; i < numel(); ++i)
      v[size_t(i)] = float(get(i));
    return v;
  }
};

/// Random values (never zero, |x| >= 0.05), rounded to the buffer's dtype;
/// integers in [lo, hi].
Buf randomBuf(DType type, Shape shape, unsigned seed, double lo = -2,
              double hi = 2) {
  Buf b(type, shape);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (int64_t i = 0; i < b.numel(); ++i) {
    double v = dist(rng);
    if (isFloatType(type)) {
      if (std::fabs(v) < 0.05)
        v = v < 0 ? -0.5 : 0.5;
    } else if (type == DType::I1) {
      v = v > (lo + hi) / 2;
    } else {
      v = std::round(v);
    }
    b.set(i, v);
  }
  return b;
}

Buf filled(DType type, Shape shape, std::vector<double> values) {
  Buf b(type, shape);
  for (size_t i = 0; i < values.size() && int64_t(i) < b.numel(); ++i)
    b.set(int64_t(i), values[i]);
  return b;
}

double tolerance(DType t) {
  switch (t) {
  case DType::F16:
    return 2e-3;
  case DType::BF16:
    return 1.5e-2;
  case DType::F8E4M3FN:
    return 1e-1;
  default:
    return 1e-5;
  }
}

std::vector<int64_t> unravel(int64_t flat, const Shape &s) {
  std::vector<int64_t> index(static_cast<size_t>(s.rank));
  for (int d = s.rank - 1; d >= 0; --d) {
    index[size_t(d)] = flat % s[d];
    flat /= s[d];
  }
  return index;
}

int64_t ravel(const std::vector<int64_t> &index, const Shape &s) {
  int64_t flat = 0;
  for (int d = 0; d < s.rank; ++d)
    flat = flat * s[d] + index[size_t(d)];
  return flat;
}

/// The element of `in` that broadcasts to element `flat` of `out`.
int64_t broadcastSource(const Shape &in, const Shape &out, int64_t flat) {
  std::vector<int64_t> index = unravel(flat, out);
  std::vector<int64_t> src(static_cast<size_t>(in.rank));
  for (int d = 0; d < in.rank; ++d)
    src[size_t(d)] = in[d] == 1 ? 0 : index[size_t(out.rank - in.rank + d)];
  return ravel(src, in);
}

#define EXPECT_FAILS_WITH(call, substring)                                     \
  do {                                                                         \
    EXPECT_FALSE(call);                                                        \
    EXPECT_NE(ctx.error.find(substring), std::string::npos) << ctx.error;      \
  } while (0)

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

TEST(KernelsConversions, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = f16ToF32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(f16ToF32(f32ToF16(f))));
      continue;
    }
    ASSERT_EQ(f32ToF16(f), h) << h;
  }
}

TEST(KernelsConversions, F16RoundsToNearestEven) {
  EXPECT_EQ(f32ToF16(1.0f), 0x3c00);
  EXPECT_EQ(f32ToF16(1.0f + 0x1p-11f), 0x3c00);     // tie, even stays
  EXPECT_EQ(f32ToF16(1.0f + 3 * 0x1p-11f), 0x3c02); // tie, odd rounds up
  EXPECT_EQ(f32ToF16(65504.0f), 0x7bff);
  EXPECT_EQ(f32ToF16(65519.0f), 0x7bff);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7c00); // overflow to infinity
  EXPECT_EQ(f32ToF16(-INFINITY), 0xfc00);
  EXPECT_EQ(f32ToF16(0x1p-24f), 0x0001); // smallest subnormal
  EXPECT_EQ(f32ToF16(0x1p-25f), 0x0000); // tie to even (zero)
  EXPECT_EQ(f32ToF16(3 * 0x1p-25f), 0x0002);
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f16ToF32(0x0001), 0x1p-24f);
  EXPECT_EQ(f16ToF32(0x7bff), 65504.0f);
#ifdef __FLT16_MAX__
  // Compare with the compiler's own conversion on random magnitudes.
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-30, 17);
  std::uniform_real_distribution<float> mantissa(1, 2);
  for (int i = 0; i < 20000; ++i) {
    float f = std::ldexp(mantissa(rng), int(exponent(rng))) * (i % 2 ? -1 : 1);
    _Float16 h = static_cast<_Float16>(f);
    uint16_t bits;
    std::memcpy(&bits, &h, 2);
    ASSERT_EQ(f32ToF16(f), bits) << f;
  }
#endif
}

TEST(KernelsConversions, Bf16RoundTripsAndRounding) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = bf16ToF32(uint16_t(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(bf16ToF32(f32ToBf16(f))));
      continue;
    }
    ASSERT_EQ(f32ToBf16(f), h) << h;
  }
  EXPECT_EQ(f32ToBf16(1.0f + 0x1p-8f), 0x3f80);     // tie, even stays
  EXPECT_EQ(f32ToBf16(1.0f + 3 * 0x1p-8f), 0x3f82); // tie, odd rounds up
  EXPECT_EQ(f32ToBf16(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::max()), 0x7f80);
}

TEST(KernelsConversions, F8E4M3FNRoundsAndSaturates) {
  // Every finite code round-trips.
  std::vector<float> finite;
  for (int v = 0; v < 256; ++v) {
    float f = f8e4m3fnToF32(uint8_t(v));
    if ((v & 0x7f) == 0x7f) {
      EXPECT_TRUE(std::isnan(f)) << v;
      continue;
    }
    EXPECT_EQ(f32ToF8e4m3fn(f), v == 0x80 ? 0x80 : v) << v;
    finite.push_back(f);
  }
  EXPECT_EQ(f8e4m3fnToF32(0x7e), 448.0f);
  EXPECT_EQ(f8e4m3fnToF32(0x01), 0x1p-9f);
  EXPECT_EQ(f32ToF8e4m3fn(448.0f), 0x7e);
  EXPECT_EQ(f32ToF8e4m3fn(1000.0f), 0x7e);
  EXPECT_EQ(f32ToF8e4m3fn(INFINITY), 0x7e);
  EXPECT_EQ(f32ToF8e4m3fn(-INFINITY), 0xfe);
  EXPECT_EQ(f32ToF8e4m3fn(NAN) & 0x7f, 0x7f);
  EXPECT_EQ(f32ToF8e4m3fn(17.0f), 0x58); // tie between 16 and 18 -> 16
  EXPECT_EQ(f32ToF8e4m3fn(0x1p-10f), 0x00);
  EXPECT_EQ(f32ToF8e4m3fn(3 * 0x1p-10f), 0x02);
  // Random values go to the nearest code (ties to the even mantissa).
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-460, 460);
  for (int i = 0; i < 5000; ++i) {
    float x = dist(rng) * (i % 3 ? 1.0f : 0.01f);
    float got = f8e4m3fnToF32(f32ToF8e4m3fn(x));
    float best = finite[0];
    for (float c : finite)
      if (std::fabs(c - x) < std::fabs(best - x))
        best = c;
    ASSERT_EQ(std::fabs(got - x), std::fabs(best - x)) << x;
  }
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

double unaryReference(UnaryOp op, double x) {
  switch (op) {
  case UnaryOp::Neg:
    return -x;
  case UnaryOp::Abs:
    return std::fabs(x);
  case UnaryOp::Relu:
    return std::max(x, 0.0);
  case UnaryOp::Sqrt:
    return std::sqrt(x);
  case UnaryOp::Rsqrt:
    return 1 / std::sqrt(x);
  case UnaryOp::Reciprocal:
    return 1 / x;
  case UnaryOp::Exp:
    return std::exp(x);
  case UnaryOp::Log:
    return std::log(x);
  case UnaryOp::Erf:
    return std::erf(x);
  case UnaryOp::Tanh:
    return std::tanh(x);
  case UnaryOp::Sin:
    return std::sin(x);
  case UnaryOp::Cos:
    return std::cos(x);
  case UnaryOp::Sigmoid:
    return 1 / (1 + std::exp(-x));
  case UnaryOp::Silu:
    return x / (1 + std::exp(-x));
  case UnaryOp::Gelu:
    return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0)));
  case UnaryOp::GeluTanh:
    return 0.5 * x *
           (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
  case UnaryOp::Not:
    return x == 0;
  case UnaryOp::Floor:
    return std::floor(x);
  case UnaryOp::Ceil:
    return std::ceil(x);
  case UnaryOp::Round:
    return std::nearbyint(x);
  }
  return 0;
}

TEST(KernelsUnary, FloatOpsMatchDoubleReference) {
  Context ctx = serialContext();
  const UnaryOp ops[] = {
      UnaryOp::Neg,     UnaryOp::Abs,        UnaryOp::Relu, UnaryOp::Sqrt,
      UnaryOp::Rsqrt,   UnaryOp::Reciprocal, UnaryOp::Exp,  UnaryOp::Log,
      UnaryOp::Erf,     UnaryOp::Tanh,       UnaryOp::Sin,  UnaryOp::Cos,
      UnaryOp::Sigmoid, UnaryOp::Silu,       UnaryOp::Gelu, UnaryOp::GeluTanh,
      UnaryOp::Floor,   UnaryOp::Ceil,       UnaryOp::Round};
  for (DType type : {DType::F32, DType::F16, DType::BF16}) {
    for (UnaryOp op : ops) {
      bool positive =
          op == UnaryOp::Sqrt || op == UnaryOp::Rsqrt || op == UnaryOp::Log;
      Buf x = randomBuf(type, {3, 7, 45}, unsigned(op) + 10,
                        positive ? 0.1 : -3, 3);
      Buf y(type, x.shape);
      Tensor xt = x.t(), yt = y.t();
      ASSERT_TRUE(unary(ctx, op, xt, yt)) << ctx.error;
      std::vector<double> want;
      for (double v : x.values())
        want.push_back(unaryReference(op, v));
      EXPECT_LE(relativeL2(y.floats(), want), tolerance(type))
          << unaryOpName(op) << " " << dtypeName(type);
    }
  }
}

/// Floor, Ceil and Round at the halves and near them, negative zero and
/// values past 2^23 (already integers): exact, ties to even.
TEST(KernelsUnary, RoundingExact) {
  Context ctx = serialContext();
  const float xs[] = {-2.5f, -1.5f,  -0.5f, 0.5f,       1.5f,   2.5f,
                      2.49f, -2.51f, -0.0f, 8388609.0f, -1e30f, 0.75f};
  const float floors[] = {-3, -2, -1,    0,       1,      2,
                          2,  -3, -0.0f, 8388609, -1e30f, 0};
  const float ceils[] = {-2, -1, -0.0f, 1,       2,      3,
                         3,  -2, -0.0f, 8388609, -1e30f, 1};
  const float rounds[] = {-2, -2, -0.0f, 0,       2,      2,
                          2,  -3, -0.0f, 8388609, -1e30f, 1};
  Buf x(DType::F32, Shape{12}), y(DType::F32, Shape{12});
  for (int i = 0; i < 12; ++i)
    x.as<float>()[i] = xs[i];
  Tensor xt = x.t(), yt = y.t();
  for (auto [op, want] :
       {std::pair{UnaryOp::Floor, floors}, std::pair{UnaryOp::Ceil, ceils},
        std::pair{UnaryOp::Round, rounds}}) {
    ASSERT_TRUE(unary(ctx, op, xt, yt)) << ctx.error;
    for (int i = 0; i < 12; ++i) {
      EXPECT_EQ(y.as<float>()[i], want[i]) << unaryOpName(op) << " " << xs[i];
      EXPECT_EQ(std::signbit(y.as<float>()[i]), std::signbit(want[i]))
          << unaryOpName(op) << " " << xs[i];
    }
  }
}

TEST(KernelsUnary, Threaded) {
  Context ctx = threadedContext();
  for (UnaryOp op : {UnaryOp::Exp, UnaryOp::Neg}) {
    Buf x = randomBuf(DType::F32, {5, 7000}, 3);
    Buf y(DType::F32, x.shape);
    Tensor xt = x.t(), yt = y.t();
    ASSERT_TRUE(unary(ctx, op, xt, yt)) << ctx.error;
    std::vector<double> want;
    for (double v : x.values())
      want.push_back(unaryReference(op, v));
    EXPECT_LE(relativeL2(y.floats(), want), 1e-6) << unaryOpName(op);
  }
}

TEST(KernelsUnary, IntegerAndBoolOps) {
  Context ctx = serialContext();
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  Buf x(DType::I64, {4});
  int64_t in[] = {-5, 7, 0, min64};
  std::memcpy(x.as<int64_t>(), in, sizeof in);
  Buf y(DType::I64, {4});
  Tensor xt = x.t(), yt = y.t();
  ASSERT_TRUE(unary(ctx, UnaryOp::Neg, xt, yt));
  EXPECT_EQ(y.as<int64_t>()[0], 5);
  EXPECT_EQ(y.as<int64_t>()[3], min64); // wraps, no UB
  ASSERT_TRUE(unary(ctx, UnaryOp::Abs, xt, yt));
  EXPECT_EQ(y.as<int64_t>()[0], 5);
  ASSERT_TRUE(unary(ctx, UnaryOp::Relu, xt, yt));
  EXPECT_EQ(y.as<int64_t>()[0], 0);
  EXPECT_EQ(y.as<int64_t>()[1], 7);

  Buf xi = filled(DType::I32, {3}, {-3, 4, 0});
  Buf yi(DType::I32, {3});
  Tensor xit = xi.t(), yit = yi.t();
  ASSERT_TRUE(unary(ctx, UnaryOp::Abs, xit, yit));
  EXPECT_EQ(yi.values(), (std::vector<double>{3, 4, 0}));

  Buf b = filled(DType::I1, {3}, {1, 0, 1});
  Buf nb(DType::I1, {3});
  Tensor bt = b.t(), nbt = nb.t();
  ASSERT_TRUE(unary(ctx, UnaryOp::Not, bt, nbt));
  EXPECT_EQ(nb.values(), (std::vector<double>{0, 1, 0}));

  EXPECT_FAILS_WITH(unary(ctx, UnaryOp::Exp, xt, yt), "needs a float");
  EXPECT_FAILS_WITH(unary(ctx, UnaryOp::Not, xt, yt), "needs i1");
  Buf wrong(DType::F32, {4});
  Tensor wt = wrong.t();
  EXPECT_FAILS_WITH(unary(ctx, UnaryOp::Neg, xt, wt), "out has dtype f32");
}

//===----------------------------------------------------------------------===//
// Binary and where
//===----------------------------------------------------------------------===//

double binaryReference(BinaryOp op, double a, double b) {
  switch (op) {
  case BinaryOp::Add:
    return a + b;
  case BinaryOp::Sub:
    return a - b;
  case BinaryOp::Mul:
    return a * b;
  case BinaryOp::Div:
    return a / b;
  case BinaryOp::Pow:
    return std::pow(a, b);
  case BinaryOp::Max:
    return std::max(a, b);
  case BinaryOp::Min:
    return std::min(a, b);
  case BinaryOp::Mod:
    return a - b * std::floor(a / b);
  case BinaryOp::FMod:
    return std::fmod(a, b);
  case BinaryOp::Equal:
    return a == b;
  case BinaryOp::NotEqual:
    return a != b;
  case BinaryOp::Less:
    return a < b;
  case BinaryOp::LessEqual:
    return a <= b;
  case BinaryOp::Greater:
    return a > b;
  case BinaryOp::GreaterEqual:
    return a >= b;
  case BinaryOp::And:
    return a && b;
  case BinaryOp::Or:
    return a || b;
  case BinaryOp::Xor:
    return (a != 0) != (b != 0);
  }
  return 0;
}

struct ShapePair {
  Shape a, b, out;
};

const ShapePair kBroadcastCases[] = {
    {{4, 6, 33}, {4, 6, 33}, {4, 6, 33}}, // same shape
    {{4, 6, 33}, {}, {4, 6, 33}},         // b scalar (rank 0)
    {{1}, {5, 9}, {5, 9}},                // a scalar
    {{4, 6, 33}, {33}, {4, 6, 33}},       // row vector
    {{4, 6, 33}, {6, 1}, {4, 6, 33}},     // column
    {{4, 1, 33}, {3, 1}, {4, 3, 33}},     // both broadcast
    {{2, 1, 3, 1, 5}, {4, 1, 6, 1}, {2, 4, 3, 6, 5}},
};

void checkBinary(Context &ctx, BinaryOp op, DType type, const ShapePair &c,
                 unsigned seed) {
  bool positive = op == BinaryOp::Pow;
  Buf a = randomBuf(type, c.a, seed, positive ? 0.5 : -3, 3);
  Buf b = randomBuf(type, c.b, seed + 1, positive ? -2 : -3, 3);
  bool compare = op >= BinaryOp::Equal && op <= BinaryOp::GreaterEqual;
  if (compare) // some equal pairs
    for (int64_t i = 0; i < a.numel(); i += 3)
      a.set(i, b.get(broadcastSource(c.b, c.a, i) % b.numel()));
  DType outType = compare ? DType::I1 : type;
  Buf out(outType, c.out);
  Tensor at = a.t(), bt = b.t(), ot = out.t();
  ASSERT_TRUE(binary(ctx, op, at, bt, ot)) << ctx.error;
  std::vector<double> want(static_cast<size_t>(out.numel()));
  for (int64_t i = 0; i < out.numel(); ++i)
    want[size_t(i)] = binaryReference(op, a.get(broadcastSource(c.a, c.out, i)),
                                      b.get(broadcastSource(c.b, c.out, i)));
  if (compare) {
    EXPECT_EQ(out.values(), want) << binaryOpName(op);
    return;
  }
  EXPECT_LE(relativeL2(out.floats(), want), tolerance(type))
      << binaryOpName(op) << " " << dtypeName(type) << " " << c.a.str() << " "
      << c.b.str();
}

TEST(KernelsBinary, FloatArithmeticWithBroadcasting) {
  Context ctx = serialContext();
  unsigned seed = 1;
  for (BinaryOp op : {BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul,
                      BinaryOp::Div, BinaryOp::Pow, BinaryOp::Max,
                      BinaryOp::Min, BinaryOp::Mod, BinaryOp::FMod})
    for (const ShapePair &c : kBroadcastCases)
      checkBinary(ctx, op, DType::F32, c, seed++);
  for (DType type : {DType::F16, DType::BF16})
    for (const ShapePair &c : kBroadcastCases)
      checkBinary(ctx, BinaryOp::Mul, type, c, seed++);
}

TEST(KernelsBinary, ComparisonsAndLogic) {
  Context ctx = serialContext();
  unsigned seed = 100;
  for (BinaryOp op :
       {BinaryOp::Equal, BinaryOp::NotEqual, BinaryOp::Less,
        BinaryOp::LessEqual, BinaryOp::Greater, BinaryOp::GreaterEqual})
    for (DType type : {DType::F32, DType::BF16, DType::I64, DType::I32})
      checkBinary(ctx, op, type, kBroadcastCases[5], seed++);
  for (BinaryOp op : {BinaryOp::And, BinaryOp::Or, BinaryOp::Xor}) {
    Buf a = randomBuf(DType::I1, {4, 1, 7}, seed++);
    Buf b = randomBuf(DType::I1, {3, 1}, seed++);
    Buf out(DType::I1, {4, 3, 7});
    Tensor at = a.t(), bt = b.t(), ot = out.t();
    ASSERT_TRUE(binary(ctx, op, at, bt, ot)) << ctx.error;
    for (int64_t i = 0; i < out.numel(); ++i)
      ASSERT_EQ(out.get(i),
                binaryReference(op,
                                a.get(broadcastSource(a.shape, out.shape, i)),
                                b.get(broadcastSource(b.shape, out.shape, i))));
  }
}

TEST(KernelsBinary, IntegerArithmetic) {
  Context ctx = serialContext();
  for (DType type : {DType::I64, DType::I32}) {
    Buf a = filled(type, {6}, {7, -7, 7, -7, 2, -3});
    Buf b = filled(type, {6}, {2, 2, -2, -2, 10, 3});
    Buf out(type, {6});
    Tensor at = a.t(), bt = b.t(), ot = out.t();
    ASSERT_TRUE(binary(ctx, BinaryOp::Div, at, bt, ot)) << ctx.error;
    EXPECT_EQ(out.values(), (std::vector<double>{3, -3, -3, 3, 0, -1}));
    ASSERT_TRUE(binary(ctx, BinaryOp::Pow, at, bt, ot)) << ctx.error;
    EXPECT_EQ(out.values(), (std::vector<double>{49, 49, 0, 0, 1024, -27}));
    ASSERT_TRUE(binary(ctx, BinaryOp::Sub, at, bt, ot));
    EXPECT_EQ(out.values(), (std::vector<double>{5, -9, 9, -5, -8, -6}));
    ASSERT_TRUE(binary(ctx, BinaryOp::Max, at, bt, ot));
    EXPECT_EQ(out.values(), (std::vector<double>{7, 2, 7, -2, 10, 3}));
    // Floored: the divisor's sign; truncated: the dividend's.
    ASSERT_TRUE(binary(ctx, BinaryOp::Mod, at, bt, ot)) << ctx.error;
    EXPECT_EQ(out.values(), (std::vector<double>{1, 1, -1, -1, 2, 0}));
    ASSERT_TRUE(binary(ctx, BinaryOp::FMod, at, bt, ot)) << ctx.error;
    EXPECT_EQ(out.values(), (std::vector<double>{1, -1, 1, -1, 2, 0}));
    for (BinaryOp op : {BinaryOp::Add, BinaryOp::Mul, BinaryOp::Min})
      for (const ShapePair &c : kBroadcastCases)
        checkBinary(ctx, op, type, c, 7);
  }
  // Wrapping instead of UB: MIN / -1 and MAX + 1.
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  Buf a(DType::I64, {2}), b(DType::I64, {2}), out(DType::I64, {2});
  a.as<int64_t>()[0] = min64;
  a.as<int64_t>()[1] = std::numeric_limits<int64_t>::max();
  b.as<int64_t>()[0] = -1;
  b.as<int64_t>()[1] = 1;
  Tensor at = a.t(), bt = b.t(), ot = out.t();
  ASSERT_TRUE(binary(ctx, BinaryOp::Div, at, bt, ot));
  EXPECT_EQ(out.as<int64_t>()[0], min64);
  ASSERT_TRUE(binary(ctx, BinaryOp::Add, at, bt, ot));
  EXPECT_EQ(out.as<int64_t>()[1], min64);
  // MIN mod -1 is 0, not a trap.
  ASSERT_TRUE(binary(ctx, BinaryOp::Mod, at, bt, ot));
  EXPECT_EQ(out.as<int64_t>()[0], 0);
  ASSERT_TRUE(binary(ctx, BinaryOp::FMod, at, bt, ot));
  EXPECT_EQ(out.as<int64_t>()[0], 0);
}

TEST(KernelsBinary, Errors) {
  Context ctx = serialContext();
  Buf a = randomBuf(DType::F32, {2, 3}, 1), b = randomBuf(DType::F32, {4}, 2);
  Buf out(DType::F32, {2, 3});
  Tensor at = a.t(), bt = b.t(), ot = out.t();
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Add, at, bt, ot), "do not broadcast");
  EXPECT_NE(ctx.error.find("add:"), std::string::npos);

  Buf c = randomBuf(DType::F32, {3}, 3);
  Buf wrong(DType::F32, {3, 3});
  Tensor ct = c.t(), wt = wrong.t();
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Add, at, ct, wt),
                    "out has shape [3, 3], expected [2, 3]");

  Buf i = filled(DType::I64, {2, 2}, {1, 2, 3, 4});
  Buf z = filled(DType::I64, {2}, {5, 0});
  Buf io(DType::I64, {2, 2});
  Tensor it = i.t(), zt = z.t(), iot = io.t();
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Div, it, zt, iot),
                    "integer division by zero");
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Mod, it, zt, iot),
                    "mod: integer division by zero (i64 divisor at flat "
                    "index 1)");

  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Add, at, it, ot),
                    "operand dtypes differ");
  Buf bools = filled(DType::I1, {2}, {1, 0});
  Buf boolOut(DType::I1, {2});
  Tensor bt1 = bools.t(), bot = boolOut.t();
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::Add, bt1, bt1, bot),
                    "does not support i1");
  Buf boolOut2(DType::I1, {2, 2});
  Tensor bo2t = boolOut2.t();
  EXPECT_FAILS_WITH(binary(ctx, BinaryOp::And, it, it, bo2t),
                    "and: does not support i64");
  Shape s;
  EXPECT_FAILS_WITH(broadcastShape(ctx, {2, 3}, {2}, s), "do not broadcast");
  ASSERT_TRUE(broadcastShape(ctx, {2, 1, 3}, {4, 1}, s));
  EXPECT_EQ(s, (Shape{2, 4, 3}));
}

TEST(KernelsBinary, ThreadedLargeShapes) {
  Context ctx = threadedContext();
  checkBinary(ctx, BinaryOp::Add, DType::F32, {{64, 1024}, {1024}, {64, 1024}},
              5);
  checkBinary(ctx, BinaryOp::Mul, DType::F32, {{70000}, {70000}, {70000}}, 6);
  checkBinary(ctx, BinaryOp::Sub, DType::BF16, {{3, 40000}, {}, {3, 40000}}, 7);
  // Same-shape narrow operands go block by block (several blocks per
  // thread, and a partial last one).
  for (DType type : {DType::BF16, DType::F16, DType::F8E4M3FN})
    for (BinaryOp op : {BinaryOp::Add, BinaryOp::Div, BinaryOp::Max})
      checkBinary(ctx, op, type, {{5, 30011}, {5, 30011}, {5, 30011}}, 8);
}

TEST(KernelsWhere, BroadcastsAllThree) {
  for (bool threaded : {false, true}) {
    Context ctx = threaded ? threadedContext() : serialContext();
    int64_t n = threaded ? 9000 : 7;
    for (DType type : {DType::F32, DType::I64, DType::F16, DType::I1}) {
      Buf c = randomBuf(DType::I1, {4, 1, n}, 1);
      Buf a = randomBuf(type, {3, 1}, 2);
      Buf b = randomBuf(type, {n}, 3);
      Buf out(type, {4, 3, n});
      Tensor ct = c.t(), at = a.t(), bt = b.t(), ot = out.t();
      ASSERT_TRUE(where(ctx, ct, at, bt, ot)) << ctx.error;
      for (int64_t i = 0; i < out.numel(); ++i) {
        double want = c.get(broadcastSource(c.shape, out.shape, i))
                          ? a.get(broadcastSource(a.shape, out.shape, i))
                          : b.get(broadcastSource(b.shape, out.shape, i));
        ASSERT_EQ(out.get(i), want) << i;
      }
    }
  }
  Context ctx = serialContext();
  Buf c = randomBuf(DType::F32, {2}, 1), a = randomBuf(DType::F32, {2}, 2);
  Buf out(DType::F32, {2});
  Tensor ct = c.t(), at = a.t(), ot = out.t();
  EXPECT_FAILS_WITH(where(ctx, ct, at, at, ot), "condition must be i1");
}

//===----------------------------------------------------------------------===//
// The fused_elementwise driver
//===----------------------------------------------------------------------===//

/// What the emitter writes for `r0 = c ? a * b : -a; r1 = a * b > 0`, over
/// compute types (floats as f32, i1 as bytes).
void selectProduct(const void *const *in, void *const *out, int64_t n,
                   int *error) {
  (void)error;
  auto *a = static_cast<const float *>(in[0]);
  auto *b = static_cast<const float *>(in[1]);
  auto *c = static_cast<const uint8_t *>(in[2]);
  auto *r0 = static_cast<float *>(out[0]);
  auto *r1 = static_cast<uint8_t *>(out[1]);
  for (int64_t i = 0; i < n; ++i) {
    float p = a[i] * b[i];
    r0[i] = c[i] ? p : -a[i];
    r1[i] = p > 0.0f;
  }
}

void divideInts(const void *const *in, void *const *out, int64_t n,
                int *error) {
  auto *a = static_cast<const int64_t *>(in[0]);
  auto *b = static_cast<const int64_t *>(in[1]);
  auto *r = static_cast<int64_t *>(out[0]);
  for (int64_t i = 0; i < n; ++i)
    r[i] = b[i] == 0 ? (*error = 1, 0) : a[i] / b[i];
}

TEST(KernelsFusedElementwise, StagesBroadcastsAndConverts) {
  for (bool threaded : {false, true}) {
    Context ctx = threaded ? threadedContext() : serialContext();
    int64_t n = threaded ? 9001 : 7; // rows longer than a block, and short
    // bf16 and f32 inputs in, f16 and i1 out: every staging path.
    Buf a = randomBuf(DType::BF16, {3, 1, n}, 1);
    Buf b = randomBuf(DType::F32, {4, 1}, 2);
    Buf c = randomBuf(DType::I1, {n}, 3);
    Buf r0(DType::F16, {3, 4, n}), r1(DType::I1, {3, 4, n});
    Tensor in[] = {a.t(), b.t(), c.t()};
    Tensor out[] = {r0.t(), r1.t()};
    ASSERT_TRUE(fusedElementwise(ctx, "fused", in, 3, out, 2, selectProduct))
        << ctx.error;
    for (int64_t i = 0; i < r0.numel(); ++i) {
      float x = float(a.get(broadcastSource(a.shape, r0.shape, i)));
      float y = float(b.get(broadcastSource(b.shape, r0.shape, i)));
      bool keep = c.get(broadcastSource(c.shape, r0.shape, i)) != 0;
      float want = keep ? x * y : -x;
      ASSERT_EQ(r0.get(i), f16ToF32(f32ToF16(want))) << i;
      ASSERT_EQ(r1.get(i), x * y > 0.0f ? 1.0 : 0.0) << i;
    }
  }
}

TEST(KernelsFusedElementwise, Errors) {
  Context ctx = serialContext();
  Buf a(DType::I64, {4}), b(DType::I64, {4}), r(DType::I64, {4});
  for (int64_t i = 0; i < 4; ++i) {
    a.set(i, 10 + i);
    b.set(i, i == 2 ? 0 : 3);
  }
  Tensor in[] = {a.t(), b.t()};
  Tensor out[] = {r.t()};
  EXPECT_FAILS_WITH(fusedElementwise(ctx, "fused", in, 2, out, 1, divideInts),
                    "fused: integer division by zero");
  Buf wrong(DType::I64, {5});
  Tensor bad[] = {wrong.t()};
  EXPECT_FAILS_WITH(fusedElementwise(ctx, "fused", in, 2, bad, 1, divideInts),
                    "result has shape [5], expected [4]");
  Buf other(DType::I64, {3});
  Tensor mismatched[] = {a.t(), other.t()};
  EXPECT_FAILS_WITH(
      fusedElementwise(ctx, "fused", mismatched, 2, out, 1, divideInts),
      "fused: shapes [4] and [3]");
  EXPECT_FAILS_WITH(fusedElementwise(ctx, "fused", in, 0, out, 1, divideInts),
                    "1 to 16 operands");
}

//===----------------------------------------------------------------------===//
// Cast and copy
//===----------------------------------------------------------------------===//

TEST(KernelsCast, FollowsTheCastRules) {
  Context ctx = serialContext();
  const float inf = INFINITY;
  Buf x(DType::F32, {8});
  float in[] = {2.7f, -2.7f, 0.0f, NAN, inf, -inf, 3e10f, -0.4f};
  std::memcpy(x.as<float>(), in, sizeof in);
  Tensor xt = x.t();

  Buf i64(DType::I64, {8});
  Tensor i64t = i64.t();
  ASSERT_TRUE(cast(ctx, xt, i64t)) << ctx.error;
  const int64_t max64 = std::numeric_limits<int64_t>::max();
  std::vector<int64_t> want64 = {
      2, -2, 0, 0, max64, std::numeric_limits<int64_t>::min(), 30000001024, 0};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(i64.as<int64_t>()[i], want64[size_t(i)]) << i;

  Buf i32(DType::I32, {8});
  Tensor i32t = i32.t();
  ASSERT_TRUE(cast(ctx, xt, i32t));
  EXPECT_EQ(i32.as<int32_t>()[0], 2);
  EXPECT_EQ(i32.as<int32_t>()[4], std::numeric_limits<int32_t>::max());
  EXPECT_EQ(i32.as<int32_t>()[5], std::numeric_limits<int32_t>::min());
  EXPECT_EQ(i32.as<int32_t>()[6], std::numeric_limits<int32_t>::max());

  Buf b(DType::I1, {8});
  Tensor bt = b.t();
  ASSERT_TRUE(cast(ctx, xt, bt));
  EXPECT_EQ(b.values(), (std::vector<double>{1, 1, 0, 1, 1, 1, 1, 1}));
  Buf back(DType::F32, {8});
  Tensor backt = back.t();
  ASSERT_TRUE(cast(ctx, bt, backt));
  EXPECT_EQ(back.values(), b.values());

  for (DType to : {DType::F16, DType::BF16, DType::F8E4M3FN}) {
    Buf r = randomBuf(DType::F32, {100}, 9, -500, 500);
    Buf y(to, {100});
    Tensor rt = r.t(), yt = y.t();
    ASSERT_TRUE(cast(ctx, rt, yt));
    Buf reference(to, {100});
    for (int64_t i = 0; i < 100; ++i)
      reference.set(i, r.get(i)); // the scalar conversions
    EXPECT_EQ(y.values(), reference.values()) << dtypeName(to);
    Buf again(DType::F32, {100});
    Tensor againt = again.t();
    ASSERT_TRUE(cast(ctx, yt, againt));
    EXPECT_EQ(again.values(), y.values());
  }

  Buf big = filled(DType::I64, {3}, {5000000000.0, -1, 16777217});
  Buf narrow(DType::I32, {3}), wide(DType::F32, {3});
  Tensor bigt = big.t(), narrowt = narrow.t(), widet = wide.t();
  ASSERT_TRUE(cast(ctx, bigt, narrowt));
  EXPECT_EQ(narrow.as<int32_t>()[0], int32_t(5000000000 - 4294967296));
  EXPECT_EQ(narrow.as<int32_t>()[1], -1);
  ASSERT_TRUE(cast(ctx, bigt, widet));
  EXPECT_EQ(wide.as<float>()[2], 16777216.0f);

  Buf shapeWrong(DType::I32, {4});
  Tensor swt = shapeWrong.t();
  EXPECT_FAILS_WITH(cast(ctx, xt, swt), "out has shape [4], expected [8]");
}

TEST(KernelsCopy, CopiesBytes) {
  Context ctx = serialContext();
  Buf x = randomBuf(DType::BF16, {2, 6}, 4);
  Buf y(DType::BF16, {3, 4});
  Tensor xt = x.t(), yt = y.t();
  ASSERT_TRUE(copy(ctx, xt, yt));
  EXPECT_EQ(x.values(), y.values());
  Buf z(DType::BF16, {5});
  Tensor zt = z.t();
  EXPECT_FAILS_WITH(copy(ctx, xt, zt), "copy:");
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

struct MatmulCase {
  Shape lhs, rhs;
  bool ta, tb;
};

void checkMatmul(Context &ctx, DType type, const MatmulCase &c, unsigned seed) {
  Shape shape;
  ASSERT_TRUE(matmulShape(ctx, c.lhs, c.rhs, c.ta, c.tb, shape)) << ctx.error;
  Buf a = randomBuf(type, c.lhs, seed, -3, 3);
  Buf b = randomBuf(type, c.rhs, seed + 1, -3, 3);
  Buf out(type, shape);
  Tensor at = a.t(), bt = b.t(), ot = out.t();
  ASSERT_TRUE(matmul(ctx, at, bt, c.ta, c.tb, ot)) << ctx.error;
  int lr = c.lhs.rank, rr = c.rhs.rank, r = shape.rank;
  int64_t M = shape[r - 2], N = shape[r - 1];
  int64_t K = c.ta ? c.lhs[lr - 2] : c.lhs[lr - 1];
  Shape batch = shape, lhsBatch = c.lhs, rhsBatch = c.rhs;
  batch.rank -= 2;
  lhsBatch.rank -= 2;
  rhsBatch.rank -= 2;
  std::vector<double> want(static_cast<size_t>(out.numel()));
  for (int64_t p = 0; p < batch.numel(); ++p) {
    int64_t la =
        broadcastSource(lhsBatch, batch, p) * c.lhs[lr - 2] * c.lhs[lr - 1];
    int64_t rb =
        broadcastSource(rhsBatch, batch, p) * c.rhs[rr - 2] * c.rhs[rr - 1];
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        double sum = 0;
        for (int64_t k = 0; k < K; ++k)
          sum += a.get(la + (c.ta ? k * M + i : i * K + k)) *
                 b.get(rb + (c.tb ? j * K + k : k * N + j));
        want[size_t((p * M + i) * N + j)] = sum;
      }
  }
  if (type == DType::I64 || type == DType::I32)
    EXPECT_EQ(out.values(), want);
  else
    EXPECT_LE(relativeL2(out.floats(), want), tolerance(type))
        << c.lhs.str() << " x " << c.rhs.str() << " " << dtypeName(type);
}

const MatmulCase kMatmulCases[] = {
    {{5, 7}, {7, 3}, false, false},
    {{2, 3, 5, 7}, {3, 7, 4}, false, false}, // batch broadcast
    {{2, 1, 7, 5}, {4, 6, 7}, true, true},
    {{3, 6, 9}, {9, 5}, false, false}, // folded into one GEMM
    {{3, 9, 6}, {5, 9}, true, true},
    {{2, 17, 40}, {2, 33, 40}, false, true},
    {{1, 3, 64}, {96, 64}, false, true}, // skinny rows
    {{4, 0}, {0, 3}, false, false},      // K = 0
};

TEST(KernelsMatmul, MatchesDoubleReference) {
  Context ctx = serialContext();
  unsigned seed = 1;
  for (const MatmulCase &c : kMatmulCases)
    checkMatmul(ctx, DType::F32, c, seed++);
  for (DType type : {DType::F16, DType::BF16, DType::I64, DType::I32})
    for (int i : {1, 2, 5})
      checkMatmul(ctx, type, kMatmulCases[i], seed++);
}

TEST(KernelsMatmul, Threaded) {
  Context ctx = threadedContext();
  checkMatmul(ctx, DType::F32, {{3, 64, 70}, {70, 80}, false, false}, 1);
  checkMatmul(ctx, DType::F32, {{8, 40, 32}, {8, 40, 64}, true, false}, 2);
  checkMatmul(ctx, DType::F32, {{2, 130, 64}, {2, 64, 200}, false, false}, 3);
  checkMatmul(ctx, DType::I64, {{5, 9, 8}, {8, 7}, false, false}, 4);
}

TEST(KernelsMatmul, Errors) {
  Context ctx = serialContext();
  Shape s;
  EXPECT_FAILS_WITH(matmulShape(ctx, {2, 3}, {4, 5}, false, false, s),
                    "contraction dimensions differ");
  EXPECT_FAILS_WITH(matmulShape(ctx, {2, 2, 3}, {3, 3, 5}, false, false, s),
                    "do not broadcast");
  EXPECT_FAILS_WITH(matmulShape(ctx, {3}, {3, 5}, false, false, s),
                    "rank 2 or more");
  Buf a = randomBuf(DType::F32, {2, 3}, 1),
      b = randomBuf(DType::F32, {3, 4}, 2);
  Buf out(DType::F32, {2, 5});
  Tensor at = a.t(), bt = b.t(), ot = out.t();
  EXPECT_FAILS_WITH(matmul(ctx, at, bt, false, false, ot),
                    "out has shape [2, 5], expected [2, 4]");
}

/// kestrel.multi_matmul on the CPU: `widths` weights side by side, packed
/// once, against a double reference of each product and the epilogue.
void checkMultiMatmul(Context &ctx, std::vector<int64_t> widths, int64_t rows,
                      int64_t K, bool transposeB, bool withBias, Activation act,
                      bool glu, unsigned seed) {
  Buf x = randomBuf(DType::F32, {rows, K}, seed);
  std::vector<Buf> w, b;
  std::vector<Tensor> weights;
  std::vector<const Tensor *> biases;
  for (int64_t n : widths) {
    w.push_back(randomBuf(DType::F32, transposeB ? Shape{n, K} : Shape{K, n},
                          ++seed, -0.5, 0.5));
    b.push_back(randomBuf(DType::F32, {n}, ++seed));
  }
  for (size_t i = 0; i < w.size(); ++i) {
    weights.push_back(w[i].t());
    biases.push_back(nullptr);
  }
  std::vector<Tensor> biasTensors;
  for (Buf &bias : b)
    biasTensors.push_back(bias.t());
  for (size_t i = 0; i < b.size(); ++i)
    biases[i] = &biasTensors[i];
  int n = int(widths.size());
  int64_t floats = packedMatmulPartsFloats(ctx, weights.data(), n, transposeB);
  ASSERT_GT(floats, 0) << ctx.error;
  std::vector<float> packedData(static_cast<size_t>(floats));
  PackedMatrix packed;
  ASSERT_TRUE(packMatmulParts(ctx, weights.data(), n, transposeB,
                              packedData.data(), packed))
      << ctx.error;
  std::vector<Buf> outs;
  std::vector<Tensor> outTensors;
  for (int i = 0; i < (glu ? 1 : n); ++i)
    outs.emplace_back(DType::F32, Shape{rows, widths[size_t(i)]});
  for (Buf &o : outs)
    outTensors.push_back(o.t());
  MultiEpilogue e;
  e.alpha = 0.75f;
  e.activation = act;
  e.glu = glu;
  e.biases = withBias ? biases.data() : nullptr;
  ASSERT_TRUE(multiMatmulPacked(ctx, x.t(), packed, e, outTensors.data(),
                                int(outTensors.size())))
      << ctx.error;
  auto value = [&](int i, int64_t r, int64_t j) {
    int64_t N = widths[size_t(i)];
    double sum = 0;
    for (int64_t k = 0; k < K; ++k)
      sum += x.get(r * K + k) *
             w[size_t(i)].get(transposeB ? j * K + k : k * N + j);
    sum *= e.alpha;
    if (withBias)
      sum += b[size_t(i)].get(j);
    if (glu && i == 1)
      return sum;
    switch (act) {
    case Activation::Relu:
      return sum > 0 ? sum : 0.0;
    case Activation::Silu:
      return sum / (1 + std::exp(-sum));
    case Activation::Gelu:
      return 0.5 * sum * (1 + std::erf(sum / std::sqrt(2.0)));
    default:
      return sum;
    }
  };
  for (size_t i = 0; i < outs.size(); ++i) {
    std::vector<double> want;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < widths[i]; ++j)
        want.push_back(glu ? value(0, r, j) * value(1, r, j)
                           : value(int(i), r, j));
    EXPECT_LE(relativeL2(outs[i].floats(), want), 1e-5)
        << "output " << i << " of " << rows << " rows, K " << K
        << (glu ? ", glu" : "");
  }
}

TEST(KernelsMultiMatmul, SplitsAndGatesMatchDoubleReference) {
  Context ctx = serialContext();
  // Q/K/V widths of a GQA layer; skinny rows and blocked rows; widths that
  // are not multiples of the 32-column panels.
  checkMultiMatmul(ctx, {64, 16, 16}, 1, 64, false, false, Activation::None,
                   false, 1);
  checkMultiMatmul(ctx, {40, 24, 24}, 37, 50, true, true, Activation::None,
                   false, 2);
  checkMultiMatmul(ctx, {7, 33}, 5, 9, false, true, Activation::Relu, false, 3);
  checkMultiMatmul(ctx, {48, 48}, 20, 64, false, false, Activation::Silu, true,
                   4);
  checkMultiMatmul(ctx, {19, 19}, 3, 31, true, true, Activation::Gelu, true, 5);
  Context threaded = threadedContext();
  checkMultiMatmul(threaded, {96, 32, 32}, 130, 96, false, true,
                   Activation::None, false, 6);
  checkMultiMatmul(threaded, {160, 160}, 70, 64, false, false, Activation::Silu,
                   true, 7);
}

TEST(KernelsMultiMatmul, Errors) {
  Context ctx = serialContext();
  Buf w1 = randomBuf(DType::F32, {8, 4}, 1),
      w2 = randomBuf(DType::F32, {6, 4}, 2);
  Tensor parts[] = {w1.t(), w2.t()};
  EXPECT_EQ(packedMatmulPartsFloats(ctx, parts, 2, false), -1);
  EXPECT_NE(ctx.error.find("has K = 6, weight 0 has K = 8"), std::string::npos)
      << ctx.error;
  std::vector<float> data(
      static_cast<size_t>(packedMatmulPartsFloats(ctx, parts, 1, false)));
  PackedMatrix packed;
  ASSERT_TRUE(packMatmulParts(ctx, parts, 1, false, data.data(), packed));
  Buf x = randomBuf(DType::F32, {3, 8}, 3), o(DType::F32, {3, 5});
  Tensor xt = x.t(), ot = o.t();
  MultiEpilogue e;
  EXPECT_FAILS_WITH(multiMatmulPacked(ctx, xt, packed, e, &ot, 1),
                    "5 columns wide in all, the packed weights 4");
  Buf bad = randomBuf(DType::F32, {3, 7}, 4);
  Tensor bt = bad.t();
  Buf o4(DType::F32, {3, 4});
  Tensor o4t = o4.t();
  EXPECT_FAILS_WITH(multiMatmulPacked(ctx, bt, packed, e, &o4t, 1),
                    "lhs must be a float [..., 8]");
  e.glu = true;
  EXPECT_FAILS_WITH(multiMatmulPacked(ctx, xt, packed, e, &o4t, 1),
                    "columns wide in all");
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

TEST(KernelsSoftmax, AnyAxis) {
  for (DType type : {DType::F32, DType::F16, DType::BF16}) {
    for (int64_t axis : {0, 1, 2}) {
      for (bool log : {false, true}) {
        Context ctx = serialContext();
        Shape shape{3, 5, 17};
        Buf x = randomBuf(type, shape, unsigned(axis + 3 * log), -4, 4);
        Buf y(type, shape);
        Tensor xt = x.t(), yt = y.t();
        ASSERT_TRUE(softmax(ctx, xt, axis, log, yt)) << ctx.error;
        std::vector<double> want(static_cast<size_t>(x.numel()));
        int64_t stride = 1;
        for (int d = int(axis) + 1; d < 3; ++d)
          stride *= shape[d];
        for (int64_t i = 0; i < x.numel(); ++i) {
          std::vector<int64_t> index = unravel(i, shape);
          int64_t base = i - index[size_t(axis)] * stride;
          double mx = -1e300, sum = 0;
          for (int64_t a = 0; a < shape[int(axis)]; ++a)
            mx = std::max(mx, x.get(base + a * stride));
          for (int64_t a = 0; a < shape[int(axis)]; ++a)
            sum += std::exp(x.get(base + a * stride) - mx);
          want[size_t(i)] = log ? x.get(i) - mx - std::log(sum)
                                : std::exp(x.get(i) - mx) / sum;
        }
        EXPECT_LE(relativeL2(y.floats(), want), tolerance(type))
            << dtypeName(type) << " axis " << axis << " log " << log;
      }
    }
  }
  Context ctx = serialContext();
  Buf x = randomBuf(DType::F32, {2, 2}, 1);
  Buf i = randomBuf(DType::I64, {2, 2}, 1);
  Tensor xt = x.t(), it = i.t();
  EXPECT_FAILS_WITH(softmax(ctx, xt, 2, false, xt), "axis 2 is outside");
  EXPECT_FAILS_WITH(softmax(ctx, it, 1, false, it), "needs a float");
}

struct ReduceCase {
  Shape shape;
  std::vector<int64_t> axes;
};

const char *reduceOpName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "sum";
  case ReduceOp::Mean:
    return "mean";
  case ReduceOp::Max:
    return "max";
  case ReduceOp::Min:
    return "min";
  }
  return "?";
}

std::string axesString(const std::vector<int64_t> &axes) {
  std::string text = "{";
  for (size_t i = 0; i < axes.size(); ++i)
    text += (i ? ", " : "") + std::to_string(axes[i]);
  return text + "}";
}

const ReduceCase kReduceCases[] = {
    {{4, 6, 33}, {2}},    {{4, 6, 33}, {0}},       {{4, 6, 33}, {1}},
    {{4, 6, 33}, {0, 2}}, {{4, 6, 33}, {0, 1, 2}}, {{2, 3, 1, 5, 4}, {1, 2, 4}},
    {{7}, {0}},           {{3, 1, 4}, {1}},
};

void checkReduce(Context &ctx, ReduceOp op, DType type, const ReduceCase &c,
                 bool keepDims, unsigned seed, double range = 50) {
  Shape shape;
  ASSERT_TRUE(reduceShape(ctx, c.shape, c.axes.data(), int(c.axes.size()),
                          keepDims, shape))
      << ctx.error;
  Buf x = randomBuf(type, c.shape, seed, -range, range);
  Buf out(type, shape);
  Tensor xt = x.t(), ot = out.t();
  ASSERT_TRUE(
      reduce(ctx, op, xt, c.axes.data(), int(c.axes.size()), keepDims, ot))
      << ctx.error;
  // Map each input element to its output element.
  Shape kept = c.shape;
  for (int64_t a : c.axes)
    kept[int(a)] = 1;
  bool isInt = type == DType::I64 || type == DType::I32;
  std::vector<double> acc(size_t(out.numel()), op == ReduceOp::Max   ? -1e300
                                               : op == ReduceOp::Min ? 1e300
                                                                     : 0);
  int64_t count = c.shape.numel() / kept.numel();
  for (int64_t i = 0; i < x.numel(); ++i) {
    std::vector<int64_t> index = unravel(i, c.shape);
    for (int64_t a : c.axes)
      index[size_t(a)] = 0;
    double &slot = acc[size_t(ravel(index, kept))];
    double v = x.get(i);
    slot = op == ReduceOp::Max   ? std::max(slot, v)
           : op == ReduceOp::Min ? std::min(slot, v)
                                 : slot + v;
  }
  if (op == ReduceOp::Mean)
    for (double &v : acc)
      v = isInt ? std::trunc(v / double(count)) : v / double(count);
  std::string where = std::string(reduceOpName(op)) + " " + dtypeName(type) +
                      " " + c.shape.str() + " axes " + axesString(c.axes);
  if (isInt || type == DType::I1 || op == ReduceOp::Max || op == ReduceOp::Min)
    EXPECT_EQ(out.values(), acc) << where;
  else
    EXPECT_LE(relativeL2(out.floats(), acc), tolerance(type)) << where;
}

/// Every reduction kind x every dtype x inner, outer, middle and all axes x
/// odd lengths, serially and on threads. An int32 row of sixteen or more
/// elements summed in int64 lanes is where GCC 12's 512-bit vectorizer gave
/// wrong sums (Linalg.cpp's reduceRow); this sweep runs in every build of
/// the kernel tests, one per CPU level (test/unit/CMakeLists.txt).
TEST(KernelsReduce, EveryKindDtypeAxesAndLength) {
  // Magnitudes whose sums stay exact in double and inside each type's range.
  auto range = [](DType type) {
    switch (type) {
    case DType::I64:
      return 1e12;
    case DType::I32:
      return 5e4;
    case DType::F16:
      return 4.0;
    case DType::F8E4M3FN:
      return 1.0;
    default:
      return 50.0;
    }
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 1000;
  for (int64_t n : {1, 7, 8, 9, 33, 1000}) {
    const ReduceCase cases[] = {
        {{3, n}, {1}},       {{n, 5}, {0}},    {{2, n, 3}, {1}},
        {{2, n, 3}, {0, 2}}, {{n}, {0}},       {{2, 3, n}, {0, 1, 2}},
        {{4, 3, n}, {2}},    {{n, 3, 4}, {0}},
    };
    for (DType type : {DType::F32, DType::F16, DType::BF16, DType::F8E4M3FN,
                       DType::I64, DType::I32, DType::I1})
      for (ReduceOp op :
           {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min}) {
        if (type == DType::I1 && (op == ReduceOp::Sum || op == ReduceOp::Mean))
          continue; // rejected; see KernelsReduce.Errors
        for (const ReduceCase &c : cases) {
          Context &ctx = c.shape.numel() >= 1000 ? threaded : serial;
          checkReduce(ctx, op, type, c, seed % 2 == 0, seed, range(type));
          ++seed;
        }
      }
  }
}

/// cumsum against a double (integer: exact) reference: every numeric dtype
/// x first, middle and last axis x exclusive and reverse x odd lengths,
/// serially and on threads.
TEST(KernelsCumSum, EveryDtypeAxisAndMode) {
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 5000;
  for (int64_t n : {1, 7, 33, 1000})
    for (DType type :
         {DType::F32, DType::F16, DType::BF16, DType::I64, DType::I32})
      for (int axis = 0; axis < 3; ++axis)
        for (int mode = 0; mode < 4; ++mode) {
          bool exclusive = mode & 1, reverse = mode & 2;
          Shape shape{3, 2, 5};
          shape[axis] = n;
          double range = type == DType::F16 ? 2.0 : 1000.0;
          Buf x = randomBuf(type, shape, seed++, -range, range);
          Buf out(type, shape);
          Tensor xt = x.t(), ot = out.t();
          Context &ctx = shape.numel() >= 1000 ? threaded : serial;
          ASSERT_TRUE(cumsum(ctx, xt, axis, exclusive, reverse, ot))
              << ctx.error;
          // Running sums in double, line by line along the axis.
          std::vector<double> want(size_t(x.numel()));
          int64_t inner = 1;
          for (int d = axis + 1; d < 3; ++d)
            inner *= shape[d];
          for (int64_t line = 0; line < x.numel() / n; ++line) {
            int64_t base = (line / inner) * n * inner + line % inner;
            double sum = 0;
            for (int64_t step = 0; step < n; ++step) {
              int64_t at = base + (reverse ? n - 1 - step : step) * inner;
              double v = x.get(at);
              want[size_t(at)] = exclusive ? sum : sum + v;
              sum += v;
            }
          }
          std::string where = std::string("cumsum ") + dtypeName(type) + " " +
                              shape.str() + " axis " + std::to_string(axis) +
                              (exclusive ? " exclusive" : "") +
                              (reverse ? " reverse" : "");
          if (type == DType::I64 || type == DType::I32)
            EXPECT_EQ(out.values(), want) << where;
          else
            EXPECT_LE(relativeL2(out.floats(), want),
                      type == DType::F32 ? 1e-6 : 1e-2)
                << where;
        }
}

TEST(KernelsCumSum, Errors) {
  Context ctx = serialContext();
  Buf x(DType::F32, Shape{2, 3}), out(DType::F32, Shape{2, 3});
  Tensor xt = x.t(), ot = out.t();
  EXPECT_FALSE(cumsum(ctx, xt, 2, false, false, ot));
  EXPECT_NE(ctx.error.find("cumsum: axis 2"), std::string::npos) << ctx.error;
  Buf b(DType::I1, Shape{2, 3}), bo(DType::I1, Shape{2, 3});
  Tensor bt = b.t(), bot = bo.t();
  EXPECT_FALSE(cumsum(ctx, bt, 1, false, false, bot));
  EXPECT_EQ(ctx.error, "cumsum: does not support i1");
  Buf wrong(DType::F32, Shape{3, 2});
  Tensor wt = wrong.t();
  EXPECT_FALSE(cumsum(ctx, xt, 1, false, false, wt));
  EXPECT_NE(ctx.error.find("cumsum"), std::string::npos) << ctx.error;
}

/// One conv case: x [N, C, D...], w [M, C / group, K...].
struct ConvCase {
  Shape x, w;
  std::vector<int64_t> strides, pads, dilations;
  int64_t group;
};

/// conv against a direct loop in double: 1-D (Whisper's front end), 2-D
/// (patch embeddings, padded, strided, dilated, grouped, depthwise) and
/// 3-D; f32, f16 and bf16; with and without bias; serially and on threads.
TEST(KernelsConv, AgainstDirectLoop) {
  const ConvCase cases[] = {
      {{2, 8, 16}, {4, 8, 3}, {1}, {1, 1}, {1}, 1},
      {{2, 4, 16}, {4, 4, 3}, {2}, {1, 1}, {1}, 1},
      {{1, 3, 17}, {5, 3, 4}, {3}, {2, 0}, {2}, 1},
      {{2, 3, 16, 16}, {8, 3, 4, 4}, {4, 4}, {0, 0, 0, 0}, {1, 1}, 1},
      {{1, 4, 9, 7}, {6, 2, 3, 3}, {2, 1}, {1, 0, 1, 2}, {1, 2}, 2},
      {{2, 6, 8, 8}, {6, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 6},
      {{1, 2, 4, 5, 6},
       {3, 2, 2, 3, 2},
       {1, 2, 1},
       {0, 1, 1, 1, 0, 0},
       {2, 1, 1},
       1},
      {{4, 16, 32, 32}, {32, 16, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 7000;
  for (const ConvCase &c : cases)
    for (DType type : {DType::F32, DType::F16, DType::BF16})
      for (bool withBias : {false, true}) {
        int spatial = c.x.rank - 2;
        Shape outShape;
        Context &ctx = c.x.numel() > 10000 ? threaded : serial;
        ASSERT_TRUE(convShape(ctx, c.x, c.w, c.strides.data(), c.pads.data(),
                              c.dilations.data(), c.group, outShape))
            << ctx.error;
        Buf x = randomBuf(type, c.x, seed++), w = randomBuf(type, c.w, seed++);
        Buf b = randomBuf(type, Shape{c.w[0]}, seed++), out(type, outShape);
        Tensor xt = x.t(), wt = w.t(), bt = b.t(), ot = out.t();
        ASSERT_TRUE(conv(ctx, xt, wt, withBias ? &bt : nullptr,
                         c.strides.data(), c.pads.data(), c.dilations.data(),
                         c.group, ot))
            << ctx.error;
        // The direct sum, padded to three spatial dims.
        int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, o[3] = {1, 1, 1};
        int64_t st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, pd[3] = {0, 0, 0};
        for (int i = 0; i < spatial; ++i) {
          int d = 3 - spatial + i;
          in[d] = c.x[i + 2], k[d] = c.w[i + 2], o[d] = outShape[i + 2];
          st[d] = c.strides[size_t(i)], dl[d] = c.dilations[size_t(i)];
          pd[d] = c.pads[size_t(i)];
        }
        int64_t m = c.w[0], cg = c.w[1], mg = m / c.group;
        std::vector<double> want(size_t(out.numel()));
        for (int64_t n = 0; n < c.x[0]; ++n)
          for (int64_t oc = 0; oc < m; ++oc)
            for (int64_t p0 = 0; p0 < o[0]; ++p0)
              for (int64_t p1 = 0; p1 < o[1]; ++p1)
                for (int64_t p2 = 0; p2 < o[2]; ++p2) {
                  double sum = withBias ? b.get(oc) : 0.0;
                  for (int64_t ic = 0; ic < cg; ++ic)
                    for (int64_t a = 0; a < k[0]; ++a)
                      for (int64_t e = 0; e < k[1]; ++e)
                        for (int64_t f = 0; f < k[2]; ++f) {
                          int64_t i0 = p0 * st[0] - pd[0] + a * dl[0];
                          int64_t i1 = p1 * st[1] - pd[1] + e * dl[1];
                          int64_t i2 = p2 * st[2] - pd[2] + f * dl[2];
                          if (i0 < 0 || i0 >= in[0] || i1 < 0 || i1 >= in[1] ||
                              i2 < 0 || i2 >= in[2])
                            continue;
                          int64_t chan = oc / mg * cg + ic;
                          sum +=
                              x.get(
                                  (((n * c.x[1] + chan) * in[0] + i0) * in[1] +
                                   i1) *
                                      in[2] +
                                  i2) *
                              w.get((((oc * cg + ic) * k[0] + a) * k[1] + e) *
                                        k[2] +
                                    f);
                        }
                  want[size_t((((n * m + oc) * o[0] + p0) * o[1] + p1) * o[2] +
                              p2)] = sum;
                }
        EXPECT_LE(relativeL2(out.floats(), want),
                  type == DType::F32 ? 1e-6 : 1e-2)
            << "conv " << dtypeName(type) << " x " << c.x.str() << " w "
            << c.w.str() << " group " << c.group << (withBias ? " bias" : "");
      }
}

/// One conv_transpose case: x [N, C, D...], w [C, M / group, K...].
struct ConvTransposeCase {
  Shape x, w;
  std::vector<int64_t> strides, pads, dilations, outputPadding;
  int64_t group;
};

/// conv_transpose against a direct scatter in double: 1-D to 3-D, strides,
/// pads, dilations, output_padding, groups (depthwise too); f32 and bf16;
/// with and without bias; serially and on threads.
TEST(KernelsConvTranspose, AgainstDirectScatter) {
  const ConvTransposeCase cases[] = {
      {{2, 4, 7}, {4, 3, 3}, {2}, {1, 1}, {1}, {1}, 1},
      {{1, 3, 9}, {3, 2, 4}, {3}, {0, 2}, {2}, {0}, 1},
      {{2, 4, 5, 6}, {4, 3, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {1, 0}, 1},
      {{1, 4, 5, 4}, {4, 2, 2, 3}, {1, 3}, {0, 1, 1, 0}, {2, 1}, {0, 2}, 2},
      {{2, 6, 4, 4}, {6, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, {1, 1}, 6},
      {{1, 2, 3, 4, 3},
       {2, 3, 2, 2, 3},
       {2, 1, 2},
       {0, 1, 1, 1, 0, 0},
       {1, 2, 1},
       {1, 0, 0},
       1},
      {{2, 32, 16, 16},
       {32, 16, 4, 4},
       {2, 2},
       {1, 1, 1, 1},
       {1, 1},
       {0, 0},
       1},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 8600;
  for (const ConvTransposeCase &c : cases)
    for (DType type : {DType::F32, DType::BF16})
      for (bool withBias : {false, true}) {
        int spatial = c.x.rank - 2;
        Context &ctx = c.x.numel() > 4000 ? threaded : serial;
        Shape outShape;
        ASSERT_TRUE(convTransposeShape(
            ctx, c.x, c.w, c.strides.data(), c.pads.data(), c.dilations.data(),
            c.outputPadding.data(), c.group, outShape))
            << ctx.error;
        int64_t m = c.w[1] * c.group;
        Buf x = randomBuf(type, c.x, seed++), w = randomBuf(type, c.w, seed++);
        Buf b = randomBuf(type, Shape{m}, seed++), out(type, outShape);
        Tensor xt = x.t(), wt = w.t(), bt = b.t(), ot = out.t();
        ASSERT_TRUE(convTranspose(ctx, xt, wt, withBias ? &bt : nullptr,
                                  c.strides.data(), c.pads.data(),
                                  c.dilations.data(), c.outputPadding.data(),
                                  c.group, ot))
            << ctx.error;
        int64_t in[3] = {1, 1, 1}, k[3] = {1, 1, 1}, o[3] = {1, 1, 1};
        int64_t st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, pd[3] = {0, 0, 0};
        for (int i = 0; i < spatial; ++i) {
          int d = 3 - spatial + i;
          in[d] = c.x[i + 2], k[d] = c.w[i + 2], o[d] = outShape[i + 2];
          st[d] = c.strides[size_t(i)], dl[d] = c.dilations[size_t(i)];
          pd[d] = c.pads[size_t(i)];
        }
        int64_t channels = c.x[1], cg = channels / c.group, mg = c.w[1];
        int64_t outPlane = o[0] * o[1] * o[2];
        std::vector<double> want(size_t(out.numel()));
        for (int64_t n = 0; n < c.x[0]; ++n)
          for (int64_t oc = 0; oc < m; ++oc)
            for (int64_t p = 0; p < outPlane; ++p)
              want[size_t((n * m + oc) * outPlane + p)] =
                  withBias ? b.get(oc) : 0.0;
        // Every input entry scatters through every tap.
        for (int64_t n = 0; n < c.x[0]; ++n)
          for (int64_t ic = 0; ic < channels; ++ic)
            for (int64_t j = 0; j < mg; ++j)
              for (int64_t i0 = 0; i0 < in[0]; ++i0)
                for (int64_t i1 = 0; i1 < in[1]; ++i1)
                  for (int64_t i2 = 0; i2 < in[2]; ++i2)
                    for (int64_t a = 0; a < k[0]; ++a)
                      for (int64_t e = 0; e < k[1]; ++e)
                        for (int64_t f = 0; f < k[2]; ++f) {
                          int64_t p0 = i0 * st[0] - pd[0] + a * dl[0];
                          int64_t p1 = i1 * st[1] - pd[1] + e * dl[1];
                          int64_t p2 = i2 * st[2] - pd[2] + f * dl[2];
                          if (p0 < 0 || p0 >= o[0] || p1 < 0 || p1 >= o[1] ||
                              p2 < 0 || p2 >= o[2])
                            continue;
                          int64_t oc = ic / cg * mg + j;
                          want[size_t((n * m + oc) * outPlane +
                                      (p0 * o[1] + p1) * o[2] + p2)] +=
                              x.get(
                                  (((n * channels + ic) * in[0] + i0) * in[1] +
                                   i1) *
                                      in[2] +
                                  i2) *
                              w.get((((ic * mg + j) * k[0] + a) * k[1] + e) *
                                        k[2] +
                                    f);
                        }
        EXPECT_LE(relativeL2(out.floats(), want),
                  type == DType::F32 ? 1e-6 : 1e-2)
            << "conv_transpose " << dtypeName(type) << " x " << c.x.str()
            << " w " << c.w.str() << " group " << c.group
            << (withBias ? " bias" : "");
      }
}

TEST(KernelsConvTranspose, Errors) {
  Context ctx = serialContext();
  const int64_t one[] = {1, 1}, zero[] = {0, 0, 0, 0}, none[] = {0, 0};
  const int64_t crop[] = {3, 3, 3, 3};
  Buf x(DType::F32, Shape{1, 4, 3, 3}), w(DType::F32, Shape{4, 2, 3, 3});
  Buf out(DType::F32, Shape{1, 4, 5, 5});
  Tensor xt = x.t(), wt = w.t(), ot = out.t();
  EXPECT_TRUE(convTranspose(ctx, xt, wt, nullptr, one, zero, one, none, 2, ot))
      << ctx.error;
  EXPECT_FALSE(
      convTranspose(ctx, xt, wt, nullptr, one, zero, one, none, 3, ot));
  EXPECT_EQ(ctx.error, "conv_transpose: x has 4 channels, w 4 inputs, group 3: "
                       "inconsistent");
  EXPECT_FALSE(
      convTranspose(ctx, xt, wt, nullptr, one, crop, one, none, 2, ot));
  EXPECT_EQ(ctx.error, "conv_transpose: spatial dim 0 of size 3 gives no "
                       "output with its pads");
  Buf bias(DType::F32, Shape{2});
  Tensor bt = bias.t();
  EXPECT_FALSE(convTranspose(ctx, xt, wt, &bt, one, zero, one, none, 2, ot));
  EXPECT_EQ(ctx.error, "conv_transpose: bias must be [4] of x's dtype");
}

/// One matmul_nbits case: lhs [..., k] against N packed columns.
struct NBitsCase {
  Shape lhs;
  int64_t n, bits, blockSize;
  int zeroKind; ///< 0 none, 1 u8, 2 f32
};

/// A case's random packed weights, scales and zero points (drawn from
/// seeds `seed`, `seed + 1`, ...; `seed` moves past them), and W[kk][j]
/// dequantized by the op's definition.
struct NBitsOperands {
  const NBitsCase &c;
  int64_t k, blocks;
  Buf q, scales, zero;

  NBitsOperands(const NBitsCase &c, unsigned &seed)
      : c(c), k(c.lhs[c.lhs.rank - 1]),
        blocks((k + c.blockSize - 1) / c.blockSize),
        q(randomBuf(DType::U8, {c.n, blocks, c.blockSize * c.bits / 8}, seed, 0,
                    255)),
        scales(randomBuf(DType::F32, {c.n, blocks}, seed + 1, 0.01, 0.2)),
        zero(c.zeroKind == 1 ? randomBuf(DType::U8, {c.n, blocks}, seed + 2, 0,
                                         (1 << c.bits) - 1)
                             : randomBuf(DType::F32, {c.n, blocks}, seed + 2, 0,
                                         (1 << c.bits) - 1)) {
    seed += 3;
  }
  double weight(int64_t j, int64_t kk) {
    int64_t rowBytes = blocks * c.blockSize * c.bits / 8;
    int64_t bit = kk * c.bits, b = kk / c.blockSize;
    double v =
        (int(q.get(j * rowBytes + bit / 8)) >> (bit % 8)) & ((1 << c.bits) - 1);
    double z =
        c.zeroKind ? zero.get(j * blocks + b) : double(1 << (c.bits - 1));
    return (v - z) * scales.get(j * blocks + b);
  }
};

TEST(KernelsMatmulNBits, AgainstDequantizedProduct) {
  // Rows 1-4 take the dot path, more the blocked GEMM; K below, at and past
  // a block multiple; every width and zero point form.
  const NBitsCase cases[] = {
      {{1, 64}, 24, 4, 32, 1},    {{3, 40}, 17, 4, 16, 0},
      {{2, 2, 50}, 9, 8, 16, 2},  {{4, 33}, 40, 2, 16, 1},
      {{5, 64}, 33, 4, 64, 1},    {{3, 7, 96}, 70, 4, 32, 2},
      {{40, 300}, 100, 4, 32, 1}, {{17, 520}, 65, 8, 128, 0},
      {{2, 1000}, 300, 4, 32, 1}, {{24, 48}, 31, 2, 32, 2},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 9100;
  for (const NBitsCase &c : cases)
    for (DType type : {DType::F32, DType::BF16}) {
      int64_t k = c.lhs[c.lhs.rank - 1], m = c.lhs.numel() / k;
      Context &ctx = m * k * c.n > 20000 ? threaded : serial;
      Buf lhs = randomBuf(type, c.lhs, seed++);
      NBitsOperands w(c, seed);
      Shape outShape;
      ASSERT_TRUE(matmulNBitsShape(ctx, c.lhs, w.q.shape, c.bits, c.blockSize,
                                   k, outShape))
          << ctx.error;
      Buf out(type, outShape);
      Tensor lt = lhs.t(), qt = w.q.t(), st = w.scales.t(), zt = w.zero.t(),
             ot = out.t();
      ASSERT_TRUE(matmulNBits(ctx, lt, qt, st, c.zeroKind ? &zt : nullptr,
                              c.bits, c.blockSize, k, /*int8Lhs=*/false, ot))
          << ctx.error;
      std::vector<double> want(size_t(out.numel()));
      for (int64_t j = 0; j < c.n; ++j)
        for (int64_t kk = 0; kk < k; ++kk) {
          double wv = w.weight(j, kk);
          for (int64_t i = 0; i < m; ++i)
            want[size_t(i * c.n + j)] += lhs.get(i * k + kk) * wv;
        }
      EXPECT_LE(relativeL2(out.floats(), want),
                type == DType::F32 ? 1e-6 : 1e-2)
          << "matmul_nbits " << dtypeName(type) << " lhs " << c.lhs.str()
          << " N " << c.n << " bits " << c.bits << " block " << c.blockSize
          << " zero points " << c.zeroKind;
    }
}

TEST(KernelsMatmulNBits, Int8LhsAsDefined) {
  // accuracy_level 4: each row quantized per block to int8 (scale max |x| /
  // 127, nearest even), integer products. Against that definition computed
  // here in doubles, and (loosely) against the f32 product. K = 576 ends in
  // a partial 64-byte chunk; 8 bits, blocks of 16 and 20 rows run in f32.
  const NBitsCase cases[] = {
      {{1, 576}, 37, 4, 32, 0},   {{3, 576}, 20, 4, 32, 1},
      {{9, 96}, 16, 4, 32, 2},    {{2, 5, 64}, 8, 4, 64, 1},
      {{16, 1536}, 24, 4, 32, 1}, {{4, 700}, 33, 4, 128, 2},
      {{1, 256}, 12, 4, 256, 0},  {{2, 64}, 8, 8, 32, 1},
      {{2, 64}, 8, 4, 16, 1},     {{20, 96}, 8, 4, 32, 1},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 9300;
  for (const NBitsCase &c : cases) {
    int64_t k = c.lhs[c.lhs.rank - 1], m = c.lhs.numel() / k;
    int64_t blocks = (k + c.blockSize - 1) / c.blockSize;
    Context &ctx = m * k * c.n > 20000 ? threaded : serial;
    Buf lhs = randomBuf(DType::F32, c.lhs, seed++);
    // A block of zeros: scale 0, nothing from it.
    for (int64_t i = 0; blocks > 1 && i < c.blockSize; ++i)
      lhs.set(i, 0.0);
    NBitsOperands w(c, seed);
    Shape outShape;
    ASSERT_TRUE(matmulNBitsShape(ctx, c.lhs, w.q.shape, c.bits, c.blockSize, k,
                                 outShape));
    Buf out(DType::F32, outShape);
    Tensor lt = lhs.t(), qt = w.q.t(), st = w.scales.t(), zt = w.zero.t(),
           ot = out.t();
    ASSERT_TRUE(matmulNBits(ctx, lt, qt, st, c.zeroKind ? &zt : nullptr, c.bits,
                            c.blockSize, k, /*int8Lhs=*/true, ot))
        << ctx.error;
    // Every level but x86-64 (no SSSE3: f32 throughout).
    bool int8 = int8MatmulNBitsApplies(m, c.bits, c.blockSize);
    bool levelHasInt8 = int8MatmulNBitsApplies(1, 4, 32);
    EXPECT_EQ(int8,
              levelHasInt8 && c.bits == 4 && c.blockSize >= 32 && m <= 16);
    // The int8 values of the lhs, per row and block, and their scales.
    std::vector<double> lhsQ(size_t(m * k)), lhsScale(size_t(m * blocks));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t b = 0; b < blocks; ++b) {
        int64_t lo = b * c.blockSize, hi = std::min(k, lo + c.blockSize);
        float amax = 0;
        for (int64_t kk = lo; kk < hi; ++kk)
          amax = std::max(amax, std::fabs(float(lhs.get(i * k + kk))));
        float inverse = amax > 0 ? 127.0f / amax : 0.0f;
        lhsScale[size_t(i * blocks + b)] = amax / 127.0f;
        for (int64_t kk = lo; kk < hi; ++kk)
          lhsQ[size_t(i * k + kk)] =
              std::nearbyint(float(lhs.get(i * k + kk)) * inverse);
      }
    std::vector<double> want(size_t(out.numel())), exact(want.size());
    for (int64_t j = 0; j < c.n; ++j)
      for (int64_t kk = 0; kk < k; ++kk) {
        double wv = w.weight(j, kk);
        for (int64_t i = 0; i < m; ++i) {
          exact[size_t(i * c.n + j)] += lhs.get(i * k + kk) * wv;
          want[size_t(i * c.n + j)] +=
              lhsQ[size_t(i * k + kk)] *
              lhsScale[size_t(i * blocks + kk / c.blockSize)] * wv;
        }
      }
    std::string what = "lhs " + c.lhs.str() + " N " + std::to_string(c.n) +
                       " bits " + std::to_string(c.bits) + " block " +
                       std::to_string(c.blockSize) + " zero points " +
                       std::to_string(c.zeroKind);
    EXPECT_LE(relativeL2(out.floats(), int8 ? want : exact), 2e-6) << what;
    // int8 is within a percent or so of the f32 product.
    EXPECT_LE(relativeL2(out.floats(), exact), int8 ? 3e-2 : 1e-6) << what;
    if (int8) {
      EXPECT_GT(relativeL2(out.floats(), exact), 1e-5) << what;
    }
  }
  // A NaN or an infinity in a row makes that row's results NaN; a block
  // too small for an f32 inverse of its scale is quantized in doubles.
  Context ctx = serialContext();
  Buf lhs = randomBuf(DType::F32, {4, 64}, 9400);
  lhs.set(70, std::nan(""));
  lhs.set(130, INFINITY);
  for (int64_t i = 192; i < 256; ++i)
    lhs.set(i, lhs.get(i) * 1e-38);
  Buf q = randomBuf(DType::U8, {4, 2, 16}, 9401, 0, 255);
  Buf scales = randomBuf(DType::F32, {4, 2}, 9402, 0.01, 0.2);
  Buf out(DType::F32, {4, 4});
  Tensor lt = lhs.t(), qt = q.t(), st = scales.t(), ot = out.t();
  ASSERT_TRUE(matmulNBits(ctx, lt, qt, st, nullptr, 4, 32, 64, true, ot));
  for (int64_t j = 0; j < 4; ++j) {
    EXPECT_TRUE(std::isfinite(out.get(j)));
    EXPECT_TRUE(std::isnan(out.get(4 + j)));
    EXPECT_FALSE(std::isfinite(out.get(8 + j))); // NaN, or inf in f32
    EXPECT_TRUE(std::isfinite(out.get(12 + j)));
    EXPECT_LT(std::fabs(out.get(12 + j)), 1e-30);
  }
}

TEST(KernelsMatmulNBits, Errors) {
  Context ctx = serialContext();
  Buf lhs(DType::F32, Shape{2, 64}), q(DType::U8, Shape{8, 2, 16});
  Buf scales(DType::F32, Shape{8, 2}), out(DType::F32, Shape{2, 8});
  Tensor lt = lhs.t(), qt = q.t(), st = scales.t(), ot = out.t();
  EXPECT_TRUE(matmulNBits(ctx, lt, qt, st, nullptr, 4, 32, 64, false, ot))
      << ctx.error;
  EXPECT_FALSE(matmulNBits(ctx, lt, qt, st, nullptr, 3, 32, 64, false, ot));
  EXPECT_EQ(ctx.error, "matmul_nbits: bits must be 2, 4 or 8, got 3");
  EXPECT_FALSE(matmulNBits(ctx, lt, qt, st, nullptr, 4, 32, 60, false, ot));
  EXPECT_EQ(ctx.error, "matmul_nbits: lhs must be [..., 60], got [2, 64]");
  EXPECT_FALSE(matmulNBits(ctx, lt, qt, st, nullptr, 4, 16, 64, false, ot));
  EXPECT_EQ(ctx.error,
            "matmul_nbits: weight must be [N, 4, 8], got [8, 2, 16]");
  Buf halfScales(DType::BF16, Shape{8, 2});
  Tensor ht = halfScales.t();
  EXPECT_FALSE(matmulNBits(ctx, lt, qt, ht, nullptr, 4, 32, 64, false, ot));
  EXPECT_EQ(ctx.error, "matmul_nbits: scales must be f32 [8, 2], got bf16 "
                       "[8, 2]");
  Buf zero(DType::I32, Shape{8, 2});
  Tensor zt = zero.t();
  EXPECT_FALSE(matmulNBits(ctx, lt, qt, st, &zt, 4, 32, 64, false, ot));
  EXPECT_EQ(ctx.error, "matmul_nbits: zero_points must be u8 or f32 [8, 2], "
                       "got i32 [8, 2]");
  Tensor notPacked = lhs.t();
  notPacked.shape = Shape{8, 2, 16};
  notPacked.dtype = DType::F32;
  EXPECT_FALSE(
      matmulNBits(ctx, lt, notPacked, st, nullptr, 4, 32, 64, false, ot));
  EXPECT_EQ(ctx.error, "matmul_nbits: weight must be u8, got f32");
}

TEST(KernelsMatmulNBits, GatherRows) {
  // Rows of a packed table (as an embedding): every width and zero point
  // form, negative indices, f32 and bf16 results; then the errors.
  Context ctx = serialContext();
  unsigned seed = 9300;
  for (int64_t bits : {2, 4, 8})
    for (int zeroKind : {0, 1, 2})
      for (DType type : {DType::F32, DType::BF16}) {
        const int64_t rows = 11, k = 48, blockSize = 16, blocks = 3;
        int top = (1 << bits) - 1;
        Buf q = randomBuf(DType::U8, {rows, blocks, blockSize * bits / 8},
                          seed++, 0, 255);
        Buf scales = randomBuf(DType::F32, {rows, blocks}, seed++, 0.01, 0.2);
        Buf zero = zeroKind == 1
                       ? randomBuf(DType::U8, {rows, blocks}, seed++, 0, top)
                       : randomBuf(DType::F32, {rows, blocks}, seed++, 0, top);
        Buf ids = filled(DType::I64, {2, 3}, {0, 10, -1, 4, -11, 7});
        Buf out(type, {2, 3, k});
        Tensor qt = q.t(), st = scales.t(), zt = zero.t(), it = ids.t(),
               ot = out.t();
        ASSERT_TRUE(gatherNBits(ctx, qt, st, zeroKind ? &zt : nullptr, it, bits,
                                blockSize, k, ot))
            << ctx.error;
        std::vector<double> want;
        int64_t rowBytes = blocks * blockSize * bits / 8;
        for (int64_t i = 0; i < 6; ++i) {
          int64_t r = int64_t(ids.get(i));
          r = r < 0 ? r + rows : r;
          for (int64_t h = 0; h < k; ++h) {
            int64_t bit = h * bits, b = h / blockSize;
            double v = (int(q.get(r * rowBytes + bit / 8)) >> (bit % 8)) & top;
            double z =
                zeroKind ? zero.get(r * blocks + b) : double(1 << (bits - 1));
            want.push_back((v - z) * scales.get(r * blocks + b));
          }
        }
        EXPECT_LE(relativeL2(out.floats(), want),
                  type == DType::F32 ? 1e-7 : 1e-2)
            << "gather_nbits " << dtypeName(type) << " bits " << bits
            << " zero points " << zeroKind;
      }
  Buf q(DType::U8, {5, 2, 8}), scales(DType::F32, {5, 2});
  Buf ids = filled(DType::I32, {2}, {1, 5}), out(DType::F32, {2, 32});
  Tensor qt = q.t(), st = scales.t(), it = ids.t(), ot = out.t();
  EXPECT_FALSE(gatherNBits(ctx, qt, st, nullptr, it, 4, 16, 32, ot));
  EXPECT_EQ(ctx.error, "gather_nbits: index 5 (at position 1) is out of "
                       "range for a table of 5 rows");
  Buf ints(DType::I32, {2, 32});
  Tensor bad = ints.t();
  EXPECT_FALSE(gatherNBits(ctx, qt, st, nullptr, it, 4, 16, 32, bad));
  EXPECT_EQ(ctx.error, "gather_nbits: out must be a float tensor, got i32");
  EXPECT_FALSE(gatherNBits(ctx, qt, st, nullptr, it, 4, 16, 48, ot));
  EXPECT_EQ(ctx.error, "gather_nbits: weight must be [N, 3, 8], got [5, 2, 8]");
}

/// One pool case: x [N, C, D...] and the window.
struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, pads, dilations;
  bool ceilMode;
};

/// pool against a direct loop over each window's taps (max of the taps
/// inside x; mean over those, or over the taps inside the padded input):
/// 1-D to 3-D, pads, strides, dilations, ceil_mode; f32 and bf16; serially
/// and on threads.
TEST(KernelsPool, AgainstDirectLoop) {
  const PoolCase cases[] = {
      {{2, 3, 11}, {3}, {2}, {1, 1}, {1}, false},
      {{1, 2, 10}, {4}, {3}, {0, 2}, {2}, true},
      {{2, 3, 9, 10}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, false},
      {{1, 4, 9, 10}, {2, 3}, {2, 2}, {0, 0, 0, 0}, {2, 1}, true},
      {{2, 2, 7, 8}, {3, 2}, {1, 2}, {1, 0, 2, 1}, {1, 1}, true},
      {{1, 2, 5, 6, 7},
       {2, 3, 2},
       {1, 2, 2},
       {0, 1, 1, 1, 1, 0},
       {2, 1, 1},
       false},
      {{4, 16, 40, 40}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, true},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 8100;
  for (const PoolCase &c : cases)
    for (PoolKind kind : {PoolKind::Max, PoolKind::Average})
      for (bool includePad : {false, true})
        for (DType type : {DType::F32, DType::BF16}) {
          if (kind == PoolKind::Max && includePad)
            continue;
          int spatial = c.x.rank - 2;
          Context &ctx = c.x.numel() > 10000 ? threaded : serial;
          Shape outShape;
          ASSERT_TRUE(poolShape(ctx, c.x, c.kernel.data(), c.strides.data(),
                                c.pads.data(), c.dilations.data(), c.ceilMode,
                                outShape))
              << ctx.error;
          Buf x = randomBuf(type, c.x, seed++), out(type, outShape);
          Tensor xt = x.t(), ot = out.t();
          ASSERT_TRUE(pool(ctx, xt, kind, c.kernel.data(), c.strides.data(),
                           c.pads.data(), c.dilations.data(), c.ceilMode,
                           includePad, ot))
              << ctx.error;
          // Every output position, every tap, in double.
          int64_t planes = c.x[0] * c.x[1], planeIn = 1, positions = 1;
          for (int i = 0; i < spatial; ++i) {
            planeIn *= c.x[i + 2];
            positions *= outShape[i + 2];
          }
          std::vector<double> want(size_t(out.numel()));
          for (int64_t pl = 0; pl < planes; ++pl)
            for (int64_t pos = 0; pos < positions; ++pos) {
              int64_t o[3] = {0, 0, 0}, rest = pos;
              for (int i = spatial - 1; i >= 0; --i) {
                o[i] = rest % outShape[i + 2];
                rest /= outShape[i + 2];
              }
              int64_t taps = 1;
              for (int i = 0; i < spatial; ++i)
                taps *= c.kernel[size_t(i)];
              double best = -INFINITY, sum = 0;
              int64_t inside = 0, padded = 0;
              for (int64_t t = 0; t < taps; ++t) {
                int64_t tr = t, index = 0;
                bool in = true, inPad = true;
                for (int i = spatial - 1; i >= 0; --i) {
                  int64_t k = tr % c.kernel[size_t(i)];
                  tr /= c.kernel[size_t(i)];
                  int64_t p = o[i] * c.strides[size_t(i)] - c.pads[size_t(i)] +
                              k * c.dilations[size_t(i)];
                  in &= p >= 0 && p < c.x[i + 2];
                  inPad &= p < c.x[i + 2] + c.pads[size_t(i + spatial)];
                  int64_t stride = 1;
                  for (int j = i + 1; j < spatial; ++j)
                    stride *= c.x[j + 2];
                  index += p * stride;
                }
                padded += inPad;
                if (!in)
                  continue;
                double v = x.get(pl * planeIn + index);
                best = std::max(best, v);
                sum += v;
                ++inside;
              }
              want[size_t(pl * positions + pos)] =
                  kind == PoolKind::Max
                      ? best
                      : sum / double(includePad ? padded : inside);
            }
          EXPECT_LE(relativeL2(out.floats(), want),
                    type == DType::F32 ? 1e-6 : 1e-2)
              << "pool " << int(kind) << (includePad ? " include-pad " : " ")
              << dtypeName(type) << " x " << c.x.str();
        }
}

TEST(KernelsPool, Errors) {
  Context ctx = serialContext();
  const int64_t k2[] = {2, 2}, one[] = {1, 1}, zero4[] = {0, 0, 0, 0};
  const int64_t k0[] = {0, 2}, k9[] = {9, 2};
  Buf x(DType::F32, Shape{1, 2, 5, 5}), out(DType::F32, Shape{1, 2, 4, 4});
  Tensor xt = x.t(), ot = out.t();
  EXPECT_TRUE(
      pool(ctx, xt, PoolKind::Max, k2, one, zero4, one, false, false, ot))
      << ctx.error;
  EXPECT_FALSE(
      pool(ctx, xt, PoolKind::Max, k0, one, zero4, one, false, false, ot));
  EXPECT_EQ(ctx.error, "pool: spatial dim 0 needs a positive kernel, stride "
                       "and dilation and non-negative pads, got kernel 0, "
                       "stride 1, dilation 1, pads (0, 0)");
  EXPECT_FALSE(
      pool(ctx, xt, PoolKind::Average, k9, one, zero4, one, false, false, ot));
  EXPECT_EQ(ctx.error, "pool: the window (kernel 9, dilation 1) does not fit "
                       "spatial dim 0 of size 5 with its pads");
  EXPECT_FALSE(
      pool(ctx, xt, PoolKind(7), k2, one, zero4, one, false, false, ot));
  EXPECT_EQ(ctx.error, "pool: unknown kind 7");
  Buf wrong(DType::F32, Shape{1, 2, 3, 3});
  Tensor wt = wrong.t();
  EXPECT_FALSE(
      pool(ctx, xt, PoolKind::Max, k2, one, zero4, one, false, false, wt));
  EXPECT_NE(ctx.error.find("pool"), std::string::npos) << ctx.error;
  Buf ix(DType::I64, Shape{1, 2, 5, 5}), io(DType::I64, Shape{1, 2, 4, 4});
  Tensor ixt = ix.t(), iot = io.t();
  EXPECT_FALSE(
      pool(ctx, ixt, PoolKind::Max, k2, one, zero4, one, false, false, iot));
  EXPECT_NE(ctx.error.find("pool"), std::string::npos) << ctx.error;
  Buf flat(DType::F32, Shape{4, 5});
  Tensor ft = flat.t();
  Shape s;
  EXPECT_FALSE(poolShape(ctx, ft.shape, k2, one, zero4, one, false, s));
  EXPECT_EQ(ctx.error, "pool: x must be [N, C, D1, ...] with 1 to 3 spatial "
                       "dims, got rank 2");
}

/// ONNX Resize's source coordinate of output index o along one dim (the
/// formulas of the operator's definition, written out again).
double resizeSource(ResizeCoordinates mode, int64_t o, int64_t in, int64_t out,
                    double scale) {
  switch (mode) {
  case ResizeCoordinates::HalfPixel:
    return (o + 0.5) / scale - 0.5;
  case ResizeCoordinates::PytorchHalfPixel:
    return out > 1 ? (o + 0.5) / scale - 0.5 : -0.5;
  case ResizeCoordinates::AlignCorners:
    return out > 1 ? double(o) * double(in - 1) / double(out - 1) : 0.0;
  case ResizeCoordinates::Asymmetric:
    return o / scale;
  default:
    return 0;
  }
}

/// resize against a separable reference: one dim at a time, each output
/// entry the weighted sum of its neighbours along that dim (edge-clamped),
/// in double.
TEST(KernelsResize, AgainstSeparableReference) {
  struct ResizeCase {
    Shape x, out;
    std::vector<float> scales; // 0: out / in
    ResizeMode mode;
    ResizeCoordinates coordinates;
    NearestMode nearest;
    bool excludeOutside;
  };
  const ResizeCase cases[] = {
      {{1, 2, 5, 6},
       {1, 2, 10, 12},
       {1, 1, 2, 2},
       ResizeMode::Linear,
       ResizeCoordinates::HalfPixel,
       NearestMode::RoundPreferFloor,
       false},
      {{2, 3, 6, 7},
       {2, 3, 4, 10},
       {1, 1, 0, 0},
       ResizeMode::Linear,
       ResizeCoordinates::AlignCorners,
       NearestMode::RoundPreferFloor,
       false},
      {{1, 2, 6, 7},
       {1, 2, 9, 5},
       {1, 1, 1.5f, 0},
       ResizeMode::Nearest,
       ResizeCoordinates::Asymmetric,
       NearestMode::Floor,
       false},
      {{1, 2, 6, 7},
       {1, 2, 12, 14},
       {1, 1, 2, 2},
       ResizeMode::Nearest,
       ResizeCoordinates::PytorchHalfPixel,
       NearestMode::RoundPreferCeil,
       false},
      {{1, 1, 6, 7},
       {1, 1, 4, 10},
       {1, 1, 0.75f, 1.5f},
       ResizeMode::Cubic,
       ResizeCoordinates::HalfPixel,
       NearestMode::RoundPreferFloor,
       false},
      {{1, 1, 6, 7},
       {1, 1, 4, 10},
       {1, 1, 0.75f, 1.5f},
       ResizeMode::Cubic,
       ResizeCoordinates::AlignCorners,
       NearestMode::RoundPreferFloor,
       true},
      {{3, 20},
       {3, 50},
       {1, 2.5f},
       ResizeMode::Linear,
       ResizeCoordinates::Asymmetric,
       NearestMode::RoundPreferFloor,
       false},
      {{2, 8, 40, 40},
       {2, 8, 80, 60},
       {1, 1, 2, 1.5f},
       ResizeMode::Linear,
       ResizeCoordinates::HalfPixel,
       NearestMode::RoundPreferFloor,
       false},
  };
  Context serial = serialContext(), threaded = threadedContext();
  unsigned seed = 8300;
  for (const ResizeCase &c : cases)
    for (DType type : {DType::F32, DType::BF16}) {
      Context &ctx = c.out.numel() > 10000 ? threaded : serial;
      ResizeParams p;
      p.mode = c.mode;
      p.coordinates = c.coordinates;
      p.nearest = c.nearest;
      p.excludeOutside = c.excludeOutside;
      Buf x = randomBuf(type, c.x, seed++), out(type, c.out);
      Tensor xt = x.t(), ot = out.t();
      ASSERT_TRUE(resize(ctx, xt, p, c.scales.data(), nullptr, ot))
          << ctx.error;
      std::vector<double> data = x.values();
      Shape cur = c.x;
      for (int d = 0; d < c.x.rank; ++d) {
        Shape next = cur;
        next.dims[d] = c.out[d];
        int64_t inner = 1, outer = 1;
        for (int e = d + 1; e < cur.rank; ++e)
          inner *= cur[e];
        for (int e = 0; e < d; ++e)
          outer *= cur[e];
        int64_t in = cur[d], n = c.out[d];
        double scale = c.scales[size_t(d)] > 0 ? c.scales[size_t(d)]
                                               : double(n) / double(in);
        std::vector<double> result(size_t(outer * n * inner));
        for (int64_t o = 0; o < n; ++o) {
          double src = resizeSource(c.coordinates, o, in, n, scale);
          // (index, weight) taps of this output entry.
          std::vector<std::pair<int64_t, double>> taps;
          double fl = std::floor(src), t = src - fl;
          int64_t i0 = int64_t(fl);
          if (c.mode == ResizeMode::Nearest) {
            bool up =
                t != 0 &&
                (c.nearest == NearestMode::Ceil ||
                 (c.nearest == NearestMode::RoundPreferCeil && t >= 0.5) ||
                 (c.nearest == NearestMode::RoundPreferFloor && t > 0.5));
            taps.push_back({i0 + up, 1.0});
          } else if (c.mode == ResizeMode::Linear) {
            taps = {{i0, 1 - t}, {i0 + 1, t}};
          } else {
            auto keys = [](double v) {
              const double a = -0.75;
              v = std::fabs(v);
              if (v <= 1)
                return ((a + 2) * v - (a + 3)) * v * v + 1;
              if (v < 2)
                return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a;
              return 0.0;
            };
            double total = 0;
            for (int64_t k = -1; k <= 2; ++k) {
              double wk = keys(t - double(k));
              if (c.excludeOutside && (i0 + k < 0 || i0 + k >= in))
                wk = 0;
              taps.push_back({i0 + k, wk});
              total += wk;
            }
            if (c.excludeOutside)
              for (auto &tap : taps)
                tap.second /= total;
          }
          for (int64_t a = 0; a < outer; ++a)
            for (int64_t b = 0; b < inner; ++b) {
              double v = 0;
              for (auto [index, weight] : taps) {
                int64_t i = std::clamp<int64_t>(index, 0, in - 1);
                v += weight * data[size_t((a * in + i) * inner + b)];
              }
              result[size_t((a * n + o) * inner + b)] = v;
            }
        }
        data = std::move(result);
        cur = next;
      }
      EXPECT_LE(relativeL2(out.floats(), data),
                type == DType::F32 ? 1e-6 : 1e-2)
          << "resize " << int(c.mode) << " " << int(c.coordinates) << " "
          << dtypeName(type) << " x " << c.x.str() << " -> " << c.out.str();
    }
}

TEST(KernelsResize, ShapesAndErrors) {
  Context ctx = serialContext();
  Shape s;
  const int64_t sizes[] = {-1, -1, 7, -1};
  const float scales[] = {1, 1, 0, 1.5f}, negative[] = {1, 1, -1, 1};
  ASSERT_TRUE(resizeShape(ctx, Shape{2, 3, 4, 5}, sizes, scales, s))
      << ctx.error;
  EXPECT_EQ(s.str(), Shape({2, 3, 7, 7}).str());
  const int64_t bySize[] = {-1, -1, -1, -1};
  EXPECT_FALSE(resizeShape(ctx, Shape{2, 3, 4, 5}, bySize, negative, s));
  EXPECT_NE(ctx.error.find("resize: dim 2 of size 4 cannot take scale"),
            std::string::npos)
      << ctx.error;
  Buf x(DType::F32, Shape{1, 1, 0, 2}), out(DType::F32, Shape{1, 1, 3, 2});
  Tensor xt = x.t(), ot = out.t();
  ResizeParams p;
  const float ones[] = {1, 1, 0, 1};
  EXPECT_FALSE(resize(ctx, xt, p, ones, nullptr, ot));
  EXPECT_EQ(ctx.error, "resize: dim 2 is empty and cannot be resized to 3");
  Buf y(DType::F32, Shape{1, 1, 2, 2});
  Tensor yt = y.t();
  p.mode = ResizeMode(9);
  EXPECT_FALSE(resize(ctx, yt, p, ones, nullptr, ot));
  EXPECT_EQ(ctx.error, "resize: unknown mode, coordinate mode or nearest mode");
  p.mode = ResizeMode::Linear;
  Buf rank3(DType::F32, Shape{1, 3, 2});
  Tensor r3 = rank3.t();
  EXPECT_FALSE(resize(ctx, yt, p, ones, nullptr, r3));
  EXPECT_EQ(ctx.error, "resize: out has rank 3, x 4");
}

TEST(KernelsConv, Errors) {
  Context ctx = serialContext();
  const int64_t one[] = {1, 1}, zero[] = {0, 0, 0, 0}, bad[] = {0, 1};
  Buf x(DType::F32, Shape{1, 4, 5, 5}), w(DType::F32, Shape{6, 2, 3, 3});
  Buf out(DType::F32, Shape{1, 6, 3, 3});
  Tensor xt = x.t(), wt = w.t(), ot = out.t();
  // 4 channels against 2 per group: needs group 2.
  EXPECT_FALSE(conv(ctx, xt, wt, nullptr, one, zero, one, 1, ot));
  EXPECT_NE(ctx.error.find("conv: x has 4 channels"), std::string::npos)
      << ctx.error;
  EXPECT_TRUE(conv(ctx, xt, wt, nullptr, one, zero, one, 2, ot)) << ctx.error;
  EXPECT_FALSE(conv(ctx, xt, wt, nullptr, bad, zero, one, 2, ot));
  EXPECT_NE(ctx.error.find("strides and dilations must be positive"),
            std::string::npos)
      << ctx.error;
  Buf small(DType::F32, Shape{1, 4, 1, 1});
  Tensor st = small.t();
  EXPECT_FALSE(conv(ctx, st, wt, nullptr, one, zero, one, 2, ot));
  EXPECT_NE(ctx.error.find("the kernel does not fit"), std::string::npos)
      << ctx.error;
  Buf bias(DType::F32, Shape{5});
  Tensor bt = bias.t();
  EXPECT_FALSE(conv(ctx, xt, wt, &bt, one, zero, one, 2, ot));
  EXPECT_EQ(ctx.error, "conv: bias must be [6] of x's dtype");
  Buf ix(DType::I64, Shape{1, 4, 5, 5}), iw(DType::I64, Shape{6, 2, 3, 3});
  Buf io(DType::I64, Shape{1, 6, 3, 3});
  Tensor ixt = ix.t(), iwt = iw.t(), iot = io.t();
  EXPECT_FALSE(conv(ctx, ixt, iwt, nullptr, one, zero, one, 2, iot));
  EXPECT_EQ(ctx.error, "conv: does not support i64");
}

/// ScatterElements and ScatterND against a reference that applies every
/// update in index order on a copy of x, each combine in double (f32 for
/// floats is exact at these magnitudes) stored through the dtype: every
/// dtype and reduction, repeated and negative indices.
TEST(KernelsScatter, EveryDtypeAndReduction) {
  Context ctx = serialContext();
  unsigned seed = 7000;
  auto combine = [](ScatterReduction r, double a, double b) {
    switch (r) {
    case ScatterReduction::Add:
      return a + b;
    case ScatterReduction::Mul:
      return a * b;
    case ScatterReduction::Max:
      return b > a ? b : a;
    case ScatterReduction::Min:
      return b < a ? b : a;
    default:
      return b;
    }
  };
  for (DType type : {DType::F32, DType::F16, DType::BF16, DType::F8E4M3FN,
                     DType::I64, DType::I32})
    for (ScatterReduction r :
         {ScatterReduction::None, ScatterReduction::Add, ScatterReduction::Mul,
          ScatterReduction::Max, ScatterReduction::Min}) {
      // Integers small enough that products of three stay exact.
      double range = type == DType::I64 || type == DType::I32 ? 8 : 2;
      std::string where = std::string(dtypeName(type)) + " reduction " +
                          scatterReductionName(r);
      // scatter_elements along axis 1 of [3, 7]: indices [3, 5] in [-7, 7).
      {
        Buf x = randomBuf(type, Shape{3, 7}, seed++, -range, range);
        Buf u = randomBuf(type, Shape{3, 5}, seed++, -range, range);
        Buf idx(DType::I64, Shape{3, 5});
        for (int64_t i = 0; i < 15; ++i)
          idx.set(i, double(int64_t((i * 5 + seed) % 14) - 7));
        Buf out(type, Shape{3, 7}), want(type, Shape{3, 7});
        for (int64_t i = 0; i < 21; ++i)
          want.set(i, x.get(i));
        for (int64_t i = 0; i < 15; ++i) {
          int64_t k = int64_t(idx.get(i)), row = i / 5;
          int64_t at = row * 7 + (k < 0 ? k + 7 : k);
          want.set(at, combine(r, want.get(at), u.get(i)));
        }
        Tensor xt = x.t(), it = idx.t(), ut = u.t(), ot = out.t();
        ASSERT_TRUE(scatterElements(ctx, xt, it, ut, 1, r, ot)) << ctx.error;
        EXPECT_EQ(out.values(), want.values()) << "scatter_elements " << where;
      }
      // scatter_nd into [5, 4] rows at positions [4, 0, -1, 2] (4 repeats).
      {
        Buf x = randomBuf(type, Shape{5, 4}, seed++, -range, range);
        Buf u = randomBuf(type, Shape{4, 4}, seed++, -range, range);
        Buf pos(DType::I32, Shape{4, 1});
        const int32_t rows[] = {4, 0, -1, 2};
        for (int64_t i = 0; i < 4; ++i)
          pos.set(i, rows[i]);
        Buf out(type, Shape{5, 4}), want(type, Shape{5, 4});
        for (int64_t i = 0; i < 20; ++i)
          want.set(i, x.get(i));
        for (int64_t t = 0; t < 4; ++t)
          for (int64_t e = 0; e < 4; ++e) {
            int64_t at = (rows[t] < 0 ? rows[t] + 5 : rows[t]) * 4 + e;
            want.set(at, combine(r, want.get(at), u.get(t * 4 + e)));
          }
        Tensor xt = x.t(), pt = pos.t(), ut = u.t(), ot = out.t();
        ASSERT_TRUE(scatterNd(ctx, xt, pt, ut, r, ot)) << ctx.error;
        EXPECT_EQ(out.values(), want.values()) << "scatter_nd " << where;
      }
    }
}

TEST(KernelsScatter, Errors) {
  Context ctx = serialContext();
  Buf x(DType::F32, Shape{2, 3}), out(DType::F32, Shape{2, 3});
  Buf idx(DType::I64, Shape{2, 1}), upd(DType::F32, Shape{2, 1});
  idx.set(0, 1);
  idx.set(1, 3);
  Tensor xt = x.t(), it = idx.t(), ut = upd.t(), ot = out.t();
  EXPECT_FALSE(scatterElements(ctx, xt, it, ut, 1, ScatterReduction::None, ot));
  EXPECT_EQ(ctx.error, "scatter_elements: index 3 (at position 1) is out of "
                       "range for axis 1 of size 3");
  Buf wrong(DType::F32, Shape{2, 2});
  Tensor wt = wrong.t();
  EXPECT_FALSE(scatterElements(ctx, xt, it, wt, 1, ScatterReduction::None, ot));
  EXPECT_NE(ctx.error.find("differ in shape"), std::string::npos) << ctx.error;
  Buf pos(DType::I64, Shape{1, 1}), row(DType::F32, Shape{1, 3});
  pos.set(0, -3);
  Tensor pt = pos.t(), rt = row.t();
  EXPECT_FALSE(scatterNd(ctx, xt, pt, rt, ScatterReduction::Add, ot));
  EXPECT_EQ(ctx.error, "scatter_nd: index -3 (tuple 0, entry 0) is out of "
                       "range for dimension 0 of size 2");
  EXPECT_FALSE(scatterNd(ctx, xt, pt, wt, ScatterReduction::Add, ot));
  EXPECT_NE(ctx.error.find("expected [1, 3]"), std::string::npos) << ctx.error;
  EXPECT_FALSE(scatterNd(ctx, xt, pt, rt, ScatterReduction(9), ot));
  EXPECT_EQ(ctx.error, "scatter_nd: unknown reduction 9");
}

TEST(KernelsReduce, MatchesReference) {
  Context ctx = serialContext();
  unsigned seed = 1;
  for (ReduceOp op :
       {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min})
    for (const ReduceCase &c : kReduceCases)
      for (bool keep : {true, false}) {
        checkReduce(ctx, op, DType::F32, c, keep, seed++);
        checkReduce(ctx, op, DType::I64, c, keep, seed++);
      }
  for (const ReduceCase &c : kReduceCases) {
    checkReduce(ctx, ReduceOp::Mean, DType::BF16, c, true, seed++);
    checkReduce(ctx, ReduceOp::Sum, DType::I32, c, false, seed++);
    checkReduce(ctx, ReduceOp::Max, DType::I1, c, true, seed++);
    checkReduce(ctx, ReduceOp::Min, DType::I1, c, true, seed++);
  }
  Context threaded = threadedContext();
  checkReduce(threaded, ReduceOp::Sum, DType::F32, {{64, 3, 700}, {1}}, true,
              seed++);
  checkReduce(threaded, ReduceOp::Max, DType::F32, {{64, 900}, {1}}, false,
              seed++);
}

TEST(KernelsReduce, Errors) {
  Context ctx = serialContext();
  Shape s;
  int64_t unsorted[] = {2, 1};
  EXPECT_FAILS_WITH(reduceShape(ctx, {2, 3, 4}, unsorted, 2, true, s),
                    "sorted");
  int64_t outside[] = {3};
  EXPECT_FAILS_WITH(reduceShape(ctx, {2, 3, 4}, outside, 1, true, s), "[0, 3)");
  Buf b = randomBuf(DType::I1, {2, 3}, 1);
  Buf out(DType::I1, {2, 1});
  Tensor bt = b.t(), ot = out.t();
  int64_t axes[] = {1};
  EXPECT_FAILS_WITH(reduce(ctx, ReduceOp::Sum, bt, axes, 1, true, ot),
                    "reduce_sum: does not support i1");
}

//===----------------------------------------------------------------------===//
// Reshape, expand, transpose
//===----------------------------------------------------------------------===//

TEST(KernelsDataMovement, ReshapeShape) {
  Context ctx = serialContext();
  Shape s;
  ASSERT_TRUE(reshapeShape(ctx, {2, 3, 4}, nullptr, false, {-1, 4}, s));
  EXPECT_EQ(s, (Shape{6, 4}));
  Buf operand = filled(DType::I64, {4}, {0, -1, 2, 2});
  Tensor ot = operand.t();
  ASSERT_TRUE(reshapeShape(ctx, {2, 3, 4}, &ot, false, {-1, -1, 2, 2}, s))
      << ctx.error;
  EXPECT_EQ(s, (Shape{2, 3, 2, 2}));
  Buf zero = filled(DType::I64, {2}, {0, 5});
  Tensor zt = zero.t();
  ASSERT_TRUE(reshapeShape(ctx, {0, 5}, &zt, true, {-1, -1}, s)) << ctx.error;
  EXPECT_EQ(s, (Shape{0, 5}));
  EXPECT_FAILS_WITH(reshapeShape(ctx, {2, 3}, nullptr, false, {-1, -1}, s),
                    "more than one");
  EXPECT_FAILS_WITH(reshapeShape(ctx, {2, 3}, nullptr, false, {4, 2}, s),
                    "cannot reshape [2, 3] (6 elements)");
  EXPECT_FAILS_WITH(reshapeShape(ctx, {2, 3}, nullptr, false, {-1, 4}, s),
                    "cannot infer");
  EXPECT_FAILS_WITH(reshapeShape(ctx, {2, 3, 4}, &ot, false, {-1, 4, 2, 2}, s),
                    "contradicts");
}

TEST(KernelsDataMovement, Expand) {
  Context ctx = serialContext();
  Shape s;
  Buf operand = filled(DType::I64, {3}, {4, 1, 5});
  Tensor ot = operand.t();
  ASSERT_TRUE(expandShape(ctx, {3, 1}, &ot, {-1, -1, -1}, s)) << ctx.error;
  EXPECT_EQ(s, (Shape{4, 3, 5}));
  ASSERT_TRUE(expandShape(ctx, {3, 1}, nullptr, {2, -1, 7}, s)) << ctx.error;
  EXPECT_EQ(s, (Shape{2, 3, 7}));
  EXPECT_FAILS_WITH(expandShape(ctx, {3, 2}, nullptr, {4, 5}, s),
                    "does not broadcast");
  for (DType type : {DType::F32, DType::I1, DType::BF16, DType::I64}) {
    Buf x = randomBuf(type, {3, 1, 5}, 2);
    Buf y(type, {2, 3, 4, 5});
    Tensor xt = x.t(), yt = y.t();
    ASSERT_TRUE(expand(ctx, xt, yt)) << ctx.error;
    for (int64_t i = 0; i < y.numel(); ++i)
      ASSERT_EQ(y.get(i), x.get(broadcastSource(x.shape, y.shape, i)));
  }
  Buf x = randomBuf(DType::F32, {3, 2}, 2);
  Buf y(DType::F32, {3, 4});
  Tensor xt = x.t(), yt = y.t();
  EXPECT_FAILS_WITH(expand(ctx, xt, yt), "does not broadcast to [3, 4]");
}

void checkTranspose(Context &ctx, DType type, Shape shape,
                    std::vector<int64_t> perm) {
  Shape outShape;
  ASSERT_TRUE(transposeShape(ctx, shape, perm.data(), outShape));
  Buf x = randomBuf(type, shape, 3, -100, 100);
  Buf y(type, outShape);
  Tensor xt = x.t(), yt = y.t();
  ASSERT_TRUE(transpose(ctx, xt, perm.data(), yt)) << ctx.error;
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> index = unravel(i, outShape);
    std::vector<int64_t> src(static_cast<size_t>(shape.rank));
    for (int d = 0; d < shape.rank; ++d)
      src[size_t(perm[size_t(d)])] = index[size_t(d)];
    ASSERT_EQ(y.get(i), x.get(ravel(src, shape)))
        << shape.str() << " element " << i;
  }
}

TEST(KernelsDataMovement, Transpose) {
  Context ctx = serialContext();
  for (DType type : {DType::F32, DType::I64, DType::F16, DType::I1}) {
    checkTranspose(ctx, type, {2, 5, 3, 8}, {0, 2, 1, 3}); // contiguous rows
    checkTranspose(ctx, type, {37, 21}, {1, 0});           // tiled
    checkTranspose(ctx, type, {2, 5, 3, 8}, {3, 1, 0, 2});
    checkTranspose(ctx, type, {4, 1, 6}, {2, 1, 0});
  }
  checkTranspose(ctx, DType::F32, {}, {});
  Context threaded = threadedContext();
  checkTranspose(threaded, DType::F32, {300, 130}, {1, 0});
  checkTranspose(threaded, DType::F32, {2, 64, 4, 64}, {0, 2, 1, 3});
  Shape s;
  int64_t bad[] = {0, 0};
  EXPECT_FAILS_WITH(transposeShape(ctx, {2, 3}, bad, s), "not a permutation");
}

//===----------------------------------------------------------------------===//
// Concat, split, slice
//===----------------------------------------------------------------------===//

TEST(KernelsDataMovement, ConcatAndSplit) {
  Context ctx = serialContext();
  for (DType type : {DType::F32, DType::I1, DType::I64}) {
    for (int64_t axis : {0, 1, 2}) {
      Shape base{2, 3, 4};
      std::vector<Buf> parts;
      int64_t sizes[] = {1, 3, 2};
      for (int i = 0; i < 3; ++i) {
        Shape s = base;
        s[int(axis)] = sizes[i];
        parts.push_back(randomBuf(type, s, unsigned(i + 1)));
      }
      std::vector<Tensor> inputs;
      for (Buf &p : parts)
        inputs.push_back(p.t());
      Shape shape;
      ASSERT_TRUE(concatShape(ctx, inputs.data(), 3, axis, shape));
      Buf out(type, shape);
      Tensor ot = out.t();
      ASSERT_TRUE(concat(ctx, inputs.data(), 3, axis, ot)) << ctx.error;
      for (int64_t i = 0; i < out.numel(); ++i) {
        std::vector<int64_t> index = unravel(i, shape);
        int p = 0;
        while (index[size_t(axis)] >= sizes[p])
          index[size_t(axis)] -= sizes[p++];
        ASSERT_EQ(out.get(i),
                  parts[size_t(p)].get(ravel(index, parts[size_t(p)].shape)));
      }
      Shape pieces[3];
      ASSERT_TRUE(splitShapes(ctx, shape, axis, sizes, 3, pieces));
      std::vector<Buf> back;
      for (const Shape &s : pieces)
        back.emplace_back(type, s);
      std::vector<Tensor> outs;
      for (Buf &b : back)
        outs.push_back(b.t());
      ASSERT_TRUE(split(ctx, ot, axis, outs.data(), 3)) << ctx.error;
      for (int i = 0; i < 3; ++i)
        EXPECT_EQ(back[size_t(i)].values(), parts[size_t(i)].values());
    }
  }
  Buf a = randomBuf(DType::F32, {2, 3}, 1),
      b = randomBuf(DType::F32, {3, 3}, 2);
  Tensor ins[] = {a.t(), b.t()};
  Shape s;
  EXPECT_FAILS_WITH(concatShape(ctx, ins, 2, 1, s), "differs from input 0");
  int64_t sizes[] = {1, 1};
  Shape outs[2];
  EXPECT_FAILS_WITH(splitShapes(ctx, {2, 3}, 1, sizes, 2, outs),
                    "sizes add up to 2");
}

/// The input index kestrel.pad reads for coordinate j (begin pad already
/// subtracted) of a dimension of n, by walking: mirror at the edges without
/// repeating them (reflect), clamp (edge), step by n (wrap); -1: constant.
int64_t padReference(int64_t j, int64_t n, PadMode mode) {
  if (j >= 0 && j < n)
    return j;
  switch (mode) {
  case PadMode::Constant:
    return -1;
  case PadMode::Edge:
    return j < 0 ? 0 : n - 1;
  case PadMode::Wrap:
    while (j < 0)
      j += n;
    while (j >= n)
      j -= n;
    return j;
  case PadMode::Reflect:
    if (n == 1)
      return 0;
    while (j < 0 || j >= n)
      j = j < 0 ? -j : 2 * (n - 1) - j;
    return j;
  }
  return -1;
}

TEST(KernelsDataMovement, PadEveryModeAgainstAReference) {
  Context ctx = threadedContext();
  struct Case {
    Shape shape;
    std::vector<int64_t> pads;
  } cases[] = {
      {{7}, {3, 2}},
      {{5, 9}, {1, 0, 2, 3}},
      {{3, 4, 6}, {0, 2, 5, 1, 0, 4}}, // pads wider than a dimension
      {{4, 6}, {-1, 2, 0, -3}},        // crops
      {{2, 3, 1, 5}, {1, 0, 2, 1, 0, 1, 3, 0}},
      {{64, 33}, {2, 7, 1, 9}}, // several rows per task
  };
  for (DType type : {DType::F32, DType::I64, DType::BF16, DType::I1})
    for (PadMode mode :
         {PadMode::Constant, PadMode::Reflect, PadMode::Edge, PadMode::Wrap})
      for (const Case &c : cases) {
        Shape shape;
        ASSERT_TRUE(padShape(ctx, c.shape, c.pads.data(), shape)) << ctx.error;
        Buf x = randomBuf(type, c.shape, 9, -50, 50);
        Buf value = filled(type, {}, {type == DType::I1 ? 1.0 : 7.0});
        Buf y(type, shape);
        Tensor xt = x.t(), vt = value.t(), yt = y.t();
        ASSERT_TRUE(pad(ctx, xt, c.pads.data(), mode, vt, yt))
            << ctx.error << " " << padModeName(mode) << " " << c.shape.str();
        int rank = c.shape.rank;
        for (int64_t i = 0; i < y.numel(); ++i) {
          std::vector<int64_t> index = unravel(i, shape);
          bool inside = true;
          for (int d = 0; d < rank; ++d) {
            int64_t s = padReference(index[size_t(d)] - c.pads[size_t(d)],
                                     c.shape[d], mode);
            inside = inside && s >= 0;
            index[size_t(d)] = s;
          }
          double want = inside ? x.get(ravel(index, c.shape)) : value.get(0);
          ASSERT_EQ(y.get(i), want)
              << padModeName(mode) << " " << c.shape.str() << " at " << i;
        }
      }
}

TEST(KernelsDataMovement, PadErrors) {
  Context ctx = serialContext();
  Shape s;
  int64_t crop[] = {-3, 0};
  EXPECT_FAILS_WITH(padShape(ctx, {2}, crop, s),
                    "pad: dimension 0 of size 2 cannot take pads (-3, 0)");
  Buf x(DType::F32, {0, 3}), v = filled(DType::F32, {}, {0.0});
  int64_t pads[] = {1, 0, 0, 0};
  Buf y(DType::F32, {1, 3});
  Tensor xt = x.t(), vt = v.t(), yt = y.t();
  EXPECT_FAILS_WITH(pad(ctx, xt, pads, PadMode::Edge, vt, yt),
                    "pad: edge padding needs entries to copy, and dimension 0 "
                    "is empty");
  ASSERT_TRUE(pad(ctx, xt, pads, PadMode::Constant, vt, yt)) << ctx.error;
  Buf wrongValue = filled(DType::I64, {}, {0.0});
  Tensor wt = wrongValue.t();
  EXPECT_FAILS_WITH(pad(ctx, xt, pads, PadMode::Constant, wt, yt),
                    "pad: value must be a rank-0 f32 tensor, got i64 []");
  EXPECT_FAILS_WITH(pad(ctx, xt, pads, PadMode(9), vt, yt),
                    "pad: unknown mode 9");
}

TEST(KernelsDataMovement, SliceMatchesOnnxSemantics) {
  Context ctx = serialContext();
  const int64_t big = std::numeric_limits<int64_t>::max();
  struct Case {
    Shape shape;
    std::vector<int64_t> starts, ends, steps;
  } cases[] = {
      {{6, 8}, {1, 0}, {4, big}, {1, 2}},
      {{6, 8}, {-1, -3}, {-big, 0}, {-1, -2}},
      {{5, 7, 9}, {0, 2, 0}, {big, 5, 9}, {2, 1, 1}},
      {{5, 7, 9}, {10, 0, 0}, {20, 7, 9}, {1, 1, 1}}, // empty
      {{4, 9}, {0, 8}, {4, -big}, {1, -3}},
      {{4, 9}, {-100, 3}, {100, 4}, {big, 1}}, // huge step, one element
  };
  for (DType type : {DType::F32, DType::I1, DType::BF16}) {
    for (const Case &c : cases) {
      Shape shape;
      ASSERT_TRUE(sliceShape(ctx, c.shape, c.starts.data(), c.ends.data(),
                             c.steps.data(), shape))
          << ctx.error;
      // The reference enumerates every index of each dimension.
      std::vector<std::vector<int64_t>> picked(
          static_cast<size_t>(c.shape.rank));
      for (int d = 0; d < c.shape.rank; ++d) {
        int64_t dim = c.shape[d], step = c.steps[size_t(d)];
        int64_t start = c.starts[size_t(d)], end = c.ends[size_t(d)];
        if (start < 0)
          start += dim;
        if (end < 0)
          end = end < -dim ? -1 : end + dim;
        start = step > 0 ? std::clamp<int64_t>(start, 0, dim)
                         : std::clamp<int64_t>(start, 0, dim - 1);
        end = step > 0 ? std::clamp<int64_t>(end, 0, dim)
                       : std::clamp<int64_t>(end, -1, dim - 1);
        for (int64_t i = start; step > 0 ? i < end : i > end;) {
          picked[size_t(d)].push_back(i);
          if ((step > 0 && i > end - step) || (step < 0 && i < end - step))
            break;
          i += step;
        }
        ASSERT_EQ(int64_t(picked[size_t(d)].size()), shape[d]) << d;
      }
      Buf x = randomBuf(type, c.shape, 4, -100, 100);
      Buf y(type, shape);
      Tensor xt = x.t(), yt = y.t();
      ASSERT_TRUE(
          slice(ctx, xt, c.starts.data(), c.ends.data(), c.steps.data(), yt))
          << ctx.error;
      for (int64_t i = 0; i < y.numel(); ++i) {
        std::vector<int64_t> index = unravel(i, shape);
        for (int d = 0; d < shape.rank; ++d)
          index[size_t(d)] = picked[size_t(d)][size_t(index[size_t(d)])];
        ASSERT_EQ(y.get(i), x.get(ravel(index, c.shape)));
      }
    }
  }
  Shape s;
  int64_t zeros[] = {0, 0}, ones[] = {1, 0};
  EXPECT_FAILS_WITH(sliceShape(ctx, {2, 3}, zeros, zeros, ones, s),
                    "step of dimension 1 is zero");
}

//===----------------------------------------------------------------------===//
// Gathers
//===----------------------------------------------------------------------===//

TEST(KernelsGather, AlongAnAxis) {
  Context ctx = serialContext();
  for (DType indexType : {DType::I64, DType::I32}) {
    for (int64_t axis : {0, 1, 2}) {
      Shape xs{4, 5, 6};
      Buf x = randomBuf(DType::F16, xs, 2);
      Buf idx = filled(indexType, {2, 3}, {0, -1, 2, 3, -2, 1});
      Shape shape;
      ASSERT_TRUE(gatherShape(ctx, xs, idx.shape, axis, shape));
      Buf out(DType::F16, shape);
      Tensor xt = x.t(), it = idx.t(), ot = out.t();
      ASSERT_TRUE(gather(ctx, xt, it, axis, ot)) << ctx.error;
      for (int64_t i = 0; i < out.numel(); ++i) {
        std::vector<int64_t> index = unravel(i, shape);
        std::vector<int64_t> src;
        for (int d = 0; d < axis; ++d)
          src.push_back(index[size_t(d)]);
        int64_t k =
            int64_t(idx.get(index[size_t(axis)] * 3 + index[size_t(axis) + 1]));
        src.push_back(k < 0 ? k + xs[int(axis)] : k);
        for (int d = int(axis) + 1; d < 3; ++d)
          src.push_back(index[size_t(d) + 1]);
        ASSERT_EQ(out.get(i), x.get(ravel(src, xs)));
      }
    }
  }
  // An embedding lookup on a threaded context.
  Context threaded = threadedContext();
  Buf table = randomBuf(DType::F32, {100, 300}, 3);
  Buf ids = filled(DType::I64, {2, 40}, {});
  for (int64_t i = 0; i < 80; ++i)
    ids.as<int64_t>()[i] = (i * 37) % 100;
  Buf out(DType::F32, {2, 40, 300});
  Tensor tt = table.t(), it = ids.t(), ot = out.t();
  ASSERT_TRUE(gather(threaded, tt, it, 0, ot)) << threaded.error;
  for (int64_t i = 0; i < 80; ++i)
    ASSERT_EQ(std::memcmp(out.as<float>() + i * 300,
                          table.as<float>() + ids.as<int64_t>()[i] * 300,
                          300 * sizeof(float)),
              0);

  ids.as<int64_t>()[7] = 100;
  EXPECT_FALSE(gather(threaded, tt, it, 0, ot));
  EXPECT_EQ(threaded.error, "gather: index 100 (at position 7) is out of "
                            "range for axis 0 of size 100");
  ids.as<int64_t>()[7] = -101;
  EXPECT_FAILS_WITH(gather(ctx, tt, it, 0, ot), "index -101");
  Buf floatIds = randomBuf(DType::F32, {2}, 1);
  Tensor ft = floatIds.t();
  EXPECT_FAILS_WITH(gather(ctx, tt, ft, 0, ot), "indices must be i64 or i32");
}

TEST(KernelsGather, Elements) {
  Context ctx = serialContext();
  Buf x = randomBuf(DType::F32, {3, 5}, 1);
  Buf idx = filled(DType::I64, {2, 4}, {0, 4, -1, 2, 1, 1, 3, -5});
  Buf out(DType::F32, {2, 4});
  Tensor xt = x.t(), it = idx.t(), ot = out.t();
  ASSERT_TRUE(gatherElements(ctx, xt, it, 1, ot)) << ctx.error;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      int64_t k = int64_t(idx.get(i * 4 + j));
      EXPECT_EQ(out.get(i * 4 + j), x.get(i * 5 + (k < 0 ? k + 5 : k)));
    }
  Buf idx0 = filled(DType::I32, {2, 3}, {2, 0, 1, -1, 1, 0});
  Buf out0(DType::F32, {2, 3});
  Tensor i0t = idx0.t(), o0t = out0.t();
  ASSERT_TRUE(gatherElements(ctx, xt, i0t, 0, o0t)) << ctx.error;
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j) {
      int64_t k = int64_t(idx0.get(i * 3 + j));
      EXPECT_EQ(out0.get(i * 3 + j), x.get((k < 0 ? k + 3 : k) * 5 + j));
    }
  idx.as<int64_t>()[3] = 5;
  EXPECT_FAILS_WITH(gatherElements(ctx, xt, it, 1, ot),
                    "index 5 (at position 3) is out of range");
}

TEST(KernelsGather, Nd) {
  Context ctx = serialContext();
  Shape s;
  // batch_dims 0: [?, 2] indices pick rows of a [4, 5, 3] input.
  Buf x = randomBuf(DType::F32, {4, 5, 3}, 1);
  Buf idx = filled(DType::I64, {3, 2}, {0, 1, 3, -1, 2, 4});
  ASSERT_TRUE(gatherNdShape(ctx, x.shape, idx.shape, 0, s));
  EXPECT_EQ(s, (Shape{3, 3}));
  Buf out(DType::F32, s);
  Tensor xt = x.t(), it = idx.t(), ot = out.t();
  ASSERT_TRUE(gatherNd(ctx, xt, it, 0, ot)) << ctx.error;
  int64_t rows[][2] = {{0, 1}, {3, 4}, {2, 4}};
  for (int t = 0; t < 3; ++t)
    for (int c = 0; c < 3; ++c)
      EXPECT_EQ(out.get(t * 3 + c),
                x.get((rows[t][0] * 5 + rows[t][1]) * 3 + c));
  // batch_dims 1: per batch entry, two picks along dim 1.
  Buf bidx = filled(DType::I32, {4, 2, 1}, {0, 4, 1, 1, 2, 3, -1, 0});
  ASSERT_TRUE(gatherNdShape(ctx, x.shape, bidx.shape, 1, s));
  EXPECT_EQ(s, (Shape{4, 2, 3}));
  Buf bout(DType::F32, s);
  Tensor bit = bidx.t(), bot = bout.t();
  ASSERT_TRUE(gatherNd(ctx, xt, bit, 1, bot)) << ctx.error;
  for (int b = 0; b < 4; ++b)
    for (int p = 0; p < 2; ++p) {
      int64_t k = int64_t(bidx.get(b * 2 + p));
      k = k < 0 ? k + 5 : k;
      for (int c = 0; c < 3; ++c)
        EXPECT_EQ(bout.get((b * 2 + p) * 3 + c), x.get((b * 5 + k) * 3 + c));
    }
  idx.as<int64_t>()[3] = 5;
  EXPECT_FAILS_WITH(gatherNd(ctx, xt, it, 0, ot), "out of range");
  EXPECT_FAILS_WITH(gatherNdShape(ctx, {4, 5}, {3, 3}, 0, s), "does not fit");
  EXPECT_FAILS_WITH(gatherNdShape(ctx, {4, 5}, {3, 1}, 1, s),
                    "batch dimension 0 differs");
}

TEST(KernelsNonZero, IndicesInRowMajorOrder) {
  Context ctx = serialContext();
  Shape s;
  // -0 is zero in every float type, NaN is not; a bool is any non-zero
  // byte.
  const double nan = std::nan("");
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::F8E4M3FN,
                      DType::I64, DType::I32, DType::I1}) {
    bool isFloat = isFloatType(dtype);
    Buf x(dtype, {2, 3, 2});
    std::vector<double> values = {0,  1.5, -0.0, 0, 3, 0,
                                  -2, 0,   0,    0, 0, isFloat ? nan : 7};
    for (int64_t i = 0; i < 12; ++i)
      x.set(i, values[size_t(i)]);
    if (dtype == DType::I1)
      x.as<uint8_t>()[4] = 0x40;
    ASSERT_TRUE(nonZeroShape(ctx, x.shape, s));
    EXPECT_EQ(s, (Shape{3, 12}));
    Buf out(DType::I64, s);
    Tensor xt = x.t(), ot = out.t();
    ASSERT_TRUE(nonZero(ctx, xt, ot)) << dtypeName(dtype) << ": " << ctx.error;
    // Elements 1, 4, 6, 11: (0,0,1) (0,2,0) (1,0,0) (1,2,1).
    ASSERT_EQ(ot.shape, (Shape{3, 4})) << dtypeName(dtype);
    std::vector<int64_t> want = {0, 0, 1, 1, 0, 2, 0, 2, 1, 0, 0, 1};
    EXPECT_EQ(std::vector<int64_t>(ot.as<int64_t>(), ot.as<int64_t>() + 12),
              want)
        << dtypeName(dtype);
  }
  // A scalar counts as one element of rank 1; none non-zero leaves [r, 0].
  Buf scalar = filled(DType::F32, {}, {2.5f});
  ASSERT_TRUE(nonZeroShape(ctx, scalar.shape, s));
  EXPECT_EQ(s, (Shape{1, 1}));
  Buf one(DType::I64, s);
  Tensor st = scalar.t(), onet = one.t();
  ASSERT_TRUE(nonZero(ctx, st, onet)) << ctx.error;
  EXPECT_EQ(onet.shape, (Shape{1, 1}));
  EXPECT_EQ(one.as<int64_t>()[0], 0);
  Buf zeros(DType::F32, {4, 5});
  Buf none(DType::I64, {2, 20});
  Tensor zt = zeros.t(), nt = none.t();
  ASSERT_TRUE(nonZero(ctx, zt, nt)) << ctx.error;
  EXPECT_EQ(nt.shape, (Shape{2, 0}));
  // The output must have the room nonZeroShape says, and be i64.
  Buf small(DType::I64, {2, 3});
  Tensor smt = small.t();
  EXPECT_FAILS_WITH(nonZero(ctx, zt, smt), "nonzero");
  Buf wrong(DType::I32, {2, 20});
  Tensor wt = wrong.t();
  EXPECT_FAILS_WITH(nonZero(ctx, zt, wt), "nonzero");
}

//===----------------------------------------------------------------------===//
// Shape, range, top-k
//===----------------------------------------------------------------------===//

TEST(KernelsValues, ShapeOfAndRange) {
  Context ctx = serialContext();
  Buf dims(DType::I64, {3});
  Tensor dt = dims.t();
  ASSERT_TRUE(shapeOf(ctx, {2, 0, 7}, dt));
  EXPECT_EQ(dims.values(), (std::vector<double>{2, 0, 7}));

  struct Case {
    DType type;
    double start, limit, delta;
    std::vector<double> want;
  } cases[] = {
      {DType::I64, 0, 5, 1, {0, 1, 2, 3, 4}},
      {DType::I32, 10, 1, -3, {10, 7, 4}},
      {DType::I64, 5, 0, 1, {}},
      {DType::F32, 0.5, 2.0, 0.5, {0.5, 1.0, 1.5}},
      {DType::BF16, 1, -1, -0.75, {1, 0.25, -0.5}},
  };
  for (const Case &c : cases) {
    Buf start = filled(c.type, {}, {c.start});
    Buf limit = filled(c.type, {}, {c.limit});
    Buf delta = filled(c.type, {}, {c.delta});
    Tensor st = start.t(), lt = limit.t(), dt2 = delta.t();
    Shape s;
    ASSERT_TRUE(rangeShape(ctx, st, lt, dt2, s)) << ctx.error;
    EXPECT_EQ(s, (Shape{int64_t(c.want.size())}));
    Buf out(c.type, s);
    Tensor ot = out.t();
    ASSERT_TRUE(range(ctx, st, lt, dt2, ot)) << ctx.error;
    EXPECT_EQ(out.values(), c.want);
  }
  Buf zero = filled(DType::I64, {}, {0});
  Tensor zt = zero.t();
  Shape s;
  EXPECT_FAILS_WITH(rangeShape(ctx, zt, zt, zt, s), "delta is zero");
}

TEST(KernelsValues, TopK) {
  Context ctx = serialContext();
  Buf x = filled(DType::F32, {2, 6}, {1, 5, 3, 5, 2, 5, -1, -4, 0, -4, 8, 3});
  for (bool largest : {true, false}) {
    Buf values(DType::F32, {2, 3}), indices(DType::I64, {2, 3});
    Tensor xt = x.t(), vt = values.t(), it = indices.t();
    ASSERT_TRUE(topK(ctx, xt, 3, 1, largest, vt, it)) << ctx.error;
    if (largest) {
      EXPECT_EQ(values.values(), (std::vector<double>{5, 5, 5, 8, 3, 0}));
      EXPECT_EQ(indices.values(), (std::vector<double>{1, 3, 5, 4, 5, 2}));
    } else {
      EXPECT_EQ(values.values(), (std::vector<double>{1, 2, 3, -4, -4, -1}));
      EXPECT_EQ(indices.values(), (std::vector<double>{0, 4, 2, 1, 3, 0}));
    }
  }
  // Axis 0 of an i32 tensor, and a bf16 one.
  Buf xi = filled(DType::I32, {3, 2}, {4, 1, 9, 1, 2, 7});
  Buf vi(DType::I32, {2, 2}), ii(DType::I64, {2, 2});
  Tensor xit = xi.t(), vit = vi.t(), iit = ii.t();
  ASSERT_TRUE(topK(ctx, xit, 2, 0, true, vit, iit)) << ctx.error;
  EXPECT_EQ(vi.values(), (std::vector<double>{9, 7, 4, 1}));
  EXPECT_EQ(ii.values(), (std::vector<double>{1, 2, 0, 0}));
  Buf xb = randomBuf(DType::BF16, {4, 50}, 3);
  Buf vb(DType::BF16, {4, 5}), ib(DType::I64, {4, 5});
  Tensor xbt = xb.t(), vbt = vb.t(), ibt = ib.t();
  ASSERT_TRUE(topK(ctx, xbt, 5, 1, true, vbt, ibt));
  std::vector<double> all = xb.values();
  for (int r = 0; r < 4; ++r) {
    std::vector<double> row(all.begin() + r * 50, all.begin() + (r + 1) * 50);
    std::vector<double> sorted = row;
    std::sort(sorted.rbegin(), sorted.rend());
    for (int j = 0; j < 5; ++j) {
      EXPECT_EQ(vb.get(r * 5 + j), sorted[size_t(j)]);
      EXPECT_EQ(row[size_t(ib.get(r * 5 + j))], sorted[size_t(j)]);
    }
  }
  Shape s;
  EXPECT_FAILS_WITH(topKShape(ctx, {2, 6}, 7, 1, s), "k = 7 must be in [1, 6]");
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

TEST(KernelsFused, RmsNormAndLayerNorm) {
  for (DType type : {DType::F32, DType::BF16, DType::F16}) {
    for (bool threaded : {false, true}) {
      Context ctx = threaded ? threadedContext() : serialContext();
      Shape shape = threaded ? Shape{64, 4, 100} : Shape{3, 4, 33};
      for (int64_t axis : {1, 2}) {
        Shape normalized;
        for (int d = int(axis); d < 3; ++d)
          normalized[normalized.rank++] = shape[d];
        Buf x = randomBuf(type, shape, 1, -2, 4);
        Buf w = randomBuf(type, normalized, 2);
        Buf bias = randomBuf(type, normalized, 3);
        int64_t cols = normalized.numel(), rows = x.numel() / cols;
        float eps = 1e-5f;
        std::vector<double> wantRms(size_t(x.numel())),
            wantLayer(size_t(x.numel()));
        for (int64_t r = 0; r < rows; ++r) {
          double sum = 0, squares = 0, centered = 0;
          for (int64_t j = 0; j < cols; ++j) {
            sum += x.get(r * cols + j);
            squares += x.get(r * cols + j) * x.get(r * cols + j);
          }
          double mean = sum / cols;
          for (int64_t j = 0; j < cols; ++j)
            centered += std::pow(x.get(r * cols + j) - mean, 2);
          double rms = 1 / std::sqrt(squares / cols + eps);
          double inv = 1 / std::sqrt(centered / cols + eps);
          for (int64_t j = 0; j < cols; ++j) {
            double v = x.get(r * cols + j);
            wantRms[size_t(r * cols + j)] = v * rms * w.get(j);
            wantLayer[size_t(r * cols + j)] =
                (v - mean) * inv * w.get(j) + bias.get(j);
          }
        }
        Buf y(type, shape);
        Tensor xt = x.t(), wt = w.t(), bt = bias.t(), yt = y.t();
        ASSERT_TRUE(rmsNorm(ctx, xt, wt, axis, eps, yt)) << ctx.error;
        EXPECT_LE(relativeL2(y.floats(), wantRms), tolerance(type));
        ASSERT_TRUE(layerNorm(ctx, xt, wt, &bt, axis, eps, yt)) << ctx.error;
        EXPECT_LE(relativeL2(y.floats(), wantLayer), tolerance(type));
      }
    }
  }
  Context ctx = serialContext();
  Buf x = randomBuf(DType::F32, {2, 8}, 1), w = randomBuf(DType::F32, {7}, 2);
  Buf y(DType::F32, {2, 8});
  Tensor xt = x.t(), wt = w.t(), yt = y.t();
  EXPECT_FAILS_WITH(rmsNorm(ctx, xt, wt, 1, 1e-5f, yt),
                    "weight has shape [7], expected the normalized shape [8]");
}

// The add-norm kernels write exactly what an add followed by the norm
// writes: the sum rounded to the storage type, and the norm of that.
TEST(KernelsFused, AddNormsEqualAddThenNorm) {
  for (DType type : {DType::F32, DType::BF16, DType::F16, DType::F8E4M3FN}) {
    for (bool threaded : {false, true}) {
      Context ctx = threaded ? threadedContext() : serialContext();
      Shape shape = threaded ? Shape{64, 4, 100} : Shape{3, 4, 33};
      for (int64_t axis : {1, 2}) {
        Shape normalized;
        for (int d = int(axis); d < 3; ++d)
          normalized[normalized.rank++] = shape[d];
        Buf x = randomBuf(type, shape, 1, -2, 4);
        Buf r = randomBuf(type, shape, 4, -3, 3);
        Buf w = randomBuf(type, normalized, 2);
        Buf bias = randomBuf(type, normalized, 3);
        Buf sum(type, shape), y(type, shape), wantSum(type, shape),
            want(type, shape);
        Tensor xt = x.t(), rt = r.t(), wt = w.t(), bt = bias.t(), st = sum.t(),
               yt = y.t(), wst = wantSum.t(), wyt = want.t();
        ASSERT_TRUE(binary(ctx, BinaryOp::Add, xt, rt, wst)) << ctx.error;
        ASSERT_TRUE(rmsNorm(ctx, wst, wt, axis, 1e-5f, wyt)) << ctx.error;
        ASSERT_TRUE(addRmsNorm(ctx, xt, rt, wt, axis, 1e-5f, st, yt))
            << ctx.error;
        EXPECT_EQ(sum.floats(), wantSum.floats()) << dtypeName(type);
        EXPECT_EQ(y.floats(), want.floats()) << dtypeName(type);
        for (bool withBias : {true, false}) {
          const Tensor *b = withBias ? &bt : nullptr;
          ASSERT_TRUE(layerNorm(ctx, wst, wt, b, axis, 1e-6f, wyt))
              << ctx.error;
          ASSERT_TRUE(addLayerNorm(ctx, xt, rt, wt, b, axis, 1e-6f, st, yt))
              << ctx.error;
          EXPECT_EQ(sum.floats(), wantSum.floats()) << dtypeName(type);
          EXPECT_EQ(y.floats(), want.floats()) << dtypeName(type);
        }
      }
    }
  }
}

TEST(KernelsFused, AddNormErrors) {
  Context ctx = serialContext();
  Buf x = randomBuf(DType::F32, {2, 8}, 1), w = randomBuf(DType::F32, {8}, 2);
  Buf row = randomBuf(DType::F32, {1, 8}, 3), half(DType::BF16, {2, 8});
  Buf sum(DType::F32, {2, 8}), y(DType::F32, {2, 8}), small(DType::F32, {2, 4});
  Tensor xt = x.t(), wt = w.t(), rowt = row.t(), halft = half.t(), st = sum.t(),
         yt = y.t(), smallt = small.t();
  EXPECT_FAILS_WITH(addRmsNorm(ctx, xt, rowt, wt, 1, 1e-5f, st, yt),
                    "add_rms_norm: residual has shape [1, 8], expected x's "
                    "shape [2, 8] (the fused add does not broadcast)");
  EXPECT_FAILS_WITH(addLayerNorm(ctx, xt, halft, wt, nullptr, 1, 1e-5f, st, yt),
                    "add_layer_norm: residual is bf16, expected x's dtype f32");
  EXPECT_FAILS_WITH(addRmsNorm(ctx, xt, xt, wt, 1, 1e-5f, smallt, yt),
                    "add_rms_norm: sum has shape [2, 4], expected [2, 8]");
  EXPECT_FAILS_WITH(addLayerNorm(ctx, xt, xt, rowt, nullptr, 1, 1e-5f, st, yt),
                    "add_layer_norm: scale has shape [1, 8], expected the "
                    "normalized shape [8]");
}

TEST(KernelsFused, Rope) {
  Context ctx = serialContext();
  struct Case {
    Shape x, table;
    bool interleaved;
    int64_t rotaryDim;
  } cases[] = {
      {{2, 3, 5, 8}, {2, 1, 5, 4}, false, 0},
      {{2, 3, 5, 8}, {5, 4}, true, 0},
      {{2, 3, 5, 10}, {1, 1, 5, 3}, false, 6}, // partial rotary
      {{4, 12}, {4, 2}, true, 4},
  };
  for (DType type : {DType::F32, DType::BF16}) {
    for (const Case &c : cases) {
      Buf x = randomBuf(type, c.x, 1), cosT = randomBuf(type, c.table, 2),
          sinT = randomBuf(type, c.table, 3);
      Buf y(type, c.x);
      Tensor xt = x.t(), ct = cosT.t(), st = sinT.t(), yt = y.t();
      ASSERT_TRUE(rope(ctx, xt, ct, st, c.interleaved, c.rotaryDim, yt))
          << ctx.error;
      int64_t headDim = c.x[c.x.rank - 1];
      int64_t rotary = c.rotaryDim > 0 ? c.rotaryDim : headDim,
              half = rotary / 2;
      Shape lead = c.x, tableLead = c.table;
      lead.rank -= 1;
      tableLead.rank -= 1;
      std::vector<double> want(static_cast<size_t>(x.numel()));
      for (int64_t r = 0; r < lead.numel(); ++r) {
        int64_t t = broadcastSource(tableLead, lead, r) * half;
        const int64_t base = r * headDim;
        for (int64_t i = 0; i < headDim; ++i)
          want[size_t(base + i)] = x.get(base + i);
        for (int64_t i = 0; i < half; ++i) {
          int64_t a = c.interleaved ? 2 * i : i;
          int64_t b = c.interleaved ? 2 * i + 1 : i + half;
          double xa = x.get(base + a), xb = x.get(base + b);
          double co = cosT.get(t + i), si = sinT.get(t + i);
          want[size_t(base + a)] = xa * co - xb * si;
          want[size_t(base + b)] = xb * co + xa * si;
        }
      }
      EXPECT_LE(relativeL2(y.floats(), want), tolerance(type))
          << c.x.str() << " " << dtypeName(type);
    }
  }
  Buf x = randomBuf(DType::F32, {2, 8}, 1),
      t = randomBuf(DType::F32, {2, 3}, 2);
  Buf y(DType::F32, {2, 8});
  Tensor xt = x.t(), tt = t.t(), yt = y.t();
  EXPECT_FAILS_WITH(rope(ctx, xt, tt, tt, false, 0, yt), "expected rotary_dim");
}

struct AttentionCase {
  int64_t b, h, hkv, sq, skv, d, dv;
  bool causal;
  int mask; // 0 none, 1 bool [B, 1, 1, Skv], 2 float [Sq, Skv]
};

void checkAttention(Context &ctx, DType type, const AttentionCase &c) {
  Buf q = randomBuf(type, {c.b, c.h, c.sq, c.d}, 1);
  Buf k = randomBuf(type, {c.b, c.hkv, c.skv, c.d}, 2);
  Buf v = randomBuf(type, {c.b, c.hkv, c.skv, c.dv}, 3);
  Buf boolMask = randomBuf(DType::I1, {c.b, 1, 1, c.skv}, 4, 0, 3);
  Buf floatMask = randomBuf(type, {c.sq, c.skv}, 5);
  for (int64_t j = 0; j < c.b; ++j)
    boolMask.set(j * c.skv, 1); // every row keeps a key
  Buf out(type, {c.b, c.h, c.sq, c.dv});
  Tensor qt = q.t(), kt = k.t(), vt = v.t(), ot = out.t();
  Tensor mt = c.mask == 1 ? boolMask.t() : floatMask.t();
  ASSERT_TRUE(attention(ctx, qt, kt, vt, c.mask ? &mt : nullptr, 0.0f, c.causal,
                        c.h, c.hkv, ot))
      << ctx.error;
  std::vector<double> want(static_cast<size_t>(out.numel()));
  double scale = 1 / std::sqrt(double(c.d));
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t h = 0; h < c.h; ++h) {
      int64_t kvh = h / (c.h / c.hkv);
      for (int64_t i = 0; i < c.sq; ++i) {
        std::vector<double> s(static_cast<size_t>(c.skv));
        double mx = -1e300;
        for (int64_t j = 0; j < c.skv; ++j) {
          double dot = 0;
          for (int64_t e = 0; e < c.d; ++e)
            dot += q.get(((b * c.h + h) * c.sq + i) * c.d + e) *
                   k.get(((b * c.hkv + kvh) * c.skv + j) * c.d + e);
          dot *= scale;
          bool visible = !(c.causal && j > i + c.skv - c.sq);
          if (c.mask == 1)
            visible = visible && boolMask.get(b * c.skv + j) != 0;
          if (c.mask == 2)
            dot += floatMask.get(i * c.skv + j);
          s[size_t(j)] = visible ? dot : -INFINITY;
          mx = std::max(mx, s[size_t(j)]);
        }
        double sum = 0;
        for (double &x : s) {
          x = std::exp(x - mx);
          sum += x;
        }
        for (int64_t e = 0; e < c.dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < c.skv; ++j)
            acc += s[size_t(j)] *
                   v.get(((b * c.hkv + kvh) * c.skv + j) * c.dv + e);
          want[size_t(((b * c.h + h) * c.sq + i) * c.dv + e)] = acc / sum;
        }
      }
    }
  EXPECT_LE(relativeL2(out.floats(), want), tolerance(type))
      << dtypeName(type) << " causal " << c.causal << " mask " << c.mask;
}

TEST(KernelsFused, Attention) {
  Context ctx = serialContext();
  const AttentionCase cases[] = {
      {1, 4, 4, 9, 9, 16, 16, false, 0}, {2, 4, 2, 7, 12, 8, 12, true, 0},
      {2, 6, 1, 5, 5, 8, 8, false, 1},   {1, 2, 2, 6, 10, 16, 8, true, 2},
      {2, 4, 2, 1, 20, 32, 32, true, 1}, // decoding step
  };
  for (const AttentionCase &c : cases) {
    checkAttention(ctx, DType::F32, c);
    checkAttention(ctx, DType::BF16, c);
  }
  Context threaded = threadedContext();
  checkAttention(threaded, DType::F32, {2, 8, 4, 40, 40, 32, 32, true, 1});

  Buf q = randomBuf(DType::F32, {1, 4, 3, 8}, 1);
  Buf k = randomBuf(DType::F32, {1, 3, 3, 8}, 2);
  Buf out(DType::F32, {1, 4, 3, 8});
  Tensor qt = q.t(), kt = k.t(), ot = out.t();
  EXPECT_FAILS_WITH(attention(ctx, qt, kt, kt, nullptr, 0, false, 4, 3, ot),
                    "positive multiple");
  EXPECT_FAILS_WITH(attention(ctx, qt, kt, kt, nullptr, 0, false, 4, 2, ot),
                    "do not fit");
  Buf k2 = randomBuf(DType::F32, {1, 2, 3, 8}, 2);
  Buf mask = randomBuf(DType::I1, {2, 1, 1, 3}, 3);
  Tensor k2t = k2.t(), mt = mask.t();
  EXPECT_FAILS_WITH(attention(ctx, qt, k2t, k2t, &mt, 0, false, 4, 2, ot),
                    "mask shape [2, 1, 1, 3] does not broadcast");
}

} // namespace

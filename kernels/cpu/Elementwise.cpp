//===- Elementwise.cpp - Unary, binary, where, cast and copy kernels ------===//
//
// Float types compute in f32 (converted per element on load and store);
// i64/i32 compute natively with wrapping arithmetic (no signed-overflow
// UB); comparisons produce i1 bytes. Binary and where walk a StridedSpace:
// equal shapes, scalars and row-vector broadcasts all end up as long
// innermost loops with strides 0 or 1.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/StridedLoops.h"
#include "kernels/cpu/VectorMath.h"

namespace kestrel::cpu {

using namespace detail;

bool broadcastShape(Context &ctx, const Shape &a, const Shape &b, Shape &out) {
  return broadcastShapes(ctx, "broadcast", a, b, out);
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

void unaryF32(UnaryOp op, const float *x, float *y, int64_t n) {
  switch (op) {
  case UnaryOp::Neg:
    for (int64_t i = 0; i < n; ++i)
      y[i] = -x[i];
    break;
  case UnaryOp::Abs:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::fabs(x[i]);
    break;
  case UnaryOp::Relu:
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] < 0.0f ? 0.0f : x[i];
    break;
  case UnaryOp::Sqrt:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::sqrt(x[i]);
    break;
  case UnaryOp::Rsqrt:
    for (int64_t i = 0; i < n; ++i)
      y[i] = 1.0f / std::sqrt(x[i]);
    break;
  case UnaryOp::Reciprocal:
    for (int64_t i = 0; i < n; ++i)
      y[i] = 1.0f / x[i];
    break;
  case UnaryOp::Exp:
    for (int64_t i = 0; i < n; ++i)
      y[i] = expApprox(x[i]);
    break;
  case UnaryOp::Log:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::log(x[i]);
    break;
  case UnaryOp::Erf:
    for (int64_t i = 0; i < n; ++i)
      y[i] = erfApprox(x[i]);
    break;
  case UnaryOp::Tanh:
    for (int64_t i = 0; i < n; ++i)
      y[i] = tanhApprox(x[i]);
    break;
  case UnaryOp::Sin:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::sin(x[i]);
    break;
  case UnaryOp::Cos:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::cos(x[i]);
    break;
  case UnaryOp::Sigmoid:
    for (int64_t i = 0; i < n; ++i)
      y[i] = 1.0f / (1.0f + expApprox(-x[i]));
    break;
  case UnaryOp::Silu:
    // x / (1 + e^-x) rather than x * sigmoid(x): -inf gives -0, not NaN.
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] / (1.0f + expApprox(-x[i]));
    break;
  case UnaryOp::Gelu:
    for (int64_t i = 0; i < n; ++i)
      y[i] = 0.5f * x[i] * (1.0f + erfApprox(x[i] * 0.70710678118654752f));
    break;
  case UnaryOp::GeluTanh:
    for (int64_t i = 0; i < n; ++i) {
      float v = x[i];
      y[i] = 0.5f * v *
             (1.0f +
              tanhApprox(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    }
    break;
  case UnaryOp::Not:
    break; // i1 only; handled by the caller
  case UnaryOp::Floor:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::floor(x[i]);
    break;
  case UnaryOp::Ceil:
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::ceil(x[i]);
    break;
  case UnaryOp::Round:
    // The default rounding mode: to nearest, ties to even (ONNX Round).
    for (int64_t i = 0; i < n; ++i)
      y[i] = std::nearbyint(x[i]);
    break;
  }
}

namespace {

template <typename T> void unaryInt(UnaryOp op, const T *x, T *y, int64_t n) {
  using U = std::make_unsigned_t<T>;
  switch (op) {
  case UnaryOp::Neg:
    for (int64_t i = 0; i < n; ++i)
      y[i] = T(U(0) - U(x[i]));
    break;
  case UnaryOp::Abs:
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] < 0 ? T(U(0) - U(x[i])) : x[i];
    break;
  case UnaryOp::Relu:
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] < 0 ? T(0) : x[i];
    break;
  default:
    break; // float-only ops are rejected before
  }
}

bool isIntegerUnary(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu;
}

/// Elements per task: transcendental functions (libm calls of a few ns
/// each) are worth splitting into smaller chunks than arithmetic.
int64_t unaryGrain(UnaryOp op) {
  bool cheap = isIntegerUnary(op) || op == UnaryOp::Sqrt ||
               op == UnaryOp::Rsqrt || op == UnaryOp::Reciprocal ||
               op == UnaryOp::Floor || op == UnaryOp::Ceil ||
               op == UnaryOp::Round;
  return cheap ? kGrain : kGrain / 8;
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

/// out[i] = f(a[i * sa], b[i * sb]) with the usual strides 0/1 spelled out,
/// so that each loop vectorizes.
template <typename In, typename Out, typename F>
inline void binaryRow(const In *a, int64_t sa, const In *b, int64_t sb,
                      Out *__restrict out, int64_t n, F f) {
  if (sa == 1 && sb == 1) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const In y = *b;
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(a[i], y);
  } else if (sa == 0 && sb == 1) {
    const In x = *a;
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(x, b[i]);
  } else if (sa == 0 && sb == 0) {
    const Out v = f(*a, *b);
    for (int64_t i = 0; i < n; ++i)
      out[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i)
      out[i] = f(a[i * sa], b[i * sb]);
  }
}

template <typename In, typename Out, typename F>
void runBinary(Context &ctx, const Tensor &a, const Tensor &b, Tensor &out,
               F f) {
  if (out.numel() == 0)
    return;
  StridedSpace<3> s;
  s.rank = out.shape.rank;
  for (int d = 0; d < s.rank; ++d)
    s.dims[d] = out.shape[d];
  broadcastStrides(a.shape, s.rank, s.strides[0]);
  broadcastStrides(b.shape, s.rank, s.strides[1]);
  contiguousStrides(out.shape, s.strides[2]);
  s.simplify();
  const In *pa = a.as<const In>(), *pb = b.as<const In>();
  Out *po = out.as<Out>();
  int64_t sa = s.strides[0][s.rank - 1], sb = s.strides[1][s.rank - 1];
  forEachRow(ctx, s, kGrain, [&](const int64_t *off, int64_t len) {
    binaryRow(pa + off[0], sa, pb + off[1], sb, po + off[2], len, f);
  });
}

/// Loads for arithmetic: floats widen to f32, integers and i1 stay.
template <typename T> inline auto load(T v) {
  if constexpr (isFloatStorage<T>)
    return toF32(v);
  else
    return v;
}

/// Float max/min that propagate NaN (as the constant folder does).
inline float maxNaN(float x, float y) { return (x > y || x != x) ? x : y; }
inline float minNaN(float x, float y) { return (x < y || x != x) ? x : y; }

/// x^e by squaring (the same wrapped value as repeated multiplication); a
/// negative exponent truncates 1 / x^|e| toward zero (so 0 unless |x| is 1,
/// and 0 for x = 0 rather than a division by zero).
template <typename T> T intPow(T x, T e) {
  using U = std::make_unsigned_t<T>;
  if (e < 0) {
    if (x == 1)
      return 1;
    if (x == -1)
      return (U(e) & 1u) ? T(-1) : T(1);
    return 0;
  }
  U result = 1, base = U(x), exp = U(e);
  while (exp) {
    if (exp & 1u)
      result = U(result * base);
    base = U(base * base);
    exp >>= 1;
  }
  return T(result);
}

template <typename T>
bool arithmetic(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
                Tensor &out) {
  if constexpr (isFloatStorage<T>) {
    auto run = [&](auto g) {
      runBinary<T, T>(ctx, a, b, out, [g](T x, T y) {
        return fromF32<T>(g(toF32(x), toF32(y)));
      });
    };
    switch (op) {
    case BinaryOp::Add:
      run([](float x, float y) { return x + y; });
      break;
    case BinaryOp::Sub:
      run([](float x, float y) { return x - y; });
      break;
    case BinaryOp::Mul:
      run([](float x, float y) { return x * y; });
      break;
    case BinaryOp::Div:
      run([](float x, float y) { return x / y; });
      break;
    case BinaryOp::Pow: {
      // A constant exponent of 2 (RMS norms' x^2) or 1 needs no powf: x*x
      // rounds once, to the value a correctly rounded powf(x, 2) gives.
      float exponent = 0;
      bool scalar = b.numel() == 1;
      if (scalar)
        exponent = toF32(*static_cast<const T *>(b.data));
      if (scalar && exponent == 2.0f)
        run([](float x, float) { return x * x; });
      else if (scalar && exponent == 3.0f) // GPT-2's GELU; two roundings
        run([](float x, float) { return x * x * x; });
      else if (scalar && exponent == 1.0f)
        run([](float x, float) { return x; });
      else
        run([](float x, float y) { return std::pow(x, y); });
      break;
    }
    case BinaryOp::Max:
      run([](float x, float y) { return maxNaN(x, y); });
      break;
    case BinaryOp::Min:
      run([](float x, float y) { return minNaN(x, y); });
      break;
    case BinaryOp::Mod:
      run([](float x, float y) { return remainder(x, y, true); });
      break;
    case BinaryOp::FMod:
      run([](float x, float y) { return remainder(x, y, false); });
      break;
    default:
      return false;
    }
    return true;
  } else {
    using U = std::make_unsigned_t<T>;
    switch (op) {
    case BinaryOp::Add:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return T(U(x) + U(y)); });
      break;
    case BinaryOp::Sub:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return T(U(x) - U(y)); });
      break;
    case BinaryOp::Mul:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return T(U(x) * U(y)); });
      break;
    case BinaryOp::Div:
    case BinaryOp::Mod:
    case BinaryOp::FMod: {
      // Every divisor is checked up front, so the loop never divides by 0.
      const T *divisor = b.as<const T>();
      for (int64_t i = 0, n = b.numel(); i < n; ++i)
        if (divisor[i] == 0)
          return ctx.fail(std::string(binaryOpName(op)) +
                          ": integer division by zero (" + dtypeName(b.dtype) +
                          " divisor at flat index " + str(i) + ")");
      if (op == BinaryOp::Div) // -1 is special-cased: MIN / -1 overflows.
        runBinary<T, T>(ctx, a, b, out, [](T x, T y) {
          return y == -1 ? T(U(0) - U(x)) : T(x / y);
        });
      else if (op == BinaryOp::Mod)
        runBinary<T, T>(ctx, a, b, out,
                        [](T x, T y) { return remainder(x, y, true); });
      else
        runBinary<T, T>(ctx, a, b, out,
                        [](T x, T y) { return remainder(x, y, false); });
      break;
    }
    case BinaryOp::Pow:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return intPow(x, y); });
      break;
    case BinaryOp::Max:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return x < y ? y : x; });
      break;
    case BinaryOp::Min:
      runBinary<T, T>(ctx, a, b, out, [](T x, T y) { return y < x ? y : x; });
      break;
    default:
      return false;
    }
    return true;
  }
}

template <typename T>
bool comparison(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
                Tensor &out) {
  auto run = [&](auto g) {
    runBinary<T, Bool>(ctx, a, b, out,
                       [g](T x, T y) { return Bool(g(load(x), load(y))); });
  };
  switch (op) {
  case BinaryOp::Equal:
    run([](auto x, auto y) { return x == y; });
    break;
  case BinaryOp::NotEqual:
    run([](auto x, auto y) { return x != y; });
    break;
  case BinaryOp::Less:
    run([](auto x, auto y) { return x < y; });
    break;
  case BinaryOp::LessEqual:
    run([](auto x, auto y) { return x <= y; });
    break;
  case BinaryOp::Greater:
    run([](auto x, auto y) { return x > y; });
    break;
  case BinaryOp::GreaterEqual:
    run([](auto x, auto y) { return x >= y; });
    break;
  default:
    return false;
  }
  return true;
}

bool logical(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
             Tensor &out) {
  switch (op) {
  case BinaryOp::And:
    runBinary<Bool, Bool>(ctx, a, b, out,
                          [](Bool x, Bool y) { return Bool(x && y); });
    break;
  case BinaryOp::Or:
    runBinary<Bool, Bool>(ctx, a, b, out,
                          [](Bool x, Bool y) { return Bool(x || y); });
    break;
  case BinaryOp::Xor:
    runBinary<Bool, Bool>(ctx, a, b, out,
                          [](Bool x, Bool y) { return Bool(!x != !y); });
    break;
  default:
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

template <typename From, typename To> inline To convertValue(From v) {
  if constexpr (std::is_same_v<To, Bool>) {
    if constexpr (isFloatStorage<From>)
      return Bool(toF32(v) != 0.0f); // NaN is true
    else
      return Bool(v != 0);
  } else if constexpr (std::is_same_v<From, Bool>) {
    if constexpr (isFloatStorage<To>)
      return fromF32<To>(v ? 1.0f : 0.0f);
    else
      return To(v ? 1 : 0);
  } else if constexpr (isFloatStorage<From> && isFloatStorage<To>) {
    return fromF32<To>(toF32(v));
  } else if constexpr (isFloatStorage<From>) {
    return floatToInt<To>(toF32(v));
  } else if constexpr (isFloatStorage<To>) {
    return fromF32<To>(static_cast<float>(v));
  } else {
    return static_cast<To>(v); // i64 -> i32 wraps
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

bool unary(Context &ctx, UnaryOp op, const Tensor &x, Tensor &out) {
  if (!checkUnaryOp(ctx, op))
    return false;
  const char *name = unaryOpName(op);
  if (!checkTensor(ctx, name, "x", x) ||
      !checkOut(ctx, name, out, x.shape, x.dtype))
    return false;
  int64_t n = x.numel();
  if (op == UnaryOp::Not) {
    if (x.dtype != DType::I1)
      return ctx.fail(std::string("not: needs i1, got ") + dtypeName(x.dtype));
    const Bool *in = x.as<const Bool>();
    Bool *y = out.as<Bool>();
    parallelRange(ctx, n, kGrain, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        y[i] = Bool(in[i] == 0);
    });
    return true;
  }
  bool handled = visitFloat(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = x.as<const T>();
    T *y = out.as<T>();
    parallelRange(ctx, n, unaryGrain(op), [&](int64_t i0, int64_t i1) {
      if constexpr (std::is_same_v<T, float>) {
        unaryF32(op, in + i0, y + i0, i1 - i0);
      } else {
        constexpr int64_t kBlock = 256;
        float buffer[kBlock];
        for (int64_t b = i0; b < i1; b += kBlock) {
          int64_t m = std::min(kBlock, i1 - b);
          for (int64_t i = 0; i < m; ++i)
            buffer[i] = toF32(in[b + i]);
          unaryF32(op, buffer, buffer, m);
          for (int64_t i = 0; i < m; ++i)
            y[b + i] = fromF32<T>(buffer[i]);
        }
      }
    });
  });
  if (handled)
    return true;
  if (isInt(x.dtype) && !isIntegerUnary(op))
    return ctx.fail(std::string(name) + ": needs a float tensor, got " +
                    dtypeName(x.dtype));
  handled = visitInt(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = x.as<const T>();
    T *y = out.as<T>();
    parallelRange(ctx, n, kGrain, [&](int64_t i0, int64_t i1) {
      unaryInt(op, in + i0, y + i0, i1 - i0);
    });
  });
  if (handled)
    return true;
  return ctx.fail(std::string(name) + ": does not support " +
                  dtypeName(x.dtype));
}

bool binary(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
            Tensor &out) {
  if (!checkBinaryOp(ctx, op))
    return false;
  BinaryKind kind = binaryKind(op);
  const char *name = binaryOpName(op);
  if (!checkTensor(ctx, name, "lhs", a) || !checkTensor(ctx, name, "rhs", b))
    return false;
  if (a.dtype != b.dtype)
    return failOperandDtypes(ctx, name, a, b);
  Shape shape;
  if (!broadcastShapes(ctx, name, a.shape, b.shape, shape))
    return false;
  DType result = kind == BinaryKind::Arithmetic ? a.dtype : DType::I1;
  if (!checkOut(ctx, name, out, shape, result))
    return false;
  // f16, bf16 and f8 operands are widened to f32 first (the math is f32
  // anyway): one instantiation of every loop instead of four.
  bool narrow = a.dtype == DType::F16 || a.dtype == DType::BF16 ||
                a.dtype == DType::F8E4M3FN;
  if (narrow && kind == BinaryKind::Arithmetic && a.shape == b.shape) {
    // No broadcast: widen block by block, so that the f32 copies stay in
    // cache instead of streaming three whole-tensor copies through memory.
    // (Float arithmetic on a known op cannot fail.)
    parallelRange(ctx, a.numel(), kGrain, [&](int64_t i0, int64_t i1) {
      Context serial;
      serial.parallelFor = runSerially;
      std::vector<float> wa(static_cast<size_t>(kGrain)),
          wb(static_cast<size_t>(kGrain)), wo(static_cast<size_t>(kGrain));
      for (int64_t b0 = i0; b0 < i1; b0 += kGrain) {
        int64_t count = std::min(i1 - b0, kGrain);
        convertToF32(a.dtype, elementAt(a, b0), wa.data(), count);
        convertToF32(b.dtype, elementAt(b, b0), wb.data(), count);
        Shape flat{count};
        Tensor fa{wa.data(), DType::F32, flat}, fb{wb.data(), DType::F32, flat},
            fo{wo.data(), DType::F32, flat};
        arithmetic<float>(serial, op, fa, fb, fo);
        convertFromF32(out.dtype, wo.data(), elementAt(out, b0), count);
      }
    });
    return true;
  }
  if (narrow && kind != BinaryKind::Logical) {
    std::vector<float> wa(a.numel()), wb(b.numel());
    Tensor fa{wa.data(), DType::F32, a.shape},
        fb{wb.data(), DType::F32, b.shape};
    if (!cast(ctx, a, fa) || !cast(ctx, b, fb))
      return false;
    if (kind == BinaryKind::Comparison)
      return binary(ctx, op, fa, fb, out);
    std::vector<float> wo(out.numel());
    Tensor fo{wo.data(), DType::F32, out.shape};
    return binary(ctx, op, fa, fb, fo) && cast(ctx, fo, out);
  }
  auto visitWide = [](DType t, bool withBool, auto &&fn) {
    switch (t) {
    case DType::F32:
      fn(TypeTag<float>{});
      return true;
    case DType::I64:
      fn(TypeTag<int64_t>{});
      return true;
    case DType::I32:
      fn(TypeTag<int32_t>{});
      return true;
    case DType::I1:
      if (withBool)
        fn(TypeTag<Bool>{});
      return withBool;
    default:
      return false;
    }
  };
  bool supported = false, ok = true;
  switch (kind) {
  case BinaryKind::Arithmetic:
    supported = visitWide(a.dtype, false, [&](auto tag) {
      ok = arithmetic<typename decltype(tag)::type>(ctx, op, a, b, out);
    });
    break;
  case BinaryKind::Comparison:
    supported = visitWide(a.dtype, true, [&](auto tag) {
      ok = comparison<typename decltype(tag)::type>(ctx, op, a, b, out);
    });
    break;
  case BinaryKind::Logical:
    supported = a.dtype == DType::I1;
    if (supported)
      ok = logical(ctx, op, a, b, out);
    break;
  case BinaryKind::Unknown:
    break;
  }
  if (!supported)
    return ctx.fail(std::string(name) + ": does not support " +
                    dtypeName(a.dtype));
  return ok;
}

bool where(Context &ctx, const Tensor &cond, const Tensor &a, const Tensor &b,
           Tensor &out) {
  Shape shape;
  if (!checkWhere(ctx, cond, a, b, out, shape))
    return false;
  if (out.numel() == 0)
    return true;
  StridedSpace<4> s;
  s.rank = shape.rank;
  for (int d = 0; d < s.rank; ++d)
    s.dims[d] = shape[d];
  broadcastStrides(cond.shape, s.rank, s.strides[0]);
  broadcastStrides(a.shape, s.rank, s.strides[1]);
  broadcastStrides(b.shape, s.rank, s.strides[2]);
  contiguousStrides(shape, s.strides[3]);
  s.simplify();
  visitWord(dtypeSize(a.dtype), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const Bool *pc = cond.as<const Bool>();
    const W *pa = a.as<const W>(), *pb = b.as<const W>();
    W *po = out.as<W>();
    int inner = s.rank - 1;
    int64_t sc = s.strides[0][inner], sa = s.strides[1][inner],
            sb = s.strides[2][inner];
    forEachRow(ctx, s, kGrain, [&](const int64_t *off, int64_t len) {
      const Bool *c = pc + off[0];
      const W *x = pa + off[1], *y = pb + off[2];
      W *o = po + off[3];
      if (sc == 1 && sa == 1 && sb == 1) {
        for (int64_t i = 0; i < len; ++i)
          o[i] = c[i] ? x[i] : y[i];
      } else if (sc == 1 && sa == 0 && sb == 0) {
        W xv = *x, yv = *y;
        for (int64_t i = 0; i < len; ++i)
          o[i] = c[i] ? xv : yv;
      } else {
        for (int64_t i = 0; i < len; ++i)
          o[i] = c[i * sc] ? x[i * sa] : y[i * sb];
      }
    });
  });
  return true;
}

bool cast(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkTensor(ctx, "cast", "x", x) ||
      !checkOut(ctx, "cast", out, x.shape, out.dtype))
    return false;
  int64_t n = x.numel();
  if (x.dtype == out.dtype) {
    if (n > 0 && x.data != out.data)
      std::memmove(out.data, x.data, x.bytes());
    return true;
  }
  visitAny(x.dtype, [&](auto fromTag) {
    using From = typename decltype(fromTag)::type;
    visitAny(out.dtype, [&](auto toTag) {
      using To = typename decltype(toTag)::type;
      const From *in = x.as<const From>();
      To *y = out.as<To>();
      parallelRange(ctx, n, kGrain, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i)
          y[i] = convertValue<From, To>(in[i]);
      });
    });
  });
  return true;
}

bool copy(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkCopy(ctx, x, out))
    return false;
  if (x.numel() > 0 && x.data != out.data)
    std::memmove(out.data, x.data, x.bytes());
  return true;
}

} // namespace kestrel::cpu

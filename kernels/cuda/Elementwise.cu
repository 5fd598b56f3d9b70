//===- Elementwise.cu - Unary, binary, where, cast and copy kernels -------===//
//
// The CUDA versions of kernels/cpu/Elementwise.cpp, with the same
// semantics: float storage computes in f32 (one rounding per op on store),
// i64/i32 wrap, comparisons write i1 bytes. Kernels are templated on the
// storage type only; the op is a run-time switch (uniform across the grid,
// so it costs a few instructions per element). Same-shape and scalar
// operands take a flat path with packed loads; other broadcasts walk a
// simplified StridedIndex (usually rank 2 or 3 after merging).
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/Common.cuh"

#include <cstdint>

namespace kestrel::cuda {

const char *deviceErrorMessage(int code) {
  switch (static_cast<DeviceError>(code)) {
  case DeviceError::None:
    return "no error";
  case DeviceError::IndexOutOfRange:
    return "an index was out of range (gather, gather_elements or gather_nd: "
           "the affected elements were written as 0; scatter_elements or "
           "scatter_nd: those updates were skipped)";
  case DeviceError::DivisionByZero:
    return "integer division by zero (div, mod or fmod: the affected "
           "elements were written as 0)";
  }
  return "unknown device error";
}

namespace {

constexpr int kThreads = 256;

/// Elements per packed access: 16 bytes for f32/i32/i64, fewer for narrow
/// types so that an unrolled pack of op switches stays small.
template <typename T>
constexpr int kPack = sizeof(T) >= 4 ? int(16 / sizeof(T)) : 4;

__device__ __forceinline__ int64_t threadIndex() {
  return int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t threadCount() {
  return int64_t(gridDim.x) * blockDim.x;
}

//===----------------------------------------------------------------------===//
// Unary
//===----------------------------------------------------------------------===//

__device__ __forceinline__ float unaryF32(UnaryOp op, float x) {
  switch (op) {
  case UnaryOp::Neg:
    return -x;
  case UnaryOp::Abs:
    return fabsf(x);
  case UnaryOp::Relu:
    return x < 0.0f ? 0.0f : x;
  case UnaryOp::Sqrt:
    return sqrtf(x);
  case UnaryOp::Rsqrt:
    return 1.0f / sqrtf(x); // both correctly rounded, as on the CPU
  case UnaryOp::Reciprocal:
    return 1.0f / x;
  case UnaryOp::Exp:
    return expf(x);
  case UnaryOp::Log:
    return logf(x);
  case UnaryOp::Erf:
    return erff(x);
  case UnaryOp::Tanh:
    return tanhf(x);
  case UnaryOp::Sin:
    return sinf(x);
  case UnaryOp::Cos:
    return cosf(x);
  case UnaryOp::Sigmoid:
    return 1.0f / (1.0f + expf(-x));
  case UnaryOp::Silu:
    // x / (1 + e^-x) rather than x * sigmoid(x): -inf gives -0, not NaN.
    return x / (1.0f + expf(-x));
  case UnaryOp::Gelu:
    return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
  case UnaryOp::GeluTanh:
    return 0.5f * x *
           (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x)));
  case UnaryOp::Not:
    break;
  case UnaryOp::Floor:
    return floorf(x);
  case UnaryOp::Ceil:
    return ceilf(x);
  case UnaryOp::Round:
    return rintf(x); // to nearest, ties to even
  }
  return x;
}

template <typename T> __device__ __forceinline__ T unaryValue(UnaryOp op, T x) {
  if constexpr (isFloatStorage<T>) {
    return fromF32<T>(unaryF32(op, toF32(x)));
  } else if constexpr (std::is_same_v<T, uint8_t>) {
    return uint8_t(x == 0); // not (i1 only)
  } else {
    using U = std::make_unsigned_t<T>;
    switch (op) {
    case UnaryOp::Neg:
      return T(U(0) - U(x));
    case UnaryOp::Abs:
      return x < 0 ? T(U(0) - U(x)) : x;
    case UnaryOp::Relu:
      return x < 0 ? T(0) : x;
    default:
      return x;
    }
  }
}

/// Thread mapping: grid-stride over packs of kPack<T> elements (when
/// every pointer is aligned to a pack), then over the leftover elements one
/// per thread.
template <typename T>
__global__ void unaryKernel(UnaryOp op, const T *__restrict__ x,
                            T *__restrict__ y, int64_t n, bool packed) {
  constexpr int V = kPack<T>;
  int64_t done = 0;
  if (packed) {
    using P = Pack<T, V>;
    int64_t packs = n / V;
    for (int64_t p = threadIndex(); p < packs; p += threadCount()) {
      P in = reinterpret_cast<const P *>(x)[p], out;
#pragma unroll
      for (int i = 0; i < V; ++i)
        out.v[i] = unaryValue(op, in.v[i]);
      reinterpret_cast<P *>(y)[p] = out;
    }
    done = packs * V;
  }
  for (int64_t i = done + threadIndex(); i < n; i += threadCount())
    y[i] = unaryValue(op, x[i]);
}

bool isIntegerUnary(UnaryOp op) {
  return op == UnaryOp::Neg || op == UnaryOp::Abs || op == UnaryOp::Relu;
}

//===----------------------------------------------------------------------===//
// Binary
//===----------------------------------------------------------------------===//

struct BinaryParams {
  BinaryOp op;
  /// b has one element: pow with exponent 1, 2 or 3 multiplies instead
  /// (the CPU library's rule, so the results match bit for bit).
  bool scalarExponent;
  int *errorFlag;
};

/// x^e by squaring with wrapping; a negative exponent truncates 1 / x^|e|.
template <typename T> __device__ __forceinline__ T intPow(T x, T e) {
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
__device__ __forceinline__ T arithmetic(const BinaryParams &p, T a, T b) {
  if constexpr (isFloatStorage<T>) {
    float x = toF32(a), y = toF32(b), r = 0.0f;
    switch (p.op) {
    case BinaryOp::Add:
      r = x + y;
      break;
    case BinaryOp::Sub:
      r = x - y;
      break;
    case BinaryOp::Mul:
      r = x * y;
      break;
    case BinaryOp::Div:
      r = x / y;
      break;
    case BinaryOp::Pow:
      if (p.scalarExponent && y == 2.0f)
        r = x * x;
      else if (p.scalarExponent && y == 3.0f)
        r = x * x * x;
      else if (p.scalarExponent && y == 1.0f)
        r = x;
      else
        r = powf(x, y);
      break;
    case BinaryOp::Max: // NaN propagates
      r = (x > y || x != x) ? x : y;
      break;
    case BinaryOp::Min:
      r = (x < y || x != x) ? x : y;
      break;
    case BinaryOp::Mod:
    case BinaryOp::FMod:
      r = remainder(x, y, p.op == BinaryOp::Mod);
      break;
    default:
      break;
    }
    return fromF32<T>(r);
  } else {
    using U = std::make_unsigned_t<T>;
    switch (p.op) {
    case BinaryOp::Add:
      return T(U(a) + U(b));
    case BinaryOp::Sub:
      return T(U(a) - U(b));
    case BinaryOp::Mul:
      return T(U(a) * U(b));
    case BinaryOp::Div:
      if (b == 0) {
        raiseError(p.errorFlag, DeviceError::DivisionByZero);
        return T(0);
      }
      return b == -1 ? T(U(0) - U(a)) : T(a / b); // MIN / -1 wraps to MIN
    case BinaryOp::Pow:
      return intPow(a, b);
    case BinaryOp::Max:
      return a < b ? b : a;
    case BinaryOp::Min:
      return b < a ? b : a;
    case BinaryOp::Mod:
    case BinaryOp::FMod:
      if (b == 0) {
        raiseError(p.errorFlag, DeviceError::DivisionByZero);
        return T(0);
      }
      return remainder(a, b, p.op == BinaryOp::Mod);
    default:
      return T(0);
    }
  }
}

/// Comparisons (floats compare in f32, integers and i1 bytes as they are)
/// and the logical ops (i1 only).
template <typename T>
__device__ __forceinline__ uint8_t predicate(const BinaryParams &p, T a, T b) {
  if constexpr (std::is_same_v<T, uint8_t>) {
    switch (p.op) {
    case BinaryOp::And:
      return uint8_t(a && b);
    case BinaryOp::Or:
      return uint8_t(a || b);
    case BinaryOp::Xor:
      return uint8_t(!a != !b);
    default:
      break;
    }
  }
  auto load = [](T v) {
    if constexpr (isFloatStorage<T>)
      return toF32(v);
    else
      return v;
  };
  auto x = load(a), y = load(b);
  switch (p.op) {
  case BinaryOp::Equal:
    return uint8_t(x == y);
  case BinaryOp::NotEqual:
    return uint8_t(x != y);
  case BinaryOp::Less:
    return uint8_t(x < y);
  case BinaryOp::LessEqual:
    return uint8_t(x <= y);
  case BinaryOp::Greater:
    return uint8_t(x > y);
  case BinaryOp::GreaterEqual:
    return uint8_t(x >= y);
  default:
    return 0;
  }
}

/// Out is T for arithmetic and uint8_t (i1) for comparisons and logic; for
/// T = uint8_t only the latter exist.
template <typename T, typename Out>
__device__ __forceinline__ Out binaryValue(const BinaryParams &p, T a, T b) {
  if constexpr (std::is_same_v<Out, uint8_t>)
    return predicate(p, a, b);
  else
    return arithmetic(p, a, b);
}

/// How binaryKernel walks its operands.
enum class Walk : int {
  Strided, ///< general broadcast through `index`
  Flat,    ///< rank 1 after simplification; a and b have stride 0 or 1
  Packed,  ///< Flat with every pointer aligned to a pack
};

/// Thread mapping: one output element per thread per grid-stride step
/// (Strided, Flat), or one pack of kPack<T> elements (Packed; a
/// stride-0 operand is loaded once per pack) followed by the leftover
/// elements one per thread.
template <typename T, typename Out>
__global__ void binaryKernel(BinaryParams p, const T *__restrict__ a,
                             const T *__restrict__ b, Out *__restrict__ out,
                             int64_t n, Walk walk, StridedIndex<2> index) {
  if (walk == Walk::Strided) {
    for (int64_t i = threadIndex(); i < n; i += threadCount()) {
      int64_t off[2];
      index.offsets(i, off);
      out[i] = binaryValue<T, Out>(p, a[off[0]], b[off[1]]);
    }
    return;
  }
  int64_t sa = index.stride[0][0], sb = index.stride[1][0];
  int64_t done = 0;
  if (walk == Walk::Packed) {
    constexpr int V = kPack<T>;
    using PT = Pack<T, V>;
    using PO = Pack<Out, V>;
    int64_t packs = n / V;
    for (int64_t q = threadIndex(); q < packs; q += threadCount()) {
      PT x, y;
      if (sa) {
        x = reinterpret_cast<const PT *>(a)[q];
      } else {
#pragma unroll
        for (int i = 0; i < V; ++i)
          x.v[i] = a[0];
      }
      if (sb) {
        y = reinterpret_cast<const PT *>(b)[q];
      } else {
#pragma unroll
        for (int i = 0; i < V; ++i)
          y.v[i] = b[0];
      }
      PO r;
#pragma unroll
      for (int i = 0; i < V; ++i)
        r.v[i] = binaryValue<T, Out>(p, x.v[i], y.v[i]);
      reinterpret_cast<PO *>(out)[q] = r;
    }
    done = packs * V;
  }
  for (int64_t i = done + threadIndex(); i < n; i += threadCount())
    out[i] = binaryValue<T, Out>(p, a[i * sa], b[i * sb]);
}

/// Mixed float storage (a model-data operand and an f32 one, as the CUDA
/// target's precision rule produces at the boundary between activations
/// and position-derived values): both loaded as f32, the result stored in
/// out's dtype. One element per thread per grid-stride step.
__global__ void binaryMixedKernel(BinaryParams p, const void *__restrict__ a,
                                  DType ta, const void *__restrict__ b,
                                  DType tb, void *__restrict__ out, DType to,
                                  bool predicateOp, int64_t n,
                                  StridedIndex<2> index) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t off[2];
    index.offsets(i, off);
    float x = loadAsF32(a, ta, off[0]), y = loadAsF32(b, tb, off[1]);
    if (predicateOp)
      static_cast<uint8_t *>(out)[i] = predicate<float>(p, x, y);
    else
      storeFromF32(out, to, i, arithmetic<float>(p, x, y));
  }
}

template <typename T, typename Out>
bool launchBinary(Context &ctx, const BinaryParams &p, const Tensor &a,
                  const Tensor &b, Tensor &out, const char *name) {
  StridedSpace<2> layout;
  layout.rank = out.shape.rank;
  for (int d = 0; d < layout.rank; ++d)
    layout.dims[d] = out.shape.dims[d];
  broadcastStrides(a.shape, layout.rank, layout.strides[0]);
  broadcastStrides(b.shape, layout.rank, layout.strides[1]);
  layout.simplify();
  Walk walk = Walk::Strided;
  if (layout.rank == 1 && layout.strides[0][0] <= 1 &&
      layout.strides[1][0] <= 1) {
    constexpr int V = kPack<T>;
    bool aligned =
        isAligned(out.data, V * sizeof(Out)) &&
        (layout.strides[0][0] == 0 || isAligned(a.data, V * sizeof(T))) &&
        (layout.strides[1][0] == 0 || isAligned(b.data, V * sizeof(T)));
    walk = aligned ? Walk::Packed : Walk::Flat;
  }
  int64_t n = out.numel();
  int perThread = walk == Walk::Packed ? kPack<T> : 1;
  KESTREL_LAUNCH(gridFor(n, kThreads, perThread), kThreads, 0, streamOf(ctx),
                 binaryKernel<T, Out>)
  (p, a.as<const T>(), b.as<const T>(), out.as<Out>(), n, walk,
   StridedIndex<2>::make(layout));
  return checkLaunch(ctx, name);
}

//===----------------------------------------------------------------------===//
// Where
//===----------------------------------------------------------------------===//

/// Thread mapping: one output element per thread per grid-stride step; the
/// three operand offsets come from `index` (rank 1 with unit strides when
/// all shapes agree).
template <typename W>
__global__ void whereKernel(const uint8_t *__restrict__ cond,
                            const W *__restrict__ a, const W *__restrict__ b,
                            W *__restrict__ out, int64_t n,
                            StridedIndex<3> index) {
  for (int64_t i = threadIndex(); i < n; i += threadCount()) {
    int64_t off[3];
    index.offsets(i, off);
    out[i] = cond[off[0]] ? a[off[1]] : b[off[2]];
  }
}

//===----------------------------------------------------------------------===//
// Cast and copy
//===----------------------------------------------------------------------===//

template <typename I> __device__ __forceinline__ I floatToInt(float v) {
  constexpr float limit = std::is_same_v<I, int64_t> ? 0x1p63f : 0x1p31f;
  if (!(v == v))
    return 0;
  constexpr I highest =
      std::is_same_v<I, int64_t> ? I(INT64_MAX) : I(INT32_MAX);
  if (v >= limit)
    return highest;
  if (v < -limit)
    return I(-highest - 1);
  return static_cast<I>(v);
}

/// A loaded element: floats as f32, integers and i1 (0/1) as i64.
struct CastValue {
  bool isFloat;
  float f;
  int64_t i;
};

__device__ __forceinline__ CastValue castLoad(const void *p, DType t,
                                              int64_t k) {
  switch (t) {
  case DType::I64:
    return {false, 0.0f, static_cast<const int64_t *>(p)[k]};
  case DType::I32:
    return {false, 0.0f, int64_t(static_cast<const int32_t *>(p)[k])};
  case DType::I1:
    return {false, 0.0f, static_cast<const uint8_t *>(p)[k] != 0 ? 1 : 0};
  default:
    return {true, loadAsF32(p, t, k), 0};
  }
}

template <typename T>
__device__ __forceinline__ T castToFloat(const CastValue &v) {
  // Integers round to nearest even on the way to f32, as static_cast does.
  return fromF32<T>(v.isFloat ? v.f : static_cast<float>(v.i));
}

__device__ __forceinline__ void castStore(void *p, DType t, int64_t k,
                                          const CastValue &v) {
  switch (t) {
  case DType::F32:
    static_cast<float *>(p)[k] = castToFloat<float>(v);
    break;
  case DType::F16:
    static_cast<f16 *>(p)[k] = castToFloat<f16>(v);
    break;
  case DType::BF16:
    static_cast<bf16 *>(p)[k] = castToFloat<bf16>(v);
    break;
  case DType::F8E4M3FN:
    static_cast<f8e4m3 *>(p)[k] = castToFloat<f8e4m3>(v);
    break;
  case DType::I64:
    static_cast<int64_t *>(p)[k] = v.isFloat ? floatToInt<int64_t>(v.f) : v.i;
    break;
  case DType::I32: // i64 -> i32 wraps
    static_cast<int32_t *>(p)[k] =
        v.isFloat ? floatToInt<int32_t>(v.f) : int32_t(uint32_t(v.i));
    break;
  case DType::I1: // NaN is non-zero, so true
    static_cast<uint8_t *>(p)[k] = uint8_t(v.isFloat ? v.f != 0.0f : v.i != 0);
    break;
  case DType::U8: // packed weights: never a cast's operand (checkCast)
    break;
  }
}

/// Thread mapping: one element per thread per grid-stride step; the source
/// and destination dtypes are run-time switches (one kernel for all 42
/// pairs instead of 42 instantiations).
__global__ void castKernel(const void *__restrict__ x, DType from,
                           void *__restrict__ y, DType to, int64_t n) {
  for (int64_t i = threadIndex(); i < n; i += threadCount())
    castStore(y, to, i, castLoad(x, from, i));
}

/// Thread mapping: one W-sized word per thread per grid-stride step.
template <typename W>
__global__ void flatCopyKernel(const W *__restrict__ x, W *__restrict__ y,
                               int64_t n) {
  for (int64_t i = threadIndex(); i < n; i += threadCount())
    y[i] = x[i];
}

/// Copies `bytes` bytes in the widest words both pointers allow.
bool copyBytes(Context &ctx, const void *src, void *dst, int64_t bytes,
               const char *name) {
  size_t word = 16;
  while (word > 1 && (bytes % int64_t(word) != 0 || !isAligned(src, word) ||
                      !isAligned(dst, word)))
    word /= 2;
  int64_t n = bytes / int64_t(word);
  dispatchWords(word, [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   flatCopyKernel<W>)
    (static_cast<const W *>(src), static_cast<W *>(dst), n);
  });
  return checkLaunch(ctx, name);
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

bool unary(Context &ctx, UnaryOp op, const Tensor &x, Tensor &out) {
  if (!checkUnaryOp(ctx, op))
    return false;
  const char *name = cpu::unaryOpName(op);
  if (!checkTensor(ctx, name, "x", x) ||
      !checkOut(ctx, name, out, x.shape, x.dtype))
    return false;
  if (op == UnaryOp::Not && x.dtype != DType::I1)
    return ctx.fail(std::string("not: needs i1, got ") + dtypeName(x.dtype));
  if (isIntType(x.dtype) && !isIntegerUnary(op))
    return ctx.fail(std::string(name) + ": needs a float tensor, got " +
                    dtypeName(x.dtype));
  if (x.dtype == DType::I1 && op != UnaryOp::Not)
    return ctx.fail(std::string(name) + ": does not support i1");
  int64_t n = x.numel();
  if (n == 0)
    return true;
  dispatchAny(x.dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int V = kPack<T>;
    bool packed =
        isAligned(x.data, V * sizeof(T)) && isAligned(out.data, V * sizeof(T));
    KESTREL_LAUNCH(gridFor(n, kThreads, packed ? V : 1), kThreads, 0,
                   streamOf(ctx), unaryKernel<T>)
    (op, x.as<const T>(), out.as<T>(), n, packed);
  });
  return checkLaunch(ctx, name);
}

bool binary(Context &ctx, BinaryOp op, const Tensor &a, const Tensor &b,
            Tensor &out) {
  if (!checkBinaryOp(ctx, op))
    return false;
  BinaryKind kind = binaryKind(op);
  const char *name = cpu::binaryOpName(op);
  if (!checkTensor(ctx, name, "lhs", a) || !checkTensor(ctx, name, "rhs", b))
    return false;
  bool mixed = a.dtype != b.dtype && isFloatType(a.dtype) &&
               isFloatType(b.dtype) && kind != BinaryKind::Logical;
  if (a.dtype != b.dtype && !mixed)
    return failOperandDtypes(ctx, name, a, b);
  Shape shape;
  if (!broadcastShapes(ctx, name, a.shape, b.shape, shape))
    return false;
  if (mixed) {
    // Two float storage types: the result is out's float type.
    if (!checkOut(ctx, name, out, shape,
                  kind == BinaryKind::Arithmetic ? out.dtype : DType::I1))
      return false;
    if (kind == BinaryKind::Arithmetic && !isFloatType(out.dtype))
      return ctx.fail(std::string(name) + ": out must be a float type, got " +
                      dtypeName(out.dtype));
    int64_t n = out.numel();
    if (n == 0)
      return true;
    StridedSpace<2> layout;
    layout.rank = shape.rank;
    for (int d = 0; d < shape.rank; ++d)
      layout.dims[d] = shape.dims[d];
    broadcastStrides(a.shape, layout.rank, layout.strides[0]);
    broadcastStrides(b.shape, layout.rank, layout.strides[1]);
    layout.simplify();
    BinaryParams p{op, b.numel() == 1, ctx.errorFlag};
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   binaryMixedKernel)
    (p, a.data, a.dtype, b.data, b.dtype, out.data, out.dtype,
     kind != BinaryKind::Arithmetic, n, StridedIndex<2>::make(layout));
    return checkLaunch(ctx, name);
  }
  DType result = kind == BinaryKind::Arithmetic ? a.dtype : DType::I1;
  if (!checkOut(ctx, name, out, shape, result))
    return false;
  bool supported = kind == BinaryKind::Comparison ||
                   (kind == BinaryKind::Arithmetic && a.dtype != DType::I1) ||
                   (kind == BinaryKind::Logical && a.dtype == DType::I1);
  if (!supported)
    return ctx.fail(std::string(name) + ": does not support " +
                    dtypeName(a.dtype));
  if (out.numel() == 0)
    return true;
  BinaryParams p{op, b.numel() == 1, ctx.errorFlag};
  bool ok = true;
  dispatchAny(a.dtype, [&](auto tag) {
    using T = decltype(tag);
    if (kind != BinaryKind::Arithmetic)
      ok = launchBinary<T, uint8_t>(ctx, p, a, b, out, name);
    else if constexpr (!std::is_same_v<T, uint8_t>)
      ok = launchBinary<T, T>(ctx, p, a, b, out, name);
  });
  return ok;
}

bool where(Context &ctx, const Tensor &cond, const Tensor &a, const Tensor &b,
           Tensor &out) {
  Shape shape;
  if (!checkWhere(ctx, cond, a, b, out, shape))
    return false;
  int64_t n = out.numel();
  if (n == 0)
    return true;
  StridedSpace<3> layout;
  layout.rank = shape.rank;
  for (int d = 0; d < shape.rank; ++d)
    layout.dims[d] = shape.dims[d];
  broadcastStrides(cond.shape, layout.rank, layout.strides[0]);
  broadcastStrides(a.shape, layout.rank, layout.strides[1]);
  broadcastStrides(b.shape, layout.rank, layout.strides[2]);
  layout.simplify();
  dispatchBytes(dtypeSize(a.dtype), [&](auto tag) {
    using W = decltype(tag);
    KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx),
                   whereKernel<W>)
    (cond.as<const uint8_t>(), a.as<const W>(), b.as<const W>(), out.as<W>(), n,
     StridedIndex<3>::make(layout));
  });
  return checkLaunch(ctx, "where");
}

bool cast(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkTensor(ctx, "cast", "x", x) ||
      !checkOut(ctx, "cast", out, x.shape, out.dtype))
    return false;
  int64_t n = x.numel();
  if (n == 0)
    return true;
  if (x.dtype == out.dtype) {
    if (x.data == out.data)
      return true;
    return copyBytes(ctx, x.data, out.data, int64_t(x.bytes()), "cast");
  }
  KESTREL_LAUNCH(gridFor(n, kThreads), kThreads, 0, streamOf(ctx), castKernel)
  (x.data, x.dtype, out.data, out.dtype, n);
  return checkLaunch(ctx, "cast");
}

bool copy(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkCopy(ctx, x, out))
    return false;
  if (x.numel() == 0 || x.data == out.data)
    return true;
  return copyBytes(ctx, x.data, out.data, int64_t(x.bytes()), "copy");
}

} // namespace kestrel::cuda

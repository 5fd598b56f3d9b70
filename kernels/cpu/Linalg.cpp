//===- Linalg.cpp - Matmul, softmax and reduction kernels -----------------===//
//
// Float matmuls run the blocked gemmF32 (Gemm.h) per batch entry, with f16,
// bf16 and f8E4M3FN operands converted to f32 first; integer matmuls are
// plain loops accumulating in (wrapping) 64 bits. Softmax along the last
// axis uses softmaxRowsF32 (Normalization.h); other axes run down columns.
// Reductions merge neighbouring dimensions first, so the common cases
// (trailing axes, one middle axis) become contiguous row or column loops.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/Gemm.h"
#include "kernels/cpu/Normalization.h"
#include "kernels/cpu/StridedLoops.h"
#include "kernels/cpu/VectorMath.h"

namespace kestrel::cpu {

using namespace detail;

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

namespace {

Shape leading(const Shape &s, int drop) {
  Shape result;
  result.rank = s.rank - drop;
  for (int d = 0; d < result.rank; ++d)
    result[d] = s[d];
  return result;
}

/// Element offsets of lhs/rhs matrix `b` for every batch entry of `out`.
void batchOffsets(const Shape &lhs, const Shape &rhs, const Shape &out,
                  int64_t lhsMatrix, int64_t rhsMatrix,
                  std::vector<int64_t> &offsets) {
  StridedSpace<2> s;
  s.rank = out.rank - 2;
  for (int d = 0; d < s.rank; ++d)
    s.dims[d] = out[d];
  broadcastStrides(leading(lhs, 2), s.rank, s.strides[0]);
  broadcastStrides(leading(rhs, 2), s.rank, s.strides[1]);
  int64_t count = s.numel();
  offsets.clear();
  offsets.reserve(size_t(2 * count));
  forEachOuter(s, s.rank, 0, count, [&](const int64_t *off) {
    offsets.push_back(off[0] * lhsMatrix);
    offsets.push_back(off[1] * rhsMatrix);
  });
}

template <typename T>
void integerMatmul(Context &ctx, const T *a, const T *b, T *c,
                   const std::vector<int64_t> &offsets, int64_t M, int64_t N,
                   int64_t K, bool transposeA, bool transposeB) {
  // Element (i, k) of A and (k, j) of B through strides, as in MatrixRef.
  int64_t ai = transposeA ? 1 : K, ak = transposeA ? M : 1;
  int64_t bk = transposeB ? 1 : N, bj = transposeB ? K : 1;
  int64_t batches = int64_t(offsets.size() / 2);
  parallelRange(ctx, batches, std::max<int64_t>(1, kGrain / (M * N * K + 1)),
                [&](int64_t b0, int64_t b1) {
                  std::vector<uint64_t> acc(static_cast<size_t>(N));
                  for (int64_t batch = b0; batch < b1; ++batch) {
                    const T *x = a + offsets[2 * batch];
                    const T *y = b + offsets[2 * batch + 1];
                    T *z = c + batch * M * N;
                    for (int64_t i = 0; i < M; ++i) {
                      std::fill(acc.begin(), acc.end(), 0);
                      for (int64_t k = 0; k < K; ++k) {
                        uint64_t v = uint64_t(int64_t(x[i * ai + k * ak]));
                        const T *row = y + k * bk;
                        for (int64_t j = 0; j < N; ++j)
                          acc[j] += v * uint64_t(int64_t(row[j * bj]));
                      }
                      for (int64_t j = 0; j < N; ++j)
                        z[i * N + j] = T(int64_t(acc[j]));
                    }
                  }
                });
}

} // namespace

bool matmulShape(Context &ctx, const Shape &lhs, const Shape &rhs,
                 bool transposeA, bool transposeB, Shape &out) {
  if (!checkRank(ctx, "matmul", "lhs", lhs.rank) ||
      !checkRank(ctx, "matmul", "rhs", rhs.rank))
    return false;
  if (lhs.rank < 2 || rhs.rank < 2)
    return ctx.fail("matmul: operands must have rank 2 or more, got ranks " +
                    str(lhs.rank) + " and " + str(rhs.rank));
  int lr = lhs.rank, rr = rhs.rank;
  int64_t m = transposeA ? lhs[lr - 1] : lhs[lr - 2];
  int64_t kl = transposeA ? lhs[lr - 2] : lhs[lr - 1];
  int64_t kr = transposeB ? rhs[rr - 1] : rhs[rr - 2];
  int64_t n = transposeB ? rhs[rr - 2] : rhs[rr - 1];
  if (kl != kr)
    return ctx.fail("matmul: contraction dimensions differ: lhs " + lhs.str() +
                    " has K = " + str(kl) + ", rhs " + rhs.str() +
                    " has K = " + str(kr));
  Shape batch;
  if (!broadcastShapes(ctx, "matmul", leading(lhs, 2), leading(rhs, 2), batch))
    return false;
  batch.rank += 2;
  batch[batch.rank - 2] = m;
  batch[batch.rank - 1] = n;
  out = batch;
  return true;
}

/// Checks an epilogue's operands against the matmul's output.
static bool checkEpilogue(Context &ctx, const GemmEpilogue *epilogue,
                          const Tensor &out) {
  if (!epilogue)
    return true;
  if (!isFloat(out.dtype))
    return ctx.fail("matmul: an epilogue needs a float matmul");
  if (const Tensor *bias = epilogue->bias) {
    if (!checkTensor(ctx, "matmul", "bias", *bias))
      return false;
    if (!isFloat(bias->dtype) || bias->shape.rank != 1 ||
        bias->shape[0] != out.shape[out.shape.rank - 1])
      return ctx.fail("matmul: bias must be a float [" +
                      std::to_string(out.shape[out.shape.rank - 1]) +
                      "], got " + std::string(dtypeName(bias->dtype)) + " " +
                      bias->shape.str());
  }
  if (const Tensor *residual = epilogue->residual) {
    if (!checkTensor(ctx, "matmul", "residual", *residual))
      return false;
    if (!isFloat(residual->dtype) || !(residual->shape == out.shape))
      return ctx.fail("matmul: residual must be a float " + out.shape.str() +
                      " (the output's shape), got " +
                      std::string(dtypeName(residual->dtype)) + " " +
                      residual->shape.str());
  }
  return true;
}

/// The unary op that applies `a` (Relu for None, which is never applied).
static UnaryOp activationOp(Activation a) {
  switch (a) {
  case Activation::None:
  case Activation::Relu:
    break;
  case Activation::Gelu:
    return UnaryOp::Gelu;
  case Activation::GeluTanh:
    return UnaryOp::GeluTanh;
  case Activation::Silu:
    return UnaryOp::Silu;
  }
  return UnaryOp::Relu;
}

/// c = act(alpha * c + bias) + residual over the [rows, N] f32 output.
static void applyEpilogue(const GemmEpilogue &e, float *c, int64_t rows,
                          int64_t N) {
  std::vector<float> biasF32, residualF32;
  const float *bias = e.bias ? asF32(*e.bias, biasF32) : nullptr;
  const float *residual =
      e.residual ? asF32(*e.residual, residualF32) : nullptr;
  UnaryOp act = activationOp(e.activation);
  for (int64_t r = 0; r < rows; ++r) {
    float *row = c + r * N;
    if (e.alpha != 1.0f)
      for (int64_t j = 0; j < N; ++j)
        row[j] *= e.alpha;
    if (bias)
      for (int64_t j = 0; j < N; ++j)
        row[j] += bias[j];
    if (e.activation != Activation::None)
      unaryF32(act, row, row, N);
    if (residual)
      for (int64_t j = 0; j < N; ++j)
        row[j] += residual[r * N + j];
  }
}

bool matmul(Context &ctx, const Tensor &lhs, const Tensor &rhs, bool transposeA,
            bool transposeB, Tensor &out, const GemmEpilogue *epilogue,
            GemmPath path) {
  if (!checkMatmulOperands(ctx, lhs, rhs))
    return false;
  Shape shape;
  if (!matmulShape(ctx, lhs.shape, rhs.shape, transposeA, transposeB, shape) ||
      !checkOut(ctx, "matmul", out, shape, lhs.dtype) ||
      !checkEpilogue(ctx, epilogue, out))
    return false;
  if (out.numel() == 0)
    return true;
  int lr = lhs.shape.rank;
  int64_t M = shape[shape.rank - 2], N = shape[shape.rank - 1];
  int64_t K = transposeA ? lhs.shape[lr - 2] : lhs.shape[lr - 1];
  std::vector<int64_t> offsets;
  batchOffsets(lhs.shape, rhs.shape, shape, M * K, K * N, offsets);
  int64_t batches = int64_t(offsets.size() / 2);

  if (isInt(lhs.dtype)) {
    visitInt(lhs.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      integerMatmul(ctx, lhs.as<const T>(), rhs.as<const T>(), out.as<T>(),
                    offsets, M, N, K, transposeA, transposeB);
    });
    return true;
  }

  std::vector<float> lhsF32, rhsF32;
  AlignedFloats outF32;
  const float *a = asF32(lhs, lhsF32), *b = asF32(rhs, rhsF32);
  float *c = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    c = outF32.data();
  }
  // [batch..., M, K] · [K, N] is one [batch * M, K] · [K, N] product.
  int64_t rows = M;
  if (rhs.shape.rank == 2 && !transposeA) {
    rows = M * batches;
    batches = 1;
  }
  auto gemmAt = [&](int64_t batch, const ParallelFor &parallel) {
    const float *x = a + offsets[2 * batch];
    const float *y = b + offsets[2 * batch + 1];
    MatrixRef ma = transposeA ? MatrixRef{x, 1, M} : MatrixRef{x, K, 1};
    MatrixRef mb = transposeB ? MatrixRef{y, 1, K} : MatrixRef{y, N, 1};
    gemmF32(rows, N, K, ma, mb, c + batch * M * N, N, false, parallel, path);
  };
  int64_t work = batches * rows * N * K;
  if (batches == 1) {
    gemmAt(0, parallelFor(ctx, work));
  } else if (work < (1 << 18) || ctx.numThreads <= 1) {
    for (int64_t batch = 0; batch < batches; ++batch)
      gemmAt(batch, runSerially);
  } else if (batches >= ctx.numThreads || rows * N * K < (1 << 18)) {
    ctx.parallelFor(batches,
                    [&](int64_t batch) { gemmAt(batch, runSerially); });
  } else {
    for (int64_t batch = 0; batch < batches; ++batch)
      gemmAt(batch, ctx.parallelFor);
  }
  if (epilogue)
    applyEpilogue(*epilogue, c, out.numel() / N, N);
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, c, out.data, out.numel());
  return true;
}

int64_t packedMatmulRhsFloats(Context &ctx, const Tensor &rhs,
                              bool transposeB) {
  if (!checkTensor(ctx, "pack_matmul_rhs", "rhs", rhs))
    return -1;
  if (!isFloat(rhs.dtype) || rhs.shape.rank != 2) {
    ctx.fail(std::string("pack_matmul_rhs: needs a float matrix, got ") +
             dtypeName(rhs.dtype) + " " + rhs.shape.str());
    return -1;
  }
  int64_t K = rhs.shape[transposeB ? 1 : 0], N = rhs.shape[transposeB ? 0 : 1];
  return packedGemmBFloats(K, N);
}

bool packMatmulRhs(Context &ctx, const Tensor &rhs, bool transposeB, float *out,
                   PackedMatrix &packed) {
  if (packedMatmulRhsFloats(ctx, rhs, transposeB) < 0)
    return false;
  int64_t K = rhs.shape[transposeB ? 1 : 0], N = rhs.shape[transposeB ? 0 : 1];
  std::vector<float> rhsF32;
  const float *b = asF32(rhs, rhsF32);
  packGemmBF32(K, N, transposeB ? MatrixRef{b, 1, K} : MatrixRef{b, N, 1}, out);
  packed = {out, K, N};
  return true;
}

bool matmulPacked(Context &ctx, const Tensor &lhs, const PackedMatrix &rhs,
                  Tensor &out, const GemmEpilogue *epilogue) {
  if (!checkTensor(ctx, "matmul", "lhs", lhs))
    return false;
  if (!rhs.data || rhs.k < 0 || rhs.n < 0)
    return ctx.fail("matmul: the packed rhs was not packed");
  if (!isFloat(lhs.dtype))
    return ctx.fail(std::string("matmul: a packed rhs needs a float lhs, "
                                "got ") +
                    dtypeName(lhs.dtype));
  Shape rhsShape{rhs.k, rhs.n}, shape;
  if (!matmulShape(ctx, lhs.shape, rhsShape, false, false, shape) ||
      !checkOut(ctx, "matmul", out, shape, lhs.dtype) ||
      !checkEpilogue(ctx, epilogue, out))
    return false;
  if (out.numel() == 0)
    return true;
  int64_t N = rhs.n, K = rhs.k, rows = out.numel() / N;
  std::vector<float> lhsF32;
  AlignedFloats outF32;
  const float *a = asF32(lhs, lhsF32);
  float *c = out.as<float>();
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    c = outF32.data();
  }
  // [batch..., M, K] · [K, N] is one [batch * M, K] · [K, N] product.
  gemmF32Packed(rows, N, K, MatrixRef{a, K, 1}, rhs.data, c, N,
                parallelFor(ctx, rows * N * K));
  if (epilogue)
    applyEpilogue(*epilogue, c, rows, N);
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, c, out.data, out.numel());
  return true;
}

/// Writes the n floats of `row` as row `r` of the [rows, n] `out`.
static void storeRow(Tensor &out, int64_t r, const float *row, int64_t n) {
  if (out.dtype == DType::F32)
    std::copy(row, row + n, out.as<float>() + r * n);
  else
    convertFromF32(out.dtype, row, elementAt(out, r * n), n);
}

/// The width and depth of weights side by side along N: parts[i] is
/// [K, N_i] ([N_i, K] with transposeB). False with an error otherwise.
static bool partsShape(Context &ctx, const char *op, const Tensor *parts,
                       int numParts, bool transposeB, int64_t &K, int64_t &N) {
  if (numParts < 1)
    return ctx.fail(std::string(op) + ": needs at least one weight");
  K = -1, N = 0;
  for (int i = 0; i < numParts; ++i) {
    const Tensor &w = parts[i];
    std::string name = "weight " + std::to_string(i);
    if (!checkTensor(ctx, op, name.c_str(), w))
      return false;
    if (!isFloat(w.dtype) || w.shape.rank != 2)
      return ctx.fail(std::string(op) + ": " + name +
                      " must be a float matrix, got " + dtypeName(w.dtype) +
                      " " + w.shape.str());
    int64_t k = w.shape[transposeB ? 1 : 0];
    if (K >= 0 && k != K)
      return ctx.fail(std::string(op) + ": " + name + " " + w.shape.str() +
                      " has K = " + str(k) + ", weight 0 has K = " + str(K));
    K = k;
    N += w.shape[transposeB ? 0 : 1];
  }
  return true;
}

int64_t packedMatmulPartsFloats(Context &ctx, const Tensor *parts, int numParts,
                                bool transposeB) {
  int64_t K, N;
  if (!partsShape(ctx, "pack_matmul_rhs", parts, numParts, transposeB, K, N))
    return -1;
  return packedGemmBFloats(K, N);
}

bool packMatmulParts(Context &ctx, const Tensor *parts, int numParts,
                     bool transposeB, float *out, PackedMatrix &packed) {
  int64_t K, N;
  if (!partsShape(ctx, "pack_matmul_rhs", parts, numParts, transposeB, K, N))
    return false;
  if (numParts == 1)
    return packMatmulRhs(ctx, parts[0], transposeB, out, packed);
  // The weights side by side as one [K, N] matrix (or [N, K], one after the
  // other), then packed as one.
  std::vector<float> joined(size_t(K * N)), partF32;
  int64_t column = 0;
  for (int i = 0; i < numParts; ++i) {
    const float *w = asF32(parts[i], partF32);
    int64_t n = parts[i].shape[transposeB ? 0 : 1];
    if (transposeB)
      std::copy(w, w + n * K, joined.data() + column * K);
    else
      for (int64_t k = 0; k < K; ++k)
        std::copy(w + k * n, w + (k + 1) * n, joined.data() + k * N + column);
    column += n;
  }
  packGemmBF32(K, N,
               transposeB ? MatrixRef{joined.data(), 1, K}
                          : MatrixRef{joined.data(), N, 1},
               out);
  packed = {out, K, N};
  return true;
}

bool multiMatmulPacked(Context &ctx, const Tensor &lhs, const PackedMatrix &rhs,
                       const MultiEpilogue &epilogue, Tensor *outs,
                       int numOuts) {
  const char *op = "multi_matmul";
  if (!checkTensor(ctx, op, "lhs", lhs))
    return false;
  if (!rhs.data || rhs.k < 0 || rhs.n < 0)
    return ctx.fail("multi_matmul: the packed weights were not packed");
  if (!isFloat(lhs.dtype) || lhs.shape.rank < 1 ||
      lhs.shape[lhs.shape.rank - 1] != rhs.k)
    return ctx.fail("multi_matmul: lhs must be a float [..., " + str(rhs.k) +
                    "], got " + dtypeName(lhs.dtype) + " " + lhs.shape.str());
  int numParts = epilogue.glu ? 2 : numOuts;
  if (numOuts < 1 || (epilogue.glu && numOuts != 1))
    return ctx.fail(
        "multi_matmul: " + str(numOuts) + " outputs for " +
        (epilogue.glu ? "a glu (one output)" : "the weights (at least one)"));
  // Each output is [..., N_i]; with glu, the gate and the up halves are
  // the output's width each.
  std::vector<int64_t> widths(static_cast<size_t>(numParts)),
      starts(static_cast<size_t>(numParts));
  int64_t N = 0;
  for (int i = 0; i < numParts; ++i) {
    Tensor &out = outs[epilogue.glu ? 0 : i];
    Shape shape = lhs.shape;
    if (out.shape.rank != shape.rank)
      return ctx.fail("multi_matmul: output " + str(epilogue.glu ? 0 : i) +
                      " is " + out.shape.str() + ", not of lhs " +
                      lhs.shape.str() + "'s rank");
    shape[shape.rank - 1] = out.shape[shape.rank - 1];
    std::string name = "output " + str(epilogue.glu ? 0 : i);
    if (!checkOut(ctx, op, out, shape, lhs.dtype, name.c_str()))
      return false;
    starts[size_t(i)] = N;
    widths[size_t(i)] = shape[shape.rank - 1];
    N += widths[size_t(i)];
  }
  if (N != rhs.n)
    return ctx.fail("multi_matmul: the outputs are " + str(N) +
                    " columns wide in all, the packed weights " + str(rhs.n));
  if (epilogue.biases)
    for (int i = 0; i < numParts; ++i) {
      const Tensor *b = epilogue.biases[i];
      std::string name = "bias " + std::to_string(i);
      if (!b || !checkTensor(ctx, op, name.c_str(), *b))
        return b ? false : ctx.fail("multi_matmul: " + name + " is missing");
      if (!isFloat(b->dtype) || b->shape.rank != 1 ||
          b->shape[0] != widths[size_t(i)])
        return ctx.fail("multi_matmul: " + name + " must be a float [" +
                        str(widths[size_t(i)]) + "], got " +
                        dtypeName(b->dtype) + " " + b->shape.str());
    }
  int64_t K = rhs.k, rows = 1;
  for (int d = 0; d + 1 < lhs.shape.rank; ++d)
    rows *= lhs.shape[d];
  if (rows == 0)
    return true;
  std::vector<float> lhsF32;
  const float *a = asF32(lhs, lhsF32);
  // The product of all weights at once, then each row's columns through
  // the epilogue into their outputs.
  thread_local AlignedFloats product;
  float *c = gemm_detail::scratch(product, size_t(rows * N));
  gemmF32Packed(rows, N, K, MatrixRef{a, K, 1}, rhs.data, c, N,
                parallelFor(ctx, rows * N * K));
  std::vector<std::vector<float>> biasF32(static_cast<size_t>(numParts));
  std::vector<const float *> bias(static_cast<size_t>(numParts), nullptr);
  if (epilogue.biases)
    for (int i = 0; i < numParts; ++i)
      bias[size_t(i)] = asF32(*epilogue.biases[i], biasF32[size_t(i)]);
  UnaryOp act = activationOp(epilogue.activation);
  bool activate = epilogue.activation != Activation::None;
  const float alpha = epilogue.alpha;
  constexpr int64_t kRowsPerTask = 16;
  parallelFor(ctx, rows * N * 4)(
      (rows + kRowsPerTask - 1) / kRowsPerTask, [&](int64_t task) {
        for (int64_t r = task * kRowsPerTask;
             r < std::min(rows, (task + 1) * kRowsPerTask); ++r) {
          float *cr = c + r * N;
          for (int i = 0; i < numParts; ++i) {
            float *x = cr + starts[size_t(i)];
            int64_t n = widths[size_t(i)];
            if (const float *b = bias[size_t(i)])
              for (int64_t j = 0; j < n; ++j)
                x[j] = x[j] * alpha + b[j];
            else if (alpha != 1.0f)
              for (int64_t j = 0; j < n; ++j)
                x[j] *= alpha;
            if (activate && (i == 0 || !epilogue.glu))
              unaryF32(act, x, x, n);
          }
          if (epilogue.glu) {
            int64_t n = widths[0];
            for (int64_t j = 0; j < n; ++j)
              cr[j] *= cr[n + j];
            storeRow(outs[0], r, cr, n);
          } else {
            for (int i = 0; i < numParts; ++i)
              storeRow(outs[i], r, cr + starts[size_t(i)], widths[size_t(i)]);
          }
        }
      });
  return true;
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

namespace {

/// Softmax down the `n` entries (stride `inner`) of each of `inner`
/// columns, all columns at once so that the loops run along rows.
void softmaxColumnsF32(int64_t n, int64_t inner, const float *x, float *y,
                       bool logSoftmax, float *mx, float *sum) {
  std::fill(mx, mx + inner, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + inner, 0.0f);
  for (int64_t a = 0; a < n; ++a)
    for (int64_t j = 0; j < inner; ++j)
      mx[j] = std::max(mx[j], x[a * inner + j]);
  for (int64_t a = 0; a < n; ++a)
    for (int64_t j = 0; j < inner; ++j) {
      float e = expApprox(x[a * inner + j] - mx[j]);
      sum[j] += e;
      if (!logSoftmax)
        y[a * inner + j] = e;
    }
  if (logSoftmax) {
    for (int64_t j = 0; j < inner; ++j)
      mx[j] += std::log(sum[j]);
    for (int64_t a = 0; a < n; ++a)
      for (int64_t j = 0; j < inner; ++j)
        y[a * inner + j] = x[a * inner + j] - mx[j];
  } else {
    for (int64_t j = 0; j < inner; ++j)
      sum[j] = 1.0f / sum[j];
    for (int64_t a = 0; a < n; ++a)
      for (int64_t j = 0; j < inner; ++j)
        y[a * inner + j] *= sum[j];
  }
}

} // namespace

bool softmax(Context &ctx, const Tensor &x, int64_t axis, bool logSoftmax,
             Tensor &out) {
  const char *name = logSoftmax ? "log_softmax" : "softmax";
  if (!checkTensor(ctx, name, "x", x) ||
      !checkAxis(ctx, name, axis, x.shape.rank) ||
      !checkOut(ctx, name, out, x.shape, x.dtype))
    return false;
  if (!isFloat(x.dtype))
    return ctx.fail(std::string(name) + ": needs a float tensor, got " +
                    dtypeName(x.dtype));
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, n = x.shape[int(axis)], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape[d];
  int64_t slab = n * inner; // elements per outer index
  bool f32 = x.dtype == DType::F32;
  parallelRange(ctx, outer, kGrain / slab, [&](int64_t o0, int64_t o1) {
    int64_t count = (o1 - o0) * slab;
    std::vector<float> staging;
    const float *in;
    float *y;
    if (f32) {
      in = x.as<const float>() + o0 * slab;
      y = out.as<float>() + o0 * slab;
    } else {
      staging.resize(size_t(count));
      convertToF32(x.dtype, elementAt(x, o0 * slab), staging.data(), count);
      in = y = staging.data();
    }
    if (inner == 1) {
      softmaxRowsF32(o1 - o0, n, in, y, logSoftmax, runSerially);
    } else {
      std::vector<float> columns(static_cast<size_t>(2 * inner));
      for (int64_t o = 0; o < o1 - o0; ++o)
        softmaxColumnsF32(n, inner, in + o * slab, y + o * slab, logSoftmax,
                          columns.data(), columns.data() + inner);
    }
    if (!f32)
      convertFromF32(out.dtype, y, elementAt(out, o0 * slab), count);
  });
  return true;
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

namespace {

const char *reduceName(ReduceOp op) {
  switch (op) {
  case ReduceOp::Sum:
    return "reduce_sum";
  case ReduceOp::Mean:
    return "reduce_mean";
  case ReduceOp::Max:
    return "reduce_max";
  case ReduceOp::Min:
    return "reduce_min";
  }
  return "reduce";
}

/// The accumulator of each storage type: f32 for floats, i64 for integers,
/// the byte itself for i1 (max = or, min = and on 0/1).
template <typename T> struct Accumulator {
  using type =
      std::conditional_t<isFloatStorage<T>, float,
                         std::conditional_t<isIntStorage<T>, int64_t, Bool>>;
};

template <typename T> inline auto loadAcc(T v) {
  if constexpr (isFloatStorage<T>)
    return toF32(v);
  else if constexpr (isIntStorage<T>)
    return int64_t(v);
  else
    return Bool(v != 0);
}

template <typename A> struct SumOp {
  A identity() const { return A(0); }
  A operator()(A x, A y) const {
    if constexpr (std::is_same_v<A, int64_t>)
      return int64_t(uint64_t(x) + uint64_t(y));
    else
      return x + y;
  }
};
template <typename A> struct MaxOp {
  A lowest;
  A identity() const { return lowest; }
  A operator()(A x, A y) const {
    if constexpr (std::is_same_v<A, float>)
      return (x > y || x != x) ? x : y;
    else
      return x < y ? y : x;
  }
};
template <typename A> struct MinOp {
  A highest;
  A identity() const { return highest; }
  A operator()(A x, A y) const {
    if constexpr (std::is_same_v<A, float>)
      return (x < y || x != x) ? x : y;
    else
      return y < x ? y : x;
  }
};

/// Folds a contiguous row. Integer and boolean combines are associative, so
/// the plain loop vectorizes as an ordinary reduction; float ones are not
/// (without reassociation flags), so floats fold into eight independent
/// accumulators, which are the vector lanes.
///
/// Integers must not take the eight-lane form: GCC 12.2 miscompiles it at
/// 512-bit vectors when each lane is wider than an element (int32 into int64
/// lanes, two blocks of eight per vector iteration) once value numbering has
/// made the in-loop sums live after the loop: the row sums come out wrong,
/// with no undefined behaviour involved (docs/portability.md has a 20-line
/// reproducer; -fno-tree-pre, -fno-tree-loop-vectorize or 256-bit vectors
/// hide it).
template <typename T, typename A, typename Combine>
inline A reduceRow(const T *x, int64_t n, Combine combine) {
  A result = combine.identity();
  if constexpr (!std::is_same_v<A, float>) {
    for (int64_t i = 0; i < n; ++i)
      result = combine(result, A(loadAcc(x[i])));
    return result;
  } else {
    constexpr int kLanes = 8;
    A lanes[kLanes];
    for (A &l : lanes)
      l = combine.identity();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int l = 0; l < kLanes; ++l)
        lanes[l] = combine(lanes[l], A(loadAcc(x[i + l])));
    for (int l = 0; l < kLanes; ++l)
      result = combine(result, lanes[l]);
    for (; i < n; ++i)
      result = combine(result, A(loadAcc(x[i])));
    return result;
  }
}

/// acc[out index] = combine over the reduced dims of x. `acc` has out's
/// element count and starts at the identity.
template <typename T, typename A, typename Combine>
void reduceInto(Context &ctx, const Tensor &x, const bool *reduced, A *acc,
                Combine combine) {
  // Merge runs of reduced / kept dimensions (size-1 dims are neither).
  int rank = 0;
  int64_t dims[kMaxRank];
  bool flags[kMaxRank];
  for (int d = 0; d < x.shape.rank; ++d) {
    if (x.shape[d] == 1)
      continue;
    if (rank > 0 && flags[rank - 1] == reduced[d]) {
      dims[rank - 1] *= x.shape[d];
      continue;
    }
    dims[rank] = x.shape[d];
    flags[rank++] = reduced[d];
  }
  const T *in = x.as<const T>();
  if (rank == 0) {
    acc[0] = combine(acc[0], A(loadAcc(in[0])));
    return;
  }
  StridedSpace<2> s;
  s.rank = rank;
  int64_t xStride = 1, accStride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    s.dims[d] = dims[d];
    s.strides[0][d] = xStride;
    xStride *= dims[d];
    s.strides[1][d] = flags[d] ? 0 : accStride;
    if (!flags[d])
      accStride *= dims[d];
  }
  int64_t len = dims[rank - 1];
  bool innerReduced = flags[rank - 1];
  auto row = [&](const int64_t *off) {
    const T *xr = in + off[0];
    A *ar = acc + off[1];
    if (innerReduced) {
      *ar = combine(*ar, reduceRow<T, A>(xr, len, combine));
    } else {
      for (int64_t j = 0; j < len; ++j)
        ar[j] = combine(ar[j], A(loadAcc(xr[j])));
    }
  };
  if (rank == 1) {
    forEachOuter(s, 0, 0, 1, row);
    return;
  }
  // Entries of a kept leading dimension write disjoint accumulators.
  int64_t rows = s.numel() / len, rowsPerLead = rows / dims[0];
  if (!flags[0]) {
    parallelRange(ctx, dims[0], kGrain / (rowsPerLead * len),
                  [&](int64_t l0, int64_t l1) {
                    forEachOuter(s, rank - 1, l0 * rowsPerLead,
                                 l1 * rowsPerLead, row);
                  });
  } else {
    forEachOuter(s, rank - 1, 0, rows, row);
  }
}

template <typename T>
void reduceTyped(Context &ctx, ReduceOp op, const Tensor &x,
                 const bool *reduced, int64_t count, Tensor &out) {
  using A = typename Accumulator<T>::type;
  int64_t n = out.numel();
  std::vector<A> acc(static_cast<size_t>(n));
  auto run = [&](auto combine) {
    std::fill(acc.begin(), acc.end(), combine.identity());
    if (x.numel() > 0)
      reduceInto<T, A>(ctx, x, reduced, acc.data(), combine);
  };
  A lowest, highest;
  if constexpr (std::is_same_v<A, float>) {
    lowest = -std::numeric_limits<float>::infinity();
    highest = std::numeric_limits<float>::infinity();
  } else if constexpr (std::is_same_v<A, Bool>) {
    lowest = 0;
    highest = 1;
  } else {
    lowest = std::numeric_limits<T>::lowest();
    highest = std::numeric_limits<T>::max();
  }
  switch (op) {
  case ReduceOp::Sum:
  case ReduceOp::Mean:
    run(SumOp<A>{});
    break;
  case ReduceOp::Max:
    run(MaxOp<A>{lowest});
    break;
  case ReduceOp::Min:
    run(MinOp<A>{highest});
    break;
  }
  T *y = out.as<T>();
  bool mean = op == ReduceOp::Mean;
  for (int64_t i = 0; i < n; ++i) {
    A v = acc[size_t(i)];
    if constexpr (std::is_same_v<A, float>) {
      y[i] = fromF32<T>(mean ? v / float(count) : v);
    } else if constexpr (std::is_same_v<A, int64_t>) {
      // Truncating integer mean; an empty reduction gives 0.
      y[i] = T(mean ? (count > 0 ? v / count : 0) : v);
    } else {
      y[i] = v;
    }
  }
}

} // namespace

namespace {

bool reduceShapeFor(Context &ctx, const char *name, const Shape &x,
                    const int64_t *axes, int numAxes, bool keepDims,
                    Shape &out) {
  if (!checkRank(ctx, name, "x", x.rank))
    return false;
  bool valid = numAxes > 0 && axes != nullptr;
  for (int i = 0; valid && i < numAxes; ++i)
    valid =
        axes[i] >= 0 && axes[i] < x.rank && (i == 0 || axes[i - 1] < axes[i]);
  if (!valid) {
    std::string list = "[";
    for (int i = 0; axes && i < numAxes; ++i)
      list += (i ? ", " : "") + str(axes[i]);
    return ctx.fail(std::string(name) +
                    ": axes must be non-empty, sorted, unique and in [0, " +
                    str(x.rank) + "), got " + list + "]");
  }
  Shape result;
  for (int d = 0, i = 0; d < x.rank; ++d) {
    bool isReduced = i < numAxes && axes[i] == d;
    if (isReduced)
      ++i;
    if (!isReduced)
      result[result.rank++] = x[d];
    else if (keepDims)
      result[result.rank++] = 1;
  }
  out = result;
  return true;
}

} // namespace

bool reduceShape(Context &ctx, const Shape &x, const int64_t *axes, int numAxes,
                 bool keepDims, Shape &out) {
  return reduceShapeFor(ctx, "reduce", x, axes, numAxes, keepDims, out);
}

namespace {

/// The running sums of cumsum over [outer0, outer1) x n x inner, in
/// accumulator type Acc (f32, or uint64_t for integers, which wraps).
template <typename Acc, typename In, typename Out>
void cumsumSlabs(const In *x, Out *y, int64_t outer0, int64_t outer1, int64_t n,
                 int64_t inner, bool exclusive, bool reverse) {
  std::vector<Acc> sum(static_cast<size_t>(inner));
  for (int64_t o = outer0; o < outer1; ++o) {
    std::fill(sum.begin(), sum.end(), Acc(0));
    for (int64_t step = 0; step < n; ++step) {
      int64_t a = reverse ? n - 1 - step : step;
      const In *row = x + (o * n + a) * inner;
      Out *dst = y + (o * n + a) * inner;
      for (int64_t j = 0; j < inner; ++j) {
        Acc v = Acc(row[j]);
        if (exclusive) {
          dst[j] = Out(sum[size_t(j)]);
          sum[size_t(j)] += v;
        } else {
          sum[size_t(j)] += v;
          dst[j] = Out(sum[size_t(j)]);
        }
      }
    }
  }
}

} // namespace

bool cumsum(Context &ctx, const Tensor &x, int64_t axis, bool exclusive,
            bool reverse, Tensor &out) {
  if (!checkCumSum(ctx, x, axis, out))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, n = x.shape[int(axis)], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape[d];
  int64_t grain = std::max<int64_t>(1, kGrain / (n * inner));
  if (isInt(x.dtype)) {
    visitInt(x.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T *in = x.as<const T>();
      T *y = out.as<T>();
      parallelRange(ctx, outer, grain, [&](int64_t o0, int64_t o1) {
        // Unsigned sums wrap without undefined behaviour; the conversion
        // back to T keeps the low bits (two's complement).
        cumsumSlabs<uint64_t>(in, y, o0, o1, n, inner, exclusive, reverse);
      });
    });
    return true;
  }
  std::vector<float> inF32;
  const float *in = asF32(x, inF32);
  float *y = out.as<float>();
  std::vector<float> outF32;
  if (out.dtype != DType::F32) {
    outF32.resize(size_t(out.numel()));
    y = outF32.data();
  }
  parallelRange(ctx, outer, grain, [&](int64_t o0, int64_t o1) {
    cumsumSlabs<float>(in, y, o0, o1, n, inner, exclusive, reverse);
  });
  if (out.dtype != DType::F32)
    convertFromF32(out.dtype, y, out.data, out.numel());
  return true;
}

bool reduce(Context &ctx, ReduceOp op, const Tensor &x, const int64_t *axes,
            int numAxes, bool keepDims, Tensor &out) {
  const char *name = reduceName(op);
  if (!checkReduceOp(ctx, op))
    return false;
  Shape shape;
  if (!checkTensor(ctx, name, "x", x))
    return false;
  if (!reduceShapeFor(ctx, name, x.shape, axes, numAxes, keepDims, shape) ||
      !checkOut(ctx, name, out, shape, x.dtype))
    return false;
  bool numericOnly = op == ReduceOp::Sum || op == ReduceOp::Mean;
  if (x.dtype == DType::I1 && numericOnly)
    return ctx.fail(std::string(name) + ": does not support i1");
  bool reduced[kMaxRank] = {};
  int64_t count = 1;
  for (int i = 0; i < numAxes; ++i) {
    reduced[axes[i]] = true;
    count *= x.shape[int(axes[i])];
  }
  visitAny(x.dtype, [&](auto tag) {
    reduceTyped<typename decltype(tag)::type>(ctx, op, x, reduced, count, out);
  });
  return true;
}

} // namespace kestrel::cpu

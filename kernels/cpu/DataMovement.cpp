//===- DataMovement.cpp - Reshape, transpose, slice, gather, ... ----------===//
//
// Data movement is dtype-agnostic: elements move as opaque 1, 2, 4 or 8
// byte words. Expand, transpose and slice are one strided copy (a view of
// the input with per-dimension strides, 0 for broadcast and negative for
// reversed slices) into the dense result: contiguous runs go through
// memcpy, and a transpose that moves the contiguous dimension is copied in
// cache-sized tiles.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementTypes.h"
#include "kernels/cpu/StridedLoops.h"

#include <algorithm>
#include <cstring>

namespace kestrel::cpu {

using namespace detail;

namespace {

bool multiply(int64_t a, int64_t b, int64_t &result) {
  return !__builtin_mul_overflow(a, b, &result);
}

inline int64_t loadIndex(const Tensor &indices, int64_t i) {
  return indices.dtype == DType::I64 ? indices.as<const int64_t>()[i]
                                     : int64_t(indices.as<const int32_t>()[i]);
}

/// Reads a 1-D i64 shape operand into `dims`.
bool readShapeOperand(Context &ctx, const char *op, const Tensor &shape,
                      Shape &dims) {
  if (!checkTensor(ctx, op, "shape operand", shape))
    return false;
  if (shape.dtype != DType::I64 || shape.shape.rank != 1)
    return ctx.fail(std::string(op) +
                    ": the shape operand must be a 1-D i64 tensor, got " +
                    dtypeName(shape.dtype) + " " + shape.shape.str());
  int64_t length = shape.shape[0];
  if (length > kMaxRank)
    return ctx.fail(std::string(op) + ": the shape operand has " + str(length) +
                    " entries, more than the maximum rank " + str(kMaxRank));
  dims.rank = int(length);
  for (int i = 0; i < dims.rank; ++i)
    dims[i] = shape.as<const int64_t>()[i];
  return true;
}

/// Static dims of the result type (-1 = dynamic) agree with `computed`.
bool checkDeclared(Context &ctx, const char *op, const Shape &declared,
                   const Shape &computed) {
  bool ok = declared.rank == computed.rank;
  for (int d = 0; ok && d < declared.rank; ++d)
    ok = declared[d] < 0 || declared[d] == computed[d];
  if (!ok)
    return ctx.fail(std::string(op) + ": the computed shape " + computed.str() +
                    " contradicts the result type's shape " + declared.str());
  return true;
}

//===----------------------------------------------------------------------===//
// Strided copy
//===----------------------------------------------------------------------===//

/// dst (tile of rows x cols, row stride dstRow) = src read with stride 1
/// along rows and srcCol along cols: the transpose of a contiguous block.
template <typename W>
void copyTile(const W *src, int64_t srcCol, W *dst, int64_t dstRow,
              int64_t rows, int64_t cols) {
  constexpr int64_t kTile = 16;
  for (int64_t i0 = 0; i0 < rows; i0 += kTile)
    for (int64_t j0 = 0; j0 < cols; j0 += kTile) {
      int64_t i1 = std::min(rows, i0 + kTile), j1 = std::min(cols, j0 + kTile);
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j)
          dst[i * dstRow + j] = src[i + j * srcCol];
    }
}

/// Copies the view of `src` with `dims` and element `strides` into the
/// dense `dst`.
void stridedCopy(Context &ctx, size_t bytes, const void *src,
                 const int64_t *dims, const int64_t *strides, int rank,
                 void *dst) {
  StridedSpace<2> s;
  s.rank = rank;
  int64_t dense = 1;
  for (int d = rank - 1; d >= 0; --d) {
    s.dims[d] = dims[d];
    s.strides[0][d] = strides[d];
    s.strides[1][d] = dense;
    dense *= dims[d];
  }
  if (s.numel() == 0)
    return;
  s.simplify();
  visitWord(bytes, [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W *in = static_cast<const W *>(src);
    W *out = static_cast<W *>(dst);
    int inner = s.rank - 1;
    int64_t step = s.strides[0][inner];
    int q = -1; // an outer dimension that is contiguous in the source
    for (int d = 0; d < inner; ++d)
      if (s.strides[0][d] == 1)
        q = d;
    if (step == 1 || step == 0 || q < 0) {
      forEachRow(ctx, s, kGrain, [&](const int64_t *off, int64_t len) {
        const W *x = in + off[0];
        W *y = out + off[1];
        if (step == 1)
          std::memcpy(y, x, size_t(len) * sizeof(W));
        else if (step == 0)
          std::fill(y, y + len, *x);
        else
          for (int64_t j = 0; j < len; ++j)
            y[j] = x[j * step];
      });
      return;
    }
    // A transpose: copy [q, inner] planes tile by tile, units of 16 rows.
    s.moveDim(q, inner - 1);
    int64_t rows = s.dims[inner - 1], cols = s.dims[inner];
    int64_t dstRow = s.strides[1][inner - 1];
    int64_t blocks = (rows + 15) / 16;
    int64_t planes = s.numel() / (rows * cols);
    parallelRange(
        ctx, planes * blocks, kGrain / (16 * cols),
        [&](int64_t u0, int64_t u1) {
          for (int64_t u = u0; u < u1; ++u) {
            int64_t plane = u / blocks, r0 = (u % blocks) * 16;
            forEachOuter(
                s, inner - 1, plane, plane + 1, [&](const int64_t *off) {
                  copyTile(in + off[0] + r0, step, out + off[1] + r0 * dstRow,
                           dstRow, std::min<int64_t>(16, rows - r0), cols);
                });
          }
        });
  });
}

/// ONNX Slice bounds of one dimension: the first index and the count.
void sliceDim(int64_t dim, int64_t start, int64_t end, int64_t step,
              int64_t &first, int64_t &count) {
  if (dim == 0) {
    first = count = 0;
    return;
  }
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  uint64_t span, stride;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    span = end > start ? uint64_t(end - start) : 0;
    stride = uint64_t(step);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    span = start > end ? uint64_t(start - end) : 0;
    stride = uint64_t(0) - uint64_t(step); // |step|, also for INT64_MIN
  }
  first = start;
  count = span == 0 ? 0 : int64_t((span - 1) / stride + 1);
}

} // namespace

//===----------------------------------------------------------------------===//
// Reshape and expand
//===----------------------------------------------------------------------===//

bool reshapeShape(Context &ctx, const Shape &input, const Tensor *shape,
                  bool allowZero, const Shape &declared, Shape &out) {
  if (!checkRank(ctx, "reshape", "input", input.rank) ||
      !checkRank(ctx, "reshape", "the result type", declared.rank))
    return false;
  Shape result;
  bool fromOperand = shape && shape->data;
  if (fromOperand) {
    if (!readShapeOperand(ctx, "reshape", *shape, result))
      return false;
    if (result.rank != declared.rank)
      return ctx.fail("reshape: the shape operand has " + str(result.rank) +
                      " entries but the result has rank " + str(declared.rank));
  } else {
    result = declared;
  }
  int inferred = -1;
  int64_t known = 1;
  for (int i = 0; i < result.rank; ++i) {
    int64_t &dim = result[i];
    if (fromOperand && dim == 0 && !allowZero) {
      if (i >= input.rank)
        return ctx.fail("reshape: shape entry " + str(i) +
                        " is 0 (copy the input dim) but the input " +
                        input.str() + " has no dimension " + str(i));
      dim = input[i];
    }
    if (dim == -1) {
      if (inferred >= 0)
        return ctx.fail("reshape: more than one dimension to infer in " +
                        result.str());
      inferred = i;
      continue;
    }
    if (dim < 0)
      return ctx.fail("reshape: invalid dimension " + str(dim) + " in " +
                      result.str());
    if (!multiply(known, dim, known))
      return ctx.fail("reshape: the element count of " + result.str() +
                      " overflows");
  }
  int64_t count = input.numel();
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return ctx.fail("reshape: cannot infer dimension " + str(inferred) +
                      " of " + result.str() + " from " + str(count) +
                      " elements (input " + input.str() + ")");
    result[inferred] = count / known;
    known = count;
  }
  if (known != count)
    return ctx.fail("reshape: cannot reshape " + input.str() + " (" +
                    str(count) + " elements) to " + result.str() + " (" +
                    str(known) + " elements)");
  if (fromOperand && !checkDeclared(ctx, "reshape", declared, result))
    return false;
  out = result;
  return true;
}

bool expandShape(Context &ctx, const Shape &input, const Tensor *shape,
                 const Shape &declared, Shape &out) {
  if (!checkRank(ctx, "expand", "input", input.rank) ||
      !checkRank(ctx, "expand", "the result type", declared.rank))
    return false;
  if (shape && shape->data) {
    Shape target, result;
    if (!readShapeOperand(ctx, "expand", *shape, target))
      return false;
    for (int i = 0; i < target.rank; ++i)
      if (target[i] < 0)
        return ctx.fail("expand: invalid dimension " + str(target[i]) +
                        " in the shape operand " + target.str());
    if (!broadcastShapes(ctx, "expand", input, target, result) ||
        !checkDeclared(ctx, "expand", declared, result))
      return false;
    out = result;
    return true;
  }
  int offset = declared.rank - input.rank;
  if (offset < 0)
    return ctx.fail("expand: the result rank " + str(declared.rank) +
                    " is lower than the input rank " + str(input.rank));
  Shape result = declared;
  for (int j = 0; j < result.rank; ++j) {
    int64_t in = j >= offset ? input[j - offset] : 1;
    if (result[j] < 0) {
      if (j < offset)
        return ctx.fail("expand: result dimension " + str(j) +
                        " is dynamic but has no input dimension");
      result[j] = in;
    } else if (in != 1 && in != result[j]) {
      return ctx.fail("expand: input " + input.str() +
                      " does not broadcast to " + declared.str());
    }
  }
  out = result;
  return true;
}

bool expand(Context &ctx, const Tensor &x, Tensor &out) {
  if (!checkTensor(ctx, "expand", "x", x) ||
      !checkOut(ctx, "expand", out, out.shape, x.dtype) ||
      !checkBroadcastsTo(ctx, "expand", "x", x.shape, out.shape))
    return false;
  int64_t strides[kMaxRank];
  broadcastStrides(x.shape, out.shape.rank, strides);
  stridedCopy(ctx, dtypeSize(x.dtype), x.data, out.shape.dims, strides,
              out.shape.rank, out.data);
  return true;
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

bool transposeShape(Context &ctx, const Shape &x, const int64_t *perm,
                    Shape &out) {
  if (!checkRank(ctx, "transpose", "x", x.rank))
    return false;
  bool seen[kMaxRank] = {};
  bool valid = perm != nullptr || x.rank == 0;
  for (int i = 0; valid && i < x.rank; ++i) {
    valid = perm[i] >= 0 && perm[i] < x.rank && !seen[perm[i]];
    if (valid)
      seen[perm[i]] = true;
  }
  if (!valid) {
    std::string list = "[";
    for (int i = 0; perm && i < x.rank; ++i)
      list += (i ? ", " : "") + str(perm[i]);
    return ctx.fail("transpose: " + list + "] is not a permutation of [0, " +
                    str(x.rank) + ")");
  }
  Shape result;
  result.rank = x.rank;
  for (int i = 0; i < x.rank; ++i)
    result[i] = x[int(perm[i])];
  out = result;
  return true;
}

bool transpose(Context &ctx, const Tensor &x, const int64_t *perm,
               Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "transpose", "x", x) ||
      !transposeShape(ctx, x.shape, perm, shape) ||
      !checkOut(ctx, "transpose", out, shape, x.dtype))
    return false;
  int64_t in[kMaxRank], strides[kMaxRank];
  contiguousStrides(x.shape, in);
  for (int i = 0; i < shape.rank; ++i)
    strides[i] = in[perm[i]];
  stridedCopy(ctx, dtypeSize(x.dtype), x.data, shape.dims, strides, shape.rank,
              out.data);
  return true;
}

//===----------------------------------------------------------------------===//
// Concat and split
//===----------------------------------------------------------------------===//

bool concatShape(Context &ctx, const Tensor *inputs, int numInputs,
                 int64_t axis, Shape &out) {
  if (numInputs < 1 || !inputs)
    return ctx.fail("concat: needs at least one input");
  // Shapes only: the inputs' data need not exist yet.
  for (int i = 0; i < numInputs; ++i)
    if (!checkRank(ctx, "concat", "an input", inputs[i].shape.rank))
      return false;
  const Shape &first = inputs[0].shape;
  if (!checkAxis(ctx, "concat", axis, first.rank))
    return false;
  Shape result = first;
  for (int i = 1; i < numInputs; ++i) {
    const Tensor &t = inputs[i];
    if (t.dtype != inputs[0].dtype)
      return ctx.fail("concat: input " + str(i) + " has dtype " +
                      dtypeName(t.dtype) + ", expected " +
                      dtypeName(inputs[0].dtype));
    bool ok = t.shape.rank == first.rank;
    for (int d = 0; ok && d < first.rank; ++d)
      ok = d == axis || t.shape[d] == first[d];
    if (!ok)
      return ctx.fail("concat: input " + str(i) + " has shape " +
                      t.shape.str() + ", which differs from input 0 " +
                      first.str() + " outside axis " + str(axis));
    result[int(axis)] += t.shape[int(axis)];
  }
  out = result;
  return true;
}

bool concat(Context &ctx, const Tensor *inputs, int numInputs, int64_t axis,
            Tensor &out) {
  Shape shape;
  if (!concatShape(ctx, inputs, numInputs, axis, shape) ||
      !checkOut(ctx, "concat", out, shape, inputs[0].dtype))
    return false;
  if (out.numel() == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(out.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= shape[d];
  for (int d = int(axis) + 1; d < shape.rank; ++d)
    inner *= shape[d];
  int64_t rowBytes = shape[int(axis)] * inner;
  char *dst = out.as<char>();
  parallelRange(ctx, outer, kGrain * 4 / rowBytes, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t at = o * rowBytes;
      for (int i = 0; i < numInputs; ++i) {
        int64_t chunk = inputs[i].shape[int(axis)] * inner;
        if (chunk > 0)
          std::memcpy(dst + at, inputs[i].as<const char>() + o * chunk,
                      size_t(chunk));
        at += chunk;
      }
    }
  });
  return true;
}

bool splitShapes(Context &ctx, const Shape &x, int64_t axis,
                 const int64_t *sizes, int numOutputs, Shape *outs) {
  if (!checkRank(ctx, "split", "x", x.rank) ||
      !checkAxis(ctx, "split", axis, x.rank))
    return false;
  if (numOutputs < 1 || !sizes || !outs)
    return ctx.fail("split: needs at least one output");
  int64_t total = 0;
  for (int i = 0; i < numOutputs; ++i) {
    if (sizes[i] < 0 || __builtin_add_overflow(total, sizes[i], &total))
      return ctx.fail("split: size " + str(i) + " is invalid (" +
                      str(sizes[i]) + ")");
  }
  if (total != x[int(axis)])
    return ctx.fail("split: sizes add up to " + str(total) + ", but axis " +
                    str(axis) + " of " + x.str() + " has size " +
                    str(x[int(axis)]));
  for (int i = 0; i < numOutputs; ++i) {
    outs[i] = x;
    outs[i][int(axis)] = sizes[i];
  }
  return true;
}

bool split(Context &ctx, const Tensor &x, int64_t axis, Tensor *outs,
           int numOutputs) {
  if (!checkSplit(ctx, x, axis, outs, numOutputs))
    return false;
  if (x.numel() == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(x.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape[d];
  int64_t rowBytes = x.shape[int(axis)] * inner;
  const char *src = x.as<const char>();
  parallelRange(ctx, outer, kGrain * 4 / rowBytes, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      int64_t at = o * rowBytes;
      for (int i = 0; i < numOutputs; ++i) {
        int64_t chunk = outs[i].shape[int(axis)] * inner;
        if (chunk > 0)
          std::memcpy(outs[i].as<char>() + o * chunk, src + at, size_t(chunk));
        at += chunk;
      }
    }
  });
  return true;
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

bool sliceShape(Context &ctx, const Shape &x, const int64_t *starts,
                const int64_t *ends, const int64_t *steps, Shape &out) {
  if (!checkRank(ctx, "slice", "x", x.rank))
    return false;
  if (x.rank > 0 && (!starts || !ends || !steps))
    return ctx.fail("slice: needs starts, ends and steps");
  Shape result;
  result.rank = x.rank;
  for (int d = 0; d < x.rank; ++d) {
    if (steps[d] == 0)
      return ctx.fail("slice: the step of dimension " + str(d) + " is zero");
    int64_t first;
    sliceDim(x[d], starts[d], ends[d], steps[d], first, result[d]);
  }
  out = result;
  return true;
}

bool slice(Context &ctx, const Tensor &x, const int64_t *starts,
           const int64_t *ends, const int64_t *steps, Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "slice", "x", x) ||
      !sliceShape(ctx, x.shape, starts, ends, steps, shape) ||
      !checkOut(ctx, "slice", out, shape, x.dtype))
    return false;
  if (out.numel() == 0)
    return true;
  int64_t in[kMaxRank], strides[kMaxRank], base = 0;
  contiguousStrides(x.shape, in);
  for (int d = 0; d < x.shape.rank; ++d) {
    int64_t first, count;
    sliceDim(x.shape[d], starts[d], ends[d], steps[d], first, count);
    base += first * in[d];
    // With one element the step is never taken (and may be huge).
    strides[d] = count > 1 ? steps[d] * in[d] : 0;
  }
  stridedCopy(ctx, dtypeSize(x.dtype), elementAt(x, base), shape.dims, strides,
              shape.rank, out.data);
  return true;
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

bool padShape(Context &ctx, const Shape &x, const int64_t *pads, Shape &out) {
  if (!checkRank(ctx, "pad", "x", x.rank))
    return false;
  if (x.rank > 0 && !pads)
    return ctx.fail("pad: needs the pads");
  Shape result;
  result.rank = x.rank;
  for (int d = 0; d < x.rank; ++d) {
    int64_t begin = pads[d], end = pads[x.rank + d];
    // Pads that overflow the size are as wrong as ones that empty it past
    // zero.
    if (begin < -x[d] || end < -x[d] || x[d] + begin + end < 0 ||
        begin > (int64_t(1) << 40) || end > (int64_t(1) << 40))
      return ctx.fail("pad: dimension " + str(d) + " of size " + str(x[d]) +
                      " cannot take pads (" + str(begin) + ", " + str(end) +
                      ")");
    result[d] = x[d] + begin + end;
  }
  out = result;
  return true;
}

bool checkPad(Context &ctx, const Tensor &x, const int64_t *pads, PadMode mode,
              const Tensor &value, const Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "pad", "x", x) ||
      !checkTensor(ctx, "pad", "value", value) ||
      !padShape(ctx, x.shape, pads, shape) ||
      !checkOut(ctx, "pad", out, shape, x.dtype))
    return false;
  if (!padModeName(mode))
    return ctx.fail("pad: unknown mode " + str(int(mode)));
  if (value.shape.rank != 0 || value.dtype != x.dtype)
    return ctx.fail(std::string("pad: value must be a rank-0 ") +
                    dtypeName(x.dtype) + " tensor, got " +
                    dtypeName(value.dtype) + " " + value.shape.str());
  if (mode != PadMode::Constant && out.numel() > 0)
    for (int d = 0; d < x.shape.rank; ++d)
      if (x.shape[d] == 0)
        return ctx.fail(std::string("pad: ") + padModeName(mode) +
                        " padding needs entries to copy, and dimension " +
                        str(d) + " is empty");
  return true;
}

bool pad(Context &ctx, const Tensor &x, const int64_t *pads, PadMode mode,
         const Tensor &value, Tensor &out) {
  if (!checkPad(ctx, x, pads, mode, value, out))
    return false;
  if (out.numel() == 0)
    return true;
  const int rank = x.shape.rank;
  const size_t bytes = dtypeSize(x.dtype);
  const char *src = static_cast<const char *>(x.data);
  const char *fill = static_cast<const char *>(value.data);
  char *dst = static_cast<char *>(out.data);
  if (rank == 0) {
    std::memcpy(dst, src, bytes);
    return true;
  }
  int64_t in[kMaxRank];
  contiguousStrides(x.shape, in);
  const int last = rank - 1;
  const int64_t width = out.shape[last], n = x.shape[last];
  const int64_t begin = pads[last];
  // The output columns that read x's row in order: [lo, hi).
  const int64_t lo = std::clamp<int64_t>(begin, 0, width);
  const int64_t hi = std::clamp<int64_t>(begin + n, lo, width);
  const int64_t rows = out.numel() / width;
  parallelRange(
      ctx, rows, std::max<int64_t>(1, kGrain / width),
      [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          char *row = dst + r * width * int64_t(bytes);
          // The source row, or none (constant) for the outer dims.
          int64_t base = 0, rest = r;
          bool constantRow = false;
          for (int d = last - 1; d >= 0; --d) {
            int64_t c = rest % out.shape[d];
            rest /= out.shape[d];
            int64_t s = padSource(c - pads[d], x.shape[d], mode);
            if (s < 0) {
              constantRow = true;
              break;
            }
            base += s * in[d];
          }
          if (constantRow) {
            for (int64_t k = 0; k < width; ++k)
              std::memcpy(row + k * bytes, fill, bytes);
            continue;
          }
          const char *line = src + base * int64_t(bytes);
          // Columns [k0, k1) outside x's row, element by element.
          auto padColumns = [&](int64_t k0, int64_t k1) {
            for (int64_t k = k0; k < k1; ++k) {
              int64_t s = padSource(k - begin, n, mode);
              std::memcpy(row + k * bytes,
                          s < 0 ? fill : line + s * int64_t(bytes), bytes);
            }
          };
          padColumns(0, lo);
          if (hi > lo)
            std::memcpy(row + lo * bytes, line + (lo - begin) * int64_t(bytes),
                        size_t(hi - lo) * bytes);
          padColumns(hi, width);
        }
      });
  return true;
}

//===----------------------------------------------------------------------===//
// Gather
//===----------------------------------------------------------------------===//

bool gatherShape(Context &ctx, const Shape &x, const Shape &indices,
                 int64_t axis, Shape &out) {
  if (!checkRank(ctx, "gather", "x", x.rank) ||
      !checkRank(ctx, "gather", "indices", indices.rank) ||
      !checkAxis(ctx, "gather", axis, x.rank))
    return false;
  int rank = x.rank - 1 + indices.rank;
  if (rank > kMaxRank)
    return ctx.fail("gather: the result rank " + str(rank) +
                    " exceeds the maximum " + str(kMaxRank));
  Shape result;
  for (int d = 0; d < axis; ++d)
    result[result.rank++] = x[d];
  for (int d = 0; d < indices.rank; ++d)
    result[result.rank++] = indices[d];
  for (int d = int(axis) + 1; d < x.rank; ++d)
    result[result.rank++] = x[d];
  out = result;
  return true;
}

bool gather(Context &ctx, const Tensor &x, const Tensor &indices, int64_t axis,
            Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "gather", "x", x) ||
      !checkIndexTensor(ctx, "gather", indices) ||
      !gatherShape(ctx, x.shape, indices.shape, axis, shape) ||
      !checkOut(ctx, "gather", out, shape, x.dtype))
    return false;
  int64_t size = x.shape[int(axis)], count = indices.numel();
  std::vector<int64_t> rows(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t k = loadIndex(indices, i);
    int64_t at = k < 0 ? k + size : k;
    if (at < 0 || at >= size)
      return ctx.fail("gather: index " + str(k) + " (at position " + str(i) +
                      ") is out of range for axis " + str(axis) + " of size " +
                      str(size));
    rows[size_t(i)] = at;
  }
  if (out.numel() == 0)
    return true;
  int64_t outer = 1, inner = int64_t(dtypeSize(x.dtype));
  for (int d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape[d];
  const char *src = x.as<const char>();
  char *dst = out.as<char>();
  parallelRange(ctx, outer * count, kGrain * 4 / inner,
                [&](int64_t r0, int64_t r1) {
                  for (int64_t r = r0; r < r1; ++r) {
                    int64_t o = r / count, i = r % count;
                    std::memcpy(dst + r * inner,
                                src + (o * size + rows[size_t(i)]) * inner,
                                size_t(inner));
                  }
                });
  return true;
}

bool gatherElements(Context &ctx, const Tensor &x, const Tensor &indices,
                    int64_t axis, Tensor &out) {
  if (!checkGatherElements(ctx, x, indices, axis, out))
    return false;
  int rank = x.shape.rank;
  int64_t size = x.shape[int(axis)], count = indices.numel();
  std::vector<int64_t> at(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t k = loadIndex(indices, i);
    at[size_t(i)] = k < 0 ? k + size : k;
    if (at[size_t(i)] < 0 || at[size_t(i)] >= size)
      return ctx.fail("gather_elements: index " + str(k) + " (at position " +
                      str(i) + ") is out of range for axis " + str(axis) +
                      " of size " + str(size));
  }
  if (count == 0)
    return true;
  // Walk the indices' space with x's strides, the axis stride left out.
  StridedSpace<1> s;
  s.rank = rank;
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  for (int d = 0; d < rank; ++d) {
    s.dims[d] = indices.shape[d];
    s.strides[0][d] = d == axis ? 0 : xStrides[d];
  }
  int64_t axisStride = xStrides[axis];
  visitWord(dtypeSize(x.dtype), [&](auto tag) {
    using W = typename decltype(tag)::type;
    const W *src = x.as<const W>();
    W *dst = out.as<W>();
    int64_t i = 0;
    forEachOuter(s, rank, 0, count, [&](const int64_t *off) {
      dst[i] = src[off[0] + at[size_t(i)] * axisStride];
      ++i;
    });
  });
  return true;
}

bool gatherNdShape(Context &ctx, const Shape &x, const Shape &indices,
                   int64_t batchDims, Shape &out) {
  if (!checkRank(ctx, "gather_nd", "x", x.rank) ||
      !checkRank(ctx, "gather_nd", "indices", indices.rank))
    return false;
  if (indices.rank < 1)
    return ctx.fail("gather_nd: indices need rank 1 or more");
  int64_t depth = indices[indices.rank - 1];
  if (depth < 0 || batchDims < 0 ||
      batchDims >= std::min(x.rank, indices.rank) || depth > x.rank - batchDims)
    return ctx.fail("gather_nd: batch_dims = " + str(batchDims) +
                    " with index depth " + str(depth) + " does not fit x " +
                    x.str() + " and indices " + indices.str());
  for (int d = 0; d < batchDims; ++d)
    if (x[d] != indices[d])
      return ctx.fail("gather_nd: batch dimension " + str(d) + " differs: x " +
                      x.str() + ", indices " + indices.str());
  Shape result;
  for (int d = 0; d < indices.rank - 1; ++d)
    result[result.rank++] = indices[d];
  int rank = result.rank + x.rank - int(batchDims + depth);
  if (rank > kMaxRank)
    return ctx.fail("gather_nd: the result rank " + str(rank) +
                    " exceeds the maximum " + str(kMaxRank));
  for (int d = int(batchDims + depth); d < x.rank; ++d)
    result[result.rank++] = x[d];
  out = result;
  return true;
}

namespace {

/// Writes update element `u` into out element `o` (both of `dtype`) under
/// `r`: the bytes themselves for None, else combined in f32 and rounded to
/// the dtype (integers in their own type, wrapping), one update at a time.
inline void scatterElement(DType dtype, ScatterReduction r, char *o,
                           const char *u, size_t bytes) {
  if (r == ScatterReduction::None) {
    std::memcpy(o, u, bytes);
    return;
  }
  if (dtype == DType::I64 || dtype == DType::I32) {
    visitInt(dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T a, b;
      std::memcpy(&a, o, sizeof(T));
      std::memcpy(&b, u, sizeof(T));
      T c = scatterCombine(r, a, b);
      std::memcpy(o, &c, sizeof(T));
    });
    return;
  }
  float a, b;
  convertToF32(dtype, o, &a, 1);
  convertToF32(dtype, u, &b, 1);
  float c = scatterCombine(r, a, b);
  convertFromF32(dtype, &c, o, 1);
}

} // namespace

bool scatterElements(Context &ctx, const Tensor &x, const Tensor &indices,
                     const Tensor &updates, int64_t axis,
                     ScatterReduction reduction, Tensor &out) {
  if (!checkScatterElements(ctx, x, indices, updates, axis, reduction, out))
    return false;
  int rank = x.shape.rank;
  int64_t size = x.shape[int(axis)], count = indices.numel();
  // Where each update goes, checked before anything is written.
  std::vector<int64_t> at(static_cast<size_t>(count));
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  int64_t index[kMaxRank] = {};
  for (int64_t i = 0; i < count; ++i) {
    int64_t k = loadIndex(indices, i);
    int64_t pos = k < 0 ? k + size : k;
    if (pos < 0 || pos >= size)
      return ctx.fail("scatter_elements: index " + str(k) + " (at position " +
                      str(i) + ") is out of range for axis " + str(axis) +
                      " of size " + str(size));
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d)
      offset += (d == axis ? pos : index[d]) * xStrides[d];
    at[size_t(i)] = offset;
    for (int d = rank - 1; d >= 0; --d) { // the next index, row-major
      if (++index[d] < indices.shape[d])
        break;
      index[d] = 0;
    }
  }
  if (out.data != x.data)
    std::memmove(out.data, x.data, x.bytes());
  size_t bytes = dtypeSize(x.dtype);
  char *o = out.as<char>();
  const char *u = updates.as<const char>();
  for (int64_t i = 0; i < count; ++i)
    scatterElement(x.dtype, reduction, o + at[size_t(i)] * int64_t(bytes),
                   u + i * int64_t(bytes), bytes);
  return true;
}

bool scatterNd(Context &ctx, const Tensor &x, const Tensor &indices,
               const Tensor &updates, ScatterReduction reduction, Tensor &out) {
  if (!checkScatterNd(ctx, x, indices, updates, reduction, out))
    return false;
  int64_t depth = indices.shape[indices.shape.rank - 1];
  int64_t tuples = indices.numel() / depth;
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  int64_t slice = depth < x.shape.rank ? xStrides[depth - 1] : 1;
  std::vector<int64_t> at(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = 0;
    for (int64_t j = 0; j < depth; ++j) {
      int64_t size = x.shape[int(j)];
      int64_t k = loadIndex(indices, t * depth + j);
      int64_t pos = k < 0 ? k + size : k;
      if (pos < 0 || pos >= size)
        return ctx.fail("scatter_nd: index " + str(k) + " (tuple " + str(t) +
                        ", entry " + str(j) +
                        ") is out of range for "
                        "dimension " +
                        str(j) + " of size " + str(size));
      offset += pos * xStrides[j];
    }
    at[size_t(t)] = offset;
  }
  if (out.data != x.data)
    std::memmove(out.data, x.data, x.bytes());
  int64_t bytes = int64_t(dtypeSize(x.dtype));
  char *o = out.as<char>();
  const char *u = updates.as<const char>();
  for (int64_t t = 0; t < tuples; ++t) {
    char *dst = o + at[size_t(t)] * bytes;
    const char *src = u + t * slice * bytes;
    if (reduction == ScatterReduction::None) {
      std::memcpy(dst, src, size_t(slice * bytes));
      continue;
    }
    for (int64_t e = 0; e < slice; ++e)
      scatterElement(x.dtype, reduction, dst + e * bytes, src + e * bytes,
                     size_t(bytes));
  }
  return true;
}

bool gatherNd(Context &ctx, const Tensor &x, const Tensor &indices,
              int64_t batchDims, Tensor &out) {
  Shape shape;
  if (!checkTensor(ctx, "gather_nd", "x", x) ||
      !checkIndexTensor(ctx, "gather_nd", indices) ||
      !gatherNdShape(ctx, x.shape, indices.shape, batchDims, shape) ||
      !checkOut(ctx, "gather_nd", out, shape, x.dtype))
    return false;
  int b = int(batchDims);
  int64_t depth = indices.shape[indices.shape.rank - 1];
  int64_t tuples = depth > 0 ? indices.numel() / depth : 1;
  for (int d = 0; depth == 0 && d < indices.shape.rank - 1; ++d)
    tuples *= indices.shape[d];
  // Tuples per batch entry, and the input elements each batch entry spans.
  int64_t perBatch = 1, batchSpan = 1;
  for (int d = b; d < indices.shape.rank - 1; ++d)
    perBatch *= indices.shape[d];
  for (int d = b; d < x.shape.rank; ++d)
    batchSpan *= x.shape[d];
  int64_t xStrides[kMaxRank];
  contiguousStrides(x.shape, xStrides);
  int64_t sliceBytes = int64_t(dtypeSize(x.dtype));
  for (int d = b + int(depth); d < x.shape.rank; ++d)
    sliceBytes *= x.shape[d];
  std::vector<int64_t> offsets(static_cast<size_t>(tuples));
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t offset = (t / perBatch) * batchSpan;
    for (int64_t j = 0; j < depth; ++j) {
      int64_t size = x.shape[b + int(j)];
      int64_t k = loadIndex(indices, t * depth + j);
      int64_t at = k < 0 ? k + size : k;
      if (at < 0 || at >= size)
        return ctx.fail("gather_nd: index " + str(k) + " (tuple " + str(t) +
                        ", entry " + str(j) +
                        ") is out of range for "
                        "dimension " +
                        str(b + j) + " of size " + str(size));
      offset += at * xStrides[b + j];
    }
    offsets[size_t(t)] = offset;
  }
  if (out.numel() == 0)
    return true;
  const char *src = x.as<const char>();
  char *dst = out.as<char>();
  int64_t elementBytes = int64_t(dtypeSize(x.dtype));
  // Whole slices per task, about kGrain floats' worth of bytes each (a
  // gather of weight matrices copies megabytes).
  int64_t grain =
      std::max<int64_t>(1, kGrain * 4 / std::max<int64_t>(sliceBytes, 1));
  parallelRange(ctx, tuples, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      std::memcpy(dst + t * sliceBytes, src + offsets[size_t(t)] * elementBytes,
                  size_t(sliceBytes));
  });
  return true;
}

//===----------------------------------------------------------------------===//
// NonZero
//===----------------------------------------------------------------------===//

bool nonZeroShape(Context &ctx, const Shape &x, Shape &out) {
  if (!checkRank(ctx, "nonzero", "x", x.rank))
    return false;
  out = Shape{std::max(x.rank, 1), x.numel()};
  return true;
}

namespace {

/// The non-zero elements of `p` (bits under `mask`), then their indices
/// into `out` (when given) as `rank` rows `count` apart.
template <typename U>
int64_t nonZeroIndices(const U *p, int64_t n, U mask, const Shape &shape,
                       int64_t count, int64_t *out) {
  if (!out) {
    int64_t found = 0;
    for (int64_t i = 0; i < n; ++i)
      found += (p[i] & mask) != 0;
    return found;
  }
  int rank = std::max(shape.rank, 1);
  int64_t index[kMaxRank] = {}, j = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (p[i] & mask) {
      for (int d = 0; d < rank; ++d)
        out[d * count + j] = index[d];
      ++j;
    }
    for (int d = shape.rank - 1; d >= 0 && ++index[d] == shape[d]; --d)
      index[d] = 0;
  }
  return j;
}

} // namespace

bool nonZero(Context &ctx, const Tensor &x, Tensor &out) {
  Shape bound;
  if (!checkTensor(ctx, "nonzero", "x", x) ||
      !nonZeroShape(ctx, x.shape, bound) ||
      !checkOut(ctx, "nonzero", out, bound, DType::I64))
    return false;
  int64_t n = x.numel();
  uint64_t mask = nonZeroBits(x.dtype);
  auto run = [&](int64_t count, int64_t *indices) -> int64_t {
    switch (dtypeSize(x.dtype)) {
    case 1:
      return nonZeroIndices(x.as<const uint8_t>(), n, uint8_t(mask), x.shape,
                            count, indices);
    case 2:
      return nonZeroIndices(x.as<const uint16_t>(), n, uint16_t(mask), x.shape,
                            count, indices);
    case 4:
      return nonZeroIndices(x.as<const uint32_t>(), n, uint32_t(mask), x.shape,
                            count, indices);
    default:
      return nonZeroIndices(x.as<const uint64_t>(), n, mask, x.shape, count,
                            indices);
    }
  };
  int64_t count = run(0, nullptr);
  run(count, out.as<int64_t>());
  out.shape.dims[1] = count;
  return true;
}

//===----------------------------------------------------------------------===//
// Shape, range, top-k
//===----------------------------------------------------------------------===//

bool shapeOf(Context &ctx, const Shape &x, Tensor &out) {
  if (!checkRank(ctx, "shape_of", "x", x.rank) ||
      !checkOut(ctx, "shape_of", out, Shape{x.rank}, DType::I64))
    return false;
  for (int d = 0; d < x.rank; ++d)
    out.as<int64_t>()[d] = x[d];
  return true;
}

namespace {

bool isRangeType(DType t) {
  return t == DType::I64 || t == DType::I32 || t == DType::F32 ||
         t == DType::F16 || t == DType::BF16;
}

bool checkRangeOperands(Context &ctx, const Tensor &start, const Tensor &limit,
                        const Tensor &delta) {
  const Tensor *operands[] = {&start, &limit, &delta};
  const char *names[] = {"start", "limit", "delta"};
  for (int i = 0; i < 3; ++i) {
    if (!checkTensor(ctx, "range", names[i], *operands[i]))
      return false;
    if (operands[i]->numel() != 1)
      return ctx.fail(std::string("range: ") + names[i] +
                      " must hold one element, got shape " +
                      operands[i]->shape.str());
    if (operands[i]->dtype != start.dtype)
      return ctx.fail(std::string("range: ") + names[i] + " has dtype " +
                      dtypeName(operands[i]->dtype) + ", start has " +
                      dtypeName(start.dtype));
  }
  if (!isRangeType(start.dtype))
    return ctx.fail(std::string("range: does not support ") +
                    dtypeName(start.dtype));
  return true;
}

int64_t scalarInt(const Tensor &t) {
  return t.dtype == DType::I64 ? *t.as<const int64_t>()
                               : int64_t(*t.as<const int32_t>());
}

double scalarFloat(const Tensor &t) {
  float v;
  convertToF32(t.dtype, t.data, &v, 1);
  return v;
}

} // namespace

bool rangeShape(Context &ctx, const Tensor &start, const Tensor &limit,
                const Tensor &delta, Shape &out) {
  if (!checkRangeOperands(ctx, start, limit, delta))
    return false;
  int64_t count;
  if (isInt(start.dtype)) {
    __int128 s = scalarInt(start), l = scalarInt(limit), d = scalarInt(delta);
    if (d == 0)
      return ctx.fail("range: delta is zero");
    __int128 span = d > 0 ? l - s : s - l, step = d > 0 ? d : -d;
    __int128 n = span > 0 ? (span + step - 1) / step : 0;
    if (n > std::numeric_limits<int64_t>::max())
      return ctx.fail("range: too many elements");
    count = int64_t(n);
  } else {
    double s = scalarFloat(start), l = scalarFloat(limit),
           d = scalarFloat(delta);
    if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
      return ctx.fail("range: start, limit and delta must be finite");
    if (d == 0)
      return ctx.fail("range: delta is zero");
    double n = std::ceil((l - s) / d);
    if (n > 0x1p62)
      return ctx.fail("range: too many elements");
    count = n > 0 ? int64_t(n) : 0;
  }
  out = Shape{count};
  return true;
}

bool range(Context &ctx, const Tensor &start, const Tensor &limit,
           const Tensor &delta, Tensor &out) {
  Shape shape;
  if (!rangeShape(ctx, start, limit, delta, shape) ||
      !checkOut(ctx, "range", out, shape, start.dtype))
    return false;
  int64_t n = shape[0];
  if (isInt(start.dtype)) {
    uint64_t s = uint64_t(scalarInt(start)), d = uint64_t(scalarInt(delta));
    visitInt(start.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T *y = out.as<T>();
      for (int64_t i = 0; i < n; ++i)
        y[i] = T(int64_t(s + uint64_t(i) * d));
    });
  } else {
    double s = scalarFloat(start), d = scalarFloat(delta);
    visitFloat(start.dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T *y = out.as<T>();
      for (int64_t i = 0; i < n; ++i)
        y[i] = fromF32<T>(float(s + double(i) * d));
    });
  }
  return true;
}

bool topKShape(Context &ctx, const Shape &x, int64_t k, int64_t axis,
               Shape &out) {
  if (!checkRank(ctx, "top_k", "x", x.rank) ||
      !checkAxis(ctx, "top_k", axis, x.rank))
    return false;
  if (k < 1 || k > x[int(axis)])
    return ctx.fail("top_k: k = " + str(k) + " must be in [1, " +
                    str(x[int(axis)]) + "] (the size of axis " + str(axis) +
                    ")");
  out = x;
  out[int(axis)] = k;
  return true;
}

namespace {

/// A total order on keys: NaN above everything (and equal to NaN).
template <typename K> inline bool keyGreater(K a, K b) {
  if constexpr (std::is_same_v<K, float>)
    return a != a ? b == b : a > b;
  else
    return a > b;
}

} // namespace

bool topK(Context &ctx, const Tensor &x, int64_t k, int64_t axis, bool largest,
          Tensor &values, Tensor &indices) {
  Shape shape;
  if (!checkTensor(ctx, "top_k", "x", x) ||
      !topKShape(ctx, x.shape, k, axis, shape) ||
      !checkOut(ctx, "top_k", values, shape, x.dtype, "values") ||
      !checkOut(ctx, "top_k", indices, shape, DType::I64, "indices"))
    return false;
  if (!isFloat(x.dtype) && !isInt(x.dtype))
    return ctx.fail(std::string("top_k: does not support ") +
                    dtypeName(x.dtype));
  int64_t outer = 1, n = x.shape[int(axis)], inner = 1;
  for (int d = 0; d < axis; ++d)
    outer *= x.shape[d];
  for (int d = int(axis) + 1; d < x.shape.rank; ++d)
    inner *= x.shape[d];
  if (outer * inner == 0)
    return true;
  visitNumeric(x.dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using K = std::conditional_t<isFloatStorage<T>, float, int64_t>;
    const T *in = x.as<const T>();
    T *outValues = values.as<T>();
    int64_t *outIndices = indices.as<int64_t>();
    parallelRange(ctx, outer * inner, kGrain / n, [&](int64_t l0, int64_t l1) {
      std::vector<std::pair<K, int64_t>> line(static_cast<size_t>(n));
      for (int64_t l = l0; l < l1; ++l) {
        int64_t o = l / inner, j = l % inner;
        const T *src = in + o * n * inner + j;
        for (int64_t a = 0; a < n; ++a) {
          if constexpr (isFloatStorage<T>)
            line[size_t(a)] = {toF32(src[a * inner]), a};
          else
            line[size_t(a)] = {K(src[a * inner]), a};
        }
        auto before = [largest](const std::pair<K, int64_t> &p,
                                const std::pair<K, int64_t> &q) {
          bool pq = keyGreater(p.first, q.first);
          bool qp = keyGreater(q.first, p.first);
          if (largest ? pq : qp)
            return true;
          if (largest ? qp : pq)
            return false;
          return p.second < q.second;
        };
        std::partial_sort(line.begin(), line.begin() + k, line.end(), before);
        T *dv = outValues + o * k * inner + j;
        int64_t *di = outIndices + o * k * inner + j;
        for (int64_t r = 0; r < k; ++r) {
          dv[r * inner] = src[line[size_t(r)].second * inner];
          di[r * inner] = line[size_t(r)].second;
        }
      }
    });
  });
  return true;
}

} // namespace kestrel::cpu

//===- DataMovementTest.cpp - DataMovement kernels in the emulator ------===//
//
// The CUDA kernels (expand, transpose, concat/split, slice, pad, pool,
// resize, conv_transpose, gathers, range, shape_of) run by the emulator at
// random small shapes, including broadcasts and sizes that are not multiples
// of the block, against the CPU library; error messages too.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"
#include <algorithm>
#include <numeric>

namespace {

static const DType kTypes[] = {DType::F32, DType::BF16, DType::I64, DType::I1};

Shape randShape(int rank, int64_t maxDim) {
  Shape s;
  s.rank = rank;
  for (int d = 0; d < rank; ++d)
    s.dims[d] = randInt(1, maxDim);
  return s;
}

void testExpandTranspose() {
  for (int iter = 0; iter < 120; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 5));
    Shape x = randShape(rank, iter % 3 == 0 && rank <= 2 ? 40 : 6);
    // expand: out = x with some dims of 1 expanded, maybe extra leading dims
    Shape in = x;
    for (int i = 0; i < in.rank; ++i)
      if (randInt(0, 2) == 0)
        in.dims[i] = 1;
    Shape out = x;
    if (randInt(0, 1) && out.rank < 6) {
      for (int i = out.rank; i > 0; --i)
        out.dims[i] = out.dims[i - 1];
      out.dims[0] = randInt(1, 3);
      out.rank++;
    }
    Buf xi(d, in, iter % 5 == 0 ? cpu::dtypeSize(d) : 0);
    fill(xi.t);
    Buf a(d, out), b(d, out);
    Ctxs c;
    bool okc = cpu::expand(c.c, xi.t, a.t), okg = cuda::expand(c.g, xi.t, b.t);
    EXPECT(okc && okg, "expand %s -> %s: %s", S(in).c_str(), S(out).c_str(),
           c.g.error.c_str());
    std::string what = "expand " + S(in) + " -> " + S(out);
    compare(what.c_str(), b.t, a.t);
    // transpose of x
    int64_t perm[8];
    std::iota(perm, perm + rank, 0);
    std::shuffle(perm, perm + rank, rng());
    Buf xt(d, x, iter % 7 == 0 ? cpu::dtypeSize(d) : 0);
    fill(xt.t);
    Shape ts;
    cpu::Context sc;
    cpu::transposeShape(sc, x, perm, ts);
    Buf ta(d, ts), tb(d, ts);
    okc = cpu::transpose(c.c, xt.t, perm, ta.t);
    okg = cuda::transpose(c.g, xt.t, perm, tb.t);
    EXPECT(okc && okg, "transpose");
    std::string pw = "transpose " + S(x) + " perm";
    for (int i = 0; i < rank; ++i)
      pw += " " + std::to_string(perm[i]);
    compare(pw.c_str(), tb.t, ta.t);
  }
  // A big 2-D transpose (several tiles, partial edges) of every word size.
  for (DType d : {DType::F32, DType::F16, DType::I64, DType::I1}) {
    Buf x(d, {3, 70, 45});
    fill(x.t);
    int64_t perm[3] = {0, 2, 1};
    Buf a(d, {3, 45, 70}), b(d, {3, 45, 70});
    Ctxs c;
    cpu::transpose(c.c, x.t, perm, a.t);
    cuda::transpose(c.g, x.t, perm, b.t);
    compare("transpose tiles", b.t, a.t);
  }
  // Errors
  {
    Buf x(DType::F32, {2, 3}), o(DType::F32, {3, 2});
    int64_t bad[2] = {0, 0};
    Ctxs c;
    EXPECT(!cuda::transpose(c.g, x.t, bad, o.t) &&
               !cpu::transpose(c.c, x.t, bad, o.t) && c.g.error == c.c.error,
           "transpose error '%s' vs '%s'", c.g.error.c_str(),
           c.c.error.c_str());
  }
}

void testSlice() {
  for (int iter = 0; iter < 150; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, 9);
    int64_t starts[8], ends[8], steps[8];
    for (int i = 0; i < rank; ++i) {
      starts[i] = randInt(-12, 12);
      ends[i] = randInt(-12, 12);
      steps[i] = randInt(0, 1) ? randInt(1, 3) : -randInt(1, 3);
      if (randInt(0, 5) == 0) {
        starts[i] = 0;
        ends[i] = INT64_MAX;
        steps[i] = 1;
      }
    }
    Shape s;
    cpu::Context sc;
    if (!cpu::sliceShape(sc, x, starts, ends, steps, s))
      continue;
    Buf xb(d, x);
    fill(xb.t);
    Buf a(d, s), b(d, s);
    Ctxs c;
    bool okc = cpu::slice(c.c, xb.t, starts, ends, steps, a.t);
    bool okg = cuda::slice(c.g, xb.t, starts, ends, steps, b.t);
    EXPECT(okc && okg, "slice");
    compare(("slice " + S(x)).c_str(), b.t, a.t);
  }
}

void testPad() {
  const PadMode modes[] = {PadMode::Constant, PadMode::Reflect, PadMode::Edge,
                           PadMode::Wrap};
  for (int iter = 0; iter < 200; ++iter) {
    DType d = kTypes[iter % 4];
    PadMode mode = modes[(iter / 4) % 4];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, 7);
    int64_t pads[16];
    for (int i = 0; i < 2 * rank; ++i)
      pads[i] = randInt(-2, 9);
    Shape s;
    cpu::Context sc;
    if (!cpu::padShape(sc, x, pads, s))
      continue;
    Buf xb(d, x), v(d, Shape{});
    fill(xb.t);
    fill(v.t);
    Buf a(d, s), b(d, s);
    Ctxs c;
    bool okc = cpu::pad(c.c, xb.t, pads, mode, v.t, a.t);
    bool okg = cuda::pad(c.g, xb.t, pads, mode, v.t, b.t);
    EXPECT(okc == okg, "pad %s %s: cpu %d (%s) cuda %d (%s)", padModeName(mode),
           S(x).c_str(), okc, c.c.error.c_str(), okg, c.g.error.c_str());
    if (!okc) {
      EXPECT(c.c.error == c.g.error, "pad messages differ: '%s' vs '%s'",
             c.c.error.c_str(), c.g.error.c_str());
      continue;
    }
    compare(("pad " + std::string(padModeName(mode)) + " " + S(x)).c_str(), b.t,
            a.t);
  }
}

/// conv_transpose at random shapes (1 to 3 spatial dims, strides, pads,
/// dilations, output_padding, groups): the same values as the CPU library.
void testConvTranspose() {
  const DType types[] = {DType::F32, DType::BF16};
  for (int iter = 0; iter < 80; ++iter) {
    DType d = types[iter % 2];
    int spatial = int(randInt(1, 3));
    int64_t group = randInt(1, 2);
    Shape x, w;
    x.rank = w.rank = spatial + 2;
    x.dims[0] = randInt(1, 2);
    x.dims[1] = w.dims[0] = group * randInt(1, 3);
    w.dims[1] = randInt(1, 3);
    int64_t strides[3], pads[6], dilations[3], outputPadding[3];
    for (int i = 0; i < spatial; ++i) {
      x.dims[i + 2] = randInt(1, 5);
      w.dims[i + 2] = randInt(1, 3);
      strides[i] = randInt(1, 3);
      dilations[i] = randInt(1, 2);
      pads[i] = randInt(0, 1);
      pads[i + spatial] = randInt(0, 1);
      outputPadding[i] = randInt(0, strides[i] - 1);
    }
    Shape s;
    cpu::Context sc;
    if (!kestrel::convTransposeShape(sc, x, w, strides, pads, dilations,
                                     outputPadding, group, s))
      continue;
    Buf xb(d, x), wb(d, w), bb(d, Shape{s[1]}), a(d, s), b(d, s);
    fill(xb.t);
    fill(wb.t);
    fill(bb.t);
    Ctxs c;
    const Tensor *bias = iter % 3 ? &bb.t : nullptr;
    bool okc = cpu::convTranspose(c.c, xb.t, wb.t, bias, strides, pads,
                                  dilations, outputPadding, group, a.t);
    bool okg = cuda::convTranspose(c.g, xb.t, wb.t, bias, strides, pads,
                                   dilations, outputPadding, group, b.t);
    EXPECT(okc && okg, "conv_transpose %s: cpu %d (%s) cuda %d (%s)",
           S(x).c_str(), okc, c.c.error.c_str(), okg, c.g.error.c_str());
    if (okc && okg)
      // Tap by tap against the CPU's GEMM: equal to rounding.
      compare(("conv_transpose " + S(x) + " w " + S(w)).c_str(), b.t, a.t,
              tolFor(d, 4));
  }
}

/// pool at random windows (1 to 3 spatial dims, pads, strides, dilations,
/// ceil_mode, both kinds): the same values and errors as the CPU library.
void testPool() {
  const DType types[] = {DType::F32, DType::BF16};
  for (int iter = 0; iter < 150; ++iter) {
    DType d = types[iter % 2];
    int spatial = int(randInt(1, 3));
    Shape x = randShape(spatial + 2, 6);
    for (int i = 0; i < spatial; ++i)
      x.dims[i + 2] = randInt(1, 9);
    int64_t kernel[3], strides[3], dilations[3], pads[6];
    for (int i = 0; i < spatial; ++i) {
      kernel[i] = randInt(1, 4);
      strides[i] = randInt(1, 3);
      dilations[i] = randInt(1, 2);
      pads[i] = randInt(0, kernel[i] - 1);
      pads[i + spatial] = randInt(0, kernel[i] - 1);
    }
    bool ceilMode = iter % 3 == 0, includePad = iter % 5 == 0;
    PoolKind kind = iter % 4 < 2 ? PoolKind::Max : PoolKind::Average;
    Shape s;
    cpu::Context sc;
    if (!kestrel::poolShape(sc, x, kernel, strides, pads, dilations, ceilMode,
                            s))
      continue;
    Buf xb(d, x), a(d, s), b(d, s);
    fill(xb.t);
    Ctxs c;
    bool okc = cpu::pool(c.c, xb.t, kind, kernel, strides, pads, dilations,
                         ceilMode, includePad, a.t);
    bool okg = cuda::pool(c.g, xb.t, kind, kernel, strides, pads, dilations,
                          ceilMode, includePad, b.t);
    EXPECT(okc && okg, "pool %s: cpu %d (%s) cuda %d (%s)", S(x).c_str(), okc,
           c.c.error.c_str(), okg, c.g.error.c_str());
    if (okc && okg)
      compare(("pool " + S(x)).c_str(), b.t, a.t);
  }
  // The same message for a window that does not fit.
  Buf xb(DType::F32, Shape{1, 1, 3}), o(DType::F32, Shape{1, 1, 1});
  const int64_t k[] = {5}, one[] = {1}, zero[] = {0, 0};
  Ctxs c;
  EXPECT(!cuda::pool(c.g, xb.t, PoolKind::Max, k, one, zero, one, false, false,
                     o.t) &&
             !cpu::pool(c.c, xb.t, PoolKind::Max, k, one, zero, one, false,
                        false, o.t) &&
             c.g.error == c.c.error,
         "pool error: '%s' vs '%s'", c.g.error.c_str(), c.c.error.c_str());
}

/// resize at random shapes in every mode and coordinate mode (roi and
/// extrapolation for tf_crop_and_resize): the same values as the CPU.
void testResize() {
  const DType types[] = {DType::F32, DType::BF16};
  for (int iter = 0; iter < 200; ++iter) {
    DType d = types[iter % 2];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, 6), out = x;
    float scales[8], roi[16];
    for (int i = 0; i < rank; ++i) {
      out.dims[i] = randInt(1, 12);
      // Half the dims by scale (the shape is floor(in * scale)), half by
      // size (scale 0: out / in).
      if (randInt(0, 1)) {
        scales[i] = float(out.dims[i]) / float(x.dims[i]) *
                    (1.0f + 0.1f * float(randInt(0, 3)));
        out.dims[i] = int64_t(std::floor(double(x.dims[i]) * scales[i]));
        if (out.dims[i] < 1) {
          scales[i] = 1;
          out.dims[i] = x.dims[i];
        }
      } else {
        scales[i] = 0;
      }
      roi[i] = 0.1f * float(randInt(-3, 5));
      roi[rank + i] = roi[i] + 0.2f * float(randInt(1, 6));
    }
    ResizeParams p;
    p.mode = ResizeMode(iter % 3);
    p.coordinates = ResizeCoordinates((iter / 3) % 6);
    p.nearest = NearestMode((iter / 18) % 4);
    p.excludeOutside = iter % 7 == 0;
    p.cubicA = iter % 2 ? -0.75f : -0.5f;
    p.extrapolation = -3.0f;
    Buf xb(d, x), a(d, out), b(d, out);
    fill(xb.t);
    Ctxs c;
    bool okc = cpu::resize(c.c, xb.t, p, scales, roi, a.t);
    bool okg = cuda::resize(c.g, xb.t, p, scales, roi, b.t);
    EXPECT(okc && okg, "resize %s -> %s: cpu %d (%s) cuda %d (%s)",
           S(x).c_str(), S(out).c_str(), okc, c.c.error.c_str(), okg,
           c.g.error.c_str());
    if (okc && okg)
      // The sums run in another order than the CPU's: equal to rounding.
      compare(("resize " + S(x) + " -> " + S(out)).c_str(), b.t, a.t,
              tolFor(d));
  }
}

void testConcatSplit() {
  for (int iter = 0; iter < 60; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 4));
    Shape base = randShape(rank, 5);
    int axis = int(randInt(0, rank - 1));
    int parts = iter % 10 == 0 ? int(randInt(33, 70)) : int(randInt(1, 5));
    std::vector<Buf> ins;
    std::vector<Tensor> ts;
    for (int i = 0; i < parts; ++i) {
      Shape s = base;
      s.dims[axis] = randInt(0, 4);
      ins.emplace_back(d, s, (iter % 3 == 0 && i == 1) ? cpu::dtypeSize(d) : 0);
      fill(ins.back().t);
      ts.push_back(ins.back().t);
    }
    Shape out;
    cpu::Context sc;
    EXPECT(cpu::concatShape(sc, ts.data(), parts, axis, out), "concatShape");
    Buf a(d, out), b(d, out);
    Ctxs c;
    bool okc = cpu::concat(c.c, ts.data(), parts, axis, a.t);
    bool okg = cuda::concat(c.g, ts.data(), parts, axis, b.t);
    EXPECT(okc && okg, "concat %s", c.g.error.c_str());
    compare(("concat " + S(out) + " parts " + std::to_string(parts)).c_str(),
            b.t, a.t);
    // split back
    std::vector<Buf> outsA, outsB;
    std::vector<Tensor> ta, tb;
    for (int i = 0; i < parts; ++i) {
      outsA.emplace_back(d, ins[size_t(i)].t.shape);
      outsB.emplace_back(d, ins[size_t(i)].t.shape,
                         (iter % 4 == 1 && i == 0) ? cpu::dtypeSize(d) : 0);
    }
    for (int i = 0; i < parts; ++i) {
      ta.push_back(outsA[size_t(i)].t);
      tb.push_back(outsB[size_t(i)].t);
    }
    okc = cpu::split(c.c, a.t, axis, ta.data(), parts);
    okg = cuda::split(c.g, a.t, axis, tb.data(), parts);
    EXPECT(okc && okg, "split %s", c.g.error.c_str());
    for (int i = 0; i < parts; ++i)
      compare("split", tb[size_t(i)], ta[size_t(i)]);
  }
}

void testGather() {
  for (int iter = 0; iter < 80; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 3));
    Shape x = randShape(rank, 6);
    int axis = int(randInt(0, rank - 1));
    Shape is = randShape(int(randInt(0, 2)), 4);
    DType id = iter % 2 ? DType::I64 : DType::I32;
    Buf xb(d, x), ib(id, is);
    fill(xb.t);
    int64_t size = x.dims[axis];
    bool oob = iter % 9 == 0;
    for (int64_t i = 0; i < ib.t.numel(); ++i)
      setI(ib.t, i, randInt(-size, size - 1));
    if (oob && ib.t.numel() > 0)
      setI(ib.t, 0, size + 2);
    Shape out;
    cpu::Context sc;
    cpu::gatherShape(sc, x, is, axis, out);
    Buf a(d, out), b(d, out);
    Ctxs c;
    bool okc = cpu::gather(c.c, xb.t, ib.t, axis, a.t);
    bool okg = cuda::gather(c.g, xb.t, ib.t, axis, b.t);
    EXPECT(okg, "gather launch %s", c.g.error.c_str());
    if (okc) {
      EXPECT(c.flag == 0, "gather flag");
      compare(("gather " + S(x) + " axis " + std::to_string(axis)).c_str(), b.t,
              a.t);
    } else {
      EXPECT(c.flag == int(cuda::DeviceError::IndexOutOfRange),
             "gather oob flag %d (%s)", c.flag, c.c.error.c_str());
    }
  }
  // gather with an empty output still checks indices.
  {
    Buf x(DType::F32, {4, 0}), idx(DType::I64, {2}), o(DType::F32, {2, 0});
    setI(idx.t, 0, 1);
    setI(idx.t, 1, 9);
    Ctxs c;
    EXPECT(cuda::gather(c.g, x.t, idx.t, 0, o.t), "gather empty");
    EXPECT(c.flag == int(cuda::DeviceError::IndexOutOfRange),
           "gather empty flag %d", c.flag);
  }
  // Embedding-like gather with 16-byte words.
  {
    Buf x(DType::BF16, {50, 64}), idx(DType::I64, {3, 5}),
        a(DType::BF16, {3, 5, 64}), b(DType::BF16, {3, 5, 64});
    fill(x.t);
    for (int i = 0; i < 15; ++i)
      setI(idx.t, i, randInt(-50, 49));
    Ctxs c;
    cpu::gather(c.c, x.t, idx.t, 0, a.t);
    cuda::gather(c.g, x.t, idx.t, 0, b.t);
    compare("gather embedding", b.t, a.t);
  }
  for (int iter = 0; iter < 60; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, 5);
    int axis = int(randInt(0, rank - 1));
    Shape is = x;
    for (int i = 0; i < rank; ++i)
      is.dims[i] = i == axis ? randInt(1, 6) : randInt(1, x.dims[i]);
    Buf xb(d, x), ib(iter % 2 ? DType::I64 : DType::I32, is);
    fill(xb.t);
    for (int64_t i = 0; i < ib.t.numel(); ++i)
      setI(ib.t, i, randInt(-x.dims[axis], x.dims[axis] - 1));
    bool oob = iter % 7 == 0;
    if (oob)
      setI(ib.t, ib.t.numel() - 1, -x.dims[axis] - 1);
    Buf a(d, is), b(d, is);
    Ctxs c;
    bool okc = cpu::gatherElements(c.c, xb.t, ib.t, axis, a.t);
    bool okg = cuda::gatherElements(c.g, xb.t, ib.t, axis, b.t);
    EXPECT(okg, "gather_elements launch");
    if (okc) {
      compare("gather_elements", b.t, a.t);
      EXPECT(c.flag == 0, "flag");
    } else {
      EXPECT(c.flag == 1, "ge oob flag");
      EXPECT(getD(b.t, b.t.numel() - 1) == 0, "zero written");
    }
  }
  for (int iter = 0; iter < 80; ++iter) {
    DType d = kTypes[iter % 4];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, 4);
    int bd = int(randInt(0, rank - 1));
    int depth = int(randInt(0, rank - bd));
    Shape is;
    is.rank = int(randInt(bd + 1, bd + 2));
    for (int i = 0; i < bd; ++i)
      is.dims[i] = x.dims[i];
    for (int i = bd; i < is.rank - 1; ++i)
      is.dims[i] = randInt(1, 3);
    is.dims[is.rank - 1] = depth;
    Shape out;
    cpu::Context sc;
    if (!cpu::gatherNdShape(sc, x, is, bd, out))
      continue;
    Buf xb(d, x, iter % 3 == 0 ? cpu::dtypeSize(d) : 0),
        ib(iter % 2 ? DType::I64 : DType::I32, is);
    fill(xb.t);
    for (int64_t i = 0; i < ib.t.numel(); ++i) {
      int e = int(i % (depth ? depth : 1));
      setI(ib.t, i, randInt(-x.dims[bd + e], x.dims[bd + e] - 1));
    }
    bool oob = iter % 6 == 0 && ib.t.numel() > 0;
    if (oob)
      setI(ib.t, 0, 99);
    Buf a(d, out), b(d, out);
    Ctxs c;
    bool okc = cpu::gatherNd(c.c, xb.t, ib.t, bd, a.t);
    bool okg = cuda::gatherNd(c.g, xb.t, ib.t, bd, b.t);
    EXPECT(okg, "gather_nd launch %s", c.g.error.c_str());
    if (okc) {
      compare(("gather_nd " + S(x) + " " + S(is) + " b" + std::to_string(bd))
                  .c_str(),
              b.t, a.t);
      EXPECT(c.flag == 0, "flag");
    } else {
      EXPECT(c.flag == 1, "gnd oob flag (%s)", c.c.error.c_str());
    }
  }
}

void testScatter() {
  const DType types[] = {DType::F32, DType::F16,      DType::BF16,
                         DType::I64, DType::F8E4M3FN, DType::I32};
  const cpu::ScatterReduction reductions[] = {
      cpu::ScatterReduction::None, cpu::ScatterReduction::Add,
      cpu::ScatterReduction::Mul, cpu::ScatterReduction::Max,
      cpu::ScatterReduction::Min};
  for (int iter = 0; iter < 60; ++iter) {
    DType d = types[iter % 6];
    cpu::ScatterReduction r = reductions[(iter / 6) % 5];
    int rank = int(randInt(1, 3));
    Shape x;
    x.rank = rank;
    for (int k = 0; k < rank; ++k)
      x.dims[k] = randInt(1, 6);
    bool oob = iter % 10 == 9;
    // scatter_elements: indices no larger than x outside the axis, repeats
    // along it.
    {
      int axis = int(randInt(0, rank - 1));
      Shape is = x;
      for (int k = 0; k < rank; ++k)
        is.dims[k] = k == axis ? randInt(1, 8) : randInt(1, x.dims[k]);
      Buf xb(d, x), ub(d, is), ib(iter % 2 ? DType::I64 : DType::I32, is);
      fill(xb.t, 2.0, false, -8, 8);
      fill(ub.t, 2.0, false, -8, 8);
      for (int64_t i = 0; i < ib.t.numel(); ++i)
        setI(ib.t, i, randInt(-x.dims[axis], x.dims[axis] - 1));
      if (oob)
        setI(ib.t, 0, x.dims[axis]);
      Buf a(d, x), b(d, x);
      Ctxs c;
      bool okc = cpu::scatterElements(c.c, xb.t, ib.t, ub.t, axis, r, a.t);
      bool okg = cuda::scatterElements(c.g, xb.t, ib.t, ub.t, axis, r, b.t);
      EXPECT(okg, "scatter_elements launch %s", c.g.error.c_str());
      std::string what = std::string("scatter_elements ") + dn(d) + " " + S(x) +
                         " " + S(is) + " axis " + std::to_string(axis) + " " +
                         kestrel::scatterReductionName(r);
      if (okc) {
        compare(what.c_str(), b.t, a.t, {0, 0});
        EXPECT(c.flag == 0, "%s: flag", what.c_str());
      } else {
        EXPECT(c.flag == 1, "%s: oob flag (%s)", what.c_str(),
               c.c.error.c_str());
      }
    }
    // scatter_nd: tuples of depth k over the first k dims, with repeats.
    {
      int depth = int(randInt(1, rank));
      int64_t tuples = randInt(1, 6);
      Shape is;
      is.rank = 2;
      is.dims[0] = tuples;
      is.dims[1] = depth;
      Shape us;
      us.rank = 1 + rank - depth;
      us.dims[0] = tuples;
      for (int k = depth; k < rank; ++k)
        us.dims[1 + k - depth] = x.dims[k];
      Buf xb(d, x), ub(d, us), ib(iter % 2 ? DType::I32 : DType::I64, is);
      fill(xb.t, 2.0, false, -8, 8);
      fill(ub.t, 2.0, false, -8, 8);
      for (int64_t i = 0; i < ib.t.numel(); ++i) {
        int e = int(i % depth);
        setI(ib.t, i, randInt(-x.dims[e], x.dims[e] - 1));
      }
      if (oob)
        setI(ib.t, 0, -x.dims[0] - 1);
      Buf a(d, x), b(d, x);
      Ctxs c;
      bool okc = cpu::scatterNd(c.c, xb.t, ib.t, ub.t, r, a.t);
      bool okg = cuda::scatterNd(c.g, xb.t, ib.t, ub.t, r, b.t);
      EXPECT(okg, "scatter_nd launch %s", c.g.error.c_str());
      std::string what = std::string("scatter_nd ") + dn(d) + " " + S(x) + " " +
                         S(is) + " " + kestrel::scatterReductionName(r);
      if (okc) {
        compare(what.c_str(), b.t, a.t, {0, 0});
        EXPECT(c.flag == 0, "%s: flag", what.c_str());
      } else {
        EXPECT(c.flag == 1, "%s: oob flag (%s)", what.c_str(),
               c.c.error.c_str());
      }
    }
  }
  // Argument errors: the messages both libraries share.
  Buf x(DType::F32, {2, 3}), o(DType::F32, {2, 3}), i(DType::I64, {2, 1}),
      u(DType::F32, {2, 2}), bad(DType::I64, {2, 1});
  Ctxs c;
  bool okc = cpu::scatterElements(c.c, x.t, i.t, u.t, 1,
                                  cpu::ScatterReduction::None, o.t);
  bool okg = cuda::scatterElements(c.g, x.t, i.t, u.t, 1,
                                   cpu::ScatterReduction::None, o.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "'%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
  okc = cpu::scatterNd(c.c, x.t, i.t, bad.t, cpu::ScatterReduction::Add, o.t);
  okg = cuda::scatterNd(c.g, x.t, i.t, bad.t, cpu::ScatterReduction::Add, o.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "'%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
}

void testRangeShape() {
  struct R {
    DType d;
    double s, l, dl;
  };
  std::vector<R> rs = {{DType::I64, 3, 20, 4},      {DType::I32, 10, -7, -3},
                       {DType::F32, 0.5, 7.3, 0.7}, {DType::F16, -2, 3, 0.25},
                       {DType::BF16, 1, 40, 3.5},   {DType::I64, 5, 5, 1}};
  for (auto &r : rs) {
    Buf s(r.d, {}), l(r.d, {}), dl(r.d, {});
    setD(s.t, 0, r.s);
    setD(l.t, 0, r.l);
    setD(dl.t, 0, r.dl);
    Shape sh;
    cpu::Context sc;
    cpu::rangeShape(sc, s.t, l.t, dl.t, sh);
    Buf a(r.d, sh), b(r.d, sh);
    Ctxs c;
    bool okc = cpu::range(c.c, s.t, l.t, dl.t, a.t),
         okg = cuda::range(c.g, s.t, l.t, dl.t, b.t);
    EXPECT(okc && okg, "range");
    compare("range", b.t, a.t);
  }
  Shape x{3, 0, 7, 2};
  Buf o(DType::I64, {4});
  Ctxs c;
  EXPECT(cuda::shapeOf(c.g, x, o.t), "shapeOf");
  EXPECT(getI(o.t, 0) == 3 && getI(o.t, 1) == 0 && getI(o.t, 2) == 7 &&
             getI(o.t, 3) == 2,
         "dims");
}

/// NonZero against the CPU library: every element size, densities from
/// none to all, -0 (zero) and NaN (not), shapes across the kernel's tiles
/// of 4096 elements, and more than 1024 tiles (the scan's chunks).
void testNonZero() {
  struct Case {
    Shape shape;
    DType dtype;
    double density;
  };
  std::vector<Case> cases = {{{3, 5}, DType::F32, 0.5},
                             {{2, 3, 4, 5}, DType::BF16, 0.3},
                             {{9000}, DType::I1, 0.1},
                             {{70, 130}, DType::I64, 0.9},
                             {{}, DType::F32, 1.0},
                             {{}, DType::I32, 0.0},
                             {{0, 4}, DType::F16, 0.5},
                             {{4096}, DType::I32, 1.0},
                             {{1, 4097}, DType::F8E4M3FN, 0.02},
                             {{8, 3, 2, 5, 7}, DType::F32, 0.0},
                             {{1025 * 4096 + 7}, DType::I1, 0.001}};
  for (const Case &k : cases) {
    Buf x(k.dtype, k.shape);
    for (int64_t i = 0; i < x.t.numel(); ++i) {
      double v = 0;
      if (randUnit() < k.density)
        v = isFloatDT(k.dtype) && i % 7 == 3 ? std::nan("")
                                             : double(randInt(1, 9));
      else if (isFloatDT(k.dtype) && i % 2)
        v = -0.0;
      setD(x.t, i, v);
    }
    Shape bound;
    cpu::Context sc;
    EXPECT(cpu::nonZeroShape(sc, k.shape, bound), "nonzero shape");
    Buf a(DType::I64, bound), b(DType::I64, bound);
    Ctxs c;
    bool okc = cpu::nonZero(c.c, x.t, a.t), okg = cuda::nonZero(c.g, x.t, b.t);
    std::string what = "nonzero " + S(k.shape) + " " + dn(k.dtype);
    EXPECT(okc && okg, "%s: %s%s", what.c_str(), c.c.error.c_str(),
           c.g.error.c_str());
    EXPECT(a.t.shape == b.t.shape, "%s: shape %s, expected %s", what.c_str(),
           S(b.t.shape).c_str(), S(a.t.shape).c_str());
    if (a.t.shape == b.t.shape)
      compare(what.c_str(), b.t, a.t);
  }
}

void runDataMovementTests() {
  testExpandTranspose();
  testSlice();
  testPad();
  testPool();
  testResize();
  testConvTranspose();
  testConcatSplit();
  testGather();
  testScatter();
  testRangeShape();
  testNonZero();
}

RegisterSuite registered("data-movement", 20, runDataMovementTests);

} // namespace

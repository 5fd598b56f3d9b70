//===- ReduceTest.cpp - Reduce kernels in the emulator ------------------===//
//
// The CUDA kernels (reductions, softmax, top_k, cumsum and conv) run by the
// emulator
// at random small shapes, including broadcasts and sizes that are not multiples
// of the block, against the CPU library; error messages too.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"
#include <algorithm>

namespace {

using cpu::ReduceOp;
static const DType kAll[] = {DType::F32,      DType::F16, DType::BF16,
                             DType::F8E4M3FN, DType::I64, DType::I32,
                             DType::I1};

Shape randShape(int rank, int64_t maxDim) {
  Shape s;
  s.rank = rank;
  for (int d = 0; d < rank; ++d)
    s.dims[d] = randInt(1, maxDim);
  return s;
}

void runReduce(ReduceOp op, DType d, Shape x, std::vector<int64_t> axes,
               bool keep, bool specials) {
  Buf xb(d, x, 0);
  fill(xb.t, 3.0, specials, -1000000, 1000000);
  Shape out;
  cpu::Context sc;
  if (!cpu::reduceShape(sc, x, axes.data(), int(axes.size()), keep, out))
    return;
  Buf a(d, out), b(d, out);
  Ctxs c;
  bool okc =
      cpu::reduce(c.c, op, xb.t, axes.data(), int(axes.size()), keep, a.t);
  bool okg =
      cuda::reduce(c.g, op, xb.t, axes.data(), int(axes.size()), keep, b.t);
  EXPECT(okc == okg, "reduce: %s / %s", c.c.error.c_str(), c.g.error.c_str());
  if (!okc) {
    EXPECT(c.c.error == c.g.error, "msg '%s' vs '%s'", c.c.error.c_str(),
           c.g.error.c_str());
    return;
  }
  std::string what = std::string("reduce op") + std::to_string(int(op)) + " " +
                     dn(d) + " " + S(x) + " axes";
  for (auto a2 : axes)
    what += " " + std::to_string(a2);
  int64_t count = 1;
  for (auto a2 : axes)
    count *= x.dims[a2];
  Tol t = tolFor(d);
  if (d == DType::F32)
    t = {1e-5 * std::sqrt(double(count)), 1e-5};
  compare(what.c_str(), b.t, a.t, t);
}

void testReduce() {
  for (int iter = 0; iter < 150; ++iter) {
    DType d = kAll[iter % 7];
    ReduceOp op = ReduceOp(randInt(0, 3));
    int rank = int(randInt(1, 5));
    Shape x = randShape(rank, rank <= 2 ? 70 : 7);
    if (iter % 11 == 0)
      x.dims[randInt(0, rank - 1)] = 1;
    std::vector<int64_t> axes;
    for (int i = 0; i < rank; ++i)
      if (randInt(0, 1))
        axes.push_back(i);
    if (axes.empty())
      axes.push_back(randInt(0, rank - 1));
    runReduce(op, d, x, axes, randInt(0, 1), iter % 5 == 0);
  }
  // Specific layouts: long rows (block per row), columns with inner >= 32,
  // empty.
  for (DType d : {DType::F32, DType::BF16, DType::I32, DType::I1})
    for (int o = 0; o < 4; ++o) {
      runReduce(ReduceOp(o), d, {3, 5000}, {1}, false, false);
      runReduce(ReduceOp(o), d, {4, 50, 40}, {1}, true, false);
      runReduce(ReduceOp(o), d, {50, 40}, {0}, false, false);
      runReduce(ReduceOp(o), d, {6, 0, 3}, {1}, false, false);
      runReduce(ReduceOp(o), d, {6, 0, 3}, {0, 1}, true, false);
      runReduce(ReduceOp(o), d, {1, 1}, {0}, false, false);
      runReduce(ReduceOp(o), d, {}, {}, false, false);
      runReduce(ReduceOp(o), d, {3, 4, 5}, {0, 2}, false, true);
    }
}

void testSoftmax() {
  for (int iter = 0; iter < 60; ++iter) {
    DType d = kAll[iter % 4];
    int rank = int(randInt(1, 4));
    Shape x = randShape(rank, rank <= 2 ? 60 : 8);
    if (iter % 10 == 0) {
      x = Shape{2, 3000};
    }
    if (iter % 10 == 1) {
      x = Shape{3, 40, 33};
    }
    rank = x.rank;
    int axis = int(randInt(0, rank - 1));
    if (iter % 10 == 0)
      axis = 1;
    if (iter % 10 == 1)
      axis = 1;
    for (bool log : {false, true}) {
      Buf xb(d, x);
      fill(xb.t, 8.0, iter % 6 == 0);
      Buf a(d, x), b(d, x);
      Ctxs c;
      bool okc = cpu::softmax(c.c, xb.t, axis, log, a.t);
      bool okg = cuda::softmax(c.g, xb.t, axis, log, b.t);
      EXPECT(okc && okg, "softmax");
      std::string what = std::string(log ? "log_softmax " : "softmax ") +
                         dn(d) + " " + S(x) + " axis " + std::to_string(axis);
      Tol t = tolFor(d);
      if (d == DType::F32)
        t = {2e-6, 2e-5};
      compare(what.c_str(), b.t, a.t, t);
    }
  }
  // Rows with -inf entries, all -inf, +inf.
  float rows[4][5] = {{1, -INFINITY, 2, -INFINITY, 0.5f},
                      {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY},
                      {1, INFINITY, 2, 3, 4},
                      {-INFINITY, 3, -INFINITY, -INFINITY, -INFINITY}};
  for (bool log : {false, true}) {
    Buf x(DType::F32, {4, 5}), a(DType::F32, {4, 5}), b(DType::F32, {4, 5});
    std::memcpy(x.t.data, rows, sizeof rows);
    Ctxs c;
    cpu::softmax(c.c, x.t, 1, log, a.t);
    cuda::softmax(c.g, x.t, 1, log, b.t);
    compare(log ? "log_softmax infs" : "softmax infs", b.t, a.t, {1e-6, 1e-6});
    Buf xt(DType::F32, {5, 4}), at(DType::F32, {5, 4}), bt(DType::F32, {5, 4});
    for (int i = 0; i < 4; ++i)
      for (int j = 0; j < 5; ++j)
        setD(xt.t, j * 4 + i, rows[i][j]);
    cpu::softmax(c.c, xt.t, 0, log, at.t);
    cuda::softmax(c.g, xt.t, 0, log, bt.t);
    compare(log ? "log_softmax infs columns" : "softmax infs columns", bt.t,
            at.t, {1e-6, 1e-6});
  }
}

void testTopK() {
  const DType types[] = {DType::F32, DType::BF16,     DType::I64,
                         DType::I32, DType::F8E4M3FN, DType::F16};
  for (int iter = 0; iter < 40; ++iter) {
    DType d = types[iter % 6];
    int rank = int(randInt(1, 3));
    Shape x = randShape(rank, 9);
    int axis = int(randInt(0, rank - 1));
    if (iter % 8 == 0) {
      x = Shape{2, 3000};
      axis = 1;
    }
    if (iter % 8 == 1) {
      x = Shape{700, 3};
      axis = 0;
    }
    if (iter % 8 == 2) {
      x = Shape{5000};
      axis = 0;
    }
    int64_t n = x.dims[axis];
    int64_t k = randInt(1, std::min<int64_t>(n, iter % 8 <= 2 ? 20 : n));
    bool largest = randInt(0, 1);
    Buf xb(d, x);
    fill(xb.t, 4.0, iter % 3 == 0, -5, 5); // small ranges: many ties
    if (isFloatDT(d) && iter % 4 == 0)
      for (int64_t i = 0; i < xb.t.numel(); ++i)
        setD(xb.t, i, double(randInt(-3, 3)));
    Shape out;
    cpu::Context sc;
    cpu::topKShape(sc, x, k, axis, out);
    Buf va(d, out), vb(d, out), ia(DType::I64, out), ib(DType::I64, out);
    Ctxs c;
    bool okc = cpu::topK(c.c, xb.t, k, axis, largest, va.t, ia.t);
    bool okg = cuda::topK(c.g, xb.t, k, axis, largest, vb.t, ib.t);
    EXPECT(okc && okg, "topk");
    std::string what = std::string("top_k ") + dn(d) + " " + S(x) + " axis " +
                       std::to_string(axis) + " k " + std::to_string(k) +
                       (largest ? " largest" : " smallest");
    compare((what + " values").c_str(), vb.t, va.t);
    compare((what + " indices").c_str(), ib.t, ia.t);
  }
}

void testCumSum() {
  const DType types[] = {DType::F32, DType::BF16, DType::I64,
                         DType::I32, DType::F16,  DType::F8E4M3FN};
  for (int iter = 0; iter < 36; ++iter) {
    DType d = types[iter % 6];
    int rank = int(randInt(1, 3));
    Shape x = randShape(rank, rank == 1 ? 300 : 12);
    int axis = int(randInt(0, rank - 1));
    bool exclusive = iter % 2, reverse = (iter / 2) % 2;
    Buf xb(d, x);
    fill(xb.t, d == DType::I64 || d == DType::I32 ? 1000.0 : 2.0, false,
         -1000000, 1000000);
    Buf a(d, x), b(d, x);
    Ctxs c;
    bool okc = cpu::cumsum(c.c, xb.t, axis, exclusive, reverse, a.t);
    bool okg = cuda::cumsum(c.g, xb.t, axis, exclusive, reverse, b.t);
    EXPECT(okc && okg, "cumsum: %s / %s", c.c.error.c_str(), c.g.error.c_str());
    std::string what = std::string("cumsum ") + dn(d) + " " + S(x) + " axis " +
                       std::to_string(axis) + (exclusive ? " exclusive" : "") +
                       (reverse ? " reverse" : "");
    // The same order of additions in f32 (integers in wrapping i64): equal.
    compare(what.c_str(), b.t, a.t, {0, 0});
  }
  // The same messages for what both reject.
  Buf x(DType::F32, {2, 3}), o(DType::F32, {2, 3}), wrong(DType::F32, {3, 2});
  Buf bx(DType::I1, {2, 3}), bo(DType::I1, {2, 3});
  Ctxs c;
  bool okc = cpu::cumsum(c.c, x.t, 2, false, false, o.t);
  bool okg = cuda::cumsum(c.g, x.t, 2, false, false, o.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "cumsum axis: '%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
  okc = cpu::cumsum(c.c, bx.t, 1, false, false, bo.t);
  okg = cuda::cumsum(c.g, bx.t, 1, false, false, bo.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "cumsum i1: '%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
  okc = cpu::cumsum(c.c, x.t, 1, false, false, wrong.t);
  okg = cuda::cumsum(c.g, x.t, 1, false, false, wrong.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "cumsum out: '%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
}

/// conv's direct kernel against the CPU's im2col + GEMM: random 1-D to 3-D
/// geometries (strides, pads, dilations, groups, bias), the float types;
/// the same messages for what both reject.
void testConv() {
  const DType types[] = {DType::F32, DType::BF16, DType::F16};
  for (int iter = 0; iter < 30; ++iter) {
    DType d = types[iter % 3];
    int spatial = 1 + iter % 3;
    int64_t group = randInt(1, 3), cg = randInt(1, 3), mg = randInt(1, 3);
    Shape x, w;
    x.rank = w.rank = spatial + 2;
    x.dims[0] = randInt(1, 2);
    x.dims[1] = cg * group;
    w.dims[0] = mg * group;
    w.dims[1] = cg;
    std::vector<int64_t> strides, pads(size_t(2 * spatial)), dilations;
    for (int i = 0; i < spatial; ++i) {
      w.dims[i + 2] = randInt(1, 3);
      strides.push_back(randInt(1, 3));
      dilations.push_back(randInt(1, 2));
      pads[size_t(i)] = randInt(0, 2);
      pads[size_t(i + spatial)] = randInt(0, 2);
      x.dims[i + 2] = randInt(1, spatial == 1 ? 40 : 9) +
                      dilations.back() * (w.dims[i + 2] - 1);
    }
    bool withBias = iter % 2;
    Shape out;
    cpu::Context sc;
    EXPECT(convShape(sc, x, w, strides.data(), pads.data(), dilations.data(),
                     group, out),
           "convShape: %s", sc.error.c_str());
    Buf xb(d, x), wb(d, w), bb(d, Shape{w.dims[0]});
    fill(xb.t, 2.0, false, -1000000, 1000000);
    fill(wb.t, 1.0, false, -1000000, 1000000);
    fill(bb.t, 1.0, false, -1000000, 1000000);
    Buf a(d, out), b(d, out);
    Ctxs c;
    const Tensor *bias = withBias ? &bb.t : nullptr;
    bool okc = cpu::conv(c.c, xb.t, wb.t, bias, strides.data(), pads.data(),
                         dilations.data(), group, a.t);
    bool okg = cuda::conv(c.g, xb.t, wb.t, bias, strides.data(), pads.data(),
                          dilations.data(), group, b.t);
    EXPECT(okc && okg, "conv: %s / %s", c.c.error.c_str(), c.g.error.c_str());
    std::string what = std::string("conv ") + dn(d) + " x " + S(x) + " w " +
                       S(w) + " group " + std::to_string(group);
    int64_t terms = cg;
    for (int i = 0; i < spatial; ++i)
      terms *= w.dims[i + 2];
    compare(what.c_str(), b.t, a.t, tolFor(d, std::sqrt(double(terms))));
  }
  Buf x(DType::F32, {1, 4, 5, 5}), w(DType::F32, {6, 2, 3, 3});
  Buf o(DType::F32, {1, 6, 3, 3});
  const int64_t one[] = {1, 1}, zero[] = {0, 0, 0, 0};
  Ctxs c;
  bool okc = cpu::conv(c.c, x.t, w.t, nullptr, one, zero, one, 1, o.t);
  bool okg = cuda::conv(c.g, x.t, w.t, nullptr, one, zero, one, 1, o.t);
  EXPECT(!okc && !okg && c.c.error == c.g.error, "conv group: '%s' vs '%s'",
         c.c.error.c_str(), c.g.error.c_str());
}

void runReduceTests() {
  testReduce();
  testSoftmax();
  testTopK();
  testCumSum();
  testConv();
}

RegisterSuite registered("reduce", 30, runReduceTests);

} // namespace

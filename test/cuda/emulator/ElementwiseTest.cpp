//===- ElementwiseTest.cpp - Elementwise kernels in the emulator --------===//
//
// The CUDA kernels (unary, binary (broadcasting), where, cast and copy) run by
// the emulator at random small shapes, including broadcasts and sizes that are
// not multiples of the block, against the CPU library; error messages too.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"

namespace {

using cpu::BinaryOp;
using cpu::UnaryOp;

static const DType kFloats[] = {DType::F32, DType::F16, DType::BF16,
                                DType::F8E4M3FN};
static const DType kAll[] = {DType::F32,      DType::F16, DType::BF16,
                             DType::F8E4M3FN, DType::I64, DType::I32,
                             DType::I1};

void testUnary() {
  for (int o = 0; o <= int(UnaryOp::Round); ++o) {
    UnaryOp op = UnaryOp(o);
    for (DType d : kAll) {
      for (size_t offset : {size_t(0), cpu::dtypeSize(d)}) {
        Shape s{3, 37};
        Buf x(d, s, offset);
        fill(x.t, 4.0, true);
        Buf a(d, s), b(d, s, offset);
        Ctxs c;
        bool okc = cpu::unary(c.c, op, x.t, a.t);
        bool okg = cuda::unary(c.g, op, x.t, b.t);
        EXPECT(okc == okg, "unary %s %s: cpu %d (%s) cuda %d (%s)",
               cpu::unaryOpName(op), dn(d), okc, c.c.error.c_str(), okg,
               c.g.error.c_str());
        if (!okc) {
          EXPECT(c.c.error == c.g.error, "messages differ: '%s' vs '%s'",
                 c.c.error.c_str(), c.g.error.c_str());
          continue;
        }
        std::string what =
            std::string("unary ") + cpu::unaryOpName(op) + " " + dn(d);
        Tol t = tolFor(d);
        if (d == DType::F32)
          t = {2e-6, 4e-6};
        compare(what.c_str(), b.t, a.t, t);
      }
    }
  }
}

void testBinary() {
  struct Case {
    Shape a, b;
  };
  std::vector<Case> cases = {{{2, 3, 41}, {2, 3, 41}},
                             {{5, 17}, {1}},
                             {{1}, {5, 17}},
                             {{4, 6, 8}, {8}},
                             {{4, 1, 8}, {1, 6, 1}},
                             {{3, 1}, {1, 33}},
                             {{}, {}},
                             {{2, 0, 3}, {3}},
                             {{7, 5, 1, 3}, {5, 2, 1}}};
  for (int o = 0; o <= int(BinaryOp::Xor); ++o) {
    BinaryOp op = BinaryOp(o);
    for (DType d : kAll) {
      for (auto &cs : cases) {
        for (size_t offset : {size_t(0), cpu::dtypeSize(d)}) {
          Buf x(d, cs.a, offset), y(d, cs.b, offset);
          bool intDiv = (d == DType::I64 || d == DType::I32) &&
                        (op == BinaryOp::Div || op == BinaryOp::Mod ||
                         op == BinaryOp::FMod);
          fill(x.t, 3.0, true, -20, 20);
          if (op == BinaryOp::Pow && !isFloatDT(d))
            fill(y.t, 3.0, false, -3, 6);
          else
            fill(y.t, 3.0, true, -20, 20);
          if (intDiv)
            for (int64_t i = 0; i < y.t.numel(); ++i)
              if (getI(y.t, i) == 0)
                setI(y.t, i, 3);
          if (op == BinaryOp::Pow && isFloatDT(d) && cs.b.numel() == 1)
            setD(y.t, 0, double(randInt(1, 3)));
          Shape out;
          cpu::Context sc;
          bool shapeOk = cpu::broadcastShape(sc, cs.a, cs.b, out);
          if (!shapeOk)
            continue;
          bool cmp = op >= BinaryOp::Equal;
          DType od = cmp ? DType::I1 : d;
          Buf a(od, out), b(od, out, offset);
          Ctxs c;
          bool okc = cpu::binary(c.c, op, x.t, y.t, a.t);
          bool okg = cuda::binary(c.g, op, x.t, y.t, b.t);
          EXPECT(okc == okg, "binary %s %s: cpu %d (%s) cuda %d (%s)",
                 cpu::binaryOpName(op), dn(d), okc, c.c.error.c_str(), okg,
                 c.g.error.c_str());
          if (!okc) {
            EXPECT(c.c.error == c.g.error, "messages differ: '%s' vs '%s'",
                   c.c.error.c_str(), c.g.error.c_str());
            continue;
          }
          EXPECT(c.flag == 0, "flag %d", c.flag);
          std::string what = std::string("binary ") + cpu::binaryOpName(op) +
                             " " + dn(d) + " " + S(cs.a) + " " + S(cs.b);
          Tol t = tolFor(od);
          if (od == DType::F32)
            t = {1e-6, op == BinaryOp::Pow ? 4e-6 : 1e-7};
          compare(what.c_str(), b.t, a.t, t);
        }
      }
    }
  }
  // Integer division by zero: a device error, zeros written.
  for (DType d : {DType::I64, DType::I32}) {
    Buf x(d, {6}), y(d, {6}), o(d, {6});
    for (int i = 0; i < 6; ++i) {
      setI(x.t, i, 7 - i);
      setI(y.t, i, i % 3 == 0 ? 0 : -1);
    }
    Ctxs c;
    bool ok = cuda::binary(c.g, BinaryOp::Div, x.t, y.t, o.t);
    EXPECT(ok, "div by zero launch");
    EXPECT(c.flag == int(cuda::DeviceError::DivisionByZero), "flag %d", c.flag);
    EXPECT(getI(o.t, 0) == 0 && getI(o.t, 1) == -6, "values %lld %lld",
           (long long)getI(o.t, 0), (long long)getI(o.t, 1));
    Ctxs m;
    ok = cuda::binary(m.g, BinaryOp::Mod, x.t, y.t, o.t);
    EXPECT(ok, "mod by zero launch");
    EXPECT(m.flag == int(cuda::DeviceError::DivisionByZero), "mod flag %d",
           m.flag);
    EXPECT(getI(o.t, 0) == 0 && getI(o.t, 1) == 0, "mod values %lld %lld",
           (long long)getI(o.t, 0), (long long)getI(o.t, 1));
  }
  // MIN / -1 wraps; pow with negative exponents.
  {
    Buf x(DType::I32, {3}), y(DType::I32, {3}), o(DType::I32, {3}),
        w(DType::I32, {3});
    setI(x.t, 0, INT32_MIN);
    setI(y.t, 0, -1);
    setI(x.t, 1, -1);
    setI(y.t, 1, -3);
    setI(x.t, 2, 0);
    setI(y.t, 2, -2);
    Ctxs c;
    cuda::binary(c.g, BinaryOp::Div, x.t, y.t, o.t);
    EXPECT(getI(o.t, 0) == INT32_MIN, "MIN/-1 = %lld", (long long)getI(o.t, 0));
    cuda::binary(c.g, BinaryOp::Pow, x.t, y.t, o.t);
    cpu::binary(c.c, BinaryOp::Pow, x.t, y.t, w.t);
    compare("int pow negative", o.t, w.t);
  }
}

void testWhereCastCopy() {
  struct Case {
    Shape c, a, b;
  };
  std::vector<Case> cases = {{{4, 9}, {4, 9}, {4, 9}},
                             {{4, 9}, {1}, {9}},
                             {{3, 1, 5}, {1, 4, 1}, {5}},
                             {{}, {2, 2}, {}}};
  for (DType d : kAll)
    for (auto &cs : cases) {
      Buf cond(DType::I1, cs.c), x(d, cs.a), y(d, cs.b);
      fill(cond.t);
      fill(x.t, 3, true);
      fill(y.t, 3, true);
      Shape s1, s2;
      cpu::Context sc;
      cpu::broadcastShape(sc, cs.c, cs.a, s1);
      cpu::broadcastShape(sc, s1, cs.b, s2);
      Buf a(d, s2), b(d, s2);
      Ctxs c;
      bool okc = cpu::where(c.c, cond.t, x.t, y.t, a.t);
      bool okg = cuda::where(c.g, cond.t, x.t, y.t, b.t);
      EXPECT(okc && okg, "where %s", dn(d));
      compare("where", b.t, a.t);
    }
  for (DType from : kAll)
    for (DType to : kAll) {
      Shape s{5, 13};
      Buf x(from, s);
      fill(x.t, 600.0, true, -3000000000LL, 3000000000LL);
      if (from == DType::F32)
        setD(x.t, 0, 3e10), setD(x.t, 1, -3e10), setD(x.t, 2, 2147483520.0);
      Buf a(to, s), b(to, s);
      Ctxs c;
      bool okc = cpu::cast(c.c, x.t, a.t);
      bool okg = cuda::cast(c.g, x.t, b.t);
      EXPECT(okc && okg, "cast");
      std::string what = std::string("cast ") + dn(from) + "->" + dn(to);
      compare(what.c_str(), b.t, a.t);
    }
  for (DType d : kAll) {
    Buf x(d, {3, 7}, 1 % cpu::dtypeSize(d)), a(d, {21}), b(d, {7, 3});
    fill(x.t, 3, true);
    Ctxs c;
    EXPECT(cuda::copy(c.g, x.t, b.t), "copy");
    cpu::copy(c.c, x.t, a.t);
    b.t.shape = Shape{21};
    compare("copy", b.t, a.t);
  }
}

void runElementwiseTests() {
  testUnary();
  testBinary();
  testWhereCastCopy();
}

RegisterSuite registered("elementwise", 10, runElementwiseTests);

} // namespace

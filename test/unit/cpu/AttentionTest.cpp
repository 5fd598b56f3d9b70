//===- AttentionTest.cpp - Tiled attention against a double reference ----===//

#include "kernels/cpu/Attention.h"

#include <gtest/gtest.h>

#include <random>

using namespace kestrel::cpu;

namespace {

enum class MaskKind { None, Keep, Bias };

struct Case {
  int64_t batch, heads, kvHeads, sq, skv, d, dv;
  bool causal;
  MaskKind mask;
};

class AttentionTest : public ::testing::TestWithParam<Case> {};

/// n draws of N(0, 1).
std::vector<float> normalFloats(std::mt19937 &rng, int64_t n) {
  std::normal_distribution<float> dist;
  std::vector<float> x(n);
  for (float &e : x)
    e = dist(rng);
  return x;
}

TEST_P(AttentionTest, MatchesDoubleReference) {
  Case c = GetParam();
  std::mt19937 rng(c.sq * 7 + c.skv);
  auto fill = [&](int64_t n) { return normalFloats(rng, n); };
  std::vector<float> q = fill(c.batch * c.heads * c.sq * c.d);
  std::vector<float> k = fill(c.batch * c.kvHeads * c.skv * c.d);
  std::vector<float> v = fill(c.batch * c.kvHeads * c.skv * c.dv);
  // A [B, 1, 1, Skv] padding-style mask: the last batch hides 3 keys.
  std::vector<uint8_t> keep(c.batch * c.skv, 1);
  std::vector<float> bias(c.batch * c.skv, 0.0f);
  for (int64_t j = std::max<int64_t>(0, c.skv - 3); j < c.skv; ++j) {
    keep[(c.batch - 1) * c.skv + j] = 0;
    bias[(c.batch - 1) * c.skv + j] = -1e9f;
  }
  AttentionMask mask;
  if (c.mask != MaskKind::None) {
    mask.strides[0] = c.skv;
    mask.strides[3] = 1;
    if (c.mask == MaskKind::Keep)
      mask.keep = keep.data();
    else
      mask.bias = bias.data();
  }
  float scale = 1.0f / std::sqrt(float(c.d));
  AttentionShape shape{c.batch, c.heads, c.kvHeads, c.sq,    c.skv,
                       c.d,     c.dv,    scale,     c.causal};
  std::vector<float> got(c.batch * c.heads * c.sq * c.dv);
  attentionF32(shape, q.data(), k.data(), v.data(), got.data(), mask);

  double num = 0, den = 0;
  int64_t group = c.heads / c.kvHeads;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i) {
        std::vector<double> p(c.skv);
        double mx = -1e300;
        std::vector<bool> visible(c.skv);
        for (int64_t j = 0; j < c.skv; ++j) {
          bool hidden = (c.causal && j > i + c.skv - c.sq) ||
                        (c.mask == MaskKind::Keep && !keep[b * c.skv + j]);
          double s = 0;
          for (int64_t e = 0; e < c.d; ++e)
            s += double(q[((b * c.heads + h) * c.sq + i) * c.d + e]) *
                 k[((b * c.kvHeads + h / group) * c.skv + j) * c.d + e];
          s *= scale;
          if (c.mask == MaskKind::Bias)
            s += bias[b * c.skv + j];
          visible[j] = !hidden;
          p[j] = s;
          if (!hidden)
            mx = std::max(mx, s);
        }
        double total = 0;
        for (int64_t j = 0; j < c.skv; ++j)
          total += p[j] = visible[j] ? std::exp(p[j] - mx) : 0.0;
        for (int64_t e = 0; e < c.dv; ++e) {
          double want = 0;
          for (int64_t j = 0; j < c.skv; ++j)
            want += p[j] / total *
                    v[((b * c.kvHeads + h / group) * c.skv + j) * c.dv + e];
          double g = got[((b * c.heads + h) * c.sq + i) * c.dv + e];
          num += (g - want) * (g - want);
          den += want * want;
        }
      }
  EXPECT_LE(std::sqrt(num / den), 1e-5);
}

void PrintTo(const Case &c, std::ostream *os) {
  *os << "B" << c.batch << " H" << c.heads << "/" << c.kvHeads << " Sq" << c.sq
      << " Skv" << c.skv;
}

std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  const Case &c = info.param;
  const char *mask[] = {"", "_keep", "_bias"};
  return "b" + std::to_string(c.batch) + "_h" + std::to_string(c.heads) +
         "_kv" + std::to_string(c.kvHeads) + "_q" + std::to_string(c.sq) +
         "_k" + std::to_string(c.skv) + (c.causal ? "_causal" : "") +
         mask[static_cast<int>(c.mask)];
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTest,
    ::testing::Values(
        // Multi-head, one query block, one key block.
        Case{1, 2, 2, 5, 5, 8, 8, false, MaskKind::None},
        // Causal prefill across several query and key blocks, GQA 4:1.
        Case{2, 8, 2, 70, 70, 16, 16, true, MaskKind::None},
        // Decode against a KV cache: 1 query, causal bottom-right, MQA.
        Case{1, 4, 1, 1, 130, 32, 32, true, MaskKind::None},
        // Speculative decoding: 4 queries (the most that skip kᵀ) over a
        // cache, causal with an additive mask, GQA 2:1, head dim 64.
        Case{2, 6, 3, 4, 83, 64, 64, true, MaskKind::Bias},
        // Prefill through kᵀ: a whole query block and one of 5 rows, 150
        // keys (a partial last key block), a boolean mask.
        Case{1, 3, 3, 21, 150, 40, 24, true, MaskKind::Keep},
        // Chunked prefill: 17 new queries after 100 cached keys.
        Case{1, 2, 1, 17, 117, 8, 12, true, MaskKind::Keep},
        // Padding masks, boolean and additive, head dim != value dim.
        Case{3, 2, 2, 9, 66, 24, 8, false, MaskKind::Keep},
        Case{3, 2, 2, 9, 66, 24, 8, false, MaskKind::Bias}),
    caseName);

/// [B, X, Y, D] -> [B, Y, X, D].
std::vector<float> swapMiddle(const std::vector<float> &x, int64_t b, int64_t m,
                              int64_t n, int64_t d) {
  std::vector<float> y(x.size());
  for (int64_t i = 0; i < b; ++i)
    for (int64_t p = 0; p < m; ++p)
      for (int64_t q = 0; q < n; ++q)
        for (int64_t e = 0; e < d; ++e)
          y[((i * n + q) * m + p) * d + e] = x[((i * m + p) * n + q) * d + e];
  return y;
}

// The bshd layout reads and writes [B, S, H, D] in place: the same rows in
// the same order as bhsd on transposed copies, so the same bits.
TEST(Attention, BshdLayoutMatchesBhsdOnTransposedTensors) {
  const int64_t B = 2, H = 6, Hkv = 2, Sq = 21, Skv = 70, D = 16, Dv = 24;
  std::mt19937 rng(3);
  auto fill = [&](int64_t n) { return normalFloats(rng, n); };
  std::vector<float> q = fill(B * Sq * H * D), k = fill(B * Skv * Hkv * D),
                     v = fill(B * Skv * Hkv * Dv);
  for (bool causal : {false, true}) {
    AttentionShape bhsd{B, H, Hkv, Sq, Skv, D, Dv, 0.25f, causal};
    AttentionShape bshd = bhsd;
    bshd.layout = kestrel::AttentionLayout::Bshd;
    std::vector<float> want(B * H * Sq * Dv), got(B * Sq * H * Dv);
    std::vector<float> qt = swapMiddle(q, B, Sq, H, D),
                       kt = swapMiddle(k, B, Skv, Hkv, D),
                       vt = swapMiddle(v, B, Skv, Hkv, Dv);
    attentionF32(bhsd, qt.data(), kt.data(), vt.data(), want.data());
    attentionF32(bshd, q.data(), k.data(), v.data(), got.data());
    EXPECT_EQ(got, swapMiddle(want, B, H, Sq, Dv)) << "causal " << causal;
  }
}

TEST(Attention, FullyMaskedRowIsZero) {
  AttentionShape shape{1, 1, 1, 1, 3, 2, 2, 1.0f, false};
  std::vector<float> q = {1, 2}, k(6, 1.0f), v(6, 3.0f), out(2, 7.0f);
  std::vector<uint8_t> keep(3, 0);
  AttentionMask mask;
  mask.keep = keep.data();
  mask.strides[3] = 1;
  attentionF32(shape, q.data(), k.data(), v.data(), out.data(), mask);
  EXPECT_EQ(out, (std::vector<float>{0, 0}));
}

} // namespace

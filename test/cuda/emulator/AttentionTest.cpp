//===- AttentionTest.cpp - The attention kernels in the emulator ----------===//
//
// The three attention kernels against the CPU library at random small
// shapes, one suite each: "attention" (the warp-per-row kernel, every
// float type and head dim up to 256), "flash-attention" (the mma.sync
// kernel) and "decode-attention" (split-KV), with GQA, causal decoding
// against a longer cache and broadcast masks. The planted flash and
// split-KV bugs (plant_bug.py) must fail the last two.
//
//===----------------------------------------------------------------------===//

#include "test/cuda/emulator/Harness.h"

#include "kernels/cuda/emulation/Emulator.h"

#include <optional>

namespace {

const DType kFloats[] = {DType::F32, DType::F16, DType::BF16, DType::F8E4M3FN};

/// A random attention mask of a shape that broadcasts to `full` ([B, H, Sq,
/// Skv]; rank minRank..4, each dim full or 1): i1 with `keep`, else floats
/// (of `floatType`, or a random float type) with a fifth of them -inf.
Buf attentionMask(bool keep, Shape full, int minRank,
                  std::optional<DType> floatType) {
  Shape ms;
  ms.rank = int(randInt(minRank, 4));
  for (int i = 0; i < ms.rank; ++i)
    ms.dims[i] = randInt(0, 1) ? 1 : full.dims[4 - ms.rank + i];
  DType dtype = keep        ? DType::I1
                : floatType ? *floatType
                            : kFloats[randInt(0, 3)];
  Buf m(dtype, ms);
  if (keep) {
    fill(m.t);
  } else {
    fill(m.t, 2.0);
    for (int64_t i = 0; i < m.t.numel(); ++i)
      if (randInt(0, 4) == 0)
        setD(m.t, i, -INFINITY);
  }
  return m;
}

void testAttention() {
  for (int iter = 0; iter < 60; ++iter) {
    DType d = kFloats[iter % 4];
    int64_t B = randInt(1, 2), Hkv = randInt(1, 2), G = randInt(1, 3),
            H = Hkv * G;
    int64_t Sq = randInt(1, 9), Skv = randInt(1, 13);
    if (iter % 5 == 0)
      Sq = Skv;
    int64_t D = std::vector<int64_t>{
        8, 32, 40, 64, 100, 128, 256}[size_t(randInt(0, 6))];
    int64_t Dv = randInt(0, 3) == 0 ? randInt(1, 80) : D;
    bool causal = randInt(0, 1);
    float scale = randInt(0, 1) ? 0.0f : 0.3f;
    Buf q(d, {B, H, Sq, D}), k(d, {B, Hkv, Skv, D}), v(d, {B, Hkv, Skv, Dv});
    fill(q.t, 1.0);
    fill(k.t, 1.0);
    fill(v.t, 1.0);
    int maskKind = int(randInt(0, 2));
    Buf m = attentionMask(maskKind == 1, {B, H, Sq, Skv}, 1, std::nullopt);
    const Shape &ms = m.t.shape;
    Buf a(d, {B, H, Sq, Dv}), b(d, {B, H, Sq, Dv});
    Ctxs c;
    const Tensor *mp = maskKind ? &m.t : nullptr;
    bool okc =
        cpu::attention(c.c, q.t, k.t, v.t, mp, scale, causal, H, Hkv, a.t);
    bool okg = cuda::attention(c.g, q.t, k.t, v.t, mp, scale, causal, H, Hkv,
                               b.t, cuda::AttentionImpl::Flash);
    EXPECT(okc && okg, "attention: %s / %s", c.c.error.c_str(),
           c.g.error.c_str());
    Tol t = tolFor(d);
    if (d == DType::F32)
      t = {2e-6, 2e-5};
    std::string what = "attention " + std::string(dn(d)) + " B" +
                       std::to_string(B) + " H" + std::to_string(H) + " Hkv" +
                       std::to_string(Hkv) + " Sq" + std::to_string(Sq) +
                       " Skv" + std::to_string(Skv) + " D" + std::to_string(D) +
                       " Dv" + std::to_string(Dv) + (causal ? " causal" : "") +
                       " mask" + std::to_string(maskKind) + " " + S(ms);
    compare(what.c_str(), b.t, a.t, t);
  }
  Buf q(DType::F32, {1, 1, 2, 300}), o(DType::F32, {1, 1, 2, 300});
  Ctxs c;
  EXPECT(!cuda::attention(c.g, q.t, q.t, q.t, nullptr, 0, false, 1, 1, o.t,
                          cuda::AttentionImpl::Flash),
         "D > 256 rejected");
}

/// The tensor-core flash kernel (bf16/f16, head dims 64 and 128, 16 or
/// more queries): query and key counts that are not multiples of the 64-row
/// tiles, causal with Skv > Sq (decoding against a cache), GQA, i1 and
/// float masks of broadcast shapes, and a fully masked row.
void testFlashAttention() {
  for (int iter = 0; iter < 24; ++iter) {
    DType d = iter % 2 ? DType::F16 : DType::BF16;
    int64_t D = iter % 4 < 2 ? 64 : 128;
    int64_t B = randInt(1, 2), Hkv = randInt(1, 2), G = randInt(1, 3),
            H = Hkv * G;
    int64_t Sq = randInt(16, 100);
    int64_t Skv = iter % 3 == 0 ? Sq : randInt(Sq, 150);
    bool causal = iter % 2 == 0 || randInt(0, 1);
    float scale = randInt(0, 1) ? 0.0f : 0.2f;
    Buf q(d, {B, H, Sq, D}), k(d, {B, Hkv, Skv, D}), v(d, {B, Hkv, Skv, D});
    fill(q.t, 1.0);
    fill(k.t, 1.0);
    fill(v.t, 1.0);
    int maskKind = iter < 8 ? 0 : int(randInt(0, 2));
    Buf m = attentionMask(maskKind == 1, {B, H, Sq, Skv}, 2, d);
    const Shape &ms = m.t.shape;
    DType mdt = m.t.dtype;
    // An i1 mask that hides every key of its first row.
    if (mdt == DType::I1 && ms.dims[ms.rank - 1] == Skv)
      for (int64_t j = 0; j < Skv; ++j)
        setD(m.t, j, 0.0);
    Buf a(d, {B, H, Sq, D}), b(d, {B, H, Sq, D});
    Ctxs c;
    const Tensor *mp = maskKind ? &m.t : nullptr;
    bool okc =
        cpu::attention(c.c, q.t, k.t, v.t, mp, scale, causal, H, Hkv, a.t);
    bool okg = cuda::attention(c.g, q.t, k.t, v.t, mp, scale, causal, H, Hkv,
                               b.t, cuda::AttentionImpl::Flash);
    EXPECT(okc && okg, "flash attention: %s / %s", c.c.error.c_str(),
           c.g.error.c_str());
    EXPECT(emu::lastKernelName().rfind("flashAttentionMma", 0) == 0,
           "flash attention: launched %s", emu::lastKernelName().c_str());
    std::string what = "flash attention " + std::string(dn(d)) + " B" +
                       std::to_string(B) + " H" + std::to_string(H) + " Hkv" +
                       std::to_string(Hkv) + " Sq" + std::to_string(Sq) +
                       " Skv" + std::to_string(Skv) + " D" + std::to_string(D) +
                       (causal ? " causal" : "") + " mask" +
                       std::to_string(maskKind) + " " + S(ms);
    compare(what.c_str(), b.t, a.t, tolFor(d));
  }
}

/// The split-KV decode kernel (fewer than 16 queries, 16 or more keys, head
/// dims up to 128, up to 8 query heads per kv head): key counts that do not
/// divide among the 8 warps, warps left without keys, causal decoding
/// against a longer cache, GQA groups of 1-8, masks, every float type.
void testDecodeAttention() {
  for (int iter = 0; iter < 16; ++iter) {
    DType d = kFloats[iter % 4];
    int64_t B = randInt(1, 2), Hkv = randInt(1, 2), G = randInt(1, 8),
            H = Hkv * G;
    int64_t Sq = randInt(1, 6), Skv = randInt(16, 140);
    if (iter % 7 == 0)
      Skv = randInt(16, 20); // fewer keys than 8 warps x 3
    int64_t D =
        std::vector<int64_t>{16, 32, 64, 100, 128}[size_t(randInt(0, 4))];
    int64_t Dv = randInt(0, 3) == 0 ? randInt(1, 128) : D;
    bool causal = randInt(0, 1);
    float scale = randInt(0, 1) ? 0.0f : 0.3f;
    Buf q(d, {B, H, Sq, D}), k(d, {B, Hkv, Skv, D}), v(d, {B, Hkv, Skv, Dv});
    fill(q.t, 1.0);
    fill(k.t, 1.0);
    fill(v.t, 1.0);
    int maskKind = int(randInt(0, 2));
    Buf m = attentionMask(maskKind == 1, {B, H, Sq, Skv}, 1, std::nullopt);
    const Shape &ms = m.t.shape;
    Buf a(d, {B, H, Sq, Dv}), b(d, {B, H, Sq, Dv});
    Ctxs c;
    const Tensor *mp = maskKind ? &m.t : nullptr;
    bool okc =
        cpu::attention(c.c, q.t, k.t, v.t, mp, scale, causal, H, Hkv, a.t);
    bool okg = cuda::attention(c.g, q.t, k.t, v.t, mp, scale, causal, H, Hkv,
                               b.t, cuda::AttentionImpl::Flash);
    EXPECT(okc && okg, "decode attention: %s / %s", c.c.error.c_str(),
           c.g.error.c_str());
    EXPECT(emu::lastKernelName().rfind("decodeAttentionSplitKv", 0) == 0,
           "decode attention: launched %s", emu::lastKernelName().c_str());
    Tol t = tolFor(d);
    if (d == DType::F32)
      t = {2e-6, 2e-5};
    std::string what = "decode attention " + std::string(dn(d)) + " B" +
                       std::to_string(B) + " H" + std::to_string(H) + " Hkv" +
                       std::to_string(Hkv) + " Sq" + std::to_string(Sq) +
                       " Skv" + std::to_string(Skv) + " D" + std::to_string(D) +
                       " Dv" + std::to_string(Dv) + (causal ? " causal" : "") +
                       " mask" + std::to_string(maskKind) + " " + S(ms);
    compare(what.c_str(), b.t, a.t, t);
  }
}

/// The caller's AttentionImpl decides: on a problem every kernel takes
/// (bf16, head dim 64, 16 queries over 64 keys) Flash runs the flash
/// kernel, SplitKv (which needs fewer than 16 queries) falls back to the
/// generic kernel, Generic runs the generic kernel; on a decode problem
/// SplitKv and Flash run the split-KV kernel, Generic the generic one.
/// Every result matches the CPU's.
void testAttentionChoice() {
  struct Case {
    int64_t Sq;
    cuda::AttentionImpl impl;
    const char *kernel;
  };
  const Case cases[] = {
      {16, cuda::AttentionImpl::Flash, "flashAttentionMma"},
      {16, cuda::AttentionImpl::SplitKv, "attentionKernel"},
      {16, cuda::AttentionImpl::Generic, "attentionKernel"},
      {3, cuda::AttentionImpl::Flash, "decodeAttentionSplitKv"},
      {3, cuda::AttentionImpl::SplitKv, "decodeAttentionSplitKv"},
      {3, cuda::AttentionImpl::Generic, "attentionKernel"},
  };
  for (const Case &cs : cases) {
    DType d = DType::BF16;
    int64_t B = 1, H = 2, Hkv = 1, D = 64, Skv = 64;
    Buf q(d, {B, H, cs.Sq, D}), k(d, {B, Hkv, Skv, D}), v(d, {B, Hkv, Skv, D});
    fill(q.t, 1.0);
    fill(k.t, 1.0);
    fill(v.t, 1.0);
    Buf a(d, {B, H, cs.Sq, D}), b(d, {B, H, cs.Sq, D});
    Ctxs c;
    bool okc =
        cpu::attention(c.c, q.t, k.t, v.t, nullptr, 0.0f, true, H, Hkv, a.t);
    bool okg = cuda::attention(c.g, q.t, k.t, v.t, nullptr, 0.0f, true, H, Hkv,
                               b.t, cs.impl);
    EXPECT(okc && okg, "attention choice: %s / %s", c.c.error.c_str(),
           c.g.error.c_str());
    EXPECT(emu::lastKernelName().rfind(cs.kernel, 0) == 0,
           "attention choice %d with Sq %lld: launched %s, expected %s",
           int(cs.impl), static_cast<long long>(cs.Sq),
           emu::lastKernelName().c_str(), cs.kernel);
    std::string what = "attention choice " + std::to_string(int(cs.impl)) +
                       " Sq" + std::to_string(cs.Sq);
    compare(what.c_str(), b.t, a.t, tolFor(d));
  }
}

RegisterSuite attentionSuite("attention", 50, testAttention);
RegisterSuite choiceSuite("attention-choice", 53, testAttentionChoice);
RegisterSuite flashSuite("flash-attention", 51, testFlashAttention);
RegisterSuite decodeSuite("decode-attention", 52, testDecodeAttention);

} // namespace

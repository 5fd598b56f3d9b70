//===- WeightsManifestTest.cpp - Streaming writer, manifest, conversion ---===//

#include "runtime/WeightsManifest.h"
#include "kernels/cpu/Kernels.h"
#include "runtime/WeightsConvert.h"
#include "runtime/WeightsFile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <numeric>
#include <unistd.h>

using namespace kestrel::runtime;

namespace {

/// A file in a fresh temporary folder, both removed at the end.
struct TempFile {
  explicit TempFile(const char *name) {
    char dir[] = "/tmp/kestrel-manifest-XXXXXX";
    EXPECT_NE(mkdtemp(dir), nullptr);
    folder = dir;
    path = folder + "/" + name;
  }
  ~TempFile() {
    std::remove(path.c_str());
    rmdir(folder.c_str());
  }
  std::string folder, path;
};

TEST(Checksum64Test, PiecesGiveTheOneShotValue) {
  std::vector<uint8_t> data(1000);
  std::iota(data.begin(), data.end(), 7);
  for (size_t size : {0, 5, 31, 32, 33, 64, 100, 1000})
    for (size_t piece : {1, 3, 31, 32, 33, 500}) {
      Checksum64 sum;
      for (size_t at = 0; at < size; at += piece)
        sum.update(data.data() + at, std::min(piece, size - at));
      EXPECT_EQ(sum.value(), checksum64(data.data(), size))
          << size << " bytes in pieces of " << piece;
    }
}

TEST(WeightsStreamWriterTest, RoundTripsWithEmptyTensors) {
  TempFile temp("s.kweights");
  std::string path = temp.path, error;
  WeightsStreamWriter out;
  std::vector<float> a(10, 1.5f);
  ASSERT_TRUE(out.open(path, 42,
                       {{"a", DType::F32, {2, 5}},
                        {"empty", DType::I64, {0, 3}},
                        {"b", DType::I1, {3}},
                        {"tail", DType::F16, {0}}},
                       error))
      << error;
  ASSERT_TRUE(out.append(a.data(), 16, error)) << error; // in two pieces
  ASSERT_TRUE(out.append(a.data() + 4, 24, error)) << error;
  uint8_t b[3] = {1, 0, 1};
  ASSERT_TRUE(out.append(b, 3, error)) << error;
  ASSERT_TRUE(out.finish(error)) << error;
  auto file = WeightsFile::open(path, 42, {}, error);
  ASSERT_NE(file, nullptr) << error;
  ASSERT_EQ(file->tensors().size(), 4u);
  EXPECT_EQ(std::memcmp(file->find("a")->data, a.data(), 40), 0);
  EXPECT_EQ(static_cast<const uint8_t *>(file->find("b")->data)[2], 1);
  EXPECT_EQ(file->find("tail")->bytes, 0u);
}

TEST(WeightsStreamWriterTest, RejectsOverrunsAndIncompleteFiles) {
  TempFile temp("bad.kweights");
  std::string path = temp.path, error;
  float x[4] = {};
  {
    WeightsStreamWriter out;
    ASSERT_TRUE(out.open(path, 1, {{"w", DType::F32, {2}}}, error));
    EXPECT_FALSE(out.append(x, 12, error));
    EXPECT_EQ(error, "weight 'w': more than its 8 bytes");
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "the partial file stays";
  }
  {
    WeightsStreamWriter out;
    ASSERT_TRUE(out.open(path, 1, {{"w", DType::F32, {2}}}, error));
    ASSERT_TRUE(out.append(x, 4, error));
    EXPECT_FALSE(out.finish(error));
    EXPECT_EQ(error, "weight 'w' is incomplete: 4 of 8 bytes written");
    EXPECT_NE(access(path.c_str(), F_OK), 0);
  }
  WeightsStreamWriter out;
  EXPECT_FALSE(out.open(
      path, 1, {{"w", DType::F32, {1}}, {"w", DType::F32, {1}}}, error));
  EXPECT_EQ(error, "weight 'w' is added twice");
  EXPECT_FALSE(out.open(path, 1, {{"w", DType::F32, {-1}}}, error));
  EXPECT_EQ(error,
            "weight 'w' has an unknown element type or an invalid shape");
}

TEST(WeightsConvertTest, MatchesTheKernelLibrarysRounding) {
  std::vector<float> values = {
      0.0f,     -0.0f,    1.0f,     3.14159265f, 1e-8f,
      65504.0f, 70000.0f, -2.5e-3f, 1.00390625f /* bf16 tie */};
  std::vector<uint16_t> bf16(values.size()), f16(values.size());
  std::string error;
  ASSERT_TRUE(convertElements(DType::F32, values.data(), DType::BF16,
                              bf16.data(), values.size(), error));
  ASSERT_TRUE(convertElements(DType::F32, values.data(), DType::F16, f16.data(),
                              values.size(), error));
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(bf16[i], kestrel::cpu::f32ToBf16(values[i])) << values[i];
    EXPECT_EQ(f16[i], kestrel::cpu::f32ToF16(values[i])) << values[i];
  }
  // f16 to bf16 goes through f32.
  std::vector<uint16_t> back(values.size());
  ASSERT_TRUE(convertElements(DType::F16, f16.data(), DType::BF16, back.data(),
                              values.size(), error));
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(back[i], kestrel::cpu::f32ToBf16(kestrel::cpu::f16ToF32(f16[i])));
  EXPECT_TRUE(canStoreAs(DType::I64, DType::I64));
  EXPECT_FALSE(canStoreAs(DType::I64, DType::I32));
  EXPECT_FALSE(convertElements(DType::F32, values.data(), DType::I32,
                               f16.data(), 1, error));
  EXPECT_EQ(error, "cannot store f32 data as i32");
}

TEST(WeightsManifestTest, RoundTrips) {
  WeightsManifest m;
  m.model = "llama";
  m.modelHash = 0x00ab0000000000cdull;
  m.source = "models/\"odd\" name\\.onnx";
  m.tensors = {{"w.0", DType::BF16, DType::F32, {4, 2}},
               {"ids", DType::I64, DType::I64, {}},
               {"mask", DType::I1, DType::I1, {3}},
               {"f8", DType::F8E4M3FN, DType::F8E4M3FN, {1}}};
  std::string json = manifestJson(m);
  EXPECT_NE(json.find("\"model_hash\": \"0x00ab0000000000cd\""),
            std::string::npos);
  EXPECT_NE(json.find("{\"name\": \"w.0\", \"dtype\": \"bf16\", "
                      "\"source_dtype\": \"f32\", \"shape\": [4, 2]}"),
            std::string::npos);
  WeightsManifest back;
  std::string error;
  ASSERT_TRUE(parseManifest(json, back, error)) << error;
  EXPECT_EQ(back.model, m.model);
  EXPECT_EQ(back.modelHash, m.modelHash);
  EXPECT_EQ(back.source, m.source);
  ASSERT_EQ(back.tensors.size(), 4u);
  EXPECT_EQ(back.tensors[0].dtype, DType::BF16);
  EXPECT_EQ(back.tensors[0].sourceDtype, DType::F32);
  EXPECT_EQ(back.tensors[0].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_TRUE(back.tensors[1].shape.empty());
  EXPECT_EQ(back.tensors[3].dtype, DType::F8E4M3FN);
}

std::string parseError(const std::string &json) {
  WeightsManifest m;
  std::string error;
  EXPECT_FALSE(parseManifest(json, m, error)) << json;
  return error;
}

TEST(WeightsManifestTest, RejectsBadManifests) {
  std::string head = R"({"format": "kestrel-weights-manifest", "version": 1,
      "model": "m", "model_hash": "0x1", "source": "s", "tensors": )";
  EXPECT_EQ(parseError("{\"format\": "),
            "malformed JSON at byte 11: unexpected end of the text");
  EXPECT_EQ(parseError("[1, 2,]"),
            "malformed JSON at byte 6: expected a value");
  EXPECT_EQ(parseError("{} x"),
            "malformed JSON at byte 3: text after the top-level value");
  EXPECT_EQ(parseError("{\"format\": \"onnx\"}"),
            "'format' is 'onnx', not 'kestrel-weights-manifest' (not a "
            "Kestrel weights manifest)");
  EXPECT_EQ(parseError(R"({"format": "kestrel-weights-manifest",
                           "version": 2})"),
            "manifest version 2; this tool reads version 1");
  EXPECT_EQ(parseError(head + "{}}"), "'tensors' is missing or not an array");
  EXPECT_EQ(parseError(head + R"([{"name": "w", "dtype": "f64",
      "source_dtype": "f32", "shape": []}]})"),
            "tensor 'w': unknown dtype 'f64'");
  EXPECT_EQ(parseError(head + R"([{"name": "w", "dtype": "f32",
      "source_dtype": "f32", "shape": [2, -1]}]})"),
            "tensor 'w': 'shape' holds something other than a non-negative "
            "integer");
  EXPECT_EQ(parseError(head + R"([{"name": "w", "dtype": "f32",
      "source_dtype": "f32", "shape": []}, {"name": "w", "dtype": "f32",
      "source_dtype": "f32", "shape": []}]})"),
            "tensor 'w': appears twice");
  EXPECT_EQ(parseError(head + R"([{"dtype": "f32"}]})"),
            "tensors[0]: 'name' is missing or not a string");
  std::string badHash = head;
  badHash.replace(badHash.find("0x1"), 3, "12");
  EXPECT_EQ(parseError(badHash + "[]}"),
            "'model_hash' is '12', not a hexadecimal 64-bit number (0x...)");
}

} // namespace

//===- WeightsFileTest.cpp - .kweights round trip and every load error ----===//

#include "runtime/WeightsFile.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <numeric>
#include <unistd.h>

using namespace kestrel::runtime;

namespace {

constexpr uint64_t kModel = 0x1234abcdull;

class WeightsFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    char dir[] = "/tmp/kestrel-weights-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    path = std::string(dir) + "/model.kweights";
    folder = dir;
    matrix.resize(6 * 7);
    std::iota(matrix.begin(), matrix.end(), 0.5f);
    std::string error;
    ASSERT_TRUE(writer.add("layers.0.w", DType::F32, {6, 7}, matrix.data(),
                           matrix.size() * 4, error))
        << error;
    int64_t ids[3] = {3, -1, 9};
    ASSERT_TRUE(writer.add("ids", DType::I64, {3}, ids, sizeof(ids), error));
    uint16_t half = 0x3c00;
    ASSERT_TRUE(writer.add("scalar", DType::F16, {}, &half, 2, error));
    ASSERT_TRUE(writer.write(path, kModel, error)) << error;
  }
  void TearDown() override {
    std::remove(path.c_str());
    rmdir(folder.c_str());
  }

  std::vector<char> readAll() {
    std::ifstream in(path, std::ios::binary);
    return std::vector<char>(std::istreambuf_iterator<char>(in), {});
  }
  void writeAll(const std::vector<char> &bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), bytes.size());
  }
  std::string openError(uint64_t model = kModel) {
    std::string error;
    auto file = WeightsFile::open(path, model, {}, error);
    EXPECT_EQ(file, nullptr);
    return error;
  }

  std::string path, folder;
  std::vector<float> matrix;
  WeightsWriter writer;
};

TEST_F(WeightsFileTest, RoundTripsTensorsAligned) {
  std::string error;
  auto file = WeightsFile::open(path, kModel, {}, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->tensors().size(), 3u);
  const WeightView *w = file->find("layers.0.w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->type, DType::F32);
  EXPECT_EQ(w->dims, (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(w->data) % kWeightsAlignment, 0u);
  EXPECT_EQ(std::memcmp(w->data, matrix.data(), w->bytes), 0);
  const WeightView *ids = file->find("ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(static_cast<const int64_t *>(ids->data)[1], -1);
  const WeightView *scalar = file->find("scalar");
  ASSERT_NE(scalar, nullptr);
  EXPECT_TRUE(scalar->dims.empty());
  EXPECT_EQ(file->find("missing"), nullptr);
}

TEST_F(WeightsFileTest, WriterRejectsBadTensors) {
  std::string error;
  float x = 1;
  EXPECT_FALSE(writer.add("ids", DType::F32, {1}, &x, 4, error));
  EXPECT_EQ(error, "weight 'ids' is added twice");
  EXPECT_FALSE(writer.add("y", DType::F32, {2}, &x, 4, error));
  EXPECT_EQ(error,
            "weight 'y': 4 bytes do not match its shape and element type");
}

TEST_F(WeightsFileTest, MissingFile) {
  std::remove(path.c_str());
  EXPECT_NE(openError().find("cannot open"), std::string::npos);
}

TEST_F(WeightsFileTest, TruncatedFile) {
  std::vector<char> bytes = readAll();
  bytes.resize(bytes.size() - 100);
  writeAll(bytes);
  EXPECT_NE(openError().find("truncated or corrupt: the header describes"),
            std::string::npos);
  bytes.resize(10);
  writeAll(bytes);
  EXPECT_NE(openError().find("shorter than the 64-byte header"),
            std::string::npos);
}

TEST_F(WeightsFileTest, BadMagic) {
  std::vector<char> bytes = readAll();
  bytes[0] = 'X';
  writeAll(bytes);
  EXPECT_NE(openError().find("not a Kestrel weights file (bad magic)"),
            std::string::npos);
}

TEST_F(WeightsFileTest, FormatVersionMismatch) {
  std::vector<char> bytes = readAll();
  bytes[8] = 7; // version field
  writeAll(bytes);
  EXPECT_NE(openError().find("format version 7, this runtime reads version 1"),
            std::string::npos);
}

TEST_F(WeightsFileTest, AnotherModelsWeights) {
  // Hashes in hex, as NAME.kweights.json writes them.
  EXPECT_NE(openError(kModel + 1)
                .find("belongs to another model (model hash "
                      "0x000000001234abcd, expected "
                      "0x000000001234abce)"),
            std::string::npos)
      << openError(kModel + 1);
}

TEST_F(WeightsFileTest, CorruptDataFailsTheChecksum) {
  std::vector<char> bytes = readAll();
  bytes[bytes.size() - 3] ^= 0x10;
  writeAll(bytes);
  EXPECT_NE(openError().find("checksum mismatch"), std::string::npos);
  // Without checksum verification the damage goes unnoticed, by request.
  std::string error;
  WeightsFile::Options options;
  options.verifyChecksum = false;
  EXPECT_NE(WeightsFile::open(path, kModel, options, error), nullptr);
}

TEST_F(WeightsFileTest, CorruptIndexIsCaughtWithoutTheChecksum) {
  std::vector<char> bytes = readAll();
  // First entry's offset field (header 64 + 16) points past the data.
  uint64_t offset = 1ull << 40;
  std::memcpy(bytes.data() + 64 + 16, &offset, 8);
  writeAll(bytes);
  std::string error;
  WeightsFile::Options options;
  options.verifyChecksum = false;
  EXPECT_EQ(WeightsFile::open(path, kModel, options, error), nullptr);
  EXPECT_NE(error.find("lies outside the data section"), std::string::npos);
}

TEST(Checksum, DetectsSingleBitFlipsAndDependsOnLength) {
  std::vector<uint8_t> data(1000);
  std::iota(data.begin(), data.end(), 0);
  uint64_t base = checksum64(data.data(), data.size());
  for (size_t i : {0u, 31u, 32u, 500u, 999u}) {
    data[i] ^= 1;
    EXPECT_NE(checksum64(data.data(), data.size()), base) << i;
    data[i] ^= 1;
  }
  EXPECT_NE(checksum64(data.data(), 999), base);
  EXPECT_EQ(checksum64(data.data(), data.size()), base);
}

} // namespace

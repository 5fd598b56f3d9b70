//===- NpyTest.cpp - .npy round trips and every malformed-file error ------===//

#include "tools/kestrel-run/Npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <unistd.h>

using namespace kestrel::npy;

namespace {

/// A .npy file with `header` verbatim (padded to 64 bytes with a newline,
/// like numpy) followed by `data`.
std::vector<uint8_t> makeNpy(std::string header,
                             const std::vector<uint8_t> &data,
                             unsigned major = 1, bool pad = true) {
  size_t prefix = major == 1 ? 10 : 12;
  if (pad) {
    size_t total = prefix + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
  }
  std::vector<uint8_t> bytes = {
      0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t i = 0; i < prefix - 8; ++i)
    bytes.push_back(static_cast<uint8_t>(header.size() >> (8 * i)));
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::vector<uint8_t> floatBytes(std::vector<float> values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

/// Parses `bytes`, expecting failure; returns the error.
std::string parseError(const std::vector<uint8_t> &bytes) {
  Array array;
  std::string error;
  EXPECT_FALSE(parseNpy(bytes.data(), bytes.size(), array, error));
  EXPECT_FALSE(error.empty());
  return error;
}

/// The error for a v1.0 file with `header` and six f32 values.
std::string headerError(const std::string &header) {
  return parseError(makeNpy(header, floatBytes({1, 2, 3, 4, 5, 6})));
}

//===----------------------------------------------------------------------===//
// Well-formed files
//===----------------------------------------------------------------------===//

TEST(NpyTest, ReadsWhatNumpyWrites) {
  // The exact bytes np.save writes for np.arange(6, dtype=np.int64)
  // .reshape(2, 3).
  std::vector<uint8_t> data(48);
  for (int64_t i = 0; i < 6; ++i)
    std::memcpy(data.data() + 8 * i, &i, 8);
  std::vector<uint8_t> bytes = makeNpy(
      "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", data);
  ASSERT_EQ(bytes.size(), 128u + 48u);
  Array array;
  std::string error;
  ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.dtype(), DType::I64);
  EXPECT_EQ(array.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(array.numElements(), 6u);
  EXPECT_EQ(array.numBytes(), 48u);
  EXPECT_EQ(std::memcmp(array.data(), data.data(), 48), 0);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(array.data()) % 64, 0u);
}

TEST(NpyTest, RoundTripsEveryDType) {
  for (DType dtype : {DType::F64, DType::F32, DType::F16, DType::I64,
                      DType::I32, DType::Bool}) {
    SCOPED_TRACE(dtypeName(dtype));
    std::vector<int64_t> shape = {3, 1, 5};
    std::vector<uint8_t> data(15 * dtypeSize(dtype));
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = dtype == DType::Bool ? i % 2 : static_cast<uint8_t>(i * 7);
    std::vector<uint8_t> bytes;
    std::string error;
    ASSERT_TRUE(
        serializeNpy(dtype, shape, data.data(), data.size(), bytes, error))
        << error;
    // numpy's layout: the data starts 64-byte aligned.
    EXPECT_EQ((bytes.size() - data.size()) % 64, 0u);
    EXPECT_EQ(bytes[bytes.size() - data.size() - 1], '\n');
    Array array;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
    EXPECT_EQ(array.dtype(), dtype);
    EXPECT_EQ(array.shape(), shape);
    ASSERT_EQ(array.numBytes(), data.size());
    EXPECT_EQ(std::memcmp(array.data(), data.data(), data.size()), 0);
  }
}

TEST(NpyTest, RoundTripsScalarsAndEmptyArrays) {
  std::string error;
  for (std::vector<int64_t> shape :
       {std::vector<int64_t>{}, {0}, {4, 0, 2}, {7}}) {
    size_t count = std::accumulate(shape.begin(), shape.end(), size_t(1),
                                   [](size_t a, int64_t b) { return a * b; });
    std::vector<float> values(count, 2.5f);
    std::vector<uint8_t> bytes;
    ASSERT_TRUE(
        serializeNpy(DType::F32, shape, values.data(), count * 4, bytes, error))
        << error;
    Array array;
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
    EXPECT_EQ(array.shape(), shape);
    EXPECT_EQ(array.numElements(), count);
    // Even an empty array has somewhere to point.
    EXPECT_NE(array.data(), nullptr);
  }
}

TEST(NpyTest, WritesVersion2ForHugeHeaders) {
  // 30000 dims of 1: the header no longer fits version 1.0's 16-bit length.
  std::vector<int64_t> shape(30000, 1);
  float value = 1.0f;
  std::vector<uint8_t> bytes;
  std::string error;
  ASSERT_TRUE(serializeNpy(DType::F32, shape, &value, 4, bytes, error));
  EXPECT_EQ(bytes[6], 2);
  Array array;
  ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
  EXPECT_EQ(array.shape().size(), 30000u);
}

TEST(NpyTest, AcceptsVersions2And3AndHeaderVariants) {
  std::vector<uint8_t> data = floatBytes({1, 2, 3});
  for (unsigned major : {2u, 3u}) {
    Array array;
    std::string error;
    std::vector<uint8_t> bytes =
        makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
                data, major);
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
    EXPECT_EQ(array.shape(), std::vector<int64_t>{3});
  }
  // Key order, double quotes, no trailing comma, odd spacing, no padding,
  // Python 2 long integers: all valid Python, all accepted.
  for (const char *header :
       {"{\"shape\": (3,), \"fortran_order\": False, \"descr\": \"<f4\"}",
        "{ 'descr' :'<f4' ,'fortran_order':False,'shape':( 3 , ) }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }"}) {
    SCOPED_TRACE(header);
    Array array;
    std::string error;
    std::vector<uint8_t> bytes = makeNpy(header, data, 1, /*pad=*/false);
    ASSERT_TRUE(parseNpy(bytes.data(), bytes.size(), array, error)) << error;
    EXPECT_EQ(array.shape(), std::vector<int64_t>{3});
  }
}

TEST(NpyTest, WriteAndReadAFile) {
  char dir[] = "/tmp/kestrel-npy-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  std::string path = std::string(dir) + "/a.npy";
  std::vector<int32_t> values = {1, -2, 3, -4};
  std::string error;
  ASSERT_TRUE(writeNpy(path, DType::I32, {2, 2}, values.data(), 16, error))
      << error;
  Array array;
  ASSERT_TRUE(readNpy(path, array, error)) << error;
  EXPECT_EQ(array.dtype(), DType::I32);
  EXPECT_EQ(std::memcmp(array.data(), values.data(), 16), 0);
  std::remove(path.c_str());
  rmdir(dir);

  EXPECT_FALSE(readNpy(path, array, error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("cannot open"), std::string::npos) << error;
  EXPECT_FALSE(writeNpy(path, DType::I32, {2, 2}, values.data(), 16, error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
}

TEST(NpyTest, SerializeChecksTheSize) {
  float values[4] = {};
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_FALSE(serializeNpy(DType::F32, {2, 3}, values, 16, bytes, error));
  EXPECT_FALSE(serializeNpy(DType::F32, {-1}, values, 16, bytes, error));
}

//===----------------------------------------------------------------------===//
// Malformed files: every one an error, none a crash
//===----------------------------------------------------------------------===//

TEST(NpyTest, RejectsBadPreambles) {
  EXPECT_NE(parseError({}).find("not a .npy file"), std::string::npos);
  EXPECT_NE(parseError({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0, 0, 0})
                .find("not a .npy file"),
            std::string::npos);
  EXPECT_NE(parseError({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0})
                .find("truncated .npy file"),
            std::string::npos);
  EXPECT_NE(parseError({0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0, 0})
                .find("truncated .npy file"),
            std::string::npos);

  std::vector<uint8_t> bytes =
      makeNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }",
              floatBytes({1}));
  bytes[6] = 4;
  EXPECT_NE(parseError(bytes).find("version 4.0"), std::string::npos);
  bytes[6] = 1;
  bytes[7] = 1;
  EXPECT_NE(parseError(bytes).find("version 1.1"), std::string::npos);
  bytes[7] = 0;
  // A header length past the end of the file.
  bytes[8] = 0xff;
  bytes[9] = 0xff;
  EXPECT_NE(parseError(bytes).find("truncated .npy header"), std::string::npos);
}

TEST(NpyTest, RejectsMalformedHeaders) {
  struct Case {
    const char *header;
    const char *message;
  };
  const Case cases[] = {
      {"", "expected '{'"},
      {"['descr', '<f4']", "expected '{'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), ",
       "expected a quoted key"},
      {"{descr: '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected a quoted key"},
      {"{'descr' '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected ':' after key 'descr'"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}",
       "expected ',' or '}'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (6,)}",
       "expected ',' or '}' at offset 17"},
      {"{'descr: '<f4', 'fortran_order': False, 'shape': (6,)}",
       "expected ':' after key"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",
       "unexpected text after '}'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}}",
       "unexpected text after '}'"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'shape': (6,)}", "missing key 'descr', 'fortran_order'"},
      {"{}", "missing key 'descr', 'fortran_order', 'shape'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
       "'shape': (6,)}",
       "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, 'fortran_order': False, "
       "'shape': (6,)}",
       "duplicate key 'fortran_order'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), "
       "'shape': (6,)}",
       "duplicate key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}",
       "structured dtypes are not supported"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': Falsey, 'shape': (6,)}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [6]}",
       "expected a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 6}",
       "expected a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6)}",
       "trailing comma"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}",
       "negative dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}",
       "expected a dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,, 3)}",
       "expected a dimension"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3)}",
       "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3",
       "expected ',' or ')'"},
      {"{'descr': '<f4', 'fortran_order': False, "
       "'shape': (99999999999999999999,)}",
       "dimension too large"},
      {"{'descr': 'a\\b', 'fortran_order': False, 'shape': (6,)}",
       "'descr' must be a dtype string"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.header);
    std::string error = headerError(c.header);
    EXPECT_NE(error.find("malformed .npy header"), std::string::npos) << error;
    EXPECT_NE(error.find(c.message), std::string::npos) << error;
  }
}

TEST(NpyTest, RejectsUnsupportedLayoutsAndDTypes) {
  EXPECT_NE(
      headerError("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3)}")
          .find("Fortran-order arrays are not supported"),
      std::string::npos);
  EXPECT_NE(
      headerError("{'descr': '>f4', 'fortran_order': False, 'shape': (6,)}")
          .find("big-endian dtype '>f4'"),
      std::string::npos);
  for (const char *descr :
       {"|u1", "<u4", "<c8", "|i1", "<b1", "f4", "<U3", "|O", ""}) {
    SCOPED_TRACE(descr);
    std::string error = headerError(std::string("{'descr': '") + descr +
                                    "', 'fortran_order': False, "
                                    "'shape': (6,)}");
    EXPECT_NE(error.find("unsupported dtype '" + std::string(descr) + "'"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("<f4"), std::string::npos) << error;
  }
}

TEST(NpyTest, RejectsDataThatDoesNotMatchTheShape) {
  const char *header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  std::string error = parseError(makeNpy(header, floatBytes({1, 2, 3, 4, 5})));
  EXPECT_NE(error.find("truncated .npy data"), std::string::npos) << error;
  EXPECT_NE(error.find("needs 24 bytes, the file has 20"), std::string::npos)
      << error;
  error = parseError(makeNpy(header, floatBytes({1, 2, 3, 4, 5, 6, 7})));
  EXPECT_NE(error.find("needs 24 bytes, the file has 28"), std::string::npos)
      << error;
  // A shape whose byte size overflows.
  error = parseError(makeNpy("{'descr': '<f8', 'fortran_order': False, "
                             "'shape': (4611686018427387904, 4), }",
                             {}));
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
  error = parseError(makeNpy("{'descr': '<f8', 'fortran_order': False, "
                             "'shape': (2305843009213693952,), }",
                             {}));
  EXPECT_NE(error.find("too large"), std::string::npos) << error;
  // Bool elements are bytes 0 and 1.
  error = parseError(makeNpy(
      "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", {1, 0, 2}));
  EXPECT_NE(error.find("bool element 2 holds byte 2"), std::string::npos)
      << error;
}

TEST(NpyTest, EveryTruncationIsAnError) {
  std::vector<uint8_t> full;
  std::vector<float> values(10, 1.0f);
  std::string error;
  ASSERT_TRUE(serializeNpy(DType::F32, {2, 5}, values.data(), 40, full, error));
  for (size_t size = 0; size < full.size(); ++size) {
    std::vector<uint8_t> prefix(full.begin(), full.begin() + size);
    Array array;
    EXPECT_FALSE(parseNpy(prefix.data(), prefix.size(), array, error))
        << "accepted the first " << size << " bytes";
  }
  Array array;
  EXPECT_TRUE(parseNpy(full.data(), full.size(), array, error)) << error;
}

TEST(NpyTest, ErrorsShowThePrintableHeader) {
  std::string error = headerError("{'descr': \x01'<f4'}");
  EXPECT_NE(error.find("\\x01"), std::string::npos) << error;
  EXPECT_EQ(error.find('\x01'), std::string::npos);
  // Without the padding.
  EXPECT_NE(error.find("'<f4'}\""), std::string::npos) << error;
}

} // namespace

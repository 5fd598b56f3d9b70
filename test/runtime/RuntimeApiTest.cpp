//===- RuntimeApiTest.cpp - The C API against bad input, one case each ----===//
//
// Built with ASan and UBSan together with the runtime sources and three
// models emitted as C++ at build time (a tiny Llama with inputs [batch, seq]
// in [1, 4] x [1, 32], a tiny BERT whose two inputs share those dims, and a
// model of two stages: NonZero and what reads it). Every bad input must come
// back as an error status whose message names the problem; nothing may
// crash.
//
//===----------------------------------------------------------------------===//

#include "bert.h"
#include "llama.h"
#include "nonzero.h"

#include "runtime/CpuLevel.h"
#include "runtime/ModelDef.h"
#include "runtime/ThreadPool.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

std::string modelDir() { return KESTREL_TEST_MODEL_DIR; }
std::string llamaWeights() { return modelDir() + "/llama/llama.kweights"; }
std::string bertWeights() { return modelDir() + "/bert/bert.kweights"; }

std::vector<char> readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string writeTemp(const std::string &name, const std::vector<char> &data) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary).write(data.data(), data.size());
  return path;
}

#define EXPECT_ERROR(call, status, substring)                                  \
  do {                                                                         \
    kestrel_status s_ = (call);                                                \
    EXPECT_EQ(s_, status) << kestrel_status_name(s_) << ": "                   \
                          << kestrel_last_error();                             \
    EXPECT_NE(std::string(kestrel_last_error()).find(substring),               \
              std::string::npos)                                               \
        << "message: " << kestrel_last_error();                                \
  } while (0)

class Llama : public ::testing::Test {
protected:
  void SetUp() override {
    kestrel_options options;
    kestrel_options_init(&options);
    options.num_threads = 2;
    ASSERT_EQ(kestrel_model_open(llama_model(), llamaWeights().c_str(),
                                 &options, &model),
              KESTREL_OK)
        << kestrel_last_error();
    ASSERT_EQ(kestrel_session_create(model, &session), KESTREL_OK)
        << kestrel_last_error();
  }
  void TearDown() override {
    kestrel_session_release(session);
    kestrel_model_release(model);
  }
  kestrel_status bind(int64_t batch, int64_t seq, int64_t id = 7) {
    ids.assign(batch * seq, 0);
    for (size_t i = 0; i < ids.size(); ++i)
      ids[i] = (id + 13 * static_cast<int64_t>(i)) % 256;
    int64_t shape[2] = {batch, seq};
    return kestrel_session_set_input(session, "input_ids", KESTREL_I64, shape,
                                     2, ids.data(),
                                     ids.size() * sizeof(int64_t));
  }
  std::vector<float> output(std::vector<int64_t> *shapeOut = nullptr) {
    kestrel_dtype dtype;
    const int64_t *shape;
    size_t rank, bytes;
    const void *data;
    EXPECT_EQ(kestrel_session_get_output(session, "output", &dtype, &shape,
                                         &rank, &data, &bytes),
              KESTREL_OK)
        << kestrel_last_error();
    if (shapeOut)
      shapeOut->assign(shape, shape + rank);
    const float *f = static_cast<const float *>(data);
    return {f, f + bytes / sizeof(float)};
  }

  kestrel_model *model = nullptr;
  kestrel_session *session = nullptr;
  std::vector<int64_t> ids;
};

TEST_F(Llama, InfoDescribesTheSignature) {
  EXPECT_STREQ(kestrel_model_name(model), "llama");
  ASSERT_EQ(kestrel_model_num_inputs(model), 1u);
  ASSERT_EQ(kestrel_model_num_outputs(model), 1u);
  kestrel_tensor_info info;
  ASSERT_EQ(kestrel_model_input_info(model, 0, &info), KESTREL_OK);
  EXPECT_STREQ(info.name, "input_ids");
  EXPECT_EQ(info.dtype, KESTREL_I64);
  ASSERT_EQ(info.rank, 2u);
  EXPECT_EQ(info.dims[0], -1);
  EXPECT_STREQ(info.dim_names[1], "seq");
  EXPECT_EQ(info.dim_min[1], 1);
  EXPECT_EQ(info.dim_max[1], 32);
  EXPECT_ERROR(kestrel_model_input_info(model, 1, &info),
               KESTREL_ERROR_INVALID_ARGUMENT, "index 1 is out of range");
}

TEST_F(Llama, RunsAndReplansAcrossShapes) {
  ASSERT_EQ(bind(1, 8), KESTREL_OK);
  ASSERT_EQ(kestrel_session_run(session), KESTREL_OK) << kestrel_last_error();
  std::vector<int64_t> shape;
  std::vector<float> first = output(&shape);
  EXPECT_EQ(shape, (std::vector<int64_t>{1, 8, 256}));
  for (float f : first)
    ASSERT_TRUE(std::isfinite(f));
  // Another shape re-plans the arena; back at 1x8 the result is the same.
  ASSERT_EQ(bind(3, 17), KESTREL_OK);
  ASSERT_EQ(kestrel_session_run(session), KESTREL_OK) << kestrel_last_error();
  EXPECT_EQ(output(&shape).size(), 3u * 17 * 256);
  ASSERT_EQ(bind(1, 8), KESTREL_OK);
  ASSERT_EQ(kestrel_session_run(session), KESTREL_OK) << kestrel_last_error();
  EXPECT_EQ(output(), first);
}

TEST_F(Llama, NullHandlesAndPointers) {
  kestrel_model *m = nullptr;
  kestrel_session *s = nullptr;
  EXPECT_ERROR(kestrel_model_open(nullptr, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT, "def is NULL");
  EXPECT_ERROR(kestrel_model_open(llama_model(), llamaWeights().c_str(),
                                  nullptr, nullptr),
               KESTREL_ERROR_INVALID_ARGUMENT, "out_model is NULL");
  // NULL or "" means NAME.kweights beside the library defining the model:
  // here the test program, with no llama.kweights beside it.
  EXPECT_ERROR(kestrel_model_open(llama_model(), nullptr, nullptr, &m),
               KESTREL_ERROR_IO,
               "weights_path was NULL: the default is "
               "llama.kweights beside the library");
  EXPECT_ERROR(kestrel_model_open(llama_model(), "", nullptr, &m),
               KESTREL_ERROR_IO, "llama.kweights");
  EXPECT_ERROR(kestrel_session_create(nullptr, &s),
               KESTREL_ERROR_INVALID_ARGUMENT, "model is NULL");
  EXPECT_ERROR(kestrel_session_create(model, nullptr),
               KESTREL_ERROR_INVALID_ARGUMENT, "out_session is NULL");
  int64_t shape[2] = {1, 4};
  int64_t data[4] = {1, 2, 3, 4};
  EXPECT_ERROR(kestrel_session_set_input(nullptr, "input_ids", KESTREL_I64,
                                         shape, 2, data, sizeof(data)),
               KESTREL_ERROR_INVALID_ARGUMENT, "session is NULL");
  EXPECT_ERROR(kestrel_session_set_input(session, nullptr, KESTREL_I64, shape,
                                         2, data, sizeof(data)),
               KESTREL_ERROR_INVALID_ARGUMENT, "name is NULL");
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_I64,
                                         nullptr, 2, data, sizeof(data)),
               KESTREL_ERROR_INVALID_ARGUMENT, "shape is NULL");
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_I64,
                                         shape, 2, nullptr, sizeof(data)),
               KESTREL_ERROR_INVALID_ARGUMENT, "data is NULL");
  EXPECT_ERROR(kestrel_session_run(nullptr), KESTREL_ERROR_INVALID_ARGUMENT,
               "session is NULL");
  kestrel_dtype dtype;
  const int64_t *oshape;
  size_t rank, bytes;
  const void *odata;
  EXPECT_ERROR(kestrel_session_get_output(nullptr, "output", &dtype, &oshape,
                                          &rank, &odata, &bytes),
               KESTREL_ERROR_INVALID_ARGUMENT, "session is NULL");
  EXPECT_ERROR(kestrel_session_get_output(session, "output", &dtype, nullptr,
                                          &rank, &odata, &bytes),
               KESTREL_ERROR_INVALID_ARGUMENT, "out_ pointer is NULL");
  EXPECT_ERROR(kestrel_model_input_info(nullptr, 0, nullptr),
               KESTREL_ERROR_INVALID_ARGUMENT, "model is NULL");
  // Releasing NULL is a no-op.
  kestrel_session_release(nullptr);
  kestrel_model_release(nullptr);
}

TEST_F(Llama, WrongDtype) {
  float data[8] = {};
  int64_t shape[2] = {1, 8};
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_F32,
                                         shape, 2, data, sizeof(data)),
               KESTREL_ERROR_DTYPE, "input 'input_ids' is i64; got f32");
  // A value outside kestrel_dtype is unknown, not some dtype modulo 256
  // (261 = 256 + KESTREL_I64).
  int64_t ids[8] = {};
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids",
                                         static_cast<kestrel_dtype>(261), shape,
                                         2, ids, sizeof(ids)),
               KESTREL_ERROR_DTYPE, "input 'input_ids' is i64; got unknown");
  EXPECT_STREQ(kestrel_dtype_name(static_cast<kestrel_dtype>(261)), "unknown");
  EXPECT_EQ(kestrel_dtype_size(static_cast<kestrel_dtype>(261)), 0u);
}

TEST_F(Llama, WrongRank) {
  int64_t data[8] = {};
  int64_t shape[3] = {1, 1, 8};
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_I64,
                                         shape, 3, data, sizeof(data)),
               KESTREL_ERROR_SHAPE, "has rank 2; got rank 3");
}

TEST_F(Llama, WrongShapeForTheData) {
  int64_t data[8] = {};
  int64_t shape[2] = {2, 8};
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_I64,
                                         shape, 2, data, sizeof(data)),
               KESTREL_ERROR_SHAPE,
               "64 bytes given; shape [2, 8] of i64 needs 128");
  int64_t negative[2] = {1, -8};
  EXPECT_ERROR(kestrel_session_set_input(session, "input_ids", KESTREL_I64,
                                         negative, 2, data, sizeof(data)),
               KESTREL_ERROR_SHAPE, "dim 1 is -8");
}

TEST_F(Llama, SymbolicDimOutOfRange) {
  EXPECT_ERROR(bind(1, 33), KESTREL_ERROR_SHAPE,
               "dim 1 ('seq') is 33, outside the range [1, 32]");
  EXPECT_ERROR(bind(5, 4), KESTREL_ERROR_SHAPE,
               "dim 0 ('batch') is 5, outside the range [1, 4]");
  EXPECT_ERROR(bind(1, 0), KESTREL_ERROR_SHAPE, "outside the range [1, 32]");
}

TEST_F(Llama, MissingAndUnknownInputs) {
  EXPECT_ERROR(kestrel_session_run(session), KESTREL_ERROR_MISSING_INPUT,
               "input 'input_ids' is not bound");
  int64_t data[2] = {};
  int64_t shape[2] = {1, 2};
  EXPECT_ERROR(kestrel_session_set_input(session, "tokens", KESTREL_I64, shape,
                                         2, data, sizeof(data)),
               KESTREL_ERROR_INVALID_ARGUMENT,
               "has no input 'tokens' (inputs: input_ids)");
  // A failed bind unbinds (runtime.h): the earlier data, which bind() has
  // just freed here, is never read.
  ASSERT_EQ(bind(1, 4), KESTREL_OK);
  EXPECT_NE(bind(1, 40), KESTREL_OK);
  EXPECT_ERROR(kestrel_session_run(session), KESTREL_ERROR_MISSING_INPUT,
               "not bound");
  ASSERT_EQ(bind(1, 4), KESTREL_OK);
  EXPECT_EQ(kestrel_session_run(session), KESTREL_OK) << kestrel_last_error();
}

TEST_F(Llama, OutputsBeforeARunAndUnknownOutputs) {
  kestrel_dtype dtype;
  const int64_t *shape;
  size_t rank, bytes;
  const void *data;
  EXPECT_ERROR(kestrel_session_get_output(session, "output", &dtype, &shape,
                                          &rank, &data, &bytes),
               KESTREL_ERROR_INVALID_ARGUMENT, "has no results");
  EXPECT_ERROR(kestrel_session_get_output(session, "logits", &dtype, &shape,
                                          &rank, &data, &bytes),
               KESTREL_ERROR_INVALID_ARGUMENT, "has no output 'logits'");
}

TEST_F(Llama, TokenIdOutOfRangeIsAnExecutionError) {
  ASSERT_EQ(bind(1, 4), KESTREL_OK);
  ids[2] = 100000;
  EXPECT_ERROR(kestrel_session_run(session), KESTREL_ERROR_EXECUTION, "gather");
  EXPECT_NE(std::string(kestrel_last_error()).find("100000"), std::string::npos)
      << kestrel_last_error();
}

TEST(Weights, MissingFile) {
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(llama_model(), "/nonexistent/llama.kweights",
                                  nullptr, &m),
               KESTREL_ERROR_IO, "cannot open");
  EXPECT_EQ(m, nullptr);
}

TEST(Weights, Truncated) {
  std::vector<char> data = readFile(llamaWeights());
  ASSERT_GT(data.size(), 1000u);
  data.resize(data.size() - 100);
  std::string path = writeTemp("truncated.kweights", data);
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(llama_model(), path.c_str(), nullptr, &m),
               KESTREL_ERROR_CORRUPT, "truncated");
  data.resize(20);
  path = writeTemp("truncated-header.kweights", data);
  EXPECT_ERROR(kestrel_model_open(llama_model(), path.c_str(), nullptr, &m),
               KESTREL_ERROR_CORRUPT, "truncated");
}

TEST(Weights, CorruptedData) {
  std::vector<char> data = readFile(llamaWeights());
  data[data.size() - 7] ^= 0x5a;
  std::string path = writeTemp("corrupt.kweights", data);
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(llama_model(), path.c_str(), nullptr, &m),
               KESTREL_ERROR_CORRUPT, "checksum mismatch");
  // Without the checksum check the file opens (the bytes are plausible).
  kestrel_options options;
  kestrel_options_init(&options);
  options.verify_checksum = 0;
  ASSERT_EQ(kestrel_model_open(llama_model(), path.c_str(), &options, &m),
            KESTREL_OK);
  kestrel_model_release(m);
}

TEST(Weights, BadMagic) {
  std::vector<char> data = readFile(llamaWeights());
  data[0] = 'X';
  std::string path = writeTemp("magic.kweights", data);
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(llama_model(), path.c_str(), nullptr, &m),
               KESTREL_ERROR_CORRUPT, "not a Kestrel weights file");
}

TEST(Weights, AnotherModelsFile) {
  kestrel_model *m = nullptr;
  EXPECT_ERROR(
      kestrel_model_open(llama_model(), bertWeights().c_str(), nullptr, &m),
      KESTREL_ERROR_MODEL_MISMATCH, "belongs to another model");
}

TEST(Weights, FormatVersionMismatch) {
  std::vector<char> data = readFile(llamaWeights());
  data[8] = 2; // the format version (little-endian u32 at offset 8)
  std::string path = writeTemp("version.kweights", data);
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(llama_model(), path.c_str(), nullptr, &m),
               KESTREL_ERROR_VERSION_MISMATCH, "format version 2");
}

TEST(ModelDef, AbiAndRuntimeVersionMismatch) {
  kestrel_model_def def = *llama_model();
  def.abiVersion += 1;
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_VERSION_MISMATCH, "model ABI");
  def = *llama_model();
  def.runtimeVersion = KESTREL_RUNTIME_VERSION + 1;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_VERSION_MISMATCH, "runtime API version");
}

TEST(ModelDef, CpuLevel) {
  kestrel_model_def def = *llama_model();
  def.cpuLevel = 99;
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT,
               "model 'llama' records CPU level 99");
  // A level above this CPU's is refused before any of the model's code runs
  // (test/e2e/cpu_levels.py checks that on emulated CPUs of every level).
  using kestrel::runtime::CpuLevel;
  CpuLevel host = kestrel::runtime::hostCpuLevel();
  if (host == CpuLevel::V4)
    return;
  def = *llama_model();
  def.cpuLevel = static_cast<uint32_t>(host) + 1;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_UNSUPPORTED_CPU, "was compiled for x86-64-v");
}

TEST(ModelDef, PackedWeights) {
  // The llama fixture's matmuls read their weights packed at open.
  ASSERT_GT(llama_model()->numPackedWeights, 0);
  kestrel_model_def def = *llama_model();
  std::vector<kestrel::runtime::PackedWeightDesc> packed(
      def.packedWeights, def.packedWeights + def.numPackedWeights);
  packed.back().weight = def.numWeights;
  def.packedWeights = packed.data();
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT, "names weight");
  // A glu packing (gate and up interleaved) is a device backend's.
  def = *llama_model();
  packed.assign(def.packedWeights, def.packedWeights + def.numPackedWeights);
  packed.back().glu = true;
  def.packedWeights = packed.data();
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT, "device backends only");
  def = *llama_model();
  def.packWeight = nullptr;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT,
               "its packed weights are not described");
}

TEST(Options, BadValues) {
  kestrel_model *m = nullptr;
  kestrel_options options;
  kestrel_options_init(&options);
  options.struct_size = 4;
  EXPECT_ERROR(
      kestrel_model_open(llama_model(), llamaWeights().c_str(), &options, &m),
      KESTREL_ERROR_INVALID_ARGUMENT, "struct_size is 4");
  kestrel_options_init(&options);
  options.num_threads = -3;
  EXPECT_ERROR(
      kestrel_model_open(llama_model(), llamaWeights().c_str(), &options, &m),
      KESTREL_ERROR_INVALID_ARGUMENT, "num_threads is -3");
  kestrel_options_init(&options);
  options.device_id = -1;
  EXPECT_ERROR(
      kestrel_model_open(llama_model(), llamaWeights().c_str(), &options, &m),
      KESTREL_ERROR_INVALID_ARGUMENT, "device_id is -1");
  kestrel_options_init(&options);
  options.use_cuda_graph = 2;
  EXPECT_ERROR(
      kestrel_model_open(llama_model(), llamaWeights().c_str(), &options, &m),
      KESTREL_ERROR_INVALID_ARGUMENT, "use_cuda_graph is 2; use 0 or 1");
}

TEST(ModelDef, DeviceModelWithoutDeviceTypesIsRejected) {
  kestrel_model_def def = *llama_model();
  static const kestrel::runtime::DeviceBackend backend = {};
  def.device = &backend;
  def.deviceDtypes = nullptr;
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open(&def, llamaWeights().c_str(), nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT, "incomplete");
}

TEST(OpenDir, Errors) {
  kestrel_model *m = nullptr;
  EXPECT_ERROR(kestrel_model_open_dir("/nonexistent-dir", nullptr, nullptr, &m),
               KESTREL_ERROR_IO, "cannot open directory");
  EXPECT_ERROR(
      kestrel_model_open_dir(modelDir().c_str(), "nothere", nullptr, &m),
      KESTREL_ERROR_IO, "libnothere.so");
  EXPECT_ERROR(kestrel_model_open_dir(nullptr, nullptr, nullptr, &m),
               KESTREL_ERROR_INVALID_ARGUMENT, "dir is NULL");
}

// (Here rather than in the unit tests, which build without exceptions.)
TEST(ThreadPool, ATaskThatThrowsReachesTheCallerAfterTheOthersRan) {
  kestrel::runtime::ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(64);
  EXPECT_THROW(pool.parallelFor(64,
                                [&](int64_t i) {
                                  hits[i]++;
                                  if (i == 5)
                                    throw std::runtime_error("task 5");
                                }),
               std::runtime_error);
  for (int64_t i = 0; i < 64; ++i)
    EXPECT_EQ(hits[i].load(), 1) << "task " << i;
  std::atomic<int> count{0};
  pool.parallelFor(10, [&](int64_t) { count++; });
  EXPECT_EQ(count.load(), 10);
}

TEST(Bert, DimsSharingANameMustAgree) {
  kestrel_model *m = nullptr;
  ASSERT_EQ(
      kestrel_model_open(bert_model(), bertWeights().c_str(), nullptr, &m),
      KESTREL_OK)
      << kestrel_last_error();
  kestrel_session *s = nullptr;
  ASSERT_EQ(kestrel_session_create(m, &s), KESTREL_OK);
  std::vector<int64_t> ids(8, 5), mask(6, 1);
  int64_t idsShape[2] = {1, 8}, maskShape[2] = {1, 6};
  ASSERT_EQ(kestrel_session_set_input(s, "input_ids", KESTREL_I64, idsShape, 2,
                                      ids.data(), 8 * sizeof(int64_t)),
            KESTREL_OK);
  ASSERT_EQ(kestrel_session_set_input(s, "attention_mask", KESTREL_I64,
                                      maskShape, 2, mask.data(),
                                      6 * sizeof(int64_t)),
            KESTREL_OK);
  EXPECT_ERROR(kestrel_session_run(s), KESTREL_ERROR_SHAPE,
               "dim 'seq' is 8 in input 'input_ids' but 6 in input "
               "'attention_mask'");
  mask.assign(8, 1);
  maskShape[1] = 8;
  ASSERT_EQ(kestrel_session_set_input(s, "attention_mask", KESTREL_I64,
                                      maskShape, 2, mask.data(),
                                      8 * sizeof(int64_t)),
            KESTREL_OK);
  EXPECT_EQ(kestrel_session_run(s), KESTREL_OK) << kestrel_last_error();
  kestrel_session_release(s);
  kestrel_model_release(m);
}

//===----------------------------------------------------------------------===//
// A model of two stages: NonZero's count decides the second stage's shapes
//===----------------------------------------------------------------------===//

class NonZero : public ::testing::Test {
protected:
  void SetUp() override {
    kestrel_options options;
    kestrel_options_init(&options);
    options.num_threads = 2;
    ASSERT_EQ(
        kestrel_model_open(nonzero_model(),
                           (modelDir() + "/nonzero/nonzero.kweights").c_str(),
                           &options, &model),
        KESTREL_OK)
        << kestrel_last_error();
    ASSERT_EQ(kestrel_session_create(model, &session), KESTREL_OK)
        << kestrel_last_error();
  }
  void TearDown() override {
    kestrel_session_release(session);
    kestrel_model_release(model);
  }
  void bind(const char *name, std::vector<float> &data,
            std::vector<int64_t> shape) {
    ASSERT_EQ(kestrel_session_set_input(session, name, KESTREL_F32,
                                        shape.data(), shape.size(), data.data(),
                                        data.size() * sizeof(float)),
              KESTREL_OK)
        << kestrel_last_error();
  }
  template <typename T>
  std::vector<T> output(const char *name, std::vector<int64_t> &shapeOut) {
    kestrel_dtype dtype;
    const int64_t *shape;
    size_t rank, bytes;
    const void *data;
    EXPECT_EQ(kestrel_session_get_output(session, name, &dtype, &shape, &rank,
                                         &data, &bytes),
              KESTREL_OK)
        << kestrel_last_error();
    shapeOut.assign(shape, shape + rank);
    const T *p = static_cast<const T *>(data);
    return {p, p + bytes / sizeof(T)};
  }

  kestrel_model *model = nullptr;
  kestrel_session *session = nullptr;
};

// One session, counts that grow, vanish and shrink: the second stage is
// re-planned for each, the outputs take the counts' shapes, and tokens that
// do not pick expert 1 (or an expert nobody picks) keep their rows.
TEST_F(NonZero, SecondStageFollowsEachCount) {
  const int64_t batch = 2, tokens = 6;
  for (int round = 0; round < 4; ++round) {
    // Round 0: every x positive, every token picks expert 1; round 1: none;
    // rounds 2 and 3: every other one.
    std::vector<float> x(batch * 5 * 3), logits(tokens * 4), hidden(tokens * 8);
    int64_t positive = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      bool on = round == 0 || (round >= 2 && i % 2 == size_t(round % 2));
      x[i] = on ? 0.5f + float(i) : -1.0f - float(i);
      positive += on;
    }
    std::vector<bool> picks(tokens);
    for (int64_t t = 0; t < tokens; ++t) {
      picks[t] = round == 0 || (round >= 2 && t % 2 == 0);
      // Top-2 of [3, 2 or -5, 1, 0]: experts 0 and 1, or 0 and 2.
      float row[4] = {3, picks[t] ? 2.0f : -5.0f, 1, 0};
      std::copy(row, row + 4, logits.begin() + t * 4);
      for (int c = 0; c < 8; ++c)
        hidden[t * 8 + c] = 0.25f * float(t) - 0.125f * float(c);
    }
    bind("x", x, {batch, 5, 3});
    bind("logits", logits, {tokens, 4});
    bind("hidden", hidden, {tokens, 8});
    ASSERT_EQ(kestrel_session_run(session), KESTREL_OK)
        << "round " << round << ": " << kestrel_last_error();

    std::vector<int64_t> shape;
    std::vector<int64_t> nz = output<int64_t>("nz", shape);
    ASSERT_EQ(shape, (std::vector<int64_t>{3, positive})) << "round " << round;
    int64_t j = 0;
    for (int64_t i = 0; i < int64_t(x.size()); ++i) {
      if (x[size_t(i)] <= 0)
        continue;
      EXPECT_EQ(nz[size_t(j)], i / 15);
      EXPECT_EQ(nz[size_t(positive + j)], i / 3 % 5);
      EXPECT_EQ(nz[size_t(2 * positive + j)], i % 3);
      ++j;
    }
    int64_t picked = std::count(picks.begin(), picks.end(), true);
    std::vector<int64_t> wshape = output<int64_t>("wshape", shape);
    EXPECT_EQ(wshape, (std::vector<int64_t>{2, picked})) << "round " << round;
    std::vector<float> untouched = output<float>("untouched", shape);
    EXPECT_EQ(shape, (std::vector<int64_t>{tokens, 8}));
    EXPECT_EQ(untouched, hidden) << "round " << round;
    std::vector<float> moe = output<float>("moe", shape);
    ASSERT_EQ(moe.size(), hidden.size());
    for (int64_t t = 0; t < tokens; ++t)
      for (int c = 0; c < 8; ++c) {
        size_t at = size_t(t * 8 + c);
        if (!picks[size_t(t)])
          EXPECT_EQ(moe[at], hidden[at]) << "token " << t;
        else
          EXPECT_TRUE(std::isfinite(moe[at]));
      }
  }
}

} // namespace

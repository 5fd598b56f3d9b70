//===- DummyWeights.cpp - kestrel-pack: seeded dummy weights --------------===//
//
// Like serving engines' dummy-weights mode: plausible values for
// benchmarking a model whose parameters are not at hand. Value i of a
// tensor is a pure function of (seed, tensor name, i): a 32-bit integer
// hash of a Weyl counter gives 32 random bits, and the sum of their four
// bytes (Irwin-Hall, n = 4), centred and scaled, approximates a normal
// draw (1021 levels, bounded at 3.5 sigma). That vectorizes, and slices
// of a tensor are generated on all cores while the writer checksums and
// writes the previous ones, so a gigabyte takes about a second.
//
//===----------------------------------------------------------------------===//

#include "tools/kestrel-pack/PackSources.h"

#include "runtime/WeightsConvert.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <thread>
#include <vector>

namespace kestrel::pack {

namespace {

using kestrel::DType;

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;

/// splitmix64's output function.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// FNV-1a over the name.
uint64_t nameHash(const std::string &name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : name)
    h = (h ^ c) * 0x100000001b3ull;
  return h;
}

/// Standard deviation of the Normal fill.
constexpr float kStd = 0.02f;
/// The sum of four uniform bytes has mean 510 and standard deviation
/// sqrt(4 * (256^2 - 1) / 12).
constexpr float kScale = kStd / 147.80054f;

/// A 32-bit integer hash (Chris Wellons' lowbias32).
inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

/// Values [first, first + n) of the tensor whose key is `key`; a slice
/// never straddles a multiple of 2^32 (slices are 2^20 aligned).
void fillNormal(uint64_t key, uint64_t first, float *out, size_t n) {
  // Each block of 2^32 values has its own key; within it a Weyl sequence
  // (odd step: full period) feeds the hash.
  uint32_t block = uint32_t(mix64(key + (first >> 32) * kGolden));
  uint32_t counter = uint32_t(first) * 0x9E3779B9u + block;
  for (size_t i = 0; i < n; ++i) {
    uint32_t r = hash32(counter + uint32_t(i) * 0x9E3779B9u);
    int32_t sum = int32_t(r & 0xff) + int32_t((r >> 8) & 0xff) +
                  int32_t((r >> 16) & 0xff) + int32_t(r >> 24) - 510;
    out[i] = float(sum) * kScale;
  }
}

/// Lower-case pieces of a name split at '.', '/', ':', '_' and '-'.
std::vector<std::string> nameParts(const std::string &name) {
  std::vector<std::string> parts(1);
  for (char c : name) {
    if (c == '.' || c == '/' || c == ':' || c == '_' || c == '-') {
      if (!parts.back().empty())
        parts.emplace_back();
      continue;
    }
    parts.back() += char(std::tolower(static_cast<unsigned char>(c)));
  }
  if (parts.back().empty())
    parts.pop_back();
  return parts;
}

} // namespace

DummyFill dummyFill(const std::string &name, DType type) {
  if (type == DType::I64 || type == DType::I32 || type == DType::I1)
    return DummyFill::Zeros;
  std::vector<std::string> parts = nameParts(name);
  if (parts.empty())
    return DummyFill::Normal;
  const std::string &last = parts.back();
  if (last == "bias" || last == "beta")
    return DummyFill::Zeros;
  bool norm = false;
  for (const std::string &p : parts) {
    // "layernorm", "rmsnorm", "input_layernorm", "ln", "ln1", "ln2", ...
    bool ln = p.size() >= 2 && p[0] == 'l' && p[1] == 'n' &&
              std::all_of(p.begin() + 2, p.end(),
                          [](char c) { return c >= '0' && c <= '9'; });
    norm |= ln || p.find("norm") != std::string::npos;
  }
  if (norm && (last == "weight" || last == "scale" || last == "gamma"))
    return DummyFill::Ones;
  return DummyFill::Normal;
}

namespace {

/// One slice of one tensor: the unit of work of the generator threads.
struct SliceJob {
  DType type;
  DummyFill fill;
  uint64_t key;
  uint64_t first; ///< element index in the tensor
  size_t count;
};

/// The slice's values in its stored type, into `bytes` (`staging` holds f32
/// values on the way to another type).
void makeSlice(const SliceJob &job, std::vector<float> &staging,
               std::vector<uint8_t> &bytes) {
  bytes.resize(job.count * kestrel::dtypeSize(job.type));
  if (job.fill == DummyFill::Zeros) {
    // Zero is all-zero bytes in every stored type.
    std::fill(bytes.begin(), bytes.end(), 0);
    return;
  }
  if (job.type == DType::U8) {
    // Packed low-bit weights: uniformly random bytes.
    for (size_t i = 0; i < job.count; ++i)
      bytes[i] = static_cast<uint8_t>(mix64(job.key + job.first + i) >> 56);
    return;
  }
  float *values = reinterpret_cast<float *>(bytes.data());
  if (job.type != DType::F32) {
    staging.resize(job.count);
    values = staging.data();
  }
  if (job.fill == DummyFill::Ones)
    std::fill(values, values + job.count, 1.0f);
  else
    fillNormal(job.key, job.first, values, job.count);
  if (job.type != DType::F32) {
    std::string ignored; // float to float always converts
    runtime::convertElements(DType::F32, values, job.type, bytes.data(),
                             job.count, ignored);
  }
}

} // namespace

bool writeDummyWeights(const runtime::WeightsManifest &manifest, uint64_t seed,
                       runtime::WeightsStreamWriter &out, std::string &error) {
  constexpr size_t kSlice = size_t(1) << 20; // elements
  std::vector<SliceJob> jobs;
  for (const runtime::ManifestTensor &t : manifest.tensors) {
    // The writer's index (the manifest's) has checked the shape already.
    uint64_t count = 1;
    for (int64_t d : t.shape)
      count *= static_cast<uint64_t>(d);
    DummyFill fill = dummyFill(t.name, t.dtype);
    uint64_t key = mix64(seed * kGolden + mix64(nameHash(t.name)));
    for (uint64_t first = 0; first < count; first += kSlice)
      jobs.push_back(
          {t.dtype, fill, key, first,
           static_cast<size_t>(std::min<uint64_t>(count - first, kSlice))});
  }

  // Batches of slices are generated on all cores into one of two buffer
  // sets while a writer thread checksums and writes the previous batch
  // from the other: the file is written in order, as fast as it goes.
  size_t threads = std::clamp(std::thread::hardware_concurrency(), 1u, 16u);
  struct Buffer {
    std::vector<float> staging;
    std::vector<uint8_t> bytes;
  };
  std::vector<Buffer> sets[2] = {std::vector<Buffer>(threads),
                                 std::vector<Buffer>(threads)};
  std::thread writer;
  bool writeFailed = false;
  for (size_t b = 0, begin = 0; begin < jobs.size(); ++b, begin += threads) {
    size_t batch = std::min(threads, jobs.size() - begin);
    std::vector<Buffer> &set = sets[b % 2];
    std::vector<std::thread> workers;
    for (size_t k = 1; k < batch; ++k)
      workers.emplace_back(
          [&, k] { makeSlice(jobs[begin + k], set[k].staging, set[k].bytes); });
    makeSlice(jobs[begin], set[0].staging, set[0].bytes);
    for (std::thread &w : workers)
      w.join();
    if (writer.joinable())
      writer.join();
    if (writeFailed)
      return false;
    writer = std::thread([&out, &error, &writeFailed, batch, done = &set] {
      for (size_t k = 0; k < batch && !writeFailed; ++k)
        writeFailed = !out.append((*done)[k].bytes.data(),
                                  (*done)[k].bytes.size(), error);
    });
  }
  if (writer.joinable())
    writer.join();
  return !writeFailed;
}

} // namespace kestrel::pack

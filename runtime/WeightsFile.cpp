//===- WeightsFile.cpp - The .kweights format: writer and mmap reader -----===//

#include "runtime/WeightsFile.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kestrel::runtime {

namespace {

/// The 64-byte file header (little-endian on disk; Kestrel targets
/// little-endian hosts only).
struct Header {
  char magic[8];
  uint32_t version;
  uint32_t tensorCount;
  uint64_t modelHash;
  uint64_t indexOffset;
  uint64_t indexBytes;
  uint64_t dataOffset;
  uint64_t dataBytes;
  uint64_t checksum; ///< checksum64 of the index, then of the data, combined
};
static_assert(sizeof(Header) == 64, "the header is 64 bytes");

/// The fixed part of one index entry; `rank` int64 dims and `nameBytes`
/// name bytes follow, padded to 8 bytes.
struct IndexEntry {
  uint32_t nameBytes;
  uint32_t type;
  uint32_t rank;
  uint32_t reserved;
  uint64_t offset; ///< from the start of the data section
  uint64_t bytes;
};
static_assert(sizeof(IndexEntry) == 32, "index entries start with 32 bytes");

constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ull;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t alignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

uint64_t combine(uint64_t a, uint64_t b) {
  return rotl(a ^ (b * kPrime2), 27) * kPrime1 + kPrime3;
}

bool dimsElementCount(const std::vector<int64_t> &dims, uint64_t &count) {
  count = 1;
  for (int64_t d : dims) {
    if (d < 0 || (d != 0 && count > UINT64_MAX / static_cast<uint64_t>(d)))
      return false;
    count *= static_cast<uint64_t>(d);
  }
  return true;
}

} // namespace

//===----------------------------------------------------------------------===//
// checksum64
//===----------------------------------------------------------------------===//

namespace {

/// One 32-byte block into the four lanes.
inline void mixBlock(uint64_t lane[4], const uint8_t *p) {
  for (int k = 0; k < 4; ++k) {
    uint64_t v;
    std::memcpy(&v, p + 8 * k, 8);
    lane[k] = rotl(lane[k] + v * kPrime2, 31) * kPrime1;
  }
}

/// The lanes, the remaining (< 32) bytes and the avalanche.
uint64_t finishChecksum(const uint64_t lane[4], const uint8_t *tail,
                        size_t tailBytes, uint64_t size) {
  uint64_t h = rotl(lane[0], 1) + rotl(lane[1], 7) + rotl(lane[2], 12) +
               rotl(lane[3], 18) + size;
  for (size_t i = 0; i < tailBytes; ++i)
    h = rotl(h ^ (tail[i] * kPrime3), 11) * kPrime1;
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

} // namespace

uint64_t checksum64(const void *data, size_t size) {
  Checksum64 sum;
  sum.update(data, size);
  return sum.value();
}

Checksum64::Checksum64() : lane{kPrime1 + kPrime2, kPrime2, 0, 0 - kPrime1} {}

void Checksum64::update(const void *data, size_t size) {
  const auto *p = static_cast<const uint8_t *>(data);
  total += size;
  if (pendingBytes) {
    size_t take = std::min(size, sizeof(pending) - pendingBytes);
    std::memcpy(pending + pendingBytes, p, take);
    pendingBytes += take;
    p += take;
    size -= take;
    if (pendingBytes < sizeof(pending))
      return;
    mixBlock(lane, pending);
    pendingBytes = 0;
  }
  for (; size >= 32; p += 32, size -= 32)
    mixBlock(lane, p);
  std::memcpy(pending, p, size);
  pendingBytes = size;
}

uint64_t Checksum64::value() const {
  return finishChecksum(lane, pending, pendingBytes, total);
}

//===----------------------------------------------------------------------===//
// WeightsStreamWriter
//===----------------------------------------------------------------------===//

WeightsStreamWriter::~WeightsStreamWriter() { abandon(); }

void WeightsStreamWriter::abandon() {
  if (!file)
    return;
  std::fclose(static_cast<FILE *>(file));
  file = nullptr;
  std::remove(path.c_str());
}

bool WeightsStreamWriter::writeRaw(const void *data, size_t bytes,
                                   std::string &error) {
  if (bytes == 0 || std::fwrite(data, bytes, 1, static_cast<FILE *>(file)) == 1)
    return true;
  error = "writing '" + path + "' failed: " + std::strerror(errno);
  abandon();
  return false;
}

bool WeightsStreamWriter::open(const std::string &outPath, uint64_t hash,
                               std::vector<WeightsEntry> entries,
                               std::string &error) {
  abandon();
  path = outPath;
  modelHash = hash;
  index = std::move(entries);
  sizes.clear();
  offsets.clear();
  indexBytes.clear();
  dataWritten = tensorWritten = 0;
  next = 0;
  dataSum = Checksum64();

  std::unordered_map<std::string_view, size_t> seen;
  uint64_t dataBytes = 0;
  for (const WeightsEntry &t : index) {
    if (t.name.empty()) {
      error = "a weight needs a name";
      return false;
    }
    if (!seen.emplace(t.name, sizes.size()).second) {
      error = "weight '" + t.name + "' is added twice";
      return false;
    }
    uint64_t count = 0;
    size_t width = dtypeSize(t.type);
    if (width == 0 || t.dims.size() > 64 || !dimsElementCount(t.dims, count) ||
        count > UINT64_MAX / width) {
      error = "weight '" + t.name +
              "' has an unknown element type or an invalid shape";
      return false;
    }
    sizes.push_back(count * width);
    dataBytes = alignUp(dataBytes, kWeightsAlignment);
    offsets.push_back(dataBytes);
    IndexEntry entry{static_cast<uint32_t>(t.name.size()),
                     static_cast<uint32_t>(t.type),
                     static_cast<uint32_t>(t.dims.size()),
                     0,
                     dataBytes,
                     sizes.back()};
    const auto *e = reinterpret_cast<const uint8_t *>(&entry);
    indexBytes.insert(indexBytes.end(), e, e + sizeof(entry));
    const auto *d = reinterpret_cast<const uint8_t *>(t.dims.data());
    indexBytes.insert(indexBytes.end(), d, d + 8 * t.dims.size());
    indexBytes.insert(indexBytes.end(), t.name.begin(), t.name.end());
    indexBytes.resize(alignUp(indexBytes.size(), 8), 0);
    dataBytes += sizes.back();
  }
  dataTotal = dataBytes;
  dataOffset = alignUp(sizeof(Header) + indexBytes.size(), kWeightsAlignment);

  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot create '" + path + "': " + std::strerror(errno);
    return false;
  }
  file = f;
  // The header goes in last, when the checksum is known.
  std::vector<uint8_t> head(dataOffset - indexBytes.size(), 0);
  if (!writeRaw(head.data(), sizeof(Header), error) ||
      !writeRaw(indexBytes.data(), indexBytes.size(), error) ||
      !writeRaw(head.data(), head.size() - sizeof(Header), error))
    return false;
  while (next < index.size() && sizes[next] == 0)
    ++next;
  return true;
}

bool WeightsStreamWriter::padTo(uint64_t offset, std::string &error) {
  static const uint8_t zeros[kWeightsAlignment] = {};
  while (dataWritten < offset) {
    size_t pad = std::min<uint64_t>(offset - dataWritten, sizeof(zeros));
    dataSum.update(zeros, pad);
    if (!writeRaw(zeros, pad, error))
      return false;
    dataWritten += pad;
  }
  return true;
}

bool WeightsStreamWriter::append(const void *data, size_t bytes,
                                 std::string &error) {
  if (!file) {
    error = "the weights file is not open";
    return false;
  }
  if (bytes == 0)
    return true;
  if (next >= index.size() || bytes > sizes[next] - tensorWritten) {
    error = next >= index.size()
                ? "more data than the weights file's tensors hold"
                : "weight '" + index[next].name + "': more than its " +
                      std::to_string(sizes[next]) + " bytes";
    abandon();
    return false;
  }
  if (tensorWritten == 0 && !padTo(offsets[next], error))
    return false;
  dataSum.update(data, bytes);
  if (!writeRaw(data, bytes, error))
    return false;
  dataWritten += bytes;
  tensorWritten += bytes;
  if (tensorWritten == sizes[next]) {
    tensorWritten = 0;
    for (++next; next < index.size() && sizes[next] == 0; ++next) {
    }
  }
  return true;
}

bool WeightsStreamWriter::finish(std::string &error) {
  if (!file) {
    error = "the weights file is not open";
    return false;
  }
  if (next < index.size()) {
    error = "weight '" + index[next].name +
            "' is incomplete: " + std::to_string(tensorWritten) + " of " +
            std::to_string(sizes[next]) + " bytes written";
    abandon();
    return false;
  }
  // Zero-size tensors at the end still count their alignment.
  if (!padTo(dataTotal, error))
    return false;
  Header header{};
  std::memcpy(header.magic, kWeightsMagic, sizeof(header.magic));
  header.version = kWeightsFormatVersion;
  header.tensorCount = static_cast<uint32_t>(index.size());
  header.modelHash = modelHash;
  header.indexOffset = sizeof(Header);
  header.indexBytes = indexBytes.size();
  header.dataOffset = dataOffset;
  header.dataBytes = dataWritten;
  header.checksum = combine(checksum64(indexBytes.data(), indexBytes.size()),
                            dataSum.value());
  auto *f = static_cast<FILE *>(file);
  if (std::fseek(f, 0, SEEK_SET) != 0) {
    error = "seeking in '" + path + "' failed: " + std::strerror(errno);
    abandon();
    return false;
  }
  if (!writeRaw(&header, sizeof(header), error))
    return false;
  file = nullptr;
  if (std::fclose(f) != 0) {
    error = "writing '" + path + "' failed: " + std::strerror(errno);
    std::remove(path.c_str());
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// WeightsWriter
//===----------------------------------------------------------------------===//

bool WeightsWriter::add(const std::string &name, DType type,
                        const std::vector<int64_t> &dims, const void *data,
                        size_t bytes, std::string &error) {
  if (name.empty()) {
    error = "a weight needs a name";
    return false;
  }
  if (byName.count(name)) {
    error = "weight '" + name + "' is added twice";
    return false;
  }
  uint64_t count = 0;
  if (dtypeSize(type) == 0 || !dimsElementCount(dims, count) ||
      count * dtypeSize(type) != bytes) {
    error = "weight '" + name + "': " + std::to_string(bytes) +
            " bytes do not match its shape and element type";
    return false;
  }
  const auto *p = static_cast<const uint8_t *>(data);
  byName[name] = tensors.size();
  tensors.push_back({name, type, dims, std::vector<uint8_t>(p, p + bytes)});
  return true;
}

bool WeightsWriter::write(const std::string &path, uint64_t modelHash,
                          std::string &error) const {
  std::vector<WeightsEntry> entries;
  for (const Tensor &t : tensors)
    entries.push_back({t.name, t.type, t.dims});
  WeightsStreamWriter out;
  if (!out.open(path, modelHash, std::move(entries), error))
    return false;
  for (const Tensor &t : tensors)
    if (!out.append(t.data.data(), t.data.size(), error))
      return false;
  return out.finish(error);
}

//===----------------------------------------------------------------------===//
// WeightsFile
//===----------------------------------------------------------------------===//

WeightsFile::~WeightsFile() {
  if (mapping)
    munmap(mapping, mappingSize);
}

std::unique_ptr<WeightsFile> WeightsFile::open(const std::string &path,
                                               uint64_t expectedModelHash,
                                               const Options &options,
                                               std::string &error,
                                               WeightsError *kind) {
  auto fail = [&](const std::string &why,
                  WeightsError what = WeightsError::Corrupt) {
    error = "weights file '" + path + "': " + why;
    if (kind)
      *kind = what;
    return nullptr;
  };
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::string("cannot open: ") + std::strerror(errno),
                WeightsError::Io);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return fail(std::string("cannot stat: ") + std::strerror(errno),
                WeightsError::Io);
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(Header)) {
    ::close(fd);
    return fail("truncated: " + std::to_string(size) +
                " bytes, shorter than the 64-byte header");
  }
  void *map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED)
    return fail(std::string("cannot map: ") + std::strerror(errno),
                WeightsError::Io);
  std::unique_ptr<WeightsFile> file(new WeightsFile());
  file->mapping = map;
  file->mappingSize = size;
  const auto *base = static_cast<const uint8_t *>(map);

  Header header;
  std::memcpy(&header, base, sizeof(header));
  if (std::memcmp(header.magic, kWeightsMagic, sizeof(header.magic)) != 0)
    return fail("not a Kestrel weights file (bad magic)");
  if (header.version != kWeightsFormatVersion)
    return fail("format version " + std::to_string(header.version) +
                    ", this runtime reads version " +
                    std::to_string(kWeightsFormatVersion),
                WeightsError::Version);
  if (header.modelHash != expectedModelHash) {
    // Hex, as NAME.kweights.json writes model hashes.
    char found[24], expected[24];
    std::snprintf(found, sizeof(found), "0x%016" PRIx64, header.modelHash);
    std::snprintf(expected, sizeof(expected), "0x%016" PRIx64,
                  expectedModelHash);
    return fail(std::string("belongs to another model (model hash ") + found +
                    ", expected " + expected + ")",
                WeightsError::OtherModel);
  }
  if (header.indexOffset != sizeof(Header) ||
      header.indexBytes > size - sizeof(Header) ||
      header.dataOffset % kWeightsAlignment != 0 ||
      header.dataOffset < header.indexOffset + header.indexBytes ||
      header.dataOffset > size || header.dataBytes > size - header.dataOffset)
    return fail("truncated or corrupt: the header describes " +
                std::to_string(header.dataOffset + header.dataBytes) +
                " bytes, the file holds " + std::to_string(size));
  const uint8_t *index = base + header.indexOffset;
  const uint8_t *data = base + header.dataOffset;
  if (options.verifyChecksum &&
      combine(checksum64(index, header.indexBytes),
              checksum64(data, header.dataBytes)) != header.checksum)
    return fail("checksum mismatch: the file is corrupt");

  uint64_t at = 0;
  file->views.reserve(header.tensorCount);
  for (uint32_t i = 0; i < header.tensorCount; ++i) {
    IndexEntry entry;
    if (header.indexBytes - at < sizeof(entry))
      return fail("index entry " + std::to_string(i) + " is truncated");
    std::memcpy(&entry, index + at, sizeof(entry));
    uint64_t need = sizeof(entry) + 8ull * entry.rank + entry.nameBytes;
    if (entry.rank > 64 || header.indexBytes - at < need)
      return fail("index entry " + std::to_string(i) + " is truncated");
    std::vector<int64_t> dims(entry.rank);
    if (entry.rank)
      std::memcpy(dims.data(), index + at + sizeof(entry), 8 * entry.rank);
    std::string_view name(reinterpret_cast<const char *>(
                              index + at + sizeof(entry) + 8 * entry.rank),
                          entry.nameBytes);
    // The stored type is a u32: a value past DType's range is unknown too.
    DType type = entry.type <= 0xff ? static_cast<DType>(entry.type) : DType{};
    uint64_t count = 0;
    if (dtypeSize(type) == 0 || !dimsElementCount(dims, count) ||
        count * dtypeSize(type) != entry.bytes)
      return fail("tensor '" + std::string(name) +
                  "' has an unknown type or a size that does not match its "
                  "shape");
    if (entry.offset % kWeightsAlignment != 0 ||
        entry.offset > header.dataBytes ||
        entry.bytes > header.dataBytes - entry.offset)
      return fail("tensor '" + std::string(name) +
                  "' lies outside the data section");
    if (!file->byName.emplace(name, file->views.size()).second)
      return fail("tensor '" + std::string(name) + "' appears twice");
    file->views.push_back(
        {name, type, std::move(dims), data + entry.offset, entry.bytes});
    at += alignUp(need, 8);
  }
  file->hash = header.modelHash;
  if (kind)
    *kind = WeightsError::None;
  return file;
}

void WeightsFile::release(const void *data, size_t bytes) const {
  auto begin = reinterpret_cast<uintptr_t>(data);
  auto base = reinterpret_cast<uintptr_t>(mapping);
  if (begin < base || begin + bytes > base + mappingSize)
    return;
  uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t first = (begin + page - 1) / page * page;
  uintptr_t last = (begin + bytes) / page * page;
  // Advice only: a failure leaves the pages mapped, which is still correct.
  if (last > first)
    (void)madvise(reinterpret_cast<void *>(first), last - first, MADV_DONTNEED);
}

const WeightView *WeightsFile::find(std::string_view name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &views[it->second];
}

} // namespace kestrel::runtime

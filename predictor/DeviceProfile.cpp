//===- DeviceProfile.cpp - What the latency predictor knows of a device ---===//

#include "predictor/DeviceProfile.h"

#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <algorithm>

namespace kestrel::predictor {

namespace json = llvm::json;
using llvm::StringRef;

namespace {

llvm::Error fail(StringRef origin, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 (origin + ": " + message).str());
}

/// Reads the fields of one JSON object, remembering which it saw so that
/// unknown (misspelt) ones can be reported.
class FieldReader {
public:
  FieldReader(const json::Object &object, StringRef origin, StringRef prefix)
      : object(object), origin(origin), prefix(prefix) {}

  llvm::Error string(StringRef key, std::string &out, bool required = true) {
    seen.insert(key);
    const json::Value *v = object.get(key);
    if (!v)
      return required ? missing(key) : llvm::Error::success();
    std::optional<StringRef> s = v->getAsString();
    if (!s || s->empty())
      return fail(origin, "field '" + path(key) +
                              "' must be a non-empty "
                              "string");
    out = s->str();
    return llvm::Error::success();
  }

  /// A number in [min, max].
  llvm::Error number(StringRef key, double &out, double min, double max) {
    seen.insert(key);
    const json::Value *v = object.get(key);
    if (!v)
      return missing(key);
    std::optional<double> d = v->getAsNumber();
    if (!d || !(*d >= min && *d <= max))
      return fail(origin, llvm::formatv("field '{0}' must be a number in "
                                        "[{1}, {2}]",
                                        path(key), llvm::format("%g", min),
                                        llvm::format("%g", max))
                              .str());
    out = *d;
    return llvm::Error::success();
  }

  /// An integer in [min, max].
  llvm::Error integer(StringRef key, int64_t &out, int64_t min, int64_t max) {
    seen.insert(key);
    const json::Value *v = object.get(key);
    if (!v)
      return missing(key);
    std::optional<int64_t> i = v->getAsInteger();
    if (!i || *i < min || *i > max)
      return fail(origin, llvm::formatv("field '{0}' must be an integer in "
                                        "[{1}, {2}]",
                                        path(key), min, max)
                              .str());
    out = *i;
    return llvm::Error::success();
  }

  /// The object `key`.
  llvm::Expected<const json::Object *> object_(StringRef key,
                                               bool required = true) {
    seen.insert(key);
    const json::Value *v = object.get(key);
    if (!v) {
      if (!required)
        return nullptr;
      return missing(key);
    }
    const json::Object *o = v->getAsObject();
    if (!o)
      return fail(origin, "field '" + path(key) + "' must be an object");
    return o;
  }

  /// An error for the first field not read.
  llvm::Error rejectUnknown() const {
    std::vector<std::string> unknown;
    for (const auto &entry : object)
      if (!seen.contains(entry.first.str()))
        unknown.push_back(entry.first.str());
    if (unknown.empty())
      return llvm::Error::success();
    std::sort(unknown.begin(), unknown.end());
    return fail(origin, "unknown field '" + path(unknown.front()) + "'");
  }

  std::string path(StringRef key) const {
    return prefix.empty() ? key.str() : (prefix + "." + key).str();
  }

private:
  llvm::Error missing(StringRef key) const {
    return fail(origin, "missing field '" + path(key) + "'");
  }

  const json::Object &object;
  StringRef origin, prefix;
  llvm::StringSet<> seen;
};

constexpr int64_t kMaxBytes = int64_t(1) << 40;

std::string profilesDir() {
  return std::string(KESTREL_SOURCE_DIR) + "/predictor/devices";
}

} // namespace

llvm::Expected<DeviceProfile> parseDeviceProfile(StringRef text,
                                                 StringRef origin) {
  llvm::Expected<json::Value> parsed = json::parse(text);
  if (!parsed)
    return fail(origin, "not JSON: " + llvm::toString(parsed.takeError()));
  const json::Object *root = parsed->getAsObject();
  if (!root)
    return fail(origin, "a device profile is a JSON object");

  DeviceProfile p;
  FieldReader top(*root, origin, "");
  std::string kind;
  if (llvm::Error e = top.string("name", p.name))
    return std::move(e);
  if (llvm::Error e = top.string("description", p.description, false))
    return std::move(e);
  if (llvm::Error e = top.string("kind", kind))
    return std::move(e);
  if (kind != "cpu" && kind != "cuda")
    return fail(origin, "field 'kind' must be \"cpu\" or \"cuda\", not \"" +
                            kind + "\"");
  p.kind = kind == "cpu" ? DeviceKind::Cpu : DeviceKind::Cuda;
  if (llvm::Error e = top.string("arch", p.arch))
    return std::move(e);

  llvm::Expected<const json::Object *> peak = top.object_("peak_tflops");
  if (!peak)
    return peak.takeError();
  FieldReader rates(**peak, origin, "peak_tflops");
  // 10 PFLOP/s bounds every rate a single device has today.
  if (llvm::Error e = rates.number("f32", p.peak.f32, 1e-3, 1e4))
    return std::move(e);
  for (auto [key, field] :
       {std::pair{"tf32", &p.peak.tf32}, std::pair{"bf16", &p.peak.bf16},
        std::pair{"f16", &p.peak.f16}, std::pair{"fp8", &p.peak.fp8}})
    if (llvm::Error e = rates.number(key, *field, 0, 1e4))
      return std::move(e);
  if (llvm::Error e = rates.rejectUnknown())
    return std::move(e);

  if (llvm::Error e =
          top.number("memory_bandwidth_gbs", p.memoryBandwidthGBs, 0.1, 1e5))
    return std::move(e);
  if (llvm::Error e =
          top.number("launch_overhead_us", p.launchOverheadUs, 0, 1e4))
    return std::move(e);

  if (p.kind == DeviceKind::Cuda) {
    if (llvm::Error e = top.integer("sm_count", p.computeUnits, 1, 4096))
      return std::move(e);
    if (llvm::Error e =
            top.integer("l2_bytes", p.lastLevelCacheBytes, 1, kMaxBytes))
      return std::move(e);
    if (llvm::Error e = top.integer("shared_memory_per_sm_bytes",
                                    p.sharedMemoryPerUnitBytes, 1, kMaxBytes))
      return std::move(e);
  } else {
    if (llvm::Error e = top.integer("cores", p.computeUnits, 1, 65536))
      return std::move(e);
    if (llvm::Error e = top.integer("simd_bits", p.simdBits, 64, 2048))
      return std::move(e);
    if (llvm::Error e = top.number("clock_ghz", p.clockGHz, 0.1, 10))
      return std::move(e);
    llvm::Expected<const json::Object *> caches = top.object_("caches");
    if (!caches)
      return caches.takeError();
    FieldReader c(**caches, origin, "caches");
    if (llvm::Error e = c.integer("l1d_bytes", p.l1dBytes, 0, kMaxBytes))
      return std::move(e);
    if (llvm::Error e = c.integer("l2_bytes", p.l2Bytes, 0, kMaxBytes))
      return std::move(e);
    if (llvm::Error e =
            c.integer("last_level_bytes", p.lastLevelCacheBytes, 0, kMaxBytes))
      return std::move(e);
    if (llvm::Error e = c.rejectUnknown())
      return std::move(e);
  }

  llvm::Expected<const json::Object *> sources =
      top.object_("sources", /*required=*/false);
  if (!sources)
    return sources.takeError();
  if (*sources)
    for (const auto &[key, value] : **sources) {
      std::optional<StringRef> s = value.getAsString();
      if (!s)
        return fail(origin,
                    "field 'sources." + key.str() + "' must be a string");
      p.sources[key.str()] = s->str();
    }
  if (llvm::Error e = top.rejectUnknown())
    return std::move(e);
  return p;
}

std::vector<std::string> builtinDeviceProfiles() {
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(profilesDir(), ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".json")
      names.push_back(llvm::sys::path::stem(it->path()).str());
  std::sort(names.begin(), names.end());
  return names;
}

llvm::Expected<DeviceProfile> loadDeviceProfile(StringRef nameOrPath) {
  std::string path = nameOrPath.str();
  bool isPath = nameOrPath.ends_with(".json") || nameOrPath.contains('/');
  if (!isPath) {
    std::vector<std::string> known = builtinDeviceProfiles();
    if (std::find(known.begin(), known.end(), path) == known.end()) {
      std::string list;
      for (const std::string &name : known)
        list += (list.empty() ? "" : ", ") + name;
      return fail(nameOrPath, "no such device profile (known: " + list +
                                  "; or a path to a .json profile)");
    }
    path = profilesDir() + "/" + path + ".json";
  }
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> file =
      llvm::MemoryBuffer::getFile(path);
  if (!file)
    return fail(path, "cannot read: " + file.getError().message());
  return parseDeviceProfile((*file)->getBuffer(), path);
}

std::string toJson(const DeviceProfile &p) {
  json::Object peak{{"f32", p.peak.f32},
                    {"tf32", p.peak.tf32},
                    {"bf16", p.peak.bf16},
                    {"f16", p.peak.f16},
                    {"fp8", p.peak.fp8}};
  json::Object root{{"name", p.name},
                    {"kind", p.kind == DeviceKind::Cpu ? "cpu" : "cuda"},
                    {"arch", p.arch},
                    {"peak_tflops", std::move(peak)},
                    {"memory_bandwidth_gbs", p.memoryBandwidthGBs},
                    {"launch_overhead_us", p.launchOverheadUs}};
  if (!p.description.empty())
    root["description"] = p.description;
  if (p.kind == DeviceKind::Cuda) {
    root["sm_count"] = p.computeUnits;
    root["l2_bytes"] = p.lastLevelCacheBytes;
    root["shared_memory_per_sm_bytes"] = p.sharedMemoryPerUnitBytes;
  } else {
    root["cores"] = p.computeUnits;
    root["simd_bits"] = p.simdBits;
    root["clock_ghz"] = p.clockGHz;
    root["caches"] = json::Object{{"l1d_bytes", p.l1dBytes},
                                  {"l2_bytes", p.l2Bytes},
                                  {"last_level_bytes", p.lastLevelCacheBytes}};
  }
  json::Object sources;
  for (const auto &[key, value] : p.sources)
    sources[key] = value;
  root["sources"] = std::move(sources);
  return llvm::formatv("{0:2}", json::Value(std::move(root))).str() + "\n";
}

} // namespace kestrel::predictor

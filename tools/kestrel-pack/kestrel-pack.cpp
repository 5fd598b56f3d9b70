//===- kestrel-pack.cpp - Write a .kweights file from a manifest ----------===//
//
// kestrel-pack OUTDIR/NAME.kweights.json -o NAME.kweights --onnx MODEL.onnx
// kestrel-pack OUTDIR/NAME.kweights.json -o NAME.kweights --dummy SEED
//
// Writes the weights file of a model compiled by kestrelc from the
// manifest kestrelc wrote beside it, without the compiler: from the ONNX
// model's initializers, or seeded dummy values for benchmarking models too
// large to carry. Plain C++17 without MLIR or LLVM; without libonnx it
// builds with --dummy only.
//
//===----------------------------------------------------------------------===//

#include "runtime/WeightsFile.h"
#include "runtime/WeightsManifest.h"
#include "tools/kestrel-pack/PackSources.h"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace kestrel;

namespace {

const char *const kHelp =
    R"(USAGE: kestrel-pack MANIFEST.json -o OUT.kweights (--onnx MODEL.onnx | --dummy SEED) [--verify]

Writes the weights file of a model compiled by kestrelc from the manifest
kestrelc writes beside it (OUTDIR/NAME.kweights.json): the model's weights
in table order with their stored dtype, source dtype and shape, and the
model hash that ties the file to the library. The hash identifies the
architecture, not the data, so the file fits every library compiled from
that architecture for the same target.

OPTIONS:
  -o FILE         The weights file to write.
  --onnx MODEL    Each tensor from MODEL's initializers (raw_data, typed
                  fields or external data, located relative to MODEL's
                  folder; external files are mapped, not read). Dtypes and
                  shapes must match the manifest; values are converted to
                  the stored dtype (f32 to bf16/f16 rounds to nearest even).
  --dummy SEED    Seeded dummy values instead (SEED: a 64-bit integer):
                  floats ~ N(0, 0.02), norm scales 1, biases, integers and
                  bools 0; each tensor depends only on SEED and its name.
  --verify        Open the written file as the runtime does (checksum
                  included) and check every tensor against the manifest.
  --help          This text.
)";

int fail(const std::string &message) {
  std::fprintf(stderr, "kestrel-pack: error: %s\n", message.c_str());
  return 1;
}

/// Reopens the file as the runtime does and compares it with the manifest.
bool verify(const std::string &path, const runtime::WeightsManifest &manifest,
            std::string &error) {
  runtime::WeightsFile::Options options;
  options.verifyChecksum = true;
  auto file =
      runtime::WeightsFile::open(path, manifest.modelHash, options, error);
  if (!file)
    return false;
  if (file->tensors().size() != manifest.tensors.size()) {
    error = path + ": " + std::to_string(file->tensors().size()) +
            " tensors, the manifest has " +
            std::to_string(manifest.tensors.size());
    return false;
  }
  for (const runtime::ManifestTensor &t : manifest.tensors) {
    const runtime::WeightView *view = file->find(t.name);
    if (!view || view->type != t.dtype || view->dims != t.shape) {
      error = path + ": tensor '" + t.name +
              "' is missing or differs from the manifest";
      return false;
    }
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  std::string manifestPath, outPath, onnxPath, seedText;
  bool dummy = false, doVerify = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag, std::string &out) {
      std::string prefix = std::string(flag) + "=";
      if (arg.compare(0, prefix.size(), prefix) == 0) {
        out = arg.substr(prefix.size());
        return true;
      }
      if (arg != flag)
        return false;
      if (i + 1 >= argc) {
        std::exit(fail(std::string(flag) + " needs a value"));
      }
      out = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    }
    if (arg == "--verify") {
      doVerify = true;
    } else if (value("-o", outPath) || value("--onnx", onnxPath)) {
    } else if (value("--dummy", seedText)) {
      dummy = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see kestrel-pack --help)");
    } else if (manifestPath.empty()) {
      manifestPath = arg;
    } else {
      return fail("more than one manifest given ('" + manifestPath + "' and '" +
                  arg + "')");
    }
  }
  if (manifestPath.empty())
    return fail("no manifest given (see kestrel-pack --help)");
  if (outPath.empty())
    return fail("no output file given: -o OUT.kweights");
  if (dummy == !onnxPath.empty())
    return fail("give exactly one of --onnx MODEL.onnx and --dummy SEED");
  uint64_t seed = 0;
  if (dummy) {
    char *end = nullptr;
    errno = 0;
    seed = std::strtoull(seedText.c_str(), &end, 0);
    if (seedText.empty() || seedText[0] == '-' || *end != '\0' || errno)
      return fail("--dummy expects a non-negative 64-bit integer seed, got '" +
                  seedText + "'");
  }
#ifndef KESTREL_PACK_WITH_ONNX
  if (!dummy)
    return fail("this kestrel-pack was built without libonnx and protobuf; "
                "only --dummy SEED is available");
#endif

  std::string error;
  runtime::WeightsManifest manifest;
  if (!runtime::readManifest(manifestPath, manifest, error))
    return fail(error);

  auto start = std::chrono::steady_clock::now();
  std::vector<runtime::WeightsEntry> entries;
  for (const runtime::ManifestTensor &t : manifest.tensors)
    entries.push_back({t.name, t.dtype, t.shape});
  runtime::WeightsStreamWriter out;
  if (!out.open(outPath, manifest.modelHash, std::move(entries), error))
    return fail(manifestPath + ": " + error);
  uint64_t bytes = 0;
  for (size_t i = 0; i < manifest.tensors.size(); ++i)
    bytes += out.tensorBytes(i);
  bool ok;
  if (dummy)
    ok = pack::writeDummyWeights(manifest, seed, out, error);
  else
#ifdef KESTREL_PACK_WITH_ONNX
    ok = pack::writeOnnxWeights(manifest, onnxPath, out, error);
#else
    ok = false;
#endif
  if (!ok || !out.finish(error))
    return fail(error);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  if (doVerify && !verify(outPath, manifest, error))
    return fail("verification failed: " + error);
  std::string from =
      dummy ? "dummy values, seed " + std::to_string(seed) : onnxPath;
  std::printf("kestrel-pack: wrote %s: %zu tensors, %.2f MiB (%s) in %.2f s "
              "(%.2f GB/s)%s\n",
              outPath.c_str(), manifest.tensors.size(), bytes / double(1 << 20),
              from.c_str(), seconds, seconds > 0 ? bytes / seconds / 1e9 : 0.0,
              doVerify ? "; verified" : "");
  return 0;
}

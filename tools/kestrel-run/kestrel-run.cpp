//===- kestrel-run.cpp - Run a compiled model on .npy inputs --------------===//
//
// kestrel-run OUTDIR --input NAME=FILE.npy ...              print outputs
// kestrel-run OUTDIR ... --expect NAME=FILE.npy ...         check outputs
// kestrel-run OUTDIR ... --bench N                          time runs
//
// Plain C++17 against the runtime's C API only (no LLVM): the same calls an
// application makes.
//
//===----------------------------------------------------------------------===//

#include "kestrel/runtime.h"
#include "tools/kestrel-run/Npy.h"
#include "tools/kestrel-run/TensorCompare.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using kestrel::npy::Array;
using kestrel::npy::DType;
using kestrel::run::CompareResult;
using kestrel::run::Scalar;
using kestrel::run::Tolerance;

namespace {

const char *const kHelp = R"(USAGE: kestrel-run OUTDIR [options]

Runs a model compiled by `kestrelc --target=cpu` (OUTDIR/libNAME.so and
OUTDIR/NAME.kweights) on inputs read from .npy files.

Without --expect or --bench it prints each output's shape, dtype and first
values.

OPTIONS:
  --name NAME            The model in OUTDIR to run; needed only when OUTDIR
                         holds more than one compiled model.
  --input NAME=FILE      Binds graph input NAME to the array in FILE (.npy).
                         Repeat for every input. The file's dtype must be the
                         input's (f32 <f4, f16 <f2, i64 <i8, i32 <i4,
                         bool |b1); nothing is converted.
  --expect NAME=FILE     Compares output NAME with the reference in FILE
                         (.npy). Repeatable. Shapes must be equal and dtypes
                         too, except that a floating output may be checked
                         against an f64 reference (and bf16 or f8e4m3fn
                         outputs, which .npy cannot store, against f32).
  --rtol R               Relative tolerance (default 1e-4).
  --atol A               Absolute tolerance (default 0).
                         A floating output PASSES when no element is NaN in
                         one tensor but not in the other, and
                           relative L2 error <= R  OR  max abs error <= A
                         where relative L2 error = ||out - ref||_2 / ||ref||_2
                         and max abs error = max |out - ref|, both over the
                         elements that are NaN in neither. Integer and bool
                         outputs must match exactly.
  --output-dir DIR       Writes every output to DIR/NAME.npy (DIR is created;
                         characters of NAME other than [A-Za-z0-9._-] become
                         '_'; bf16 and f8e4m3fn outputs are written as f32).
  --bench N              After the first run, times N more runs of
                         kestrel_session_run alone (inputs bound once) and
                         prints their median, min and 90th percentile, and a
                         line `bench: median_ms=X min_ms=Y p90_ms=Z runs=N
                         threads=T` for scripts. With --expect, the timed
                         runs happen only when every output matched.
  --warmup W             Untimed runs before the timed ones (default 3).
  --threads T            CPU threads per session (default 0: all cores).
  --no-verify-checksum   Skips the weights checksum when opening the model.
  --device N             CUDA models: the GPU to run on (default 0).
  --no-cuda-graph        CUDA models: launch the kernels one by one on every
                         run instead of replaying a captured CUDA graph.
  -h, --help             Prints this help.

Flags take their value as the next argument or after '=' (--bench=10).

EXIT STATUS:
  0  success, every --expect matched
  1  an error (unreadable file, runtime failure, wrong shape or dtype) or an
     output that does not match its reference
  2  a usage error (unknown flag, missing value, malformed NAME=FILE)
)";

struct NamedFile {
  std::string name;
  std::string path;
};

struct Options {
  std::string dir;
  std::string modelName;
  bool haveModelName = false;
  std::vector<NamedFile> inputs;
  std::vector<NamedFile> expects;
  Tolerance tolerance;
  int benchRuns = 0;
  int warmupRuns = 3;
  int threads = 0;
  std::string outputDir;
  bool verifyChecksum = true;
  int device = 0;
  bool cudaGraph = true;
};

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr,
               "kestrel-run: error: %s\n"
               "Run 'kestrel-run --help' for usage.\n",
               message.c_str());
  std::exit(2);
}

void printError(const std::string &message) {
  std::fprintf(stderr, "kestrel-run: error: %s\n", message.c_str());
}

[[noreturn]] void fatal(const std::string &message) {
  printError(message);
  std::exit(1);
}

/// A failed runtime call: what was being done, the status and the runtime's
/// message.
[[noreturn]] void runtimeFatal(const std::string &what, kestrel_status status) {
  fatal(what + ": " + kestrel_status_name(status) + ": " +
        kestrel_last_error());
}

bool parseInt(const std::string &text, int minValue, int &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (errno || *end != '\0' || value < minValue || value > 1000000000L)
    return false;
  out = static_cast<int>(value);
  return true;
}

bool parseTolerance(const std::string &text, double &out) {
  if (text.empty())
    return false;
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno || *end != '\0' || !std::isfinite(value) || value < 0)
    return false;
  out = value;
  return true;
}

NamedFile parseNamedFile(const std::string &flag, const std::string &text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    usageError(flag + " expects NAME=FILE, got '" + text + "'");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

Options parseArgs(int argc, char **argv) {
  Options options;
  bool positionalOnly = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (positionalOnly || arg.empty() || arg[0] != '-' || arg == "-") {
      if (!options.dir.empty())
        usageError("unexpected argument '" + arg +
                   "' (the model directory is '" + options.dir + "')");
      options.dir = arg;
      continue;
    }
    if (arg == "--") {
      positionalOnly = true;
      continue;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      std::fputs(kHelp, stdout);
      std::exit(0);
    }
    if (arg == "--no-verify-checksum") {
      options.verifyChecksum = false;
      continue;
    }
    if (arg == "--no-cuda-graph") {
      options.cudaGraph = false;
      continue;
    }

    std::string flag = arg, value;
    bool haveValue = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      haveValue = true;
    }
    if (flag == "--no-verify-checksum" || flag == "--no-cuda-graph")
      usageError(flag + " takes no value");
    static const char *const kValueFlags[] = {
        "--name",  "--input",  "--expect",  "--rtol",       "--atol",
        "--bench", "--warmup", "--threads", "--output-dir", "--device"};
    if (std::find_if(std::begin(kValueFlags), std::end(kValueFlags),
                     [&](const char *f) { return flag == f; }) ==
        std::end(kValueFlags))
      usageError("unknown flag '" + flag + "'");
    if (!haveValue) {
      if (i + 1 >= argc)
        usageError(flag + " needs a value");
      value = argv[++i];
    }

    if (flag == "--name") {
      if (value.empty())
        usageError("--name needs a non-empty value");
      options.modelName = value;
      options.haveModelName = true;
    } else if (flag == "--input") {
      options.inputs.push_back(parseNamedFile(flag, value));
    } else if (flag == "--expect") {
      options.expects.push_back(parseNamedFile(flag, value));
    } else if (flag == "--rtol") {
      if (!parseTolerance(value, options.tolerance.rtol))
        usageError("--rtol expects a non-negative number, got '" + value + "'");
    } else if (flag == "--atol") {
      if (!parseTolerance(value, options.tolerance.atol))
        usageError("--atol expects a non-negative number, got '" + value + "'");
    } else if (flag == "--bench") {
      if (!parseInt(value, 1, options.benchRuns))
        usageError("--bench expects a positive run count, got '" + value + "'");
    } else if (flag == "--warmup") {
      if (!parseInt(value, 0, options.warmupRuns))
        usageError("--warmup expects a run count >= 0, got '" + value + "'");
    } else if (flag == "--device") {
      if (!parseInt(value, 0, options.device))
        usageError("--device expects a GPU ordinal >= 0, got '" + value + "'");
    } else if (flag == "--threads") {
      if (!parseInt(value, 0, options.threads))
        usageError("--threads expects a thread count >= 0 (0: all cores), "
                   "got '" +
                   value + "'");
    } else if (flag == "--output-dir") {
      if (value.empty())
        usageError("--output-dir needs a non-empty value");
      options.outputDir = value;
    }
  }
  if (options.dir.empty())
    usageError("no model directory given");

  auto checkDuplicates = [](const std::vector<NamedFile> &files,
                            const char *flag) {
    for (size_t i = 0; i < files.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (files[i].name == files[j].name)
          usageError(std::string(flag) + " names '" + files[i].name +
                     "' twice");
  };
  checkDuplicates(options.inputs, "--input");
  checkDuplicates(options.expects, "--expect");
  return options;
}

//===----------------------------------------------------------------------===//
// Types and shapes
//===----------------------------------------------------------------------===//

bool toScalar(kestrel_dtype dtype, Scalar &out) {
  switch (dtype) {
  case KESTREL_F32:
    return out = Scalar::F32, true;
  case KESTREL_F16:
    return out = Scalar::F16, true;
  case KESTREL_BF16:
    return out = Scalar::BF16, true;
  case KESTREL_F8E4M3FN:
    return out = Scalar::F8E4M3FN, true;
  case KESTREL_I64:
    return out = Scalar::I64, true;
  case KESTREL_I32:
    return out = Scalar::I32, true;
  case KESTREL_BOOL:
    return out = Scalar::Bool, true;
  }
  return false;
}

Scalar toScalar(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return Scalar::F64;
  case DType::F32:
    return Scalar::F32;
  case DType::F16:
    return Scalar::F16;
  case DType::I64:
    return Scalar::I64;
  case DType::I32:
    return Scalar::I32;
  case DType::Bool:
    return Scalar::Bool;
  }
  return Scalar::F32;
}

/// The runtime dtype a .npy array binds as; false for f64, which no model
/// input has.
bool toKestrelDType(DType dtype, kestrel_dtype &out) {
  switch (dtype) {
  case DType::F32:
    return out = KESTREL_F32, true;
  case DType::F16:
    return out = KESTREL_F16, true;
  case DType::I64:
    return out = KESTREL_I64, true;
  case DType::I32:
    return out = KESTREL_I32, true;
  case DType::Bool:
    return out = KESTREL_BOOL, true;
  case DType::F64:
    return false;
  }
  return false;
}

std::string shapeString(const int64_t *dims, size_t rank) {
  std::string s = "[";
  for (size_t i = 0; i < rank; ++i) {
    if (i)
      s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

std::string shapeString(const std::vector<int64_t> &dims) {
  return shapeString(dims.data(), dims.size());
}

/// A declared signature: dims, with symbolic ones by name.
std::string signatureString(const kestrel_tensor_info &info) {
  std::string s = "[";
  for (size_t i = 0; i < info.rank; ++i) {
    if (i)
      s += ", ";
    if (info.dims[i] >= 0)
      s += std::to_string(info.dims[i]);
    else if (info.dim_names && info.dim_names[i] && *info.dim_names[i])
      s += info.dim_names[i];
    else
      s += "?";
  }
  return s + "] " + kestrel_dtype_name(info.dtype);
}

std::string fileNameFor(const std::string &outputName) {
  std::string name = outputName;
  for (char &c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
          c == '-'))
      c = '_';
  if (name.empty() || name == "." || name == "..")
    name = "_" + name;
  return name;
}

//===----------------------------------------------------------------------===//
// The model and its run
//===----------------------------------------------------------------------===//

struct ModelDeleter {
  void operator()(kestrel_model *m) const { kestrel_model_release(m); }
};
struct SessionDeleter {
  void operator()(kestrel_session *s) const { kestrel_session_release(s); }
};
using ModelPtr = std::unique_ptr<kestrel_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<kestrel_session, SessionDeleter>;

std::vector<kestrel_tensor_info> signatures(const kestrel_model *model,
                                            bool outputs) {
  size_t count = outputs ? kestrel_model_num_outputs(model)
                         : kestrel_model_num_inputs(model);
  std::vector<kestrel_tensor_info> infos(count);
  for (size_t i = 0; i < count; ++i) {
    kestrel_status status = outputs
                                ? kestrel_model_output_info(model, i, &infos[i])
                                : kestrel_model_input_info(model, i, &infos[i]);
    if (status != KESTREL_OK)
      runtimeFatal(std::string("cannot read the signature of ") +
                       (outputs ? "output " : "input ") + std::to_string(i),
                   status);
  }
  return infos;
}

std::string nameList(const std::vector<kestrel_tensor_info> &infos) {
  std::string s;
  for (const kestrel_tensor_info &info : infos)
    s += std::string(s.empty() ? "" : ", ") + "'" + info.name + "'";
  return s.empty() ? "none" : s;
}

const kestrel_tensor_info *
findSignature(const std::vector<kestrel_tensor_info> &infos,
              const std::string &name) {
  for (const kestrel_tensor_info &info : infos)
    if (name == info.name)
      return &info;
  return nullptr;
}

struct Output {
  std::string name;
  Scalar type;
  kestrel_dtype dtype;
  std::vector<int64_t> shape;
  const void *data;
  size_t numElements;
};

Output getOutput(kestrel_session *session, const char *name) {
  Output out;
  out.name = name;
  const int64_t *dims = nullptr;
  size_t rank = 0, bytes = 0;
  kestrel_status status = kestrel_session_get_output(
      session, name, &out.dtype, &dims, &rank, &out.data, &bytes);
  if (status != KESTREL_OK)
    runtimeFatal("cannot read output '" + out.name + "'", status);
  if (!toScalar(out.dtype, out.type))
    fatal("output '" + out.name + "' has an unknown dtype (" +
          std::to_string(out.dtype) + ")");
  out.shape.assign(dims, dims + rank);
  size_t count;
  if (!kestrel::npy::checkedElementCount(
          out.shape, kestrel::run::scalarSize(out.type), count) ||
      count * kestrel::run::scalarSize(out.type) != bytes)
    fatal("output '" + out.name + "' has shape " + shapeString(out.shape) +
          " of " + kestrel_dtype_name(out.dtype) + " but " +
          std::to_string(bytes) + " bytes");
  out.numElements = count;
  return out;
}

void printValues(const Output &out) {
  constexpr size_t kShown = 8;
  std::string s;
  for (size_t i = 0; i < out.numElements && i < kShown; ++i) {
    char buf[40];
    if (kestrel::run::isFloating(out.type))
      std::snprintf(buf, sizeof(buf), "%.6g",
                    kestrel::run::loadAsDouble(out.type, out.data, i));
    else
      std::snprintf(buf, sizeof(buf), "%lld",
                    static_cast<long long>(
                        kestrel::run::loadAsInt64(out.type, out.data, i)));
    s += std::string(i ? ", " : "") + buf;
  }
  if (out.numElements > kShown)
    s += ", ... (" + std::to_string(out.numElements) + " elements)";
  std::printf("  [%s]\n", s.c_str());
}

/// Checks `out` against `ref`; prints the result line and returns whether
/// it passed.
bool checkOutput(const Output &out, const NamedFile &file, const Array &ref,
                 const Tolerance &tolerance) {
  std::string head = out.name + ": shape " + shapeString(out.shape) + " " +
                     kestrel_dtype_name(out.dtype);
  Scalar refType = toScalar(ref.dtype());
  if (out.shape != ref.shape() ||
      !kestrel::run::isCompatibleReference(out.type, refType)) {
    std::printf("%s: MISMATCH\n", head.c_str());
    printError("output '" + out.name + "' is " + shapeString(out.shape) + " " +
               kestrel_dtype_name(out.dtype) + " but the expected '" +
               file.path + "' is " + shapeString(ref.shape()) + " " +
               kestrel::npy::dtypeName(ref.dtype()) + " (" +
               kestrel::npy::dtypeDescr(ref.dtype()) + ")");
    return false;
  }
  CompareResult r = kestrel::run::compareTensors(
      out.type, out.data, refType, ref.data(), out.numElements, tolerance);
  char line[256];
  if (r.floating) {
    std::snprintf(line, sizeof(line),
                  "; max abs error %.3g; relative L2 error %.3g", r.maxAbsError,
                  r.relL2Error);
    head += line;
    if (r.mismatches)
      head += "; " + std::to_string(r.mismatches) + " of " +
              std::to_string(r.numElements) +
              " elements NaN in one tensor only";
  } else {
    std::snprintf(line, sizeof(line),
                  "; max abs error %.17g; %zu of %zu "
                  "elements differ",
                  r.maxAbsError, r.mismatches, r.numElements);
    head += line;
  }
  std::printf("%s: %s\n", head.c_str(), r.pass ? "ok" : "MISMATCH");
  return r.pass;
}

void writeOutput(const Output &out, const std::string &dir) {
  std::string path =
      (std::filesystem::path(dir) / (fileNameFor(out.name) + ".npy")).string();
  std::string error;
  DType dtype;
  switch (out.type) {
  case Scalar::F32:
    dtype = DType::F32;
    break;
  case Scalar::F16:
    dtype = DType::F16;
    break;
  case Scalar::I64:
    dtype = DType::I64;
    break;
  case Scalar::I32:
    dtype = DType::I32;
    break;
  case Scalar::Bool:
    dtype = DType::Bool;
    break;
  default: {
    // bf16 and f8e4m3fn: .npy has no such dtypes.
    std::vector<float> widened(out.numElements);
    for (size_t i = 0; i < out.numElements; ++i)
      widened[i] =
          static_cast<float>(kestrel::run::loadAsDouble(out.type, out.data, i));
    if (!kestrel::npy::writeNpy(path, DType::F32, out.shape, widened.data(),
                                widened.size() * sizeof(float), error))
      fatal(error);
    std::fprintf(stderr, "kestrel-run: note: wrote %s output '%s' as f32\n",
                 kestrel_dtype_name(out.dtype), out.name.c_str());
    return;
  }
  }
  if (!kestrel::npy::writeNpy(path, dtype, out.shape, out.data,
                              out.numElements * kestrel::npy::dtypeSize(dtype),
                              error))
    fatal(error);
}

double percentile(const std::vector<double> &sorted, double q) {
  // Nearest rank.
  size_t rank = static_cast<size_t>(std::ceil(q * sorted.size()));
  return sorted[std::min(sorted.size(), std::max<size_t>(rank, 1)) - 1];
}

void runBenchmark(kestrel_session *session, const Options &options) {
  for (int i = 0; i < options.warmupRuns; ++i)
    if (kestrel_status status = kestrel_session_run(session))
      runtimeFatal("warm-up run " + std::to_string(i + 1) + " failed", status);
  std::vector<double> ms;
  ms.reserve(options.benchRuns);
  for (int i = 0; i < options.benchRuns; ++i) {
    auto start = std::chrono::steady_clock::now();
    kestrel_status status = kestrel_session_run(session);
    auto stop = std::chrono::steady_clock::now();
    if (status != KESTREL_OK)
      runtimeFatal("timed run " + std::to_string(i + 1) + " failed", status);
    ms.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
  }
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  double median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  unsigned threads = options.threads
                         ? static_cast<unsigned>(options.threads)
                         : std::max(1u, std::thread::hardware_concurrency());
  std::printf("median %.4f ms, min %.4f ms, p90 %.4f ms over %zu run%s (%u "
              "thread%s)\n",
              median, ms.front(), percentile(ms, 0.9), n, n == 1 ? "" : "s",
              threads, threads == 1 ? "" : "s");
  std::printf("bench: median_ms=%.6f min_ms=%.6f p90_ms=%.6f runs=%zu "
              "threads=%u\n",
              median, ms.front(), percentile(ms, 0.9), n, threads);
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseArgs(argc, argv);

  // Read every file before touching the model: a typo fails fast.
  std::vector<Array> inputs(options.inputs.size());
  std::vector<Array> expected(options.expects.size());
  std::string error;
  for (size_t i = 0; i < options.inputs.size(); ++i)
    if (!kestrel::npy::readNpy(options.inputs[i].path, inputs[i], error))
      fatal("input '" + options.inputs[i].name + "': " + error);
  for (size_t i = 0; i < options.expects.size(); ++i)
    if (!kestrel::npy::readNpy(options.expects[i].path, expected[i], error))
      fatal("expected output '" + options.expects[i].name + "': " + error);

  kestrel_options runtimeOptions;
  kestrel_options_init(&runtimeOptions);
  runtimeOptions.num_threads = options.threads;
  runtimeOptions.verify_checksum = options.verifyChecksum ? 1 : 0;
  runtimeOptions.device_id = options.device;
  runtimeOptions.use_cuda_graph = options.cudaGraph ? 1 : 0;
  kestrel_model *rawModel = nullptr;
  if (kestrel_status status = kestrel_model_open_dir(
          options.dir.c_str(),
          options.haveModelName ? options.modelName.c_str() : nullptr,
          &runtimeOptions, &rawModel))
    runtimeFatal("cannot open the model in '" + options.dir + "'" +
                     (options.haveModelName
                          ? " named '" + options.modelName + "'"
                          : std::string()),
                 status);
  ModelPtr model(rawModel);

  std::vector<kestrel_tensor_info> inputInfos = signatures(model.get(), false);
  std::vector<kestrel_tensor_info> outputInfos = signatures(model.get(), true);

  // Check names and dtypes here, where the message can name the file.
  for (size_t i = 0; i < options.inputs.size(); ++i) {
    const NamedFile &file = options.inputs[i];
    const kestrel_tensor_info *info = findSignature(inputInfos, file.name);
    if (!info)
      fatal("the model has no input '" + file.name +
            "' (inputs: " + nameList(inputInfos) + ")");
    kestrel_dtype dtype;
    if (!toKestrelDType(inputs[i].dtype(), dtype) || dtype != info->dtype)
      fatal("input '" + file.name + "' is " + signatureString(*info) +
            " but '" + file.path + "' holds " +
            kestrel::npy::dtypeName(inputs[i].dtype()) + " (" +
            kestrel::npy::dtypeDescr(inputs[i].dtype()) +
            "); convert the array, kestrel-run does not");
  }
  std::string missing;
  for (const kestrel_tensor_info &info : inputInfos) {
    bool bound =
        std::any_of(options.inputs.begin(), options.inputs.end(),
                    [&](const NamedFile &f) { return f.name == info.name; });
    if (!bound)
      missing += std::string(missing.empty() ? "" : ", ") + "'" + info.name +
                 "' " + signatureString(info);
  }
  if (!missing.empty())
    fatal("no --input for " + missing);
  for (const NamedFile &file : options.expects)
    if (!findSignature(outputInfos, file.name))
      fatal("--expect names '" + file.name +
            "', which is not an output of the model (outputs: " +
            nameList(outputInfos) + ")");

  kestrel_session *rawSession = nullptr;
  if (kestrel_status status = kestrel_session_create(model.get(), &rawSession))
    runtimeFatal("cannot create a session", status);
  SessionPtr session(rawSession);

  for (size_t i = 0; i < options.inputs.size(); ++i) {
    kestrel_dtype dtype = KESTREL_F32;
    toKestrelDType(inputs[i].dtype(), dtype);
    const std::vector<int64_t> &shape = inputs[i].shape();
    if (kestrel_status status = kestrel_session_set_input(
            session.get(), options.inputs[i].name.c_str(), dtype, shape.data(),
            shape.size(), inputs[i].data(), inputs[i].numBytes()))
      runtimeFatal("cannot bind input '" + options.inputs[i].name + "' (" +
                       shapeString(shape) + " " + kestrel_dtype_name(dtype) +
                       " from '" + options.inputs[i].path + "')",
                   status);
  }

  if (kestrel_status status = kestrel_session_run(session.get()))
    runtimeFatal("run failed", status);

  if (!options.outputDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.outputDir, ec);
    if (ec)
      fatal("cannot create output directory '" + options.outputDir +
            "': " + ec.message());
  }

  size_t failures = 0;
  bool printValuesToo = options.expects.empty() && options.benchRuns == 0;
  for (const kestrel_tensor_info &info : outputInfos) {
    Output out = getOutput(session.get(), info.name);
    if (!options.outputDir.empty())
      writeOutput(out, options.outputDir);
    auto expect =
        std::find_if(options.expects.begin(), options.expects.end(),
                     [&](const NamedFile &f) { return f.name == out.name; });
    if (expect != options.expects.end()) {
      if (!checkOutput(out, *expect, expected[expect - options.expects.begin()],
                       options.tolerance))
        ++failures;
      continue;
    }
    std::printf("%s: shape %s %s\n", out.name.c_str(),
                shapeString(out.shape).c_str(), kestrel_dtype_name(out.dtype));
    if (printValuesToo)
      printValues(out);
  }
  std::fflush(stdout);
  if (failures) {
    char tolerances[64];
    std::snprintf(tolerances, sizeof(tolerances), "rtol %g, atol %g",
                  options.tolerance.rtol, options.tolerance.atol);
    fatal(std::to_string(failures) + " of " +
          std::to_string(options.expects.size()) +
          " checked outputs do not match (" + tolerances + ")");
  }

  if (options.benchRuns > 0)
    runBenchmark(session.get(), options);
  return 0;
}

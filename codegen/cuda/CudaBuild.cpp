//===- CudaBuild.cpp - From emitted CUDA model code to a library ----------===//

#include "codegen/cuda/CudaBuild.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <optional>

namespace kestrel::codegen::cuda {

namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool writeFile(const std::string &file, llvm::StringRef contents,
               std::string &error) {
  std::error_code ec;
  llvm::raw_fd_ostream os(file, ec);
  if (!ec) {
    os << contents;
    os.close();
    ec = os.error();
  }
  if (ec) {
    error = "cannot write " + file + ": " + ec.message();
    return false;
  }
  return true;
}

std::optional<std::string> readFile(const std::string &file) {
  auto buffer = llvm::MemoryBuffer::getFile(file);
  if (!buffer)
    return std::nullopt;
  return (*buffer)->getBuffer().str();
}

/// Runs `args` (args[0] is the program); its output goes to `log`.
int run(const std::vector<std::string> &args, const std::string &log,
        std::string &error) {
  llvm::SmallVector<llvm::StringRef> refs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(log), llvm::StringRef(log)};
  return llvm::sys::ExecuteAndWait(args[0], refs, std::nullopt, redirects, 0, 0,
                                   &error);
}

/// Headers every kernel or host source of a model may include: their
/// contents are part of every cache key.
std::string headerDigest(const std::string &sourceDir) {
  llvm::SHA256 sha;
  for (const char *dir :
       {"kernels/common", "kernels/cuda", "kernels/cpu", "runtime",
        "runtime/cuda", "runtime/include/kestrel"}) {
    std::error_code ec;
    std::vector<std::string> files;
    for (fs::directory_iterator it(sourceDir + "/" + dir, ec), end;
         it != end && !ec; it.increment(ec)) {
      llvm::StringRef ext = path::extension(it->path());
      if (ext == ".h" || ext == ".cuh")
        files.push_back(it->path());
    }
    llvm::sort(files);
    for (const std::string &file : files) {
      sha.update(file);
      if (auto contents = readFile(file))
        sha.update(*contents);
    }
  }
  return llvm::toHex(sha.final(), /*LowerCase=*/true);
}

/// The compiler's identity (`--version` output), part of every cache key.
std::string compilerIdentity(const std::string &compiler,
                             const std::string &scratch) {
  std::string log = scratch + "/version.txt", error;
  if (run({compiler, "--version"}, log, error) != 0)
    return compiler;
  auto text = readFile(log);
  fs::remove(log);
  return text ? *text : compiler;
}

/// Compiles `source` into `object` with `args` (which name both), unless
/// the cache holds an object for the same compiler, arguments, source and
/// headers.
bool compileCached(const std::vector<std::string> &args,
                   const std::string &identity, const std::string &digest,
                   const std::string &source, const std::string &object,
                   const BuildOptions &options, bool &cached,
                   std::string &error) {
  cached = false;
  std::string key;
  std::string cacheFile;
  if (!options.cacheDir.empty()) {
    llvm::SHA256 sha;
    sha.update(identity);
    sha.update(digest);
    // nvcc also takes flags and its host compiler from the environment.
    for (const char *var :
         {"NVCC_PREPEND_FLAGS", "NVCC_APPEND_FLAGS", "NVCC_CCBIN"}) {
      const char *value = std::getenv(var);
      sha.update(std::string(var) + "=" + (value ? value : "") + "\n");
    }
    for (const std::string &a : args)
      if (a != source && a != object) { // paths do not change the object
        sha.update(a);
        sha.update(llvm::StringRef("\0", 1));
      }
    auto contents = readFile(source);
    if (!contents) {
      error = "cannot read " + source;
      return false;
    }
    sha.update(*contents);
    key = llvm::toHex(sha.final(), /*LowerCase=*/true);
    cacheFile =
        options.cacheDir + "/objects/" + key.substr(0, 2) + "/" + key + ".o";
    if (fs::exists(cacheFile) && !fs::copy_file(cacheFile, object)) {
      cached = true;
      return true;
    }
  }
  std::string log = object + ".log";
  int rc = run(args, log, error);
  auto output = readFile(log);
  fs::remove(log);
  if (rc != 0) {
    if (output)
      llvm::errs() << *output;
    error = path::filename(args[0]).str() + " failed on " + source +
            (error.empty() ? " (exit " + std::to_string(rc) + ")"
                           : " (" + error + ")");
    return false;
  }
  if (!cacheFile.empty()) {
    // Best effort: a read-only or full cache only costs the next compile.
    std::string dir = path::parent_path(cacheFile).str();
    if (!fs::create_directories(dir)) {
      // A name no other writer uses, renamed into place (atomic).
      std::string temp =
          cacheFile + ".tmp" +
          std::to_string(llvm::sys::Process::getProcessId()) + "." +
          std::to_string(Clock::now().time_since_epoch().count());
      if (fs::copy_file(object, temp) || fs::rename(temp, cacheFile))
        fs::remove(temp);
    }
  }
  return true;
}

/// Copies the files of `dir` (relative to the source tree) with the given
/// extensions into dest/dir.
bool copyDir(const std::string &sourceDir, const std::string &dir,
             llvm::ArrayRef<llvm::StringRef> exts, const std::string &dest,
             std::vector<std::string> &copied, std::string &error) {
  std::error_code ec;
  std::string target = dest + "/" + dir;
  if ((ec = fs::create_directories(target))) {
    error = "cannot create " + target + ": " + ec.message();
    return false;
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(sourceDir + "/" + dir, ec), end;
       it != end && !ec; it.increment(ec))
    if (llvm::is_contained(exts, path::extension(it->path())))
      files.push_back(path::filename(it->path()).str());
  if (ec) {
    error = "cannot list " + sourceDir + "/" + dir + ": " + ec.message();
    return false;
  }
  llvm::sort(files);
  for (const std::string &file : files) {
    if ((ec = fs::copy_file(sourceDir + "/" + dir + "/" + file,
                            target + "/" + file))) {
      error = "cannot copy " + dir + "/" + file + ": " + ec.message();
      return false;
    }
    copied.push_back(dir + "/" + file);
  }
  return true;
}

} // namespace

bool parseArchs(llvm::StringRef spec, std::vector<std::string> &archs,
                std::string &error) {
  archs.clear();
  if (spec.empty()) {
    archs.push_back(kDefaultArch);
    return true;
  }
  llvm::SmallVector<llvm::StringRef> parts;
  spec.split(parts, ',');
  for (llvm::StringRef part : parts) {
    part = part.trim();
    static const char *known[] = {"sm_80", "sm_86", "sm_87",
                                  "sm_89", "sm_90", "sm_90a"};
    if (!llvm::is_contained(known, part)) {
      error = "unsupported CUDA architecture '" + part.str() +
              "' (Kestrel's kernels need tensor cores of sm_80 or newer: "
              "sm_80, sm_86, sm_87, sm_89, sm_90, sm_90a)";
      return false;
    }
    if (!llvm::is_contained(archs, part.str()))
      archs.push_back(part.str());
  }
  return true;
}

std::vector<std::string> gencodeFlags(const std::vector<std::string> &archs) {
  std::vector<std::string> flags;
  for (const std::string &arch : archs) {
    std::string number = arch.substr(3); // "90a"
    flags.push_back("-gencode=arch=compute_" + number + ",code=sm_" + number);
  }
  return flags;
}

std::string defaultCacheDir() {
  if (const char *dir = std::getenv("KESTREL_CACHE_DIR"); dir && *dir)
    return dir;
  if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    return std::string(xdg) + "/kestrel";
  if (const char *home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.cache/kestrel";
  return "";
}

bool buildLibrary(
    const std::string &outDir, const std::string &workDir,
    const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &kernels,
    const BuildOptions &options, BuildStats &stats, std::string &error) {
  std::string objDir = workDir + "/obj";
  if (std::error_code ec = fs::create_directories(workDir + "/kernels")) {
    error = "cannot create " + workDir + "/kernels: " + ec.message();
    return false;
  }
  fs::create_directories(objDir);
  std::string digest = headerDigest(options.sourceDir);
  std::vector<std::string> objects;

  // Kernels: nvcc, one object per source (emulated: rewritten, then the
  // C++ compiler).
  if (!kernels.empty() && options.emulate) {
    std::string identity = compilerIdentity(options.cxx, objDir);
    for (const std::string &file : {options.rewriter, options.prelude})
      if (auto contents = readFile(file))
        identity += *contents;
    Clock::time_point start = Clock::now();
    fs::create_directories(workDir + "/kernels-emu");
    for (const auto &[file, contents] : kernels) {
      std::string source = workDir + "/kernels/" + file;
      if (!writeFile(source, contents, error))
        return false;
      std::string rewritten =
          workDir + "/kernels-emu/" + path::stem(file).str() + ".cpp";
      std::string log = objDir + "/rewrite.log";
      if (run({options.python, options.rewriter, source, rewritten}, log,
              error) != 0) {
        if (auto output = readFile(log))
          llvm::errs() << *output;
        error = "rewriting " + file + " for the emulator failed";
        return false;
      }
      std::string object = objDir + "/" + path::stem(file).str() + ".o";
      std::vector<std::string> args = {options.cxx,
                                       "-std=c++17",
                                       "-O1",
                                       "-fPIC",
                                       "-fvisibility=hidden",
                                       "-DKESTREL_CUDA_EMULATOR=1",
                                       "-include",
                                       options.prelude,
                                       "-I" + options.emuSourceDir,
                                       "-I" + options.sourceDir,
                                       "-I" + options.sourceDir +
                                           "/runtime/include"};
      llvm::SmallVector<llvm::StringRef> includes;
      llvm::StringRef(options.cudaInclude).split(includes, ';');
      for (llvm::StringRef dir : includes)
        if (!dir.empty())
          args.push_back(("-isystem" + dir).str());
      args.insert(args.end(), {"-c", rewritten, "-o", object});
      llvm::errs() << "kestrelc: c++ " << file << " (CUDA emulator) ...";
      bool cached = false;
      if (!compileCached(args, identity, digest, rewritten, object, options,
                         cached, error)) {
        llvm::errs() << "\n";
        return false;
      }
      llvm::errs() << (cached ? " cached\n" : " compiled\n");
      ++(cached ? stats.cached : stats.compiled);
      objects.push_back(object);
    }
    stats.nvccSeconds = secondsSince(start);
  } else if (!kernels.empty()) {
    std::string identity = compilerIdentity(options.nvcc, objDir);
    Clock::time_point start = Clock::now();
    for (const auto &[file, contents] : kernels) {
      std::string source = workDir + "/kernels/" + file;
      if (!writeFile(source, contents, error))
        return false;
      std::string object = objDir + "/" + path::stem(file).str() + ".o";
      std::vector<std::string> args = {options.nvcc,
                                       "-std=c++17",
                                       "-O3",
                                       "-Xcompiler=-fPIC",
                                       "-Xcompiler=-fvisibility=hidden",
                                       "-I" + options.sourceDir,
                                       "-I" + options.sourceDir +
                                           "/runtime/include"};
      for (const std::string &flag : gencodeFlags(options.archs))
        args.push_back(flag);
      args.insert(args.end(), {"-c", source, "-o", object});
      llvm::errs() << "kestrelc: nvcc " << file << " ("
                   << llvm::join(options.archs, ",") << ") ...";
      bool cached = false;
      if (!compileCached(args, identity, digest, source, object, options,
                         cached, error)) {
        llvm::errs() << "\n";
        return false;
      }
      llvm::errs() << (cached ? " cached\n" : " compiled\n");
      ++(cached ? stats.cached : stats.compiled);
      objects.push_back(object);
    }
    stats.nvccSeconds = secondsSince(start);
  }

  // Host code: the C++ compiler (the host object does not depend on the
  // architecture, so it is shared between targets through the cache).
  {
    Clock::time_point start = Clock::now();
    std::string source = workDir + "/" + name + ".cpp";
    std::string object = objDir + "/" + name + ".o";
    std::vector<std::string> args = {options.cxx,
                                     "-std=c++17",
                                     "-O2",
                                     "-march=" + options.cpuLevel,
                                     "-fopenmp-simd",
                                     "-fno-math-errno",
                                     "-fPIC",
                                     "-fvisibility=hidden",
                                     "-I" + options.sourceDir,
                                     "-I" + options.sourceDir +
                                         "/runtime/include",
                                     "-c",
                                     source,
                                     "-o",
                                     object};
    llvm::errs() << "kestrelc: compiling " << name << ".cpp with "
                 << path::filename(options.cxx) << " -O2 ...";
    bool cached = false;
    if (!compileCached(args, compilerIdentity(options.cxx, objDir), digest,
                       source, object, options, cached, error)) {
      llvm::errs() << "\n";
      return false;
    }
    llvm::errs() << (cached ? " cached\n" : " compiled\n");
    ++(cached ? stats.cached : stats.compiled);
    objects.insert(objects.begin(), object);
    stats.cxxSeconds = secondsSince(start);
  }

  // Link: the runtime whole (it exports the C API) and first (the linker
  // keeps its baseline copies of shared inline functions, so nothing runs
  // before its CPU check that needs more than the baseline), the model's
  // objects, the CUDA library for what the model uses, the CPU kernels of
  // its level and the CUDA runtime statically. cuBLASLt is not linked: the
  // library loads it when a model opens (runtime/cuda/CublasLtLoader.cpp),
  // so no RUNPATH into the toolkit, and a machine without it gets the
  // runtime's KESTREL_ERROR_NO_DEVICE instead of a loader error.
  Clock::time_point start = Clock::now();
  std::string library = outDir + "/lib" + name + ".so";
  std::vector<std::string> args = {options.cxx,
                                   "-shared",
                                   "-fPIC",
                                   "-o",
                                   library,
                                   "-Wl,--whole-archive",
                                   options.runtimeArchive,
                                   "-Wl,--no-whole-archive"};
  args.insert(args.end(), objects.begin(), objects.end());
  // The runtime's CUDA side before the CUDA kernels it launches, and both
  // before the CPU kernels, whose names they use.
  if (options.emulate)
    args.insert(args.end(), {options.cudaRuntimeEmuArchive, options.emuArchive,
                             options.cpuKernelsArchive, "-lpthread", "-ldl",
                             "-Wl,-z,defs"});
  else
    args.insert(args.end(), {options.cudaRuntimeArchive, options.cudaArchive,
                             options.cpuKernelsArchive,
                             "-L" + options.cudaLibDir, "-lcudart_static",
                             "-lrt", "-lpthread", "-ldl", "-Wl,-z,defs"});
  args.insert(args.end(), options.linkFlags.begin(), options.linkFlags.end());
  std::string log = objDir + "/link.log";
  llvm::errs() << "kestrelc: linking lib" << name << ".so ...\n";
  int rc = run(args, log, error);
  if (rc != 0) {
    if (auto output = readFile(log))
      llvm::errs() << *output;
    error = "linking lib" + name + ".so failed" +
            (error.empty() ? "" : " (" + error + ")");
    return false;
  }
  fs::remove(log);
  stats.linkSeconds = secondsSince(start);
  return true;
}

bool writeSourceTree(
    const std::string &outDir, const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &kernels,
    const BuildOptions &options, std::string &error) {
  std::string src = outDir + "/kestrel-src";
  std::vector<std::string> copied;
  const llvm::StringRef code[] = {".h", ".cpp", ".cu", ".cuh"};
  for (const char *dir : {"runtime", "runtime/include/kestrel", "runtime/cuda",
                          "kernels/common", "kernels/cpu", "kernels/cuda",
                          "tools/kestrel-run", "tools/kestrel-pack"})
    if (fs::is_directory(options.sourceDir + "/" + dir) &&
        !copyDir(options.sourceDir, dir, code, src, copied, error))
      return false;
  if (std::error_code ec = fs::create_directories(outDir + "/kernels")) {
    error = "cannot create " + outDir + "/kernels: " + ec.message();
    return false;
  }
  std::vector<std::string> kernelFiles;
  for (const auto &[file, contents] : kernels) {
    if (!writeFile(outDir + "/kernels/" + file, contents, error))
      return false;
    kernelFiles.push_back("kernels/" + file);
  }

  auto list = [&](llvm::StringRef dir, llvm::StringRef ext) {
    std::string s;
    for (const std::string &file : copied)
      if (path::parent_path(file) == dir && path::extension(file) == ext)
        s += "\n  ${SRC}/" + file;
    return s;
  };
  std::string cpuKernels = list("kernels/cpu", ".cpp");
  std::string gencode;
  for (const std::string &flag : gencodeFlags(options.archs))
    gencode += " " + flag;
  std::string kernelList;
  for (const std::string &file : kernelFiles)
    kernelList += "\n  " + file;
  bool haveOnnxReader = llvm::any_of(copied, [](const std::string &f) {
    return path::filename(f) == "OnnxReader.cpp";
  });
  std::string packSources;
  for (const std::string &file : copied)
    if (path::parent_path(file) == "tools/kestrel-pack" &&
        path::extension(file) == ".cpp" &&
        path::filename(file) != "OnnxReader.cpp")
      packSources += "\n  ${SRC}/" + file;
  (void)haveOnnxReader;

  std::string cmake = llvm::formatv(
      R"(# Generated by kestrelc --target=cuda --emit=source. Do not edit.
#
# Builds lib{0}.so (into this directory, next to {0}.kweights), kestrel-run
# and kestrel-pack with CMake, nvcc and a C++ compiler only (no MLIR/LLVM):
#
#   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j
#
# The CUDA architectures are the ones kestrelc was given ({1}); override
# them with -DKESTREL_CUDA_GENCODE="-gencode=arch=compute_90a,code=sm_90a".
# The host code is built for the x86-64 level {9} (kestrelc --cpu), which
# {0}.cpp records: the library refuses to open on a CPU without it.
cmake_minimum_required(VERSION 3.18)
project({0} LANGUAGES C CXX CUDA)

set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CUDA_STANDARD 17)
set(CMAKE_CUDA_STANDARD_REQUIRED ON)
if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release)
endif()
set(KESTREL_CUDA_GENCODE "{2}" CACHE STRING "nvcc -gencode flags")
separate_arguments(KESTREL_CUDA_GENCODE_LIST NATIVE_COMMAND "${{KESTREL_CUDA_GENCODE}")
set(CMAKE_CUDA_ARCHITECTURES OFF)
find_package(CUDAToolkit REQUIRED)
find_package(Threads REQUIRED)

set(SRC ${{CMAKE_CURRENT_SOURCE_DIR}/kestrel-src)

set(KESTREL_CPU_LEVEL {9})

# The CPU runtime (C API, weights, arena planner, thread pool, CPU level
# check) and what the kernel libraries share (kernels/common), built for
# the baseline x86-64.
add_library(kestrel_rt STATIC{3}{10}
)
target_include_directories(kestrel_rt PUBLIC ${{SRC} ${{SRC}/runtime/include)
target_compile_options(kestrel_rt PRIVATE -O3)
set_target_properties(kestrel_rt PROPERTIES POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
target_link_libraries(kestrel_rt PUBLIC Threads::Threads ${{CMAKE_DL_LIBS})

# The CPU kernels the host side uses for shape computations, built for the
# model's level.
add_library(kestrel_cpu_kernels STATIC{4}
)
target_include_directories(kestrel_cpu_kernels PUBLIC ${{SRC})
target_compile_options(kestrel_cpu_kernels PRIVATE -O3
  -march=${{KESTREL_CPU_LEVEL})
set_target_properties(kestrel_cpu_kernels PROPERTIES
  POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)

add_library({0} SHARED
  {0}.cpp{5}
  ${{SRC}/runtime/cuda/CudaBackend.cpp
  ${{SRC}/runtime/cuda/CublasLtLoader.cpp{6}
)
target_include_directories({0} PRIVATE ${{SRC} ${{SRC}/runtime/include)
target_compile_options({0} PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-O3 ${{KESTREL_CUDA_GENCODE_LIST}>
  $<$<COMPILE_LANGUAGE:CXX>:-march=${{KESTREL_CPU_LEVEL} -fopenmp-simd
                            -fno-math-errno>)
set_target_properties({0} PROPERTIES
  CXX_VISIBILITY_PRESET hidden CUDA_VISIBILITY_PRESET hidden
  LIBRARY_OUTPUT_DIRECTORY ${{CMAKE_CURRENT_SOURCE_DIR})
# The runtime whole and ahead of the model's objects: it exports the C API,
# and the linker keeps its (baseline) copies of shared inline functions, so
# nothing runs before its CPU check that needs more than the baseline.
add_dependencies({0} kestrel_rt)
target_link_options({0} BEFORE PRIVATE
  LINKER:--whole-archive $<TARGET_FILE:kestrel_rt> LINKER:--no-whole-archive)
# cuBLASLt is loaded when a model opens (CublasLtLoader.cpp), not linked.
target_link_libraries({0} PRIVATE kestrel_cpu_kernels kestrel_rt
  CUDA::cudart_static)

add_executable(kestrel-run{7}
)
target_include_directories(kestrel-run PRIVATE ${{SRC} ${{SRC}/runtime/include)
target_link_libraries(kestrel-run PRIVATE kestrel_rt)

# The --dummy weights writer (its ONNX reader needs libonnx; not built here).
add_executable(kestrel-pack{8}
  ${{SRC}/kernels/cpu/Conversions.cpp
)
target_include_directories(kestrel-pack PRIVATE ${{SRC} ${{SRC}/runtime/include)
target_link_libraries(kestrel-pack PRIVATE kestrel_rt)
)",
      name, llvm::join(options.archs, ","), llvm::StringRef(gencode).trim(),
      list("runtime", ".cpp"), cpuKernels, kernelList,
      list("kernels/cuda", ".cu"), list("tools/kestrel-run", ".cpp"),
      packSources, options.cpuLevel, list("kernels/common", ".cpp"));
  return writeFile(outDir + "/CMakeLists.txt", cmake, error);
}

} // namespace kestrel::codegen::cuda

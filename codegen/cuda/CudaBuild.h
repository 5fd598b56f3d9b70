//===- CudaBuild.h - From emitted CUDA model code to a library --*- C++ -*-===//
//
// The CUDA target's build step, after the model emitter
// (codegen/host/ModelEmitter.h with codegen/cuda/CudaTarget.h) has written
// NAME.cpp:
// the per-model kernel sources (tensor-core GEMM instantiations for the
// tile configurations the compiler chose), their compilation with nvcc
// through a content-addressed object cache, the link of libNAME.so against
// the runtime and the precompiled CUDA kernel library, and --emit=source's
// self-contained tree (sources + CMakeLists.txt that build with only nvcc,
// a C++ compiler and CMake).
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_CODEGEN_CUDA_CUDABUILD_H
#define KESTREL_CODEGEN_CUDA_CUDABUILD_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <utility>
#include <vector>

namespace kestrel::codegen::cuda {

/// Architectures kestrelc compiles for ("sm_80", "sm_89", "sm_90a", ...).
constexpr const char *kDefaultArch = "sm_90a";

/// Parses the part of --target after "cuda": "" (the default
/// architecture) or ":sm_80,sm_90a". False with `error` for an unknown or
/// pre-Ampere architecture.
bool parseArchs(llvm::StringRef spec, std::vector<std::string> &archs,
                std::string &error);

/// nvcc's -gencode flags for `archs` (SASS for each).
std::vector<std::string> gencodeFlags(const std::vector<std::string> &archs);

struct BuildOptions {
  std::vector<std::string> archs;
  std::string nvcc; ///< path
  std::string cxx;  ///< path
  /// Object cache directory; empty to disable the cache.
  std::string cacheDir;
  std::string sourceDir;      ///< Kestrel's source tree (headers)
  std::string runtimeArchive; ///< libkestrel_rt.a
  std::string cudaArchive;    ///< libkestrel_cuda.a (the kernels)
  /// The runtime's CUDA side: libkestrel_cuda_rt.a, and over the emulator
  /// libkestrel_cuda_rt_emu.a.
  std::string cudaRuntimeArchive, cudaRuntimeEmuArchive;
  std::string cudaLibDir; ///< the toolkit's libraries (cudart, cuBLASLt)
  /// The host code's x86-64 level (kestrelc --cpu; runtime/CpuLevel.h) and
  /// the CPU kernel library built for it (libkestrel_cpu_kernels-*.a).
  std::string cpuLevel = "x86-64-v3";
  std::string cpuKernelsArchive;
  /// --target=cuda-emu: the kernels are rewritten (`<<<>>>` launches) and
  /// compiled by the C++ compiler against the CUDA emulator
  /// (kernels/cuda/emulation), and the library links the emulated kernel
  /// library instead of the CUDA one: the model runs on the CPU with CUDA's
  /// semantics.
  bool emulate = false;
  std::string python, rewriter, prelude, emuSourceDir, emuArchive;
  std::string cudaInclude; ///< the toolkit's headers (';'-separated)
  /// Extra flags for the library's link (kestrelc's SONAME and export map).
  std::vector<std::string> linkFlags;
};

struct BuildStats {
  int compiled = 0; ///< objects compiled
  int cached = 0;   ///< objects taken from the cache
  double nvccSeconds = 0, cxxSeconds = 0, linkSeconds = 0;
};

/// The default cache directory: $KESTREL_CACHE_DIR, else
/// $XDG_CACHE_HOME/kestrel, else ~/.cache/kestrel.
std::string defaultCacheDir();

/// Writes `kernels` under workDir/kernels/, compiles them and
/// workDir/NAME.cpp (through the cache) into workDir/obj/ and links
/// outDir/libNAME.so: only the library lands in outDir. The library loads
/// cuBLASLt when a model opens (runtime/cuda/CublasLtLoader.cpp) and links
/// the CUDA runtime statically, so it needs nothing of the toolkit to load.
/// Progress goes to stderr; false with `error` naming the failing step (the
/// compiler's own output is printed).
bool buildLibrary(
    const std::string &outDir, const std::string &workDir,
    const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &kernels,
    const BuildOptions &options, BuildStats &stats, std::string &error);

/// --emit=source: writes `kernels` under outDir/kernels/, copies the
/// runtime, kernel-library, kestrel-run and kestrel-pack sources into
/// outDir/kestrel-src/ and writes outDir/CMakeLists.txt, which builds
/// libNAME.so (into outDir, next to NAME.kweights), kestrel-run and
/// kestrel-pack with CMake, nvcc and a C++ compiler only.
bool writeSourceTree(
    const std::string &outDir, const std::string &name,
    const std::vector<std::pair<std::string, std::string>> &kernels,
    const BuildOptions &options, std::string &error);

} // namespace kestrel::codegen::cuda

#endif // KESTREL_CODEGEN_CUDA_CUDABUILD_H

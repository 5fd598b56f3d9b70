//===- CublasLtLoader.h - cuBLASLt, loaded when a model opens ---*- C++ -*-===//
//
// A --target=cuda library does not link libcublasLt: its loader would fail
// before any of Kestrel's code ran on a machine without the toolkit, and a
// RUNPATH into the build machine's toolkit is not relocatable. Instead
// CublasLtLoader.cpp defines the cuBLASLt functions Kestrel calls as
// forwarders to the library loaded here, at the first model open. Without
// it the model still runs: every GEMM takes Kestrel's own kernels (the
// cuBLASLt candidate falls back as it does when cuBLASLt has no algorithm),
// unless $KESTREL_CUBLASLT names a library that does not load, which fails
// the model's open with KESTREL_ERROR_IO.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_CUDA_CUBLASLTLOADER_H
#define KESTREL_RUNTIME_CUDA_CUBLASLTLOADER_H

#include <string>

namespace kestrel::runtime {

/// Loads cuBLASLt once per process (thread-safe): $KESTREL_CUBLASLT when
/// set (a path; nothing else is tried), else libcublasLt.so.<major> through
/// the dynamic loader's search (LD_LIBRARY_PATH, the system's), beside the
/// model library, then in the toolkit Kestrel was built with. False, with
/// `error` naming what was tried and why it failed, when none loads.
bool loadCublasLt(std::string &error);

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_CUDA_CUBLASLTLOADER_H

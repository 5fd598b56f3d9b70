//===- CublasLtLoader.cpp - cuBLASLt, loaded when a model opens -----------===//
//
// The cuBLASLt entry points Kestrel calls (kernels/cuda/Matmul.cu and
// CudaBackend.cpp), defined here as forwarders to the functions dlsym finds
// in the library loadCublasLt opened. Before a successful load, or when a
// symbol is missing, each returns CUBLAS_STATUS_NOT_INITIALIZED, which its
// callers already treat as "no cuBLASLt". Export maps keep these symbols
// local to the model library.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CublasLtLoader.h"

#include <cublasLt.h>

#include <atomic>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <string>
#include <vector>

namespace kestrel::runtime {
namespace {

/// One pointer per function, filled once under `loadOnce`.
struct CublasLtApi {
  decltype(&::cublasLtCreate) create = nullptr;
  decltype(&::cublasLtDestroy) destroy = nullptr;
  decltype(&::cublasLtGetStatusString) statusString = nullptr;
  decltype(&::cublasLtMatmul) matmul = nullptr;
  decltype(&::cublasLtMatmulAlgoGetHeuristic) heuristic = nullptr;
  decltype(&::cublasLtMatmulDescCreate) descCreate = nullptr;
  decltype(&::cublasLtMatmulDescDestroy) descDestroy = nullptr;
  decltype(&::cublasLtMatmulDescSetAttribute) descSet = nullptr;
  decltype(&::cublasLtMatmulPreferenceCreate) prefCreate = nullptr;
  decltype(&::cublasLtMatmulPreferenceDestroy) prefDestroy = nullptr;
  decltype(&::cublasLtMatmulPreferenceSetAttribute) prefSet = nullptr;
  decltype(&::cublasLtMatrixLayoutCreate) layoutCreate = nullptr;
  decltype(&::cublasLtMatrixLayoutDestroy) layoutDestroy = nullptr;
  decltype(&::cublasLtMatrixLayoutSetAttribute) layoutSet = nullptr;
};

CublasLtApi api;
std::once_flag loadOnce;
std::atomic<bool> loaded{false};
std::string loadError;

const std::string kSoname =
    "libcublasLt.so." + std::to_string(CUBLAS_VER_MAJOR);

/// The directory of the library this code is linked into ("" if unknown).
std::string ownDirectory() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&loadCublasLt), &info) ||
      !info.dli_fname)
    return "";
  std::string path = info.dli_fname;
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

template <typename Fn> bool bind(void *library, const char *name, Fn &slot) {
  slot = reinterpret_cast<Fn>(dlsym(library, name));
  return slot != nullptr;
}

void load() {
  std::vector<std::string> candidates;
  const char *override = std::getenv("KESTREL_CUBLASLT");
  if (override && *override) {
    candidates.push_back(override);
  } else {
    candidates.push_back(kSoname);
    std::string own = ownDirectory();
    if (!own.empty())
      candidates.push_back(own + "/" + kSoname);
#ifdef KESTREL_CUDA_LIBRARY_DIR
    candidates.push_back(std::string(KESTREL_CUDA_LIBRARY_DIR) + "/" + kSoname);
#endif
  }
  std::string tried;
  void *library = nullptr;
  for (const std::string &candidate : candidates) {
    library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library)
      break;
    const char *why = dlerror();
    tried += (tried.empty() ? "" : "; ") + std::string(why ? why : candidate);
  }
  if (!library) {
    loadError = "cuBLASLt (" + kSoname +
                ", from the CUDA toolkit or NVIDIA's nvidia-cublas package) "
                "could not be loaded (" +
                tried +
                "); matmuls use Kestrel's own kernels. Put it on "
                "LD_LIBRARY_PATH or beside the model library, or name it "
                "with KESTREL_CUBLASLT=PATH";
    return;
  }
  bool ok =
      bind(library, "cublasLtCreate", api.create) &&
      bind(library, "cublasLtDestroy", api.destroy) &&
      bind(library, "cublasLtGetStatusString", api.statusString) &&
      bind(library, "cublasLtMatmul", api.matmul) &&
      bind(library, "cublasLtMatmulAlgoGetHeuristic", api.heuristic) &&
      bind(library, "cublasLtMatmulDescCreate", api.descCreate) &&
      bind(library, "cublasLtMatmulDescDestroy", api.descDestroy) &&
      bind(library, "cublasLtMatmulDescSetAttribute", api.descSet) &&
      bind(library, "cublasLtMatmulPreferenceCreate", api.prefCreate) &&
      bind(library, "cublasLtMatmulPreferenceDestroy", api.prefDestroy) &&
      bind(library, "cublasLtMatmulPreferenceSetAttribute", api.prefSet) &&
      bind(library, "cublasLtMatrixLayoutCreate", api.layoutCreate) &&
      bind(library, "cublasLtMatrixLayoutDestroy", api.layoutDestroy) &&
      bind(library, "cublasLtMatrixLayoutSetAttribute", api.layoutSet);
  if (!ok) {
    loadError = "the cuBLASLt library found lacks " + std::string(dlerror()) +
                " (an older cuBLASLt than CUDA " +
                std::to_string(CUBLAS_VER_MAJOR) +
                "'s?); matmuls use Kestrel's own kernels";
    api = CublasLtApi();
    dlclose(library);
    return;
  }
  // Kept open for the life of the process: handles may outlive any model.
  loaded.store(true, std::memory_order_release);
}

/// Calls the loaded `member` of `api`, read only after the acquire load of
/// `loaded` that orders it after load()'s writes.
template <typename Fn, typename... Args>
cublasStatus_t forward(Fn CublasLtApi::*member, Args... args) {
  if (!loaded.load(std::memory_order_acquire))
    return CUBLAS_STATUS_NOT_INITIALIZED;
  Fn fn = api.*member;
  return fn ? fn(args...) : CUBLAS_STATUS_NOT_INITIALIZED;
}

} // namespace

bool loadCublasLt(std::string &error) {
  std::call_once(loadOnce, load);
  if (!loaded.load(std::memory_order_acquire)) {
    error = loadError;
    return false;
  }
  return true;
}

} // namespace kestrel::runtime

using kestrel::runtime::api;
using kestrel::runtime::CublasLtApi;
using kestrel::runtime::forward;

extern "C" {

cublasStatus_t cublasLtCreate(cublasLtHandle_t *handle) {
  return forward(&CublasLtApi::create, handle);
}
cublasStatus_t cublasLtDestroy(cublasLtHandle_t handle) {
  return forward(&CublasLtApi::destroy, handle);
}
const char *cublasLtGetStatusString(cublasStatus_t status) {
  if (!kestrel::runtime::loaded.load(std::memory_order_acquire) ||
      !api.statusString)
    return "cuBLASLt is not loaded";
  return api.statusString(status);
}
cublasStatus_t
cublasLtMatmul(cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
               const void *alpha, const void *a, cublasLtMatrixLayout_t aDesc,
               const void *b, cublasLtMatrixLayout_t bDesc, const void *beta,
               const void *c, cublasLtMatrixLayout_t cDesc, void *d,
               cublasLtMatrixLayout_t dDesc, const cublasLtMatmulAlgo_t *algo,
               void *workspace, size_t workspaceBytes, cudaStream_t stream) {
  return forward(&CublasLtApi::matmul, handle, desc, alpha, a, aDesc, b, bDesc,
                 beta, c, cDesc, d, dDesc, algo, workspace, workspaceBytes,
                 stream);
}
cublasStatus_t cublasLtMatmulAlgoGetHeuristic(
    cublasLtHandle_t handle, cublasLtMatmulDesc_t desc,
    cublasLtMatrixLayout_t aDesc, cublasLtMatrixLayout_t bDesc,
    cublasLtMatrixLayout_t cDesc, cublasLtMatrixLayout_t dDesc,
    cublasLtMatmulPreference_t preference, int requested,
    cublasLtMatmulHeuristicResult_t results[], int *returned) {
  return forward(&CublasLtApi::heuristic, handle, desc, aDesc, bDesc, cDesc,
                 dDesc, preference, requested, results, returned);
}
cublasStatus_t cublasLtMatmulDescCreate(cublasLtMatmulDesc_t *desc,
                                        cublasComputeType_t computeType,
                                        cudaDataType_t scaleType) {
  return forward(&CublasLtApi::descCreate, desc, computeType, scaleType);
}
cublasStatus_t cublasLtMatmulDescDestroy(cublasLtMatmulDesc_t desc) {
  return forward(&CublasLtApi::descDestroy, desc);
}
cublasStatus_t
cublasLtMatmulDescSetAttribute(cublasLtMatmulDesc_t desc,
                               cublasLtMatmulDescAttributes_t attr,
                               const void *buf, size_t bytes) {
  return forward(&CublasLtApi::descSet, desc, attr, buf, bytes);
}
cublasStatus_t cublasLtMatmulPreferenceCreate(cublasLtMatmulPreference_t *p) {
  return forward(&CublasLtApi::prefCreate, p);
}
cublasStatus_t cublasLtMatmulPreferenceDestroy(cublasLtMatmulPreference_t p) {
  return forward(&CublasLtApi::prefDestroy, p);
}
cublasStatus_t
cublasLtMatmulPreferenceSetAttribute(cublasLtMatmulPreference_t p,
                                     cublasLtMatmulPreferenceAttributes_t attr,
                                     const void *buf, size_t bytes) {
  return forward(&CublasLtApi::prefSet, p, attr, buf, bytes);
}
cublasStatus_t cublasLtMatrixLayoutCreate(cublasLtMatrixLayout_t *layout,
                                          cudaDataType type, uint64_t rows,
                                          uint64_t cols, int64_t ld) {
  return forward(&CublasLtApi::layoutCreate, layout, type, rows, cols, ld);
}
cublasStatus_t cublasLtMatrixLayoutDestroy(cublasLtMatrixLayout_t layout) {
  return forward(&CublasLtApi::layoutDestroy, layout);
}
cublasStatus_t
cublasLtMatrixLayoutSetAttribute(cublasLtMatrixLayout_t layout,
                                 cublasLtMatrixLayoutAttribute_t attr,
                                 const void *buf, size_t bytes) {
  return forward(&CublasLtApi::layoutSet, layout, attr, buf, bytes);
}

} // extern "C"

//===- CublasLtLoadCheck.cpp - runtime/cuda's cuBLASLt loader, no GPU -----===//
//
// kestrel-cublaslt-load-check loads|fails
//
// Loads cuBLASLt the way a --target=cuda library does when a model opens
// (KESTREL_CUBLASLT, the loader's search, beside the library, the build's
// toolkit) and checks the outcome: "loads" expects the library and every
// entry point Kestrel calls; "fails" expects a clear message naming the
// library, and the forwarders to report CUBLAS_STATUS_NOT_INITIALIZED
// rather than crash. Needs no GPU or driver.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CublasLtLoader.h"

#include <cublasLt.h>

#include <cstdio>
#include <cstring>
#include <string>

int main(int argc, char **argv) {
  if (argc != 2 ||
      (std::strcmp(argv[1], "loads") && std::strcmp(argv[1], "fails"))) {
    std::fprintf(stderr, "usage: %s loads|fails\n", argv[0]);
    return 2;
  }
  bool expectLoad = std::strcmp(argv[1], "loads") == 0;
  std::string error;
  bool loaded = kestrel::runtime::loadCublasLt(error);
  std::printf("loadCublasLt: %s%s\n",
              loaded ? "loaded" : "failed: ", error.c_str());
  if (loaded != expectLoad)
    return 1;
  if (!loaded) {
    cublasLtHandle_t handle = nullptr;
    if (cublasLtCreate(&handle) != CUBLAS_STATUS_NOT_INITIALIZED) {
      std::printf("cublasLtCreate did not report NOT_INITIALIZED\n");
      return 1;
    }
    if (error.find("libcublasLt.so.") == std::string::npos ||
        error.find("KESTREL_CUBLASLT") == std::string::npos) {
      std::printf("the message names neither the library nor the fix\n");
      return 1;
    }
    return 0;
  }
  // Loaded: the status strings come from the real library, not from the
  // forwarder's "not loaded" fallback.
  const char *text = cublasLtGetStatusString(CUBLAS_STATUS_SUCCESS);
  std::printf("cublasLtGetStatusString(SUCCESS) = %s\n",
              text ? text : "(null)");
  return text && *text && !std::strstr(text, "not loaded") ? 0 : 1;
}

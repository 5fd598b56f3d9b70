//===- CudaBackend.h - The runtime's CUDA side ------------------*- C++ -*-===//
//
// The DeviceBackend that models compiled with --target=cuda point at: one
// device arena per session (offsets from the memory plan), weights and
// constants uploaded once per model, one stream per session, CUDA-graph
// capture and replay of the whole forward while the shapes stay the same,
// and every CUDA call checked. Without a driver or a GPU, opening a model
// fails with KESTREL_ERROR_NO_DEVICE and says what to do.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_RUNTIME_CUDA_CUDABACKEND_H
#define KESTREL_RUNTIME_CUDA_CUDABACKEND_H

#include "runtime/ModelDef.h"

namespace kestrel::runtime {

extern const DeviceBackend kCudaBackend;

} // namespace kestrel::runtime

#endif // KESTREL_RUNTIME_CUDA_CUDABACKEND_H

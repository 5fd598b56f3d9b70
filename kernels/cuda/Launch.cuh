//===- Launch.cuh - The one way kernels are launched ------------*- CUDA
//-*-===//
//
// Every kernel launch in the library, in generated kernels and in tests
// goes through KESTREL_LAUNCH:
//
//   KESTREL_LAUNCH(grid, block, sharedBytes, stream, kernel<T>)(args...);
//
// Under nvcc it is `kernel<T><<<grid, block, sharedBytes, stream>>>(args)`.
// Built for the CUDA emulator (KESTREL_CUDA_EMULATOR, see
// kernels/cuda/emulation) it runs the grid on the host through
// kestrel::emu::launchKernel, with the same argument copies a launch makes.
// The kernel comes last so that template arguments with commas need no
// parentheses.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_LAUNCH_CUH
#define KESTREL_KERNELS_CUDA_LAUNCH_CUH

#if defined(KESTREL_CUDA_EMULATOR)

#include "kernels/cuda/emulation/Emulator.h"

#include <utility>

namespace kestrel::emu {

/// A configured launch of one kernel, waiting for its arguments.
template <typename... Params> struct PendingLaunch {
  const char *name;
  void (*kernel)(Params...);
  LaunchConfig config;
  template <typename... Args> void operator()(Args &&...args) const {
    launchKernel(name, kernel, config, std::forward<Args>(args)...);
  }
};

template <typename... Params>
PendingLaunch<Params...> launch(const char *name, void (*kernel)(Params...),
                                const LaunchConfig &config) {
  return {name, kernel, config};
}

} // namespace kestrel::emu

#define KESTREL_LAUNCH(grid, block, sharedBytes, stream, ...)                  \
  ::kestrel::emu::launch(                                                      \
      #__VA_ARGS__, __VA_ARGS__,                                               \
      ::kestrel::emu::LaunchConfig((grid), (block), (sharedBytes), (stream)))

#else

#define KESTREL_LAUNCH(grid, block, sharedBytes, stream, ...)                  \
  __VA_ARGS__<<<(grid), (block), (sharedBytes), (stream)>>>

#endif

#endif // KESTREL_KERNELS_CUDA_LAUNCH_CUH

//===- Emulator.h - CUDA execution model on the host ------------*- C++ -*-===//
//
// The runtime of the CUDA emulator (issue 7): a launch runs the grid's
// blocks one after another on the calling thread, each block's threads as
// cooperative fibers switched only at barriers, so a run is deterministic
// and the order in which threads reach a barrier is a choice of the
// scheduler (Schedule). Warp collectives (shuffles, votes, ldmatrix, mma)
// are a barrier of the warp's participating lanes around an exchange of
// per-lane slots, so all 32 lanes exchange at the same point, as on the
// GPU.
//
// Kernel sources do not include this header directly: CudaEmulation.h (the
// prelude force-included into every emulated translation unit) maps the
// CUDA built-ins onto it, KESTREL_LAUNCH (kernels/cuda/Launch.cuh)
// launches through launchKernel, and rewrite_shared.py turns static
// __shared__ arrays into SharedArrays whose accesses the checker sees.
//
// Checking mode (setChecking, or KESTREL_EMU_CHECK=1) records diagnostics
// for: threads that exit before a __syncthreads the others reach
// (divergent barrier), a warp collective whose mask names an exited lane,
// misaligned ldmatrix/cp.async addresses, out-of-bounds accesses to
// global memory (guard pages around every allocation, DeviceMemory.h), and
// shared-memory races -- a read or write after another thread's write, or
// a write after another thread's read, with no barrier ordering the two --
// on the accesses it sees: cp.async writes, ldmatrix reads, and loads and
// stores of static __shared__ arrays (SharedArray). Plain accesses through
// a pointer into dynamic shared memory (extern __shared__; the GEMM
// reaches it only by cp.async and ldmatrix) or through a raw pointer taken
// from a static array are not seen; tests also run kernels under several
// schedules (KESTREL_EMU_SCHEDULE=reverse|warps), and dynamic shared
// memory starts as NaN bytes.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_EMULATION_EMULATOR_H
#define KESTREL_KERNELS_CUDA_EMULATION_EMULATOR_H

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace kestrel::emu {

/// The order in which runnable threads of a block are resumed between
/// barriers. A kernel whose result depends on it has a race: tests run
/// kernels under more than one schedule.
enum class Schedule {
  Forward, ///< thread 0 first
  Reverse, ///< the last thread first
  Warps,   ///< warps in reverse order, lanes in order inside a warp
};

void setSchedule(Schedule schedule);
Schedule schedule();
void setChecking(bool on);
bool checking();

/// Diagnostics recorded in checking mode since the last clear (each once
/// per kernel launch and kind, with the first offending thread).
const std::vector<std::string> &diagnostics();
void clearDiagnostics();
/// The diagnostics recorded since the previous call (or the last clear):
/// the emulated runtime's synchronizing calls return them as their error,
/// as a GPU reports a kernel's fault at the next synchronization.
std::vector<std::string> unsyncedDiagnostics();
/// Records `kind: detail (where)`; while a kernel runs, once per launch and
/// kind.
void recordDiagnostic(const std::string &kind, const std::string &detail,
                      const std::string &where);
/// Where the running code is, for a diagnostic ("kernel K, block (x,y,z),
/// thread (x,y,z)", or "host code: NAME" inside a HostActivity), written
/// into `buf` with snprintf (usable in the fault handler).
void describeRunningCode(char *buf, size_t size);

/// Host code that touches emulated device memory (the cuBLASLt reference
/// GEMM) for the scope: diagnostics name it, and its out-of-bounds faults
/// are reported when the scope ends.
class HostActivity {
public:
  explicit HostActivity(const char *name);
  ~HostActivity();
  HostActivity(const HostActivity &) = delete;
  HostActivity &operator=(const HostActivity &) = delete;

private:
  const char *previous;
};
/// Kernel launches and fiber switches since the process started.
long long launchCount();
long long switchCount();

struct LaunchConfig {
  dim3 grid, block;
  size_t sharedBytes;
  cudaStream_t stream;
  LaunchConfig(dim3 grid, dim3 block, size_t sharedBytes = 0,
               cudaStream_t stream = nullptr)
      : grid(grid), block(block), sharedBytes(sharedBytes), stream(stream) {}
};

/// Runs `body` once per thread of every block of the launch (the body is
/// the kernel call with its argument copies).
void runGrid(const LaunchConfig &config, void (*body)(void *), void *state,
             const char *kernelName);

/// The kernel expression of the last launch (as written at the launch,
/// e.g. "flashAttentionMma<T, kD>"), for tests that check which kernel a
/// launcher chose; empty before the first launch.
const std::string &lastKernelName();

/// The `<<<>>>` replacement: copies the arguments once, as the launch
/// does, and runs the kernel over the grid; each thread gets its own copy
/// of the parameters.
template <typename... Params, typename... Args>
void launchKernel(const char *name, void (*kernel)(Params...),
                  const LaunchConfig &config, Args &&...args) {
  struct State {
    void (*kernel)(Params...);
    std::tuple<std::decay_t<Params>...> params;
  } state{kernel,
          std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
  runGrid(
      config,
      [](void *p) {
        State &s = *static_cast<State *>(p);
        auto copy = s.params;
        std::apply(s.kernel, copy);
      },
      &state, name);
}

//===----------------------------------------------------------------------===//
// What the built-ins read and call (through CudaEmulation.h)
//===----------------------------------------------------------------------===//

struct ThreadCoords {
  uint3 threadIdx, blockIdx;
  dim3 blockDim, gridDim;
};
/// The running thread's coordinates.
const ThreadCoords &coords();
/// This block's dynamic shared memory (extern __shared__ arrays).
void *dynamicShared();

void syncthreads();
void syncwarp(unsigned mask);
/// Exchanges `bytes` (<= 64) of every participating lane; returns the slot
/// table of the warp (32 slots of 64 bytes), valid until the lane's next
/// collective.
const unsigned char *warpExchange(unsigned mask, const void *value,
                                  size_t bytes);
int laneId();
/// Lanes of the running thread's warp that have not exited.
unsigned liveLanes();
[[noreturn]] void trap(const char *why);

template <typename T>
T shuffle(unsigned mask, T v, int srcOf(int, int, int), int arg, int width) {
  static_assert(sizeof(T) <= 64, "shuffled values are at most 64 bytes");
  const unsigned char *slots = warpExchange(mask, &v, sizeof(T));
  int src = srcOf(laneId(), arg, width);
  T result;
  std::memcpy(&result, slots + 64 * src, sizeof(T));
  return result;
}
int shflIdxSource(int lane, int src, int width);
int shflXorSource(int lane, int laneMask, int width);
int shflDownSource(int lane, int delta, int width);
int shflUpSource(int lane, int delta, int width);
unsigned ballot(unsigned mask, int predicate);

// The portable layer of Mma.cuh (see there for the fragment layouts).
void mmaM16N8K16(bool bf16, float d[4], const uint32_t a[4],
                 const uint32_t b[2], const float c[4]);
void mmaM16N8K32E4M3(float d[4], const uint32_t a[4], const uint32_t b[2],
                     const float c[4]);
void ldmatrixX4(uint32_t r[4], const void *rowAddress, bool trans);
void cpAsync16(void *smem, const void *gmem, int bytesValid);

/// Race-checked shared-memory accesses (no-ops for the checker outside
/// checking mode).
void noteSharedRead(const void *p, size_t bytes);
void noteSharedWrite(const void *p, size_t bytes);

/// One element of a static `__shared__` array in an emulated kernel: reads
/// and writes go to the race checker (the build rewrites `__shared__ T
/// name[N]...;` into a SharedArray, see rewrite_shared.py).
///
/// A template that deduces its parameter type from such an element gets
/// the proxy type, not T: kernels name the type at such calls
/// (`before<K>(key[a], ...)`), as a type trait on the proxy would differ.
template <typename T> class SharedRef {
public:
  explicit SharedRef(T *p) : p(p) {}
  SharedRef(const SharedRef &) = default;
  operator T() const {
    noteSharedRead(p, sizeof(T));
    return *p;
  }
  const SharedRef &operator=(const T &v) const {
    noteSharedWrite(p, sizeof(T));
    *p = v;
    return *this;
  }
  const SharedRef &operator=(const SharedRef &other) const {
    return *this = T(other);
  }
  template <typename U> const SharedRef &operator+=(const U &u) const {
    return *this = T(T(*this) + u);
  }
  template <typename U> const SharedRef &operator-=(const U &u) const {
    return *this = T(T(*this) - u);
  }
  template <typename U> const SharedRef &operator*=(const U &u) const {
    return *this = T(T(*this) * u);
  }
  /// The address: untracked from here (cp.async and ldmatrix note their
  /// own accesses).
  T *operator&() const { return p; }

private:
  T *p;
};

/// A (sub-)array of a static shared array: indexing ends in a SharedRef;
/// it converts to a plain pointer where code does pointer arithmetic.
template <typename A> class SharedView {
  using Elem = std::remove_extent_t<A>;

public:
  explicit SharedView(Elem *p) : p(p) {}
  auto operator[](size_t i) const {
    if constexpr (std::is_array_v<Elem>)
      return SharedView<Elem>(p[i]);
    else
      return SharedRef<Elem>(p + i);
  }
  operator Elem *() const { return p; }

private:
  Elem *p;
};

/// The storage of a static `__shared__` array of type A (e.g. float[8][33])
/// in an emulated kernel (a function-local static: blocks run one at a
/// time, and the checker's history is per block).
template <typename A, size_t Align = 16> struct SharedArray {
  using Elem = std::remove_extent_t<A>;
  alignas(Align) A data;
  auto operator[](size_t i) { return SharedView<A>(data)[i]; }
  operator Elem *() { return data; }
};

} // namespace kestrel::emu

#endif // KESTREL_KERNELS_CUDA_EMULATION_EMULATOR_H

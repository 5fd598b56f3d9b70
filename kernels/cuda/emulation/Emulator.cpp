//===- Emulator.cpp - CUDA execution model on the host --------------------===//
//
// Blocks run one after another; a block's threads are ucontext fibers that
// the scheduler resumes in the order of the current Schedule until each
// waits at a barrier or exits. A barrier completes when its last expected
// participant arrives; that thread goes on, the others become runnable.
// The race checker's shadow of shared memory lives in 4 KiB pages kept
// across blocks; an entry counts only for the block that wrote it (its
// serial number), so nothing is cleared between blocks.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/emulation/Emulator.h"

#include "kernels/cuda/emulation/DeviceMemory.h"

#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_map>

namespace kestrel::emu {
namespace {

constexpr int kSlotBytes = 64;
constexpr size_t kStackBytes = 256 * 1024;

enum class FiberState { Runnable, Waiting, Done };

struct Fiber {
  ucontext_t context;
  ThreadCoords coords;
  int tid = 0;
  FiberState state = FiberState::Runnable;
  unsigned collectives = 0; ///< warp exchanges so far (slot parity)
};

struct Barrier {
  int arrived = 0;
  unsigned mask = 0; ///< warp barriers: the participating lanes
  std::vector<int> waiters;
};

/// An access to a byte of shared memory, for the race check: by thread
/// `tid` of block `block` (a serial number, 0 for none) between the
/// barriers that the epochs count.
struct Access {
  int tid = -1;
  unsigned block = 0, blockEpoch = 0, warpEpoch = 0;
};
/// The last write and the last read of one byte.
struct ByteHistory {
  Access write, read;
};

/// The shadow of shared memory: ByteHistory per byte, in pages allocated
/// on first touch and reused by every later block.
class Shadow {
public:
  static constexpr int kPageBits = 12;
  ByteHistory &at(uintptr_t address) {
    const uintptr_t key = address >> kPageBits;
    if (key != lastKey) {
      std::unique_ptr<Page> &page = pages[key];
      if (!page)
        page = std::make_unique<Page>();
      lastKey = key;
      last = page.get();
    }
    return last->bytes[address & ((uintptr_t(1) << kPageBits) - 1)];
  }

private:
  struct Page {
    ByteHistory bytes[size_t(1) << kPageBits];
  };
  std::unordered_map<uintptr_t, std::unique_ptr<Page>> pages;
  uintptr_t lastKey = ~uintptr_t(0);
  Page *last = nullptr;
};

struct Block {
  const LaunchConfig *config = nullptr;
  const char *kernelName = "";
  int threads = 0, warps = 0, live = 0;
  std::vector<Fiber> fibers;
  Barrier blockBarrier;
  std::vector<Barrier> warpBarriers;
  std::vector<unsigned> liveLanes;
  std::vector<unsigned> warpEpochs;
  unsigned blockEpoch = 0;
  unsigned serial = 0;              ///< this block's number, for the shadow
  std::vector<unsigned char> slots; ///< [warp][parity][lane][kSlotBytes]
};

struct Emulator {
  Schedule schedule = Schedule::Forward;
  bool checking = false;
  std::vector<std::string> diagnostics;
  size_t synced = 0; ///< diagnostics already returned by unsyncedDiagnostics
  std::vector<std::string> reportedThisLaunch;
  Shadow shadow;
  unsigned blockSerial = 0;
  const char *hostActivity = nullptr;
  long long launches = 0, switches = 0;
  std::vector<std::unique_ptr<char[]>> stacks;
  std::vector<unsigned char> dynamicShared;
  ucontext_t scheduler;
  Block *block = nullptr;
  Fiber *fiber = nullptr;
  void (*body)(void *) = nullptr;
  void *bodyState = nullptr;

  Emulator() {
    if (const char *s = std::getenv("KESTREL_EMU_SCHEDULE")) {
      std::string v = s;
      schedule = v == "reverse" ? Schedule::Reverse
                 : v == "warps" ? Schedule::Warps
                                : Schedule::Forward;
    }
    if (const char *c = std::getenv("KESTREL_EMU_CHECK"))
      checking = c[0] == '1';
  }
};

Emulator &emulator() {
  static Emulator e;
  return e;
}

/// Records a diagnostic about the running thread, once per launch and kind.
void report(const std::string &kind, const std::string &detail) {
  char where[192];
  describeRunningCode(where, sizeof(where));
  recordDiagnostic(kind, detail, where);
}

/// Back to the scheduler until this fiber is runnable again.
void yieldToScheduler() {
  Emulator &e = emulator();
  ++e.switches;
  swapcontext(&e.fiber->context, &e.scheduler);
}

void release(Barrier &b) {
  Block &blk = *emulator().block;
  for (int t : b.waiters)
    blk.fibers[t].state = FiberState::Runnable;
  b.waiters.clear();
  b.arrived = 0;
  b.mask = 0;
}

int warpOf(int tid) { return tid / 32; }

/// Completes the warp barrier of `warp` if every expected lane is there.
bool tryReleaseWarp(int warp) {
  Block &blk = *emulator().block;
  Barrier &b = blk.warpBarriers[warp];
  if (b.arrived == 0 ||
      b.arrived < __builtin_popcount(b.mask & blk.liveLanes[warp]))
    return false;
  release(b);
  ++blk.warpEpochs[warp];
  return true;
}

bool tryReleaseBlock() {
  Block &blk = *emulator().block;
  Barrier &b = blk.blockBarrier;
  if (b.arrived == 0 || b.arrived < blk.live)
    return false;
  if (emulator().checking && blk.live < blk.threads)
    report("divergent __syncthreads",
           "threads of the block exited before a __syncthreads the others "
           "reach");
  release(b);
  ++blk.blockEpoch;
  return true;
}

void waitHere(Barrier &b) {
  Emulator &e = emulator();
  b.waiters.push_back(e.fiber->tid);
  e.fiber->state = FiberState::Waiting;
  yieldToScheduler();
}

void fiberMain() {
  Emulator &e = emulator();
  e.body(e.bodyState);
  Block &blk = *e.block;
  Fiber &f = *e.fiber;
  f.state = FiberState::Done;
  --blk.live;
  const int w = warpOf(f.tid);
  blk.liveLanes[w] &= ~(1u << (f.tid % 32));
  if (e.checking && blk.blockBarrier.arrived > 0)
    report("divergent __syncthreads",
           "a thread exited while others wait at __syncthreads");
  if (e.checking && blk.warpBarriers[w].arrived > 0 &&
      (blk.warpBarriers[w].mask >> (f.tid % 32) & 1u))
    report("divergent warp collective",
           "a lane named in the mask exited while others wait for it");
  tryReleaseBlock();
  tryReleaseWarp(w);
  // Returning resumes uc_link, the scheduler.
}

void runBlock(Block &blk) {
  Emulator &e = emulator();
  const int n = blk.threads;
  while (e.stacks.size() < size_t(n))
    e.stacks.emplace_back(new char[kStackBytes]);
  std::vector<int> order;
  if (e.schedule == Schedule::Warps) {
    for (int w = blk.warps - 1; w >= 0; --w)
      for (int t = 32 * w; t < std::min(n, 32 * w + 32); ++t)
        order.push_back(t);
  } else {
    for (int t = 0; t < n; ++t)
      order.push_back(t);
    if (e.schedule == Schedule::Reverse)
      std::reverse(order.begin(), order.end());
  }

  for (int t = 0; t < n; ++t) {
    Fiber &f = blk.fibers[t];
    getcontext(&f.context);
    f.context.uc_stack.ss_sp = e.stacks[t].get();
    f.context.uc_stack.ss_size = kStackBytes;
    f.context.uc_link = &e.scheduler;
    makecontext(&f.context, fiberMain, 0);
  }
  int done = 0;
  while (done < n) {
    bool progressed = false;
    for (int t : order) {
      Fiber &f = blk.fibers[t];
      if (f.state != FiberState::Runnable)
        continue;
      e.fiber = &f;
      ++e.switches;
      swapcontext(&e.scheduler, &f.context);
      progressed = true;
      if (f.state == FiberState::Done)
        ++done;
    }
    if (!progressed) {
      e.fiber = &blk.fibers[blk.blockBarrier.waiters.empty()
                                ? 0
                                : blk.blockBarrier.waiters.front()];
      std::fprintf(stderr,
                   "kestrel emulator: deadlock in kernel %s: threads wait at "
                   "barriers that cannot complete\n",
                   blk.kernelName);
      std::abort();
    }
  }
}

} // namespace

void setSchedule(Schedule s) { emulator().schedule = s; }
Schedule schedule() { return emulator().schedule; }
void setChecking(bool on) { emulator().checking = on; }
bool checking() { return emulator().checking; }
const std::vector<std::string> &diagnostics() { return emulator().diagnostics; }
void clearDiagnostics() {
  emulator().diagnostics.clear();
  emulator().synced = 0;
}
long long launchCount() { return emulator().launches; }
long long switchCount() { return emulator().switches; }

std::vector<std::string> unsyncedDiagnostics() {
  Emulator &e = emulator();
  std::vector<std::string> fresh(e.diagnostics.begin() + long(e.synced),
                                 e.diagnostics.end());
  e.synced = e.diagnostics.size();
  return fresh;
}

void recordDiagnostic(const std::string &kind, const std::string &detail,
                      const std::string &where) {
  Emulator &e = emulator();
  if (e.block) {
    if (std::find(e.reportedThisLaunch.begin(), e.reportedThisLaunch.end(),
                  kind) != e.reportedThisLaunch.end())
      return;
    e.reportedThisLaunch.push_back(kind);
  }
  e.diagnostics.push_back(kind + ": " + detail + " (" + where + ")");
}

void describeRunningCode(char *buf, size_t size) {
  Emulator &e = emulator();
  if (e.block && e.fiber) {
    const ThreadCoords &c = e.fiber->coords;
    std::snprintf(buf, size, "kernel %s, block (%u,%u,%u), thread (%u,%u,%u)",
                  e.block->kernelName, c.blockIdx.x, c.blockIdx.y, c.blockIdx.z,
                  c.threadIdx.x, c.threadIdx.y, c.threadIdx.z);
  } else if (e.hostActivity) {
    std::snprintf(buf, size, "host code: %s", e.hostActivity);
  } else {
    std::snprintf(buf, size, "host code");
  }
}

HostActivity::HostActivity(const char *name)
    : previous(emulator().hostActivity) {
  emulator().hostActivity = name;
}

HostActivity::~HostActivity() {
  settleFaults();
  emulator().hostActivity = previous;
}

static std::string &lastKernel() {
  static std::string name;
  return name;
}

const std::string &lastKernelName() { return lastKernel(); }

void runGrid(const LaunchConfig &config, void (*body)(void *), void *state,
             const char *kernelName) {
  Emulator &e = emulator();
  lastKernel() = kernelName;
  if (e.block) {
    std::fprintf(stderr, "kestrel emulator: kernel %s launched from a kernel\n",
                 kernelName);
    std::abort();
  }
  const dim3 g = config.grid, b = config.block;
  const long long threads = (long long)b.x * b.y * b.z;
  if (threads < 1 || threads > 1024 || b.z > 64 || g.x == 0 || g.y == 0 ||
      g.z == 0 || g.y > 65535 || g.z > 65535 ||
      config.sharedBytes > 227 * 1024) {
    std::fprintf(stderr,
                 "kestrel emulator: invalid launch of %s: grid (%u,%u,%u), "
                 "block (%u,%u,%u), %zu bytes of shared memory\n",
                 kernelName, g.x, g.y, g.z, b.x, b.y, b.z, config.sharedBytes);
    std::abort();
  }
  ++e.launches;
  e.reportedThisLaunch.clear();
  if (e.checking)
    armFaultHandler();
  e.body = body;
  e.bodyState = state;
  e.dynamicShared.assign(config.sharedBytes + 128, 0);
  const int n = int(threads), warps = (n + 31) / 32;

  for (unsigned bz = 0; bz < g.z; ++bz)
    for (unsigned by = 0; by < g.y; ++by)
      for (unsigned bx = 0; bx < g.x; ++bx) {
        Block blk;
        blk.config = &config;
        blk.kernelName = kernelName;
        blk.threads = blk.live = n;
        blk.warps = warps;
        blk.serial = ++e.blockSerial;
        blk.fibers.resize(n);
        blk.warpBarriers.resize(warps);
        blk.warpEpochs.assign(warps, 0);
        blk.slots.assign(size_t(warps) * 2 * 32 * kSlotBytes, 0);
        for (int w = 0; w < warps; ++w) {
          int lanes = std::min(32, n - 32 * w);
          blk.liveLanes.push_back(lanes == 32 ? ~0u : (1u << lanes) - 1);
        }
        for (int t = 0; t < n; ++t) {
          Fiber &f = blk.fibers[t];
          f.tid = t;
          f.coords.threadIdx = uint3{unsigned(t) % b.x, unsigned(t) / b.x % b.y,
                                     unsigned(t) / (b.x * b.y)};
          f.coords.blockIdx = uint3{bx, by, bz};
          f.coords.blockDim = b;
          f.coords.gridDim = g;
        }
        // Uninitialized shared memory reads as NaN in every float type.
        std::fill(e.dynamicShared.begin(), e.dynamicShared.end(), 0xff);
        e.block = &blk;
        runBlock(blk);
        // Faults are reported while the launch's kinds are still known.
        if (bx + 1 == g.x && by + 1 == g.y && bz + 1 == g.z)
          settleFaults();
        e.block = nullptr;
        e.fiber = nullptr;
      }
}

const ThreadCoords &coords() { return emulator().fiber->coords; }

void *dynamicShared() {
  uintptr_t p = reinterpret_cast<uintptr_t>(emulator().dynamicShared.data());
  return reinterpret_cast<void *>((p + 127) & ~uintptr_t(127));
}

void syncthreads() {
  Emulator &e = emulator();
  Block &blk = *e.block;
  ++blk.blockBarrier.arrived;
  if (tryReleaseBlock())
    return;
  waitHere(blk.blockBarrier);
}

int laneId() { return emulator().fiber->tid % 32; }

unsigned liveLanes() {
  Emulator &e = emulator();
  return e.block->liveLanes[warpOf(e.fiber->tid)];
}

/// Arrives at the warp barrier with `mask` and waits for the other lanes.
static void warpArrive(unsigned mask) {
  Emulator &e = emulator();
  Block &blk = *e.block;
  const int w = warpOf(e.fiber->tid), lane = e.fiber->tid % 32;
  Barrier &b = blk.warpBarriers[w];
  if (e.checking) {
    if (!(mask >> lane & 1u))
      report("warp collective mask", "the calling lane is not in the mask");
    if (mask & ~blk.liveLanes[w])
      report("warp collective mask",
             "the mask names lanes that have exited or do not exist");
    if (b.arrived > 0 && b.mask != mask)
      report("warp collective mask", "lanes disagree on the mask");
  }
  b.mask |= mask;
  ++b.arrived;
  if (tryReleaseWarp(w))
    return;
  waitHere(b);
}

void syncwarp(unsigned mask) { warpArrive(mask); }

const unsigned char *warpExchange(unsigned mask, const void *value,
                                  size_t bytes) {
  Emulator &e = emulator();
  Block &blk = *e.block;
  Fiber &f = *e.fiber;
  const int w = warpOf(f.tid), lane = f.tid % 32;
  unsigned char *slots =
      blk.slots.data() +
      (size_t(w) * 2 + (f.collectives++ & 1u)) * 32 * kSlotBytes;
  std::memcpy(slots + lane * kSlotBytes, value, bytes);
  warpArrive(mask);
  return slots;
}

[[noreturn]] void trap(const char *why) {
  std::fprintf(stderr, "kestrel emulator: %s\n", why);
  std::abort();
}

// Source lanes as PTX shfl.sync computes them from the c operand that
// __shfl*_sync pass: ((32 - width) << 8) | clamp.
static int segmentMask(int width) { return (32 - width) & 31; }
int shflIdxSource(int lane, int src, int width) {
  int seg = segmentMask(width), minLane = lane & seg,
      maxLane = minLane | (31 & ~seg);
  int j = minLane | (src & ~seg);
  return j > maxLane ? lane : j;
}
int shflXorSource(int lane, int laneMask, int width) {
  int seg = segmentMask(width), maxLane = (lane & seg) | (31 & ~seg);
  int j = lane ^ laneMask;
  return j > maxLane ? lane : j;
}
int shflDownSource(int lane, int delta, int width) {
  int seg = segmentMask(width), maxLane = (lane & seg) | (31 & ~seg);
  int j = lane + delta;
  return j > maxLane ? lane : j;
}
int shflUpSource(int lane, int delta, int width) {
  int seg = segmentMask(width), minLane = lane & seg;
  int j = lane - delta;
  return j < minLane ? lane : j;
}

unsigned ballot(unsigned mask, int predicate) {
  int p = predicate != 0;
  const unsigned char *slots = warpExchange(mask, &p, sizeof(p));
  unsigned live = liveLanes(), result = 0;
  for (int l = 0; l < 32; ++l) {
    int v;
    std::memcpy(&v, slots + l * kSlotBytes, sizeof(v));
    if ((mask & live) >> l & 1u && v)
      result |= 1u << l;
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Race checker
//===----------------------------------------------------------------------===//

/// Whether an earlier access by another thread is ordered before the
/// running thread's access: a block barrier, or a warp collective of the
/// same warp, completed since.
static bool ordered(const Access &a) {
  Emulator &e = emulator();
  Block &blk = *e.block;
  const int tid = e.fiber->tid;
  if (a.tid < 0 || a.block != blk.serial || a.tid == tid ||
      blk.blockEpoch != a.blockEpoch)
    return true;
  return warpOf(a.tid) == warpOf(tid) &&
         blk.warpEpochs[warpOf(tid)] != a.warpEpoch;
}

static Access now() {
  Emulator &e = emulator();
  Block &blk = *e.block;
  const int tid = e.fiber->tid;
  return Access{tid, blk.serial, blk.blockEpoch, blk.warpEpochs[warpOf(tid)]};
}

static std::string describe(const char *what, const Access &other,
                            const void *p) {
  char text[160];
  std::snprintf(text, sizeof(text),
                "%s of shared address %p last written or read by thread %d "
                "with no barrier between",
                what, p, other.tid);
  return text;
}

// Histories are kept per byte (threads may write neighbouring 1- or 2-byte
// elements of one word without a race); an access reports at most once.
void noteSharedRead(const void *p, size_t bytes) {
  Emulator &e = emulator();
  if (!e.checking || !e.block)
    return;
  uintptr_t first = reinterpret_cast<uintptr_t>(p);
  bool reported = false;
  for (uintptr_t b = first; b < first + bytes; ++b) {
    ByteHistory &h = e.shadow.at(b);
    if (!reported && !ordered(h.write)) {
      report("shared-memory race", describe("read after write", h.write, p));
      reported = true;
    }
    h.read = now();
  }
}

void noteSharedWrite(const void *p, size_t bytes) {
  Emulator &e = emulator();
  if (!e.checking || !e.block)
    return;
  uintptr_t first = reinterpret_cast<uintptr_t>(p);
  bool reported = false;
  for (uintptr_t b = first; b < first + bytes; ++b) {
    ByteHistory &h = e.shadow.at(b);
    if (!reported && !ordered(h.write)) {
      report("shared-memory race", describe("write after write", h.write, p));
      reported = true;
    } else if (!reported && !ordered(h.read)) {
      report("shared-memory race", describe("write after read", h.read, p));
      reported = true;
    }
    h.write = now();
  }
}

//===----------------------------------------------------------------------===//
// mma.sync, ldmatrix, cp.async (fragment layouts: Mma.cuh)
//===----------------------------------------------------------------------===//

static float halfBits(uint16_t bits, bool bf16) {
  if (bf16) {
    uint32_t u = uint32_t(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
  return __half2float(__ushort_as_half(bits));
}

void mmaM16N8K16(bool bf16, float d[4], const uint32_t a[4],
                 const uint32_t b[2], const float c[4]) {
  struct Fragments {
    uint32_t a[4], b[2];
  } mine;
  std::memcpy(mine.a, a, sizeof(mine.a));
  std::memcpy(mine.b, b, sizeof(mine.b));
  const unsigned char *slots = warpExchange(~0u, &mine, sizeof(mine));
  if (emulator().checking && liveLanes() != ~0u)
    report("mma.sync", "not all 32 lanes of the warp are converged");
  float A[16][16], B[16][8];
  for (int l = 0; l < 32; ++l) {
    Fragments f;
    std::memcpy(&f, slots + l * kSlotBytes, sizeof(f));
    const int g = l >> 2, t = l & 3;
    for (int r = 0; r < 4; ++r) {
      const int row = g + (r & 1) * 8, col = 2 * t + (r >> 1) * 8;
      A[row][col] = halfBits(uint16_t(f.a[r]), bf16);
      A[row][col + 1] = halfBits(uint16_t(f.a[r] >> 16), bf16);
    }
    for (int r = 0; r < 2; ++r) {
      const int k = 2 * t + r * 8;
      B[k][g] = halfBits(uint16_t(f.b[r]), bf16);
      B[k + 1][g] = halfBits(uint16_t(f.b[r] >> 16), bf16);
    }
  }
  const int lane = laneId(), g = lane >> 2, t = lane & 3;
  float out[4];
  for (int e = 0; e < 4; ++e) {
    const int row = g + (e >> 1) * 8, col = 2 * t + (e & 1);
    // Products of 16-bit floats are exact in double; one rounding at the
    // end, like the tensor core's wide internal accumulation.
    double sum = c[e];
    for (int k = 0; k < 16; ++k)
      sum += double(A[row][k]) * double(B[k][col]);
    out[e] = float(sum);
  }
  std::memcpy(d, out, sizeof(out));
}

/// The value of an e4m3 byte, through the CUDA headers' host conversion.
static float e4m3Bits(uint8_t bits) {
  __nv_fp8_e4m3 x;
  x.__x = __nv_fp8_storage_t(bits);
  return float(x);
}

void mmaM16N8K32E4M3(float d[4], const uint32_t a[4], const uint32_t b[2],
                     const float c[4]) {
  struct Fragments {
    uint32_t a[4], b[2];
  } mine;
  std::memcpy(mine.a, a, sizeof(mine.a));
  std::memcpy(mine.b, b, sizeof(mine.b));
  const unsigned char *slots = warpExchange(~0u, &mine, sizeof(mine));
  if (emulator().checking && liveLanes() != ~0u)
    report("mma.sync", "not all 32 lanes of the warp are converged");
  // Rebuild A (16x32) and B (32x8) by the m16n8k32 layout in Mma.cuh:
  // byte j of a[r] is row g + (r & 1) * 8, col 4t + j + (r >> 1) * 16;
  // byte j of b[r] is k row 4t + j + r * 16, col g.
  float A[16][32], B[32][8];
  for (int l = 0; l < 32; ++l) {
    Fragments f;
    std::memcpy(&f, slots + l * kSlotBytes, sizeof(f));
    const int g = l >> 2, t = l & 3;
    for (int r = 0; r < 4; ++r)
      for (int j = 0; j < 4; ++j)
        A[g + (r & 1) * 8][4 * t + j + (r >> 1) * 16] =
            e4m3Bits(uint8_t(f.a[r] >> (8 * j)));
    for (int r = 0; r < 2; ++r)
      for (int j = 0; j < 4; ++j)
        B[4 * t + j + r * 16][g] = e4m3Bits(uint8_t(f.b[r] >> (8 * j)));
  }
  const int lane = laneId(), g = lane >> 2, t = lane & 3;
  float out[4];
  for (int e = 0; e < 4; ++e) {
    const int row = g + (e >> 1) * 8, col = 2 * t + (e & 1);
    // Products of e4m3 values are exact in double; one rounding at the end.
    double sum = c[e];
    for (int k = 0; k < 32; ++k)
      sum += double(A[row][k]) * double(B[k][col]);
    out[e] = float(sum);
  }
  std::memcpy(d, out, sizeof(out));
}

void ldmatrixX4(uint32_t r[4], const void *rowAddress, bool trans) {
  Emulator &e = emulator();
  if (e.checking) {
    if (reinterpret_cast<uintptr_t>(rowAddress) % 16 != 0)
      report("ldmatrix", "a row address is not 16-byte aligned");
    noteSharedRead(rowAddress, 16);
  }
  const unsigned char *slots =
      warpExchange(~0u, &rowAddress, sizeof(rowAddress));
  auto row = [&](int lane) {
    const unsigned char *p;
    std::memcpy(&p, slots + lane * kSlotBytes, sizeof(p));
    return p;
  };
  const int lane = laneId(), g = lane >> 2, t = lane & 3;
  for (int i = 0; i < 4; ++i) {
    uint16_t lo, hi;
    if (!trans) {
      std::memcpy(&lo, row(i * 8 + g) + 4 * t, 2);
      std::memcpy(&hi, row(i * 8 + g) + 4 * t + 2, 2);
    } else {
      std::memcpy(&lo, row(i * 8 + 2 * t) + 2 * g, 2);
      std::memcpy(&hi, row(i * 8 + 2 * t + 1) + 2 * g, 2);
    }
    r[i] = uint32_t(lo) | uint32_t(hi) << 16;
  }
}

void cpAsync16(void *smem, const void *gmem, int bytesValid) {
  Emulator &e = emulator();
  if (e.checking) {
    if (reinterpret_cast<uintptr_t>(smem) % 16 != 0 ||
        reinterpret_cast<uintptr_t>(gmem) % 16 != 0)
      report("cp.async", "an address is not 16-byte aligned");
    if (bytesValid < 0 || bytesValid > 16)
      report("cp.async", "the source size is outside 0..16");
    noteSharedWrite(smem, 16);
  }
  unsigned char bytes[16] = {};
  if (bytesValid > 0)
    std::memcpy(bytes, gmem, size_t(std::min(bytesValid, 16)));
  std::memcpy(smem, bytes, 16);
}

} // namespace kestrel::emu

//===- Mma.cuh - Tensor-core and async-copy instructions -------*- CUDA -*-===//
//
// The only place in the kernel library with inline PTX for warp-level
// matrix instructions: mma.sync, ldmatrix and cp.async, each behind a small
// function. A kernel that uses tensor cores calls these and nothing else, so
// the CPU emulator (issue 7) can run it by implementing exactly the
// functions below on the host.
//
// Device code for sm_80 and newer runs the PTX (the FP8 mma: sm_89 and
// newer). Older device targets get a portable cp.async (a synchronous copy)
// and trap on mma/ldmatrix; the library only launches tensor-core kernels on
// sm_80+, and FP8 ones on sm_89+. nvcc's host pass
// sees empty bodies (never called). With KESTREL_CUDA_EMULATOR defined the
// header only declares the functions, and the emulator defines them.
//
// Fragment layout of mma.sync.aligned.m16n8k16.row.col.f32.{bf16,f16} (PTX
// ISA, "Matrix Fragments for mma.m16n8k16 with floating point type"), with
// g = lane >> 2 (groupID) and t = lane & 3 (threadID_in_group). Each 32-bit
// register holds two 16-bit elements, the lower-numbered one in bits 0-15.
//
//   A (16x16, row-major), a[0..3] = {a0,a1}, {a2,a3}, {a4,a5}, {a6,a7}:
//     a0,a1: row g,     cols 2t, 2t+1        a4,a5: row g,     cols 2t+8, 2t+9
//     a2,a3: row g + 8, cols 2t, 2t+1        a6,a7: row g + 8, cols 2t+8, 2t+9
//   B (16x8, "col": k-pairs packed), b[0..1] = {b0,b1}, {b2,b3}:
//     b0,b1: k rows 2t, 2t+1,   col g        b2,b3: k rows 2t+8, 2t+9, col g
//   C/D (16x8, f32), c[0..3]:
//     c0,c1: row g,     cols 2t, 2t+1        c2,c3: row g + 8, cols 2t, 2t+1
//
// Fragment layout of mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32
// (PTX ISA 9.7.14.5, "Matrix Fragments for mma.m16n8k32", the
// .u8/.s8/.e4m3/.e5m2 case of Figure 88 for A; B and C/D as listed there),
// with the same g and t. Each 32-bit register holds four e4m3 elements,
// listed low to high: element i of a register is in bits 8i..8i+7, so
// a[r] holds a(4r)..a(4r+3) and b[r] holds b(4r)..b(4r+3). The ISA:
//
//   A (16x32): row =  groupID        for ai where 0 <= i < 4 || 8 <= i < 12
//                     groupID + 8    otherwise
//              col =  (threadID_in_group * 4) + (i & 0x3)       for i < 8
//                     (threadID_in_group * 4) + (i & 0x3) + 16  for i >= 8
//   B (32x8):  row =  (threadID_in_group * 4) + (i & 0x3)       for bi, i < 4
//                     (threadID_in_group * 4) + (i & 0x3) + 16  for bi, i >= 4
//              col =  groupID
//   C/D (16x8, f32): row = groupID for ci where i < 2, groupID + 8 for i >= 2
//                    col = (threadID_in_group * 2) + (i & 0x1)
//
// that is, per register:
//     a[0]: row g,     cols 4t..4t+3         a[2]: row g,     cols 4t+16..4t+19
//     a[1]: row g + 8, cols 4t..4t+3         a[3]: row g + 8, cols 4t+16..4t+19
//     b[0]: k rows 4t..4t+3,     col g       b[1]: k rows 4t+16..4t+19, col g
//     c[0..3]: as for m16n8k16 above.
// The .e4m3 mma needs sm_89 or newer (PTX ISA: "requires sm_89 or higher").
//
// ldmatrix.sync.aligned.m8n8.x4{.trans}.shared.b16 loads four 8x8 matrices
// of 16-bit elements. Lane l supplies the address of row (l & 7) of matrix
// (l >> 3); each row is 16 contiguous bytes, 16-byte aligned. Register r[i]
// receives from matrix i the elements (row g, cols 2t, 2t+1); with .trans,
// the elements (rows 2t, 2t+1, col g), i.e. the matrix transposed.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_KERNELS_CUDA_MMA_CUH
#define KESTREL_KERNELS_CUDA_MMA_CUH

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace kestrel::cuda {

#if defined(KESTREL_CUDA_EMULATOR)

template <typename In>
__device__ void mmaM16N8K16(float d[4], const uint32_t a[4],
                            const uint32_t b[2], const float c[4]);
__device__ void mmaM16N8K32E4M3(float d[4], const uint32_t a[4],
                                const uint32_t b[2], const float c[4]);
__device__ void ldmatrixX4(uint32_t r[4], const void *rowAddress);
__device__ void ldmatrixX4Trans(uint32_t r[4], const void *rowAddress);
__device__ void cpAsync16(void *smem, const void *gmem, int bytesValid);
__device__ void cpAsyncCommit();
template <int Pending> __device__ void cpAsyncWait();

#else // !KESTREL_CUDA_EMULATOR

namespace mma_detail {

/// The 32-bit shared-state-space address of a generic pointer into shared
/// memory.
__device__ __forceinline__ uint32_t sharedAddress(const void *p) {
#if defined(__CUDA_ARCH__)
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
#else
  (void)p;
  return 0;
#endif
}

/// Reached only on device targets without the instruction.
__device__ __forceinline__ void unsupported() {
#if defined(__CUDA_ARCH__)
  __trap();
#endif
}

} // namespace mma_detail

//===----------------------------------------------------------------------===//
// mma.sync m16n8k16, f32 accumulation
//===----------------------------------------------------------------------===//

/// d = A·B + c for one 16x8x16 tile held by the warp in the fragment layout
/// above; `In` (__nv_bfloat16 or __half) is the type of the A and B
/// elements. d may alias c. Every lane of the warp must call it (converged).
template <typename In>
__device__ __forceinline__ void mmaM16N8K16(float d[4], const uint32_t a[4],
                                            const uint32_t b[2],
                                            const float c[4]);

template <>
__device__ __forceinline__ void
mmaM16N8K16<__nv_bfloat16>(float d[4], const uint32_t a[4], const uint32_t b[2],
                           const float c[4]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%10, %11, %12, %13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
#else
  (void)d, (void)a, (void)b, (void)c;
  mma_detail::unsupported();
#endif
}

template <>
__device__ __forceinline__ void
mmaM16N8K16<__half>(float d[4], const uint32_t a[4], const uint32_t b[2],
                    const float c[4]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%10, %11, %12, %13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
#else
  (void)d, (void)a, (void)b, (void)c;
  mma_detail::unsupported();
#endif
}

//===----------------------------------------------------------------------===//
// mma.sync m16n8k32 e4m3, f32 accumulation (sm_89+)
//===----------------------------------------------------------------------===//

/// d = A·B + c for one 16x8x32 tile of e4m3 (FP8) A and B held by the warp
/// in the m16n8k32 fragment layout above. d may alias c. Every lane of the
/// warp must call it (converged). Device targets older than sm_89 trap; the
/// caller launches FP8 kernels only on sm_89+.
__device__ __forceinline__ void mmaM16N8K32E4M3(float d[4], const uint32_t a[4],
                                                const uint32_t b[2],
                                                const float c[4]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  asm volatile("mma.sync.aligned.m16n8k32.row.col.f32.e4m3.e4m3.f32 "
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
               "{%10, %11, %12, %13};\n"
               : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]),
                 "r"(b[1]), "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
#else
  (void)d, (void)a, (void)b, (void)c;
  mma_detail::unsupported();
#endif
}

//===----------------------------------------------------------------------===//
// ldmatrix (shared memory -> fragments)
//===----------------------------------------------------------------------===//

/// Four 8x8 b16 matrices; `rowAddress` is this lane's row (see the top of
/// the file): r[i] = (row g, cols 2t, 2t+1) of matrix i.
__device__ __forceinline__ void ldmatrixX4(uint32_t r[4],
                                           const void *rowAddress) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 750
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, "
               "[%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(mma_detail::sharedAddress(rowAddress)));
#else
  (void)r, (void)rowAddress;
  mma_detail::unsupported();
#endif
}

/// As ldmatrixX4, transposed: r[i] = (rows 2t, 2t+1, col g) of matrix i.
__device__ __forceinline__ void ldmatrixX4Trans(uint32_t r[4],
                                                const void *rowAddress) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 750
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 "
               "{%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(mma_detail::sharedAddress(rowAddress)));
#else
  (void)r, (void)rowAddress;
  mma_detail::unsupported();
#endif
}

//===----------------------------------------------------------------------===//
// cp.async (global -> shared, 16 bytes, zero fill)
//===----------------------------------------------------------------------===//

/// Starts copying the first `bytesValid` (0..16) bytes at `gmem` into the
/// 16 bytes at `smem` and zero-fills the rest. Both addresses are 16-byte
/// aligned; with bytesValid == 0 nothing is read, but callers still pass a
/// valid global address. The copy belongs to the next committed group and
/// may be observed only after cpAsyncWait (and, by other threads, a
/// barrier).
__device__ __forceinline__ void cpAsync16(void *smem, const void *gmem,
                                          int bytesValid) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(
                   mma_detail::sharedAddress(smem)),
               "l"(gmem), "r"(bytesValid)
               : "memory");
#elif defined(__CUDA_ARCH__)
  // Synchronous equivalent for older targets.
  alignas(16) unsigned char bytes[16];
  const unsigned char *src = static_cast<const unsigned char *>(gmem);
#pragma unroll
  for (int i = 0; i < 16; ++i)
    bytes[i] = i < bytesValid ? src[i] : 0;
  *static_cast<uint4 *>(smem) = *reinterpret_cast<const uint4 *>(bytes);
#else
  (void)smem, (void)gmem, (void)bytesValid;
#endif
}

/// Closes the group of cp.async copies issued by this thread since the last
/// commit (an empty group is fine).
__device__ __forceinline__ void cpAsyncCommit() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::: "memory");
#endif
}

/// Waits until at most `Pending` of this thread's committed groups are
/// still in flight. Other threads' copies become visible only after a
/// barrier (__syncthreads) that follows their wait.
template <int Pending> __device__ __forceinline__ void cpAsyncWait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(Pending) : "memory");
#endif
}

#endif // KESTREL_CUDA_EMULATOR

} // namespace kestrel::cuda

#endif // KESTREL_KERNELS_CUDA_MMA_CUH

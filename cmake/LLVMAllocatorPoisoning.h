//===- LLVMAllocatorPoisoning.h - LLVM's allocators without ASan poisoning ===//
//
// Force-included (-include) into the compiler side's C++ when Kestrel is
// built with AddressSanitizer against an LLVM built without it, as
// Debian's is. Compiled with ASan, llvm/Support/Allocator.h's inline
// BumpPtrAllocator poisons each new slab and unpoisons what it hands out;
// libMLIR's own, uninstrumented copy of the same code does neither. MLIR's
// storage allocators are used from both sides (the storage of Kestrel's
// attributes, #kestrel.impl, is built by code compiled here), so a slab our
// side started is poisoned when libMLIR allocates from it, and ASan reports
// libMLIR's writes there (StringAttr::get) as use-after-poison. With the
// manual poisoning compiled out here as well, both sides agree that nothing
// is poisoned by hand; every other ASan check stays on.
//
//===----------------------------------------------------------------------===//

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KESTREL_ASAN_BUILD 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define KESTREL_ASAN_BUILD 1
#endif

#if defined(__cplusplus) && defined(KESTREL_ASAN_BUILD)
#include <sanitizer/asan_interface.h>
#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))
#endif

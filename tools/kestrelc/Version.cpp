//===- Version.cpp - kestrelc --version -----------------------------------===//

#include "tools/kestrelc/Version.h"

#include "kestrel/Version.h"
#include "kestrel/runtime.h"
#include "runtime/ModelDef.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/raw_ostream.h"

namespace kestrel::tools {

const char *kestrelVersion() { return KESTREL_VERSION; }

void printVersion(llvm::raw_ostream &os) {
  os << "Kestrel " << KESTREL_VERSION << " (commit " << KESTREL_COMMIT
     << "), runtime API version " << KESTREL_RUNTIME_VERSION
     << ", model ABI version " << runtime::kModelAbiVersion << "\n"
     << "  built with LLVM/MLIR " << LLVM_VERSION_STRING;
#ifdef KESTREL_CUDA_ARCHIVE
  os << " and the CUDA toolkit (--target=cuda)";
#else
  os << ", without the CUDA toolkit (--target=cuda emits source only)";
#endif
  os << "\n";
}

} // namespace kestrel::tools

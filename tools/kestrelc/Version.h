//===- Version.h - kestrelc --version ---------------------------*- C++ -*-===//
//
// Kestrel's version and the commit it was built from, kept in their own
// translation unit: only Version.cpp recompiles when the commit changes.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTRELC_VERSION_H
#define KESTREL_TOOLS_KESTRELC_VERSION_H

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace kestrel::tools {

/// "0.1.0" (CMake's project version).
const char *kestrelVersion();

/// kestrelc --version: Kestrel's version, commit, runtime API and model ABI
/// versions, then the LLVM it was built with.
void printVersion(llvm::raw_ostream &os);

} // namespace kestrel::tools

#endif // KESTREL_TOOLS_KESTRELC_VERSION_H

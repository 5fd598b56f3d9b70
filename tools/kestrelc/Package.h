//===- Package.h - The files that let apps find a model ---------*- C++ -*-===//
//
// Beside libNAME.so, NAME.h and NAME.kweights, kestrelc writes
// NAMEConfig.cmake (find_package(NAME CONFIG): the imported target
// kestrel::NAME) and NAME.pc (pkg-config). Both locate everything relative
// to their own file, so the folder can be moved or installed anywhere.
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTRELC_PACKAGE_H
#define KESTREL_TOOLS_KESTRELC_PACKAGE_H

#include <string>

namespace kestrel::tools {

struct PackageInfo {
  std::string name;        ///< the model's C identifier
  std::string version;     ///< Kestrel's version
  std::string description; ///< one line: source model and target
};

/// NAMEConfig.cmake's text.
std::string cmakePackageConfig(const PackageInfo &info);

/// NAMEConfigVersion.cmake's text: any requested version up to Kestrel's
/// with the same major version is compatible.
std::string cmakePackageVersion(const PackageInfo &info);

/// NAME.pc's text.
std::string pkgConfig(const PackageInfo &info);

} // namespace kestrel::tools

#endif // KESTREL_TOOLS_KESTRELC_PACKAGE_H

//===- FatalErrors.h - kestrelc's exit statuses and fatal handlers -*- C++ -*-//
//
// kestrelc's exit statuses (README.md, "Exit statuses"):
//   0  success
//   1  the input was rejected: a missing, unreadable or malformed model, an
//      unsupported op, an output that cannot be written, a missing C++ or
//      CUDA compiler, an exception a library threw while reading the input,
//      running out of memory
//   2  usage: an unknown flag, a bad flag value, a missing argument
//   3  internal error: a bug in Kestrel (a crash, emitted code that does not
//      compile); the message asks for a bug report
//
//===----------------------------------------------------------------------===//

#ifndef KESTREL_TOOLS_KESTRELC_FATALERRORS_H
#define KESTREL_TOOLS_KESTRELC_FATALERRORS_H

namespace kestrel::tools {

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInternal = 3;

/// Kestrel's bug-report request, printed instead of LLVM's with a crash's
/// stack dump.
extern const char *const kBugReportMessage;

/// Installs, after llvm::InitLLVM: a terminate handler that turns an
/// uncaught exception into "TOOL: error: ..." and exit 1, an out-of-memory
/// handler for LLVM's allocators (exit 1), Kestrel's
/// bug-report message for LLVM's crash stack dump, and exit 3 (instead of
/// re-raising the signal) after a crash.
void installFatalErrorHandlers(const char *tool);

} // namespace kestrel::tools

#endif // KESTREL_TOOLS_KESTRELC_FATALERRORS_H

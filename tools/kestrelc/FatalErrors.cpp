//===- FatalErrors.cpp - kestrelc's exit on exceptions and crashes --------===//
//
// Built with exceptions on (the rest of kestrelc, like LLVM, is not) so that
// the terminate handler can rethrow what escaped and read its message.
// Kestrel's own code throws nothing; an exception that reaches here came
// from a library it calls (libstdc++, protobuf, libonnx) and was not caught
// where it was thrown, which makes it an error of the input (exit 1) named
// with its type and message, never an abort with a stack dump.
//
//===----------------------------------------------------------------------===//

#include "tools/kestrelc/FatalErrors.h"

#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/PrettyStackTrace.h"
#include "llvm/Support/Signals.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cxxabi.h>
#include <exception>
#include <new>
#include <typeinfo>
#include <unistd.h>

namespace kestrel::tools {
namespace {

const char *toolName = "kestrelc";

[[noreturn]] void onTerminate() {
  const char *what = nullptr;
  const std::type_info *type = abi::__cxa_current_exception_type();
  int exitCode = kExitError;
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::bad_alloc &) {
      what = "out of memory";
    } catch (const std::exception &ex) {
      what = ex.what();
    } catch (...) {
    }
  } else {
    // std::terminate without an exception: a broken invariant of our own.
    exitCode = kExitInternal;
  }
  char *demangled = nullptr;
  if (type) {
    int status = 0;
    demangled = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  }
  if (exitCode == kExitInternal)
    std::fprintf(stderr,
                 "%s: internal error: std::terminate called without an "
                 "exception\n%s",
                 toolName, kBugReportMessage);
  else
    std::fprintf(stderr,
                 "%s: error: a library failed with an exception%s%s%s%s\n",
                 toolName, demangled || type ? " " : "",
                 demangled ? demangled : (type ? type->name() : ""),
                 what ? ": " : "", what ? what : "");
  std::free(demangled);
  std::fflush(stderr);
  std::_Exit(exitCode);
}

/// LLVM's allocators and the new-handler InitLLVM installs end here when
/// memory runs out: an error of the input's size, not a crash (exit 1).
void onOutOfMemory(void *, const char *reason, bool) {
  char message[256];
  int n =
      std::snprintf(message, sizeof(message), "%s: error: out of memory (%s)\n",
                    toolName, reason ? reason : "allocation failed");
  if (n > 0)
    (void)!write(STDERR_FILENO, message,
                 std::min<size_t>(static_cast<size_t>(n), sizeof(message) - 1));
  _exit(kExitError);
}

/// Runs after LLVM's stack dump (the handlers run in the order they were
/// added): exit with the internal-error status instead of re-raising.
void onCrash(void *) { _exit(kExitInternal); }

} // namespace

const char *const kBugReportMessage =
    "PLEASE report this Kestrel bug to the Kestrel developers (the issue "
    "tracker of the repository this tool was built from) with the output of "
    "`kestrelc --version`, the command line, the stack dump below and, if "
    "you can share it, the model.\n";

void installFatalErrorHandlers(const char *tool) {
  toolName = tool;
  std::set_terminate(onTerminate);
  llvm::setBugReportMsg(kBugReportMessage);
  llvm::install_bad_alloc_error_handler(onOutOfMemory);
  llvm::sys::AddSignalHandler(onCrash, nullptr);
}

} // namespace kestrel::tools

//===- Main.cpp - The CUDA emulator test suites
//----------------------------===//
//
// kestrel-cuda-emulator-tests SUITE...: runs the named suites (all of them
// without arguments), prints the counts and exits non-zero on a failure.
// CTest runs one suite per test.
//
//===----------------------------------------------------------------------===//

#include "codegen/cuda/emulation/Emulator.h"
#include "test/cuda/emulator/Harness.h"

#include <chrono>

void runElementwiseTests();
void runDataMovementTests();
void runReduceTests();
void runFusedTests();
void runGemmTests();
void runWarpTests();

int failures = 0, checks = 0;

int main(int argc, char **argv) {
  const struct {
    const char *name;
    void (*run)();
  } suites[] = {{"elementwise", runElementwiseTests},
                {"data-movement", runDataMovementTests},
                {"reduce", runReduceTests},
                {"fused", runFusedTests},
                {"gemm", runGemmTests},
                {"warp", runWarpTests}};
  bool ranAny = false;
  for (const auto &suite : suites) {
    bool wanted = argc == 1;
    for (int i = 1; i < argc; ++i)
      wanted |= std::string(argv[i]) == suite.name;
    if (!wanted)
      continue;
    ranAny = true;
    const int before = checks, failedBefore = failures;
    auto start = std::chrono::steady_clock::now();
    suite.run();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    // Under KESTREL_EMU_CHECK=1 every diagnostic of the checker fails.
    if (kestrel::emu::checking() && !kestrel::emu::diagnostics().empty()) {
      for (const std::string &d : kestrel::emu::diagnostics())
        std::printf("FAIL emulator check: %s\n", d.c_str());
      failures += int(kestrel::emu::diagnostics().size());
      kestrel::emu::clearDiagnostics();
    }
    std::printf("%s: %d checks, %d failures (%.2f s)\n", suite.name,
                checks - before, failures - failedBefore, seconds);
  }
  if (!ranAny) {
    std::fprintf(stderr, "kestrel-cuda-emulator-tests: no suite named so\n");
    return 2;
  }
  return failures != 0;
}

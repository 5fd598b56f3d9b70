//===- Main.cpp - The CUDA emulator test suites ---------------------------===//
//
// kestrel-cuda-emulator-tests SUITE...: runs the named suites (all those
// linked in, without arguments) in their registration order, each from
// the same random seed, prints the counts and exits non-zero on a failure.
// Under KESTREL_EMU_CHECK=1 every diagnostic of the emulator's checker
// (races, barriers, out-of-bounds global accesses) is a failure. CTest
// runs one suite per test; a planted-bug executable links only the suites
// its bug must fail.
//
//===----------------------------------------------------------------------===//

#include "kernels/cuda/emulation/Emulator.h"
#include "test/cuda/emulator/Harness.h"

#include <algorithm>
#include <chrono>

int failures = 0, checks = 0;

std::vector<TestSuite> &testSuites() {
  static std::vector<TestSuite> suites;
  return suites;
}

int main(int argc, char **argv) {
  std::vector<TestSuite> suites = testSuites();
  std::sort(
      suites.begin(), suites.end(),
      [](const TestSuite &a, const TestSuite &b) { return a.order < b.order; });
  for (int i = 1; i < argc; ++i)
    if (std::none_of(suites.begin(), suites.end(), [&](const TestSuite &s) {
          return std::string(argv[i]) == s.name;
        })) {
      std::fprintf(stderr, "kestrel-cuda-emulator-tests: no suite named %s\n",
                   argv[i]);
      return 2;
    }
  for (const TestSuite &suite : suites) {
    bool wanted = argc == 1;
    for (int i = 1; i < argc; ++i)
      wanted |= std::string(argv[i]) == suite.name;
    if (!wanted)
      continue;
    rng().seed(kSeed);
    const int before = checks, failedBefore = failures;
    auto start = std::chrono::steady_clock::now();
    suite.run();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    if (kestrel::emu::checking() && !kestrel::emu::diagnostics().empty()) {
      for (const std::string &d : kestrel::emu::diagnostics())
        std::printf("FAIL emulator check: %s\n", d.c_str());
      failures += int(kestrel::emu::diagnostics().size());
      kestrel::emu::clearDiagnostics();
    }
    std::printf("%s: %d checks, %d failures (%.2f s)\n", suite.name,
                checks - before, failures - failedBefore, seconds);
  }
  return failures != 0;
}

//===- RelativeError.h - Relative L2 error for the kernel tests -*- C++ -*-===//

#ifndef KESTREL_TEST_UNIT_CPU_RELATIVEERROR_H
#define KESTREL_TEST_UNIT_CPU_RELATIVEERROR_H

#include <algorithm>
#include <cmath>
#include <vector>

namespace kestrel::test {

/// ||got - want|| / ||want||, the tolerance measure of DESIGN.md.
inline double relativeL2(const std::vector<float> &got,
                         const std::vector<double> &want) {
  double num = 0, den = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    num += (got[i] - want[i]) * (got[i] - want[i]);
    den += want[i] * want[i];
  }
  return std::sqrt(num / std::max(den, 1e-300));
}

} // namespace kestrel::test

#endif // KESTREL_TEST_UNIT_CPU_RELATIVEERROR_H

//===- WeightsConvert.cpp - Source to stored element types of weights -----===//

#include "runtime/WeightsConvert.h"

#include "kernels/cpu/ElementTypes.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kestrel::runtime {

namespace {

/// Elements per slice: 4 MiB of f32 staging.
constexpr size_t kSlice = size_t(1) << 20;

} // namespace

bool canStoreAs(DType from, DType to) {
  return from == to || (isFloatType(from) && isFloatType(to));
}

bool convertElements(DType from, const void *src, DType to, void *dst,
                     size_t count, std::string &error) {
  if (!canStoreAs(from, to)) {
    error = std::string("cannot store ") + dtypeName(from) + " data as " +
            dtypeName(to);
    return false;
  }
  if (from == to) {
    if (count)
      std::memmove(dst, src, count * dtypeSize(from));
    return true;
  }
  if (from == DType::F32) {
    cpu::detail::convertFromF32(to, static_cast<const float *>(src), dst,
                                static_cast<int64_t>(count));
    return true;
  }
  std::vector<float> staging(std::min(count, kSlice));
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint8_t *>(dst);
  for (size_t done = 0; done < count;) {
    size_t n = std::min(count - done, kSlice);
    cpu::detail::convertToF32(from, in + done * dtypeSize(from), staging.data(),
                              static_cast<int64_t>(n));
    cpu::detail::convertFromF32(to, staging.data(), out + done * dtypeSize(to),
                                static_cast<int64_t>(n));
    done += n;
  }
  return true;
}

bool appendConverted(WeightsStreamWriter &writer, DType from, const void *src,
                     size_t count, DType to, std::string &error) {
  if (from == to)
    return writer.append(src, count * dtypeSize(from), error);
  if (!canStoreAs(from, to))
    return convertElements(from, src, to, nullptr, count, error);
  std::vector<uint8_t> slice(std::min(count, kSlice) * dtypeSize(to));
  const auto *in = static_cast<const uint8_t *>(src);
  for (size_t done = 0; done < count;) {
    size_t n = std::min(count - done, kSlice);
    if (!convertElements(from, in + done * dtypeSize(from), to, slice.data(), n,
                         error) ||
        !writer.append(slice.data(), n * dtypeSize(to), error))
      return false;
    done += n;
  }
  return true;
}

} // namespace kestrel::runtime

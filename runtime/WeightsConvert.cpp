//===- WeightsConvert.cpp - Source to stored element types of weights -----===//

#include "runtime/WeightsConvert.h"

#include "codegen/cpu/kernels/ElementTypes.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace kestrel::runtime {

namespace {

bool isFloat(ElementType t) {
  return t == ElementType::F32 || t == ElementType::F16 ||
         t == ElementType::BF16 || t == ElementType::F8E4M3FN;
}

/// The kernel library's DType has the same values as ElementType.
cpu::DType dtype(ElementType t) { return static_cast<cpu::DType>(t); }

/// Elements per slice: 4 MiB of f32 staging.
constexpr size_t kSlice = size_t(1) << 20;

} // namespace

bool canStoreAs(ElementType from, ElementType to) {
  return from == to || (isFloat(from) && isFloat(to));
}

bool convertElements(ElementType from, const void *src, ElementType to,
                     void *dst, size_t count, std::string &error) {
  if (!canStoreAs(from, to)) {
    error = std::string("cannot store ") + elementTypeName(from) + " data as " +
            elementTypeName(to);
    return false;
  }
  if (from == to) {
    if (count)
      std::memmove(dst, src, count * elementSize(from));
    return true;
  }
  if (from == ElementType::F32) {
    cpu::detail::convertFromF32(dtype(to), static_cast<const float *>(src), dst,
                                static_cast<int64_t>(count));
    return true;
  }
  std::vector<float> staging(std::min(count, kSlice));
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint8_t *>(dst);
  for (size_t done = 0; done < count;) {
    size_t n = std::min(count - done, kSlice);
    cpu::detail::convertToF32(dtype(from), in + done * elementSize(from),
                              staging.data(), static_cast<int64_t>(n));
    cpu::detail::convertFromF32(dtype(to), staging.data(),
                                out + done * elementSize(to),
                                static_cast<int64_t>(n));
    done += n;
  }
  return true;
}

bool appendConverted(WeightsStreamWriter &writer, ElementType from,
                     const void *src, size_t count, ElementType to,
                     std::string &error) {
  if (from == to)
    return writer.append(src, count * elementSize(from), error);
  if (!canStoreAs(from, to))
    return convertElements(from, src, to, nullptr, count, error);
  std::vector<uint8_t> slice(std::min(count, kSlice) * elementSize(to));
  const auto *in = static_cast<const uint8_t *>(src);
  for (size_t done = 0; done < count;) {
    size_t n = std::min(count - done, kSlice);
    if (!convertElements(from, in + done * elementSize(from), to, slice.data(),
                         n, error) ||
        !writer.append(slice.data(), n * elementSize(to), error))
      return false;
    done += n;
  }
  return true;
}

} // namespace kestrel::runtime

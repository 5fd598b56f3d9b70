//===- Conversions.cpp - Element type conversions -------------------------===//
//
// The public scalar conversions of Kernels.h and the bulk ones the kernels
// stage mixed-precision operands with (ElementTypes.h). Built with the
// kernels, for each CPU level.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/ElementTypes.h"

namespace kestrel::cpu {

using namespace detail;

float f16ToF32(uint16_t h) { return halfToFloat(h); }
uint16_t f32ToF16(float f) { return floatToHalf(f); }
float bf16ToF32(uint16_t h) { return bf16ToFloat(h); }
uint16_t f32ToBf16(float f) { return floatToBf16(f); }
float f8e4m3fnToF32(uint8_t v) { return f8ToFloat(v); }
uint8_t f32ToF8e4m3fn(float f) { return floatToF8(f); }

namespace detail {

void convertToF32(DType type, const void *src, float *dst, int64_t n) {
  visitFloat(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *in = static_cast<const T *>(src);
    for (int64_t i = 0; i < n; ++i)
      dst[i] = toF32(in[i]);
  });
}

void convertFromF32(DType type, const float *src, void *dst, int64_t n) {
  visitFloat(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T *out = static_cast<T *>(dst);
    for (int64_t i = 0; i < n; ++i)
      out[i] = fromF32<T>(src[i]);
  });
}

const float *asF32(const Tensor &x, std::vector<float> &storage) {
  if (x.dtype == DType::F32)
    return x.as<const float>();
  storage.resize(size_t(x.numel()));
  convertToF32(x.dtype, x.data, storage.data(), x.numel());
  return storage.data();
}

} // namespace detail
} // namespace kestrel::cpu

// safetensors element types and conversions (see safetensors_dtype.hpp).
#include "io/formats/safetensors_dtype.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace r1 {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian; r1 assumes a little-endian host");

namespace {

struct DTypeInfo {
  SafetensorsDType type;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kTypes[] = {{SafetensorsDType::F8_E4M3, "F8_E4M3", 1},
                                {SafetensorsDType::F16, "F16", 2}, {SafetensorsDType::BF16, "BF16", 2},
                                {SafetensorsDType::I32, "I32", 4}, {SafetensorsDType::F32, "F32", 4},
                                {SafetensorsDType::F64, "F64", 8}, {SafetensorsDType::I64, "I64", 8}};

const DTypeInfo& info(SafetensorsDType t) {
  for (const DTypeInfo& i : kTypes)
    if (i.type == t) return i;
  R1_CHECK(false, "unknown SafetensorsDType ", int(t));
  return kTypes[0];
}

bool is_float(SafetensorsDType t) {
  return t == SafetensorsDType::F16 || t == SafetensorsDType::BF16 || t == SafetensorsDType::F32 ||
         t == SafetensorsDType::F64;
}

// Element i of a host float tensor as double.
double float_element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::f32: return t.data<float>()[i];
    case DType::f64: return t.data<double>()[i];
    case DType::bf16: return double(float(t.data<bf16>()[i]));
    default: R1_CHECK(false, "float_element: ", dtype_name(t.dtype()), " is not a float type");
  }
  return 0;
}

int64_t int_element(const Tensor& t, int64_t i) {
  return t.dtype() == DType::i32 ? int64_t(t.data<int32_t>()[i]) : t.data<int64_t>()[i];
}

template <class T>
void put(std::string& out, int64_t i, T value) {
  std::memcpy(out.data() + size_t(i) * sizeof(T), &value, sizeof(T));
}

}  // namespace

const char* safetensors_dtype_name(SafetensorsDType t) { return info(t).name; }
size_t safetensors_dtype_size(SafetensorsDType t) { return info(t).size; }
int safetensors_dtype_rank(SafetensorsDType t) { return int(t); }

std::optional<SafetensorsDType> parse_safetensors_dtype(const std::string& name) {
  for (const DTypeInfo& i : kTypes)
    if (name == i.name) return i.type;
  return std::nullopt;
}

DType tensor_dtype_on_read(SafetensorsDType t) {
  switch (t) {
    case SafetensorsDType::F8_E4M3:
    case SafetensorsDType::F16:
    case SafetensorsDType::F32: return DType::f32;
    case SafetensorsDType::BF16: return DType::bf16;
    case SafetensorsDType::F64: return DType::f64;
    case SafetensorsDType::I32: return DType::i32;
    case SafetensorsDType::I64: return DType::i64;
  }
  return DType::f32;
}

SafetensorsDType safetensors_dtype_of(DType t) {
  switch (t) {
    case DType::f32: return SafetensorsDType::F32;
    case DType::f64: return SafetensorsDType::F64;
    case DType::bf16: return SafetensorsDType::BF16;
    case DType::i32: return SafetensorsDType::I32;
    case DType::i64: return SafetensorsDType::I64;
    case DType::u8: break;
  }
  R1_CHECK(false, "safetensors: tensors of dtype ", dtype_name(t), " cannot be stored");
  return SafetensorsDType::F32;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // infinity or NaN (payload kept)
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);  // rebias 15 -> 127
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise into a float's normal range.
    int shift = 0;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    bits = sign | (uint32_t(113 - shift) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = uint16_t((bits >> 16) & 0x8000u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) {  // infinity or NaN
    uint16_t nan_bit = abs_bits > 0x7f800000u ? uint16_t(0x200u | ((abs_bits >> 13) & 0x3ffu)) : 0;
    return uint16_t(sign | 0x7c00u | nan_bit);
  }
  if (abs_bits >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520: overflow
  const int32_t exponent = int32_t(abs_bits >> 23) - 127;
  if (exponent < -25) return sign;  // below half the smallest subnormal: rounds to zero
  uint32_t mantissa = (abs_bits & 0x7fffffu) | 0x800000u;  // with the implicit bit
  // Right shift that brings the 24-bit significand to the half's 11-bit (normal) or fewer
  // (subnormal) bits; rounding to nearest even on the dropped bits.
  const int shift = exponent >= -14 ? 13 : 13 + (-14 - exponent);
  const uint32_t dropped = mantissa & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  uint32_t kept = mantissa >> shift;
  if (dropped > halfway || (dropped == halfway && (kept & 1u))) ++kept;
  if (exponent >= -14) {
    // Normal: kept holds 1.mantissa (11 bits) and may have carried into bit 11.
    uint32_t biased = uint32_t(exponent + 15);
    return uint16_t(sign | ((biased << 10) + (kept - 0x400u)));
  }
  return uint16_t(sign | kept);  // subnormal (a carry into bit 10 yields the smallest normal)
}

float fp8_e4m3_to_float(uint8_t v) {
  const float sign = (v & 0x80u) ? -1.0f : 1.0f;
  const int exponent = (v >> 3) & 0xf, mantissa = v & 0x7;
  if (exponent == 0xf && mantissa == 0x7) return std::numeric_limits<float>::quiet_NaN();
  if (exponent == 0) return sign * std::ldexp(float(mantissa), -9);           // subnormal: m/8 * 2^-6
  return sign * std::ldexp(float(8 + mantissa), exponent - 10);                 // (1 + m/8) * 2^(e-7)
}

Tensor decode_safetensors_bytes(const void* bytes, SafetensorsDType stored, const Shape& shape) {
  Tensor t = Tensor::empty(shape, tensor_dtype_on_read(stored));
  const int64_t n = t.numel();
  if (stored == SafetensorsDType::F16) {
    std::vector<uint16_t> halves(static_cast<size_t>(n));
    std::memcpy(halves.data(), bytes, size_t(n) * 2);
    float* out = t.data<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = half_to_float(halves[size_t(i)]);
  } else if (stored == SafetensorsDType::F8_E4M3) {
    const uint8_t* in = static_cast<const uint8_t*>(bytes);
    float* out = t.data<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = fp8_e4m3_to_float(in[i]);
  } else if (n > 0) {
    std::memcpy(t.raw(), bytes, size_t(n) * safetensors_dtype_size(stored));
  }
  return t;
}

std::string encode_safetensors_bytes(const Tensor& t, SafetensorsDType stored) {
  R1_CHECK(t.is_host(), "safetensors: tensors must be on the host to be written");
  const int64_t n = t.numel();
  const bool float_source = t.dtype() == DType::f32 || t.dtype() == DType::f64 || t.dtype() == DType::bf16;
  const bool int_source = t.dtype() == DType::i32 || t.dtype() == DType::i64;
  R1_CHECK((float_source && is_float(stored)) || (int_source && !is_float(stored)), "safetensors: a ",
           dtype_name(t.dtype()), " tensor cannot be stored as ", safetensors_dtype_name(stored));
  std::string out(size_t(n) * safetensors_dtype_size(stored), '\0');
  if (n == 0) return out;
  if (tensor_dtype_on_read(stored) == t.dtype() && stored != SafetensorsDType::F16) {
    std::memcpy(out.data(), t.raw(), out.size());
    return out;
  }
  for (int64_t i = 0; i < n; ++i) {
    switch (stored) {
      case SafetensorsDType::F8_E4M3: R1_CHECK(false, "safetensors: r1 does not write F8_E4M3"); break;
      case SafetensorsDType::F16: put(out, i, float_to_half(float(float_element(t, i)))); break;
      case SafetensorsDType::BF16: put(out, i, bf16(float(float_element(t, i))).bits); break;
      case SafetensorsDType::F32: put(out, i, float(float_element(t, i))); break;
      case SafetensorsDType::F64: put(out, i, float_element(t, i)); break;
      case SafetensorsDType::I64: put(out, i, int_element(t, i)); break;
      case SafetensorsDType::I32: {
        int64_t v = int_element(t, i);
        R1_CHECK(v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max(),
                 "safetensors: element ", i, " = ", v, " does not fit I32");
        put(out, i, int32_t(v));
        break;
      }
    }
  }
  return out;
}

}  // namespace r1

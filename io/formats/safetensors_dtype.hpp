// The safetensors element types r1 reads and writes (F32, F64, BF16, F16, I32, I64; F8_E4M3 read
// only, for block-quantized checkpoints), their byte sizes and names, the r1 tensor type each becomes
// on reading (F16 and F8_E4M3 become f32, the others map one to one), IEEE half-precision and
// float8 e4m3fn conversion, and the conversion of raw little-endian bytes to and from host tensors.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "core/tensor.hpp"

namespace r1 {

// In the order of the reference implementation's Dtype enum.
enum class SafetensorsDType { F8_E4M3, F16, BF16, I32, F32, F64, I64 };

const char* safetensors_dtype_name(SafetensorsDType t);  // "F32", as in the header
std::optional<SafetensorsDType> parse_safetensors_dtype(const std::string& name);
size_t safetensors_dtype_size(SafetensorsDType t);
// The order of the reference implementation's Dtype enum (writers place larger ranks first).
int safetensors_dtype_rank(SafetensorsDType t);
DType tensor_dtype_on_read(SafetensorsDType t);        // F16 -> f32, BF16 -> bf16, ...
SafetensorsDType safetensors_dtype_of(DType t);         // f32 -> F32, ...; u8 is not supported

// IEEE 754 binary16 <-> binary32; float_to_half rounds to nearest even, overflows to infinity and
// keeps NaN a NaN.
float half_to_float(uint16_t h);
uint16_t float_to_half(float f);
// float8 e4m3fn (1 sign, 4 exponent bits of bias 7, 3 mantissa bits, no infinities, S.1111.111 = NaN),
// exactly as a float.
float fp8_e4m3_to_float(uint8_t v);

// Host tensor of dtype tensor_dtype_on_read(stored) from `count` elements of little-endian bytes.
Tensor decode_safetensors_bytes(const void* bytes, SafetensorsDType stored, const Shape& shape);
// The bytes of `t` (a host tensor) stored as `stored`: floats (f32, f64, bf16) to F32/F64/BF16/F16,
// integers (i32, i64) to I32/I64 (an i64 value outside int32 is an error). f64 -> F16/BF16 rounds
// through f32.
std::string encode_safetensors_bytes(const Tensor& t, SafetensorsDType stored);

}  // namespace r1

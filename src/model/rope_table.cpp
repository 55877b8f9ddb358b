// RoPE tables: base frequencies theta^(-2i/d), linear scaling (positions / factor), YaRN (blend of
// interpolated and extrapolated frequencies by a linear ramp between the beta_fast and beta_slow
// correction dimensions, cos/sin scaled by the mscale attention factor) and Llama 3.1's scaling
// (long wavelengths divided by factor, short ones kept, a smooth blend between the two wavelength
// bounds original_max_position_embeddings / low_freq_factor and / high_freq_factor).
#include "model/rope_table.hpp"

#include <algorithm>
#include <cmath>

namespace r1 {

namespace {
double yarn_get_mscale(double scale, double mscale) {
  if (scale <= 1) return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}
double find_correction_dim(double num_rotations, double dim, double base, double max_pos) {
  return (dim * std::log(max_pos / (num_rotations * 2 * M_PI))) / (2 * std::log(base));
}
}  // namespace

// The frequencies in float32 arithmetic step by step as transformers computes them (exponent 2i/d
// in float, base^x rounded to float, float reciprocals, YaRN's blend in float), so imported models
// rotate by the same angles. Computed in double, up to a third of the entries differed from
// transformers' in the last bit, which position magnifies (6e-6 in a log-prob at position 1900,
// tests/unit/test_hf_parity.cpp). Remaining difference: torch's vectorised float32 pow is not always
// correctly rounded, so an occasional entry can still differ by one ulp.
std::vector<double> rope_inverse_frequencies(const ModelConfig& c, double* attention_factor) {
  const int64_t dim = c.rope_dim();
  const double base = c.rope_theta;
  const auto& rs = c.rope_scaling;
  std::vector<float> pos_freq(size_t(dim / 2));  // base^(2i/d)
  for (int64_t i = 0; i < dim / 2; ++i) {
    const float exponent = float(2 * i) / float(dim);
    pos_freq[size_t(i)] = float(std::pow(double(float(base)), double(exponent)));
  }
  std::vector<double> inv(size_t(dim / 2));
  double factor = 1.0;
  for (int64_t i = 0; i < dim / 2; ++i) inv[size_t(i)] = 1.0f / pos_freq[size_t(i)];
  if (rs.type == RopeScalingType::linear) {
    for (int64_t i = 0; i < dim / 2; ++i) inv[size_t(i)] = float(inv[size_t(i)]) / float(rs.factor);
  } else if (rs.type == RopeScalingType::yarn) {
    double low = std::floor(find_correction_dim(rs.beta_fast, double(dim), base, double(rs.original_max_position_embeddings)));
    double high = std::ceil(find_correction_dim(rs.beta_slow, double(dim), base, double(rs.original_max_position_embeddings)));
    low = std::max(low, 0.0);
    high = std::min(high, double(dim - 1));
    if (low == high) high += 0.001;
    for (int64_t i = 0; i < dim / 2; ++i) {
      const float extrapolation = 1.0f / pos_freq[size_t(i)];
      const float interpolation = 1.0f / (float(rs.factor) * pos_freq[size_t(i)]);
      const float ramp = std::clamp((float(i) - float(low)) / float(high - low), 0.0f, 1.0f);
      const float extrapolation_weight = 1.0f - ramp;
      const float interpolated_part = interpolation * (1.0f - extrapolation_weight);
      const float extrapolated_part = extrapolation * extrapolation_weight;
      inv[size_t(i)] = interpolated_part + extrapolated_part;
    }
    if (rs.mscale_all_dim > 0) factor = yarn_get_mscale(rs.factor, rs.mscale) / yarn_get_mscale(rs.factor, rs.mscale_all_dim);
    else factor = yarn_get_mscale(rs.factor, rs.mscale);
  } else if (rs.type == RopeScalingType::llama3) {
    // transformers' _compute_llama3_parameters, float32 as torch evaluates it: a python scalar over a
    // tensor is reciprocal() times the scalar, and scalars are rounded to float32 before each op.
    const float f = float(rs.factor), low = float(rs.low_freq_factor);
    const float old_context = float(rs.original_max_position_embeddings);
    const float low_freq_wavelen = float(double(rs.original_max_position_embeddings) / rs.low_freq_factor);
    const float high_freq_wavelen = float(double(rs.original_max_position_embeddings) / rs.high_freq_factor);
    const float two_pi = float(2 * M_PI), high_minus_low = float(rs.high_freq_factor - rs.low_freq_factor);
    for (int64_t i = 0; i < dim / 2; ++i) {
      const float base_inv = float(inv[size_t(i)]);
      const float wavelen = (1.0f / base_inv) * two_pi;
      float scaled = wavelen > low_freq_wavelen ? base_inv / f : base_inv;
      const float smooth = ((1.0f / wavelen) * old_context - low) / high_minus_low;
      const float smoothed = (1.0f - smooth) * scaled / f + smooth * scaled;
      const bool medium = !(wavelen < high_freq_wavelen) && !(wavelen > low_freq_wavelen);
      if (medium) scaled = smoothed;
      inv[size_t(i)] = scaled;
    }
  }
  if (attention_factor) *attention_factor = factor;
  return inv;
}

RopeTables make_rope_tables(const ModelConfig& c, DType dtype, Device device) {
  double factor = 1.0;
  auto inv = rope_inverse_frequencies(c, &factor);
  const int64_t half = int64_t(inv.size()), positions = c.max_position_embeddings;
  Tensor cos64 = Tensor::empty({positions, half}, DType::f64), sin64 = Tensor::empty({positions, half}, DType::f64);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < half; ++i) {
      // Angles in float like transformers (inv_freq float32 times position), then cos/sin.
      double angle = double(float(double(p) * float(inv[size_t(i)])));
      cos64.data<double>()[p * half + i] = std::cos(angle) * factor;
      sin64.data<double>()[p * half + i] = std::sin(angle) * factor;
    }
  RopeTables t;
  t.cos = Tensor::empty({positions, half}, dtype);
  t.sin = Tensor::empty({positions, half}, dtype);
  for (int64_t i = 0; i < positions * half; ++i) {
    if (dtype == DType::f64) {
      t.cos.data<double>()[i] = cos64.data<double>()[i];
      t.sin.data<double>()[i] = sin64.data<double>()[i];
    } else {
      t.cos.data<float>()[i] = float(cos64.data<double>()[i]);
      t.sin.data<float>()[i] = float(sin64.data<double>()[i]);
    }
  }
  if (device != Device::host) {
    t.cos = t.cos.to(device);
    t.sin = t.sin.to(device);
  }
  return t;
}

}  // namespace r1

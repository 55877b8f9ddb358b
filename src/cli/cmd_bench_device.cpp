// `r1 bench device`: the two ceilings of the machine r1 runs on, measured the way METHOD.md asks —
// the bf16 GEMM rate through r1's GEMM (cuBLAS on GPUs; 8192^3 by default, random operands, median
// of timed repeats after warm-up) and the device-to-device copy bandwidth (bytes read + written).
// They are the denominators of MFU and of the decode weight-read floor in the other benchmarks. On a
// GPU it also times the few-row products of a decoding step against that bandwidth.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cli/command.hpp"
#include "core/log.hpp"
#include "kernels/ops.hpp"
#include "kernels/runtime.hpp"

namespace r1::cli {

namespace {
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median seconds of one call of `work` (run `inner` times between two device waits, so launch gaps
// between calls do not count) over `repeats` timed rounds after `warmup` untimed ones.
template <class Work>
double median_seconds(int64_t repeats, int64_t warmup, int inner, Work&& work) {
  std::vector<double> seconds;
  for (int64_t r = 0; r < repeats + warmup; ++r) {
    ComputeRuntime::synchronize_device();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) work();
    ComputeRuntime::synchronize_device();
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    if (r >= warmup) seconds.push_back(std::chrono::duration<double>(elapsed).count() / inner);
  }
  return median(seconds);
}

// The products of one decoding step of the Qwen2-1.5B benchmark shape (x [rows, k] times weight
// [n, k]^T: q/k/v, o, gate/up, down, LM head), each as the weight bytes it reads per second.
void report_decode_gemms(int rows, int64_t repeats) {
  struct Shape {
    const char* name;
    int64_t n, k;
  };
  const Shape shapes[] = {{"qkv", 2048, 1536}, {"o", 1536, 1536}, {"gate_up", 17920, 1536}, {"down", 1536, 8960},
                          {"lm_head", 151936, 1536}};
  for (const Shape& s : shapes) {
    Tensor x = Tensor::zeros({rows, s.k}, DType::bf16, Device::cuda);
    Tensor w = Tensor::zeros({s.n, s.k}, DType::bf16, Device::cuda);
    Tensor y = Tensor::empty({rows, s.n}, s.n > 100000 ? DType::f32 : DType::bf16, Device::cuda);
    const double t =
        median_seconds(repeats, 2, 20, [&] { ops::gemm(x, ops::Trans::no, w, ops::Trans::yes, y, 1.0, 0.0); });
    char line[256];
    std::snprintf(line, sizeof line, "bench device: decode GEMM %-7s %d x %lld x %lld: %.1f us, %.0f GB/s of weights",
                  s.name, rows, (long long)s.n, (long long)s.k, t * 1e6, double(s.n * s.k * 2) / t / 1e9);
    log_line(line);
  }
}

int bench_device(const Args& a, const Comm&) {
  int argc = 0;
  ComputeRuntime runtime(argc, nullptr, 1);
  const bool cuda = a.get("--device", "cuda") == "cuda";
  if (cuda) ComputeRuntime::enable_cuda(0);
  const Device dev = cuda ? Device::cuda : Device::host;
  const DType dt = cuda ? DType::bf16 : DType::f32;
  const int64_t n = a.get_int("--size", cuda ? 8192 : 1024), repeats = a.get_int("--repeats", 10);
  Tensor host_a = Tensor::empty({n, n}, DType::f32);
  for (int64_t i = 0; i < n * n; ++i) host_a.data<float>()[i] = float((i * 2654435761u % 1000) / 1000.0 - 0.5);
  Tensor A = Tensor::empty({n, n}, dt, dev), B = Tensor::empty({n, n}, dt, dev), C = Tensor::empty({n, n}, dt, dev);
  Tensor src = host_a.to(dev);
  ops::convert(src, A);
  ops::convert(src, B);
  const double gemm_s =
      median_seconds(repeats, 3, 1, [&] { ops::gemm(A, ops::Trans::no, B, ops::Trans::yes, C, 1.0, 0.0); });
  const int64_t copy_elems = a.get_int("--copy-mb", cuda ? 4096 : 512) * (1 << 20) / 4;
  Tensor x = Tensor::zeros({copy_elems}, DType::f32, dev), y = Tensor::zeros({copy_elems}, DType::f32, dev);
  const double copy_s = median_seconds(repeats, 3, 1, [&] { y.copy_from(x); });
  if (cuda && a.get("--decode-gemms", "yes") == "yes")
    report_decode_gemms(int(a.get_int("--decode-rows", 64)), repeats);
  const double tflops = 2.0 * double(n) * double(n) * double(n) / gemm_s / 1e12;
  const double gbps = 2.0 * double(copy_elems) * 4 / copy_s / 1e9;
  char line[256];
  std::snprintf(line, sizeof line, "bench device: %s %s GEMM %lld^3: %.1f TFLOP/s (median of %lld); copy: %.0f GB/s (read + write)",
                device_name(dev), dtype_name(dt), (long long)n, tflops, (long long)repeats, gbps);
  log_line(line);
  return 0;
}

Registrar reg(Command{"bench device", "measured GEMM rate and copy bandwidth (the MFU and roofline denominators)", "", {},
                      {{"--device", "NAME", "cuda or host", "cuda"},
                       {"--size", "N", "GEMM size N x N x N"},
                       {"--copy-mb", "MB", "bytes copied device to device"},
                       {"--repeats", "N", "timed repeats (median reported)", "10"},
                       {"--decode-gemms", "yes|no", "also time the decoding step's products (GPU)", "yes"},
                       {"--decode-rows", "N", "rows (sequences) of those products", "64"}},
                      false, true, bench_device});
}  // namespace

}  // namespace r1::cli

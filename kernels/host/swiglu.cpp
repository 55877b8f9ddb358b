// Host SwiGLU kernels: gate_up [N, 2I] holds the gate in columns [0, I) and the up projection in
// [I, 2I); out = silu(gate) * up with silu(g) = g * sigmoid(g). The sigmoid is evaluated without
// overflow for large |g|.
#include <cmath>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {
// 1 / (1 + exp(-g)) for g >= 0 and exp(g) / (1 + exp(g)) below, never exponentiating a large
// positive number. Branch-free (the sign of a pre-activation is a coin flip, and a mispredicted
// branch per element cost more than the exponential); the same bits as the two-branch form.
template <class T>
inline T stable_sigmoid(T g) {
  const T e = std::exp(-std::fabs(g));
  return (g >= T(0) ? T(1) : e) / (T(1) + e);
}

// Returns I (columns of out) after checking gate_up is [N, 2I] for N = rows of `per_row`.
int64_t check_swiglu_shapes(const char* op, const Tensor& gate_up, const Tensor& per_row) {
  check_same_dtype(op, gate_up, per_row);
  int64_t inter = per_row.cols();
  R1_CHECK(gate_up.cols() == 2 * inter && gate_up.rows() == per_row.rows(), op, ": gate_up ", gate_up.describe(),
           " should be [", per_row.rows(), ", ", 2 * inter, "] for ", per_row.describe());
  return inter;
}
}  // namespace

void swiglu_forward(const Tensor& gate_up, Tensor& out) {
  int64_t inter = check_swiglu_shapes("swiglu_forward", gate_up, out);
  dispatch_float(out, "swiglu_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pgu = gate_up.data<T>();  // [N, 2I]
    T* po = out.data<T>();             // [N, I]
    parallel_for("swiglu_forward", out.rows(), [=](int64_t r) {
      const T *g = pgu + r * 2 * inter, *u = g + inter;
      T* o = po + r * inter;
      for (int64_t j = 0; j < inter; ++j) o[j] = g[j] * stable_sigmoid(g[j]) * u[j];
    });
  });
}

// d silu(g)/dg = sig + g sig (1 - sig) = sig (1 + g (1 - sig)).
void swiglu_backward(const Tensor& gate_up, const Tensor& dout, Tensor& dgate_up) {
  int64_t inter = check_swiglu_shapes("swiglu_backward", gate_up, dout);
  check_same_dtype("swiglu_backward", gate_up, dgate_up);
  check_numel("swiglu_backward", dgate_up, gate_up.numel(), "dgate_up");
  dispatch_float(dgate_up, "swiglu_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T *pgu = gate_up.data<T>(), *pdo = dout.data<T>();
    T* pdgu = dgate_up.data<T>();  // [N, 2I]
    parallel_for("swiglu_backward", dout.rows(), [=](int64_t r) {
      const T *g = pgu + r * 2 * inter, *u = g + inter, *dy = pdo + r * inter;
      T *dg = pdgu + r * 2 * inter, *du = dg + inter;
      for (int64_t j = 0; j < inter; ++j) {
        T gj = g[j], uj = u[j], dyj = dy[j];  // read before writing: dgate_up may alias gate_up
        T sig = stable_sigmoid(gj);
        du[j] = dyj * gj * sig;
        dg[j] = dyj * uj * sig * (T(1) + gj * (T(1) - sig));
      }
    });
  });
}

}  // namespace r1::ops::host

// Host token_logprobs: the log-prob of a chosen token per row of logits (the rollout's record of
// what it sampled), reduced like the LM head's rows (row_lse.hpp).
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"
#include "kernels/host/row_lse.hpp"

namespace r1::ops::host {

void token_logprobs(const Tensor& logits, const Tensor& tokens, double scale, Tensor& logp) {
  const char* op = "token_logprobs";
  const int64_t rows = logits.rows(), vocab = logits.cols();
  check_host(op, logits);
  check_host(op, tokens);
  check_host(op, logp);
  check_same_dtype(op, logits, logp);
  R1_CHECK(tokens.dtype() == DType::i32, op, ": tokens must be i32, got ", tokens.describe());
  check_numel(op, tokens, rows, "tokens");
  check_numel(op, logp, rows, "logp");
  const int32_t* pt = tokens.data<int32_t>();
  for (int64_t r = 0; r < rows; ++r)
    R1_CHECK(pt[r] >= 0 && pt[r] < vocab, op, ": token ", pt[r], " at row ", r, " is outside the vocabulary of ", vocab);
  dispatch_float(logits, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* lg = logits.data<T>();
    T* out = logp.data<T>();
    parallel_for(op, rows, [=](int64_t r) {
      std::vector<T> z(static_cast<size_t>(vocab));  // the scaled row, in the logits' dtype
      for (int64_t v = 0; v < vocab; ++v) z[size_t(v)] = T(double(lg[r * vocab + v]) * scale);
      out[r] = T(double(z[size_t(pt[r])]) - row_log_sum_exp(z.data(), vocab));
    });
  });
}

}  // namespace r1::ops::host

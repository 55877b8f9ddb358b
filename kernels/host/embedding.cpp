// Host token-embedding kernels: the row gather (forward) and its scatter-add (backward). The
// backward is parallel over column blocks and walks tokens in order inside each block, so repeated
// ids accumulate without races and in a fixed order (bit-reproducible for any thread count).
#include <algorithm>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {
// Every id must name a row of a table with `vocab` rows.
void check_ids(const char* op, const int32_t* ids, int64_t n, int64_t vocab) {
  for (int64_t i = 0; i < n; ++i)
    R1_CHECK(ids[i] >= 0 && ids[i] < vocab, op, ": token id ", ids[i], " at position ", i,
             " is outside the vocabulary [0, ", vocab, ")");
}

constexpr int64_t kColumnBlock = 64;  // columns one backward task owns
}  // namespace

void embedding_forward(const Tensor& ids, const Tensor& table, Tensor& out) {
  check_host("embedding_forward", ids);
  R1_CHECK(ids.dtype() == DType::i32, "embedding_forward: ids must be i32, got ", ids.describe());
  check_same_dtype("embedding_forward", table, out);
  int64_t n = ids.numel(), vocab = table.rows(), d = table.cols();
  R1_CHECK(out.cols() == d, "embedding_forward: output ", out.describe(), " should have ", d, " columns");
  check_numel("embedding_forward", out, n * d, "output");
  const int32_t* pid = ids.data<int32_t>();
  check_ids("embedding_forward", pid, n, vocab);
  dispatch_float(out, "embedding_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pt = table.data<T>();
    T* po = out.data<T>();  // [n, d]
    parallel_for("embedding_forward", n, [=](int64_t i) {
      const T* src = pt + int64_t(pid[i]) * d;
      std::copy(src, src + d, po + i * d);
    });
  });
}

void embedding_backward(const Tensor& ids, const Tensor& dout, Tensor& dtable) {
  check_host("embedding_backward", ids);
  R1_CHECK(ids.dtype() == DType::i32, "embedding_backward: ids must be i32, got ", ids.describe());
  check_same_dtype("embedding_backward", dout, dtable);
  int64_t n = ids.numel(), vocab = dtable.rows(), d = dtable.cols();
  R1_CHECK(dout.cols() == d, "embedding_backward: dout ", dout.describe(), " should have ", d, " columns");
  check_numel("embedding_backward", dout, n * d, "dout");
  const int32_t* pid = ids.data<int32_t>();
  check_ids("embedding_backward", pid, n, vocab);
  int64_t blocks = (d + kColumnBlock - 1) / kColumnBlock;
  dispatch_float(dtable, "embedding_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pd = dout.data<T>();  // [n, d]
    T* pt = dtable.data<T>();      // [vocab, d]
    parallel_for("embedding_backward", blocks, [=](int64_t b) {
      int64_t c0 = b * kColumnBlock, c1 = std::min(d, c0 + kColumnBlock);
      for (int64_t i = 0; i < n; ++i) {
        const T* src = pd + i * d;
        T* dst = pt + int64_t(pid[i]) * d;
        for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
      }
    });
  });
}

}  // namespace r1::ops::host

// CUDA generation kernels against the float64 host version: row scatter (into a column range) and
// row gather with indices on the host or the device, and cached attention for GQA caches and MLA's
// shared latent cache (values = first v_dim key columns), f32 and bf16, prefixes from one position up
// to a full 4096-position cache; outputs fully written and reproducible, and the same bits for a
// row whether it is decoded alone or in a batch that fills the device.
#include <tuple>

#include "gpu/cuda_test_support.hpp"

using namespace r1;
using namespace r1::test;
using namespace r1::test::gpu;

namespace {
// A permutation of [0, n) truncated to k distinct rows.
Tensor distinct_rows(int64_t k, int64_t n, uint64_t seed) {
  Tensor r = random_ints({k}, 0, n, seed);
  for (int64_t i = 0; i < k; ++i) r.data<int32_t>()[i] = int32_t((i * 7919 + r.data<int32_t>()[0]) % n);
  return r;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(test_cuda_kv_cache, CudaFixture)

BOOST_AUTO_TEST_CASE(scatter_and_gather_rows) {
  for (auto [n, width, dst_rows, dst_cols, dst_col] : {std::tuple{1, 3, 4, 5, 2}, {17, 64, 100, 576, 512}, {300, 128, 1000, 128, 0}})
    for (DType dt : {DType::f32, DType::bf16})
      for (bool rows_on_device : {false, true}) {
        Tensor rows = distinct_rows(n, dst_rows, 150);
        Tensor src = host_random({n, width}, dt, 151), dst0 = host_random({dst_rows, dst_cols}, dt, 152);
        Tensor ref = as_f64(dst0);
        ops::scatter_rows(as_f64(src), rows, ref, dst_col);
        Tensor dst = to_device(dst0);
        ops::scatter_rows(to_device(src), rows_on_device ? to_device(rows) : rows, dst, dst_col);
        expect_close(dst, ref, 1e-12, "scatter_rows n=" + std::to_string(n));

        Tensor table = host_random({dst_rows, width}, dt, 153);
        Tensor g_ref = Tensor::empty({n, width}, DType::f64);
        ops::gather_rows(as_f64(table), rows, g_ref);
        Tensor g = poisoned({n, width}, dt);
        ops::gather_rows(to_device(table), rows_on_device ? to_device(rows) : rows, g);
        expect_close(g, g_ref, 1e-12, "gather_rows n=" + std::to_string(n));
      }
}

BOOST_AUTO_TEST_CASE(cached_attention_gqa_and_shared_latent) {
  struct Case {
    std::string name;
    int64_t slots, capacity, kv_heads, key_dim, q_heads, value_dim;
    bool shared;
  };
  const Case cases[] = {
      {"gqa small", 3, 50, 2, 16, 4, 16, false},
      {"gqa bench", 4, 4096, 2, 128, 12, 128, false},  // bf16: tensor cores, 128-key chunks
      {"gqa 16 heads per kv head", 3, 200, 1, 64, 16, 64, false},
      {"gqa 20 heads per kv head", 2, 70, 1, 64, 20, 64, false},  // bf16: two head tiles, scalar kernel
      {"mla latent", 3, 300, 1, 576, 16, 512, true},
      {"odd", 2, 9, 1, 5, 3, 3, false},
  };
  uint64_t seed = 160;
  for (const Case& c : cases)
    for (DType dt : {DType::f32, DType::bf16}) {
      const int64_t n = 6;
      Tensor slot = random_ints({n}, 0, c.slots, seed++), pos = random_ints({n}, 0, c.capacity, seed++);
      pos.data<int32_t>()[0] = 0;                         // a one-position prefix
      pos.data<int32_t>()[1] = int32_t(c.capacity - 1);  // a full cache
      Tensor q = host_random({n, c.q_heads, c.key_dim}, dt, seed++);
      Tensor k_cache = host_random({c.slots, c.capacity, c.kv_heads, c.key_dim}, dt, seed++);
      Tensor v_cache = c.shared ? Tensor() : host_random({c.slots, c.capacity, c.kv_heads, c.value_dim}, dt, seed++);
      const double scale = 0.3;
      Tensor ref = Tensor::empty({n, c.q_heads, c.value_dim}, DType::f64);
      ops::attention_cached(as_f64(q), as_f64(k_cache), c.shared ? Tensor() : as_f64(v_cache), c.value_dim, slot, pos,
                            scale, ref);
      const Tensor dq = to_device(q), dk = to_device(k_cache), dv = c.shared ? Tensor() : to_device(v_cache);
      for (bool indices_on_device : {false, true}) {
        Tensor out = poisoned({n, c.q_heads, c.value_dim}, dt), again = poisoned({n, c.q_heads, c.value_dim}, dt);
        const Tensor s = indices_on_device ? to_device(slot) : slot, p = indices_on_device ? to_device(pos) : pos;
        ops::attention_cached(dq, dk, dv, c.value_dim, s, p, scale, out);
        ops::attention_cached(dq, dk, dv, c.value_dim, s, p, scale, again);
        expect_close(out, ref, tolerance(dt), "attention_cached " + c.name + " " + dtype_name(dt));
        BOOST_TEST(same_bits(out, again), "attention_cached is reproducible " << c.name);
      }
    }
}

BOOST_AUTO_TEST_CASE(cached_attention_rows_do_not_depend_on_the_batch) {
  // A few rows split their keys over blocks and a combine kernel; a batch that fills the device takes
  // one block per (row, KV head) that combines itself. The same rows must come out with the same bits.
  const int64_t slots = 8, capacity = 640, kv_heads = 2, dim = 128, q_heads = 12, few = 5, many = 80;
  Tensor k_cache = to_device(host_random({slots, capacity, kv_heads, dim}, DType::bf16, 300));
  Tensor v_cache = to_device(host_random({slots, capacity, kv_heads, dim}, DType::bf16, 301));
  Tensor q = host_random({many, q_heads, dim}, DType::bf16, 302);
  Tensor slot = random_ints({many}, 0, slots, 303), pos = random_ints({many}, 0, capacity, 304);
  pos.data<int32_t>()[0] = int32_t(capacity - 1);
  Tensor all = poisoned({many, q_heads, dim}, DType::bf16);
  ops::attention_cached(to_device(q), k_cache, v_cache, dim, slot, pos, 0.1, all);
  Tensor first = poisoned({few, q_heads, dim}, DType::bf16);
  ops::attention_cached(to_device(q.slice(0, few)), k_cache, v_cache, dim, slot.slice(0, few), pos.slice(0, few), 0.1,
                        first);
  BOOST_TEST(same_bits(first, all.slice(0, few)));
}

BOOST_AUTO_TEST_SUITE_END()

// Embedding kernels: the forward gather against a float64 loop, f32 against f64, the backward
// against central finite differences, repeated ids accumulating, and out-of-range ids raising.
#include <boost/test/unit_test.hpp>

#include <string>

#include "common/test_support.hpp"
#include "kernels/ops.hpp"

using namespace r1;
using namespace r1::test;

namespace {
// L = sum(r ⊙ y), the scalar loss whose gradient with respect to y is r.
double weighted_sum(const Tensor& r, const Tensor& y) {
  auto rv = to_f64_vector(r), yv = to_f64_vector(y);
  double s = 0;
  for (size_t i = 0; i < rv.size(); ++i) s += rv[i] * yv[i];
  return s;
}

struct EmbeddingShape {
  int64_t vocab, dim, tokens;
};
const EmbeddingShape kShapes[] = {{1, 1, 1}, {7, 5, 33}, {50, 64, 7}, {3, 70, 33}};

// True when the exception message contains every one of `parts`.
auto message_has(std::initializer_list<std::string> parts) {
  return [parts = std::vector<std::string>(parts)](const Error& e) {
    std::string what = e.what();
    for (const auto& p : parts)
      if (what.find(p) == std::string::npos) return false;
    return true;
  };
}
}  // namespace

BOOST_AUTO_TEST_SUITE(test_embedding)

BOOST_AUTO_TEST_CASE(forward_matches_float64_gather) {
  for (auto [vocab, dim, tokens] : kShapes) {
    Tensor ids = random_ints({tokens}, 0, vocab, 100 + tokens);
    Tensor table = random_tensor({vocab, dim}, DType::f64, 101);
    Tensor out = Tensor::zeros({tokens, dim}, DType::f64);
    ops::embedding_forward(ids, table, out);
    auto tv = to_f64_vector(table);
    std::vector<double> ref(size_t(tokens * dim));
    for (int64_t i = 0; i < tokens; ++i)
      for (int64_t j = 0; j < dim; ++j) ref[size_t(i * dim + j)] = tv[size_t(ids.data<int32_t>()[i] * dim + j)];
    BOOST_TEST(rel_error(to_f64_vector(out), ref) == 0.0, "vocab=" << vocab << " dim=" << dim << " tokens=" << tokens);

    Tensor out32 = Tensor::zeros({tokens, dim}, DType::f32);
    ops::embedding_forward(ids, cast(table, DType::f32), out32);
    BOOST_TEST(rel_error(out32, out) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(backward_matches_finite_differences) {
  for (auto [vocab, dim, tokens] : kShapes) {
    Tensor ids = random_ints({tokens}, 0, vocab, 200 + tokens);
    Tensor table = random_tensor({vocab, dim}, DType::f64, 201);
    Tensor r = random_tensor({tokens, dim}, DType::f64, 202);
    Tensor out = Tensor::zeros({tokens, dim}, DType::f64);
    auto loss = [&] {
      ops::embedding_forward(ids, table, out);
      return weighted_sum(r, out);
    };
    // Accumulates: start from a non-zero gradient and check the increment.
    Tensor dtable0 = random_tensor({vocab, dim}, DType::f64, 203);
    Tensor dtable = dtable0.clone();
    ops::embedding_backward(ids, r, dtable);
    Tensor increment = dtable.clone();
    ops::axpy(-1.0, dtable0, increment);
    GradCheckResult g = check_gradient(table, loss, increment, 128);
    BOOST_TEST(g.rel_error < 1e-6, "vocab=" << vocab << " dim=" << dim << " tokens=" << tokens << " err=" << g.rel_error);

    Tensor dtable32 = cast(dtable0, DType::f32);
    ops::embedding_backward(ids, cast(r, DType::f32), dtable32);
    BOOST_TEST(rel_error(dtable32, dtable) < 1e-6);
  }
}

BOOST_AUTO_TEST_CASE(repeated_ids_accumulate_in_order) {
  Tensor ids = Tensor::from_vector(std::vector<int32_t>{2, 0, 2, 2, 1});
  Tensor dout = Tensor::from_vector(std::vector<double>{1, 10, 2, 20, 3, 30, 4, 40, 5, 50}, {5, 2});
  Tensor dtable = Tensor::from_vector(std::vector<double>{0.5, 0.5, 0, 0, 100, 200}, {3, 2});
  ops::embedding_backward(ids, dout, dtable);
  std::vector<double> expected = {0.5 + 2, 0.5 + 20, 5, 50, 100 + 1 + 3 + 4, 200 + 10 + 30 + 40};
  BOOST_TEST(to_f64_vector(dtable) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(out_of_range_id_raises) {
  Tensor table = random_tensor({5, 3}, DType::f64, 300);
  Tensor out = Tensor::zeros({3, 3}, DType::f64);
  Tensor too_big = Tensor::from_vector(std::vector<int32_t>{0, 5, 1});
  BOOST_CHECK_EXCEPTION(ops::embedding_forward(too_big, table, out), Error, message_has({"id 5", "position 1"}));
  Tensor negative = Tensor::from_vector(std::vector<int32_t>{0, 1, -1});
  BOOST_CHECK_EXCEPTION(ops::embedding_forward(negative, table, out), Error, message_has({"id -1", "position 2"}));
  Tensor dtable = Tensor::zeros({5, 3}, DType::f64);
  BOOST_CHECK_EXCEPTION(ops::embedding_backward(too_big, out, dtable), Error, message_has({"id 5", "position 1"}));
  BOOST_TEST(max_abs(dtable) == 0.0);  // nothing written before the check failed
}

BOOST_AUTO_TEST_SUITE_END()

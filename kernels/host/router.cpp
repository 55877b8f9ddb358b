// Host MoE router (DeepSeek-V3, as Hugging Face's DeepseekV3TopkRouter computes it): sigmoid or
// softmax scores, group-limited top-k choice on the bias-corrected scores, normalised and scaled
// weights from the unbiased scores; the backward through normalisation and scoring; and the
// sequence-wise balance loss with its gradient. Tokens are processed in parallel blocks, each token
// independently, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/host/host_common.hpp"
#include "kernels/host/host_ops.hpp"

namespace r1::ops::host {

namespace {

constexpr int64_t kTokenBlock = 64;  // tokens per parallel work item (scratch is allocated per block)
constexpr double kNormEps = 1e-20;   // Hugging Face's denominator guard: sum of weights + 1e-20

void check_router_params(const RouterParams& p, int64_t experts) {
  R1_CHECK(p.n_group >= 1 && experts % p.n_group == 0, "router: ", experts, " experts do not split into n_group=",
           p.n_group, " equal groups");
  R1_CHECK(p.topk_group >= 1 && p.topk_group <= p.n_group, "router: topk_group=", p.topk_group, " outside [1, n_group=",
           p.n_group, "]");
  int64_t eligible = p.topk_group * (experts / p.n_group);
  R1_CHECK(p.top_k >= 1 && p.top_k <= eligible, "router: top_k=", p.top_k, " outside [1, ", eligible,
           "] (experts in the kept groups)");
}

// Every chosen expert index lies in [0, experts) (checked serially, before any parallel loop).
void check_expert_indices(const char* op, const Tensor& topk_idx, int64_t top_k, int64_t experts) {
  const int32_t* idx = topk_idx.data<int32_t>();
  for (int64_t i = 0; i < topk_idx.numel(); ++i)
    R1_CHECK(idx[i] >= 0 && idx[i] < experts, op, ": topk_idx[", i / top_k, ", ", i % top_k, "] = ", idx[i],
             " outside [0, ", experts, ")");
}

// Scores of one token's row from its logits: sigmoid, or a max-subtracted softmax over experts.
template <class T>
void score_row(const T* logits, int64_t experts, RouterScoring scoring, T* scores) {
  if (scoring == RouterScoring::sigmoid) {
    for (int64_t e = 0; e < experts; ++e) scores[e] = T(1.0 / (1.0 + std::exp(-double(logits[e]))));
    return;
  }
  double max_logit = double(logits[0]);
  for (int64_t e = 1; e < experts; ++e) max_logit = std::max(max_logit, double(logits[e]));
  double denom = 0;
  for (int64_t e = 0; e < experts; ++e) denom += std::exp(double(logits[e]) - max_logit);
  for (int64_t e = 0; e < experts; ++e) scores[e] = T(std::exp(double(logits[e]) - max_logit) / denom);
}

// Picks one token's experts: groups ranked by the sum of their two best choice scores (ties: lower
// group first), the best topk_group kept, then the top_k kept experts by choice score (ties: lower
// expert first), written in descending order. `order` is scratch of size max(experts, n_group).
template <class T>
void choose_experts(const T* choice, int64_t experts, const RouterParams& p, std::vector<int64_t>& order,
                    std::vector<T>& group_score, std::vector<char>& group_kept, int32_t* chosen) {
  const int64_t group_size = experts / p.n_group;
  auto better = [&](const T* value) {
    return [value](int64_t a, int64_t b) { return value[a] > value[b] || (value[a] == value[b] && a < b); };
  };
  std::fill(group_kept.begin(), group_kept.end(), char(p.n_group == 1));
  if (p.n_group > 1) {
    for (int64_t g = 0; g < p.n_group; ++g) {
      const T* c = choice + g * group_size;
      T best = c[0], second = T(-INFINITY);
      for (int64_t j = 1; j < group_size; ++j) {
        if (c[j] > best) {
          second = best;
          best = c[j];
        } else if (c[j] > second) {
          second = c[j];
        }
      }
      group_score[size_t(g)] = group_size >= 2 ? T(best + second) : best;
      order[size_t(g)] = g;
    }
    std::partial_sort(order.begin(), order.begin() + p.topk_group, order.begin() + p.n_group,
                      better(group_score.data()));
    for (int64_t i = 0; i < p.topk_group; ++i) group_kept[size_t(order[size_t(i)])] = 1;
  }
  int64_t candidates = 0;
  for (int64_t e = 0; e < experts; ++e)
    if (group_kept[size_t(e / group_size)]) order[size_t(candidates++)] = e;
  std::partial_sort(order.begin(), order.begin() + p.top_k, order.begin() + candidates, better(choice));
  for (int64_t k = 0; k < p.top_k; ++k) chosen[k] = int32_t(order[size_t(k)]);
}

// dL/dlogits of one row from dL/dscores: sigmoid' = s (1 - s); the softmax Jacobian
// dlogit_i = s_i (ds_i - sum_j s_j ds_j); times factor. Writes (accumulate = false) or adds into dlogits.
template <class T>
void scores_to_logits_grad(const T* scores, const double* dscores, int64_t experts, RouterScoring scoring,
                           double factor, bool accumulate, T* dlogits) {
  double weighted = 0;
  if (scoring == RouterScoring::softmax)
    for (int64_t e = 0; e < experts; ++e) weighted += double(scores[e]) * dscores[e];
  for (int64_t e = 0; e < experts; ++e) {
    double s = double(scores[e]);
    double g = scoring == RouterScoring::sigmoid ? dscores[e] * s * (1.0 - s) : s * (dscores[e] - weighted);
    g *= factor;
    dlogits[e] = accumulate ? T(double(dlogits[e]) + g) : T(g);
  }
}

}  // namespace

void router_forward(const Tensor& logits, const Tensor& bias, const RouterParams& p, Tensor& scores,
                    Tensor& topk_idx, Tensor& topk_weight) {
  const int64_t tokens = logits.rows(), experts = logits.cols(), top_k = p.top_k;
  check_router_params(p, experts);
  check_same_dtype("router_forward", logits, scores);
  check_same_dtype("router_forward", logits, topk_weight);
  check_numel("router_forward", scores, tokens * experts, "scores");
  check_numel("router_forward", topk_idx, tokens * top_k, "topk_idx");
  check_numel("router_forward", topk_weight, tokens * top_k, "topk_weight");
  R1_CHECK(topk_idx.dtype() == DType::i32, "router_forward: topk_idx must be i32, got ", topk_idx.describe());
  if (bias.defined()) {
    check_same_dtype("router_forward", logits, bias);
    check_numel("router_forward", bias, experts, "bias");
  }
  dispatch_float(logits, "router_forward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* pl = logits.data<T>();
    const T* pb = bias.defined() ? bias.data<T>() : nullptr;
    T* ps = scores.data<T>();
    int32_t* pi = topk_idx.data<int32_t>();
    T* pw = topk_weight.data<T>();
    const int64_t blocks = (tokens + kTokenBlock - 1) / kTokenBlock;
    parallel_for("router_forward", blocks, [=, &p](int64_t block) {
      std::vector<T> choice(static_cast<size_t>(experts));           // [E] biased scores
      std::vector<T> group_score(static_cast<size_t>(p.n_group));    // [n_group]
      std::vector<int64_t> order(size_t(std::max(experts, p.n_group)));
      std::vector<char> group_kept(size_t(p.n_group));
      const int64_t end = std::min(tokens, (block + 1) * kTokenBlock);
      for (int64_t t = block * kTokenBlock; t < end; ++t) {
        T* s = ps + t * experts;
        score_row(pl + t * experts, experts, p.scoring, s);
        for (int64_t e = 0; e < experts; ++e) choice[size_t(e)] = pb ? T(s[e] + pb[e]) : s[e];
        int32_t* chosen = pi + t * top_k;
        choose_experts(choice.data(), experts, p, order, group_score, group_kept, chosen);
        double total = 0;
        for (int64_t k = 0; k < top_k; ++k) total += double(s[chosen[k]]);
        const double factor = p.routed_scaling_factor / (p.norm_topk_prob ? total + kNormEps : 1.0);
        for (int64_t k = 0; k < top_k; ++k) pw[t * top_k + k] = T(double(s[chosen[k]]) * factor);
      }
    });
  });
}

void router_backward(const Tensor& scores, const Tensor& topk_idx, const Tensor& dweight, const RouterParams& p,
                     Tensor& dlogits) {
  const int64_t tokens = scores.rows(), experts = scores.cols(), top_k = p.top_k;
  check_same_dtype("router_backward", scores, dweight);
  check_same_dtype("router_backward", scores, dlogits);
  check_numel("router_backward", topk_idx, tokens * top_k, "topk_idx");
  check_numel("router_backward", dweight, tokens * top_k, "dweight");
  check_numel("router_backward", dlogits, tokens * experts, "dlogits");
  R1_CHECK(topk_idx.dtype() == DType::i32, "router_backward: topk_idx must be i32, got ", topk_idx.describe());
  check_expert_indices("router_backward", topk_idx, top_k, experts);
  dispatch_float(scores, "router_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = scores.data<T>();
    const int32_t* pi = topk_idx.data<int32_t>();
    const T* pdw = dweight.data<T>();
    T* pdl = dlogits.data<T>();
    const int64_t blocks = (tokens + kTokenBlock - 1) / kTokenBlock;
    parallel_for("router_backward", blocks, [=, &p](int64_t block) {
      std::vector<double> dscores(static_cast<size_t>(experts));  // [E]
      const int64_t end = std::min(tokens, (block + 1) * kTokenBlock);
      for (int64_t t = block * kTokenBlock; t < end; ++t) {
        const T* s = ps + t * experts;
        const int32_t* chosen = pi + t * top_k;
        const T* dw = pdw + t * top_k;
        std::fill(dscores.begin(), dscores.end(), 0.0);
        // w_k = c s_k / D with D = sum_m s_m + eps: dL/ds_k = c (dw_k / D - sum_m dw_m s_m / D^2).
        double total = 0, dot = 0;
        for (int64_t k = 0; k < top_k; ++k) {
          total += double(s[chosen[k]]);
          dot += double(dw[k]) * double(s[chosen[k]]);
        }
        const double c = p.routed_scaling_factor;
        const double denom = p.norm_topk_prob ? total + kNormEps : 1.0;
        const double shared = p.norm_topk_prob ? dot / (denom * denom) : 0.0;
        for (int64_t k = 0; k < top_k; ++k) dscores[size_t(chosen[k])] += c * (double(dw[k]) / denom - shared);
        scores_to_logits_grad(s, dscores.data(), experts, p.scoring, 1.0, false, pdl + t * experts);
      }
    });
  });
}

double router_seq_aux_loss(const Tensor& scores, const Tensor& topk_idx, const SeqOffsets& seqs, double alpha,
                           const RouterParams& p, double weight, Tensor& dlogits) {
  const int64_t tokens = scores.rows(), experts = scores.cols(), top_k = p.top_k;
  check_same_dtype("router_seq_aux_loss", scores, dlogits);
  check_numel("router_seq_aux_loss", topk_idx, tokens * top_k, "topk_idx");
  check_numel("router_seq_aux_loss", dlogits, tokens * experts, "dlogits");
  R1_CHECK(topk_idx.dtype() == DType::i32, "router_seq_aux_loss: topk_idx must be i32, got ", topk_idx.describe());
  for (size_t s = 0; s + 1 < seqs.size(); ++s)
    R1_CHECK(seqs[s] >= 0 && seqs[s] <= seqs[s + 1] && seqs[s + 1] <= tokens, "router_seq_aux_loss: sequence ", s,
             " spans rows [", seqs[s], ", ", seqs[s + 1], ") outside [0, ", tokens, ")");
  const int64_t n_seqs = std::max<int64_t>(int64_t(seqs.size()) - 1, 0);
  check_expert_indices("router_seq_aux_loss", topk_idx, top_k, experts);
  return dispatch_float(scores, "router_seq_aux_loss", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* ps = scores.data<T>();
    const int32_t* pi = topk_idx.data<int32_t>();
    T* pdl = dlogits.data<T>();
    const int64_t* offsets = seqs.data();
    std::vector<double> seq_loss(size_t(n_seqs), 0.0);
    double* pls = seq_loss.data();
    // One work item per sequence: its rows are disjoint from every other sequence's.
    parallel_for("router_seq_aux_loss", n_seqs, [=, &p](int64_t q) {
      const int64_t begin = offsets[q], end = offsets[q + 1], length = end - begin;
      if (length == 0) return;
      std::vector<double> f(size_t(experts), 0.0), prob(size_t(experts), 0.0);  // f_i, P_i: [E]
      std::vector<double> dscores(static_cast<size_t>(experts));                                 // [E]
      for (int64_t t = begin; t < end; ++t)
        for (int64_t k = 0; k < top_k; ++k) f[size_t(pi[t * top_k + k])] += 1.0;
      for (double& v : f) v *= double(experts) / double(top_k * length);
      for (int64_t t = begin; t < end; ++t) {
        const T* s = ps + t * experts;
        double row_sum = 0;
        for (int64_t e = 0; e < experts; ++e) row_sum += double(s[e]);
        for (int64_t e = 0; e < experts; ++e) prob[size_t(e)] += double(s[e]) / row_sum;
      }
      double loss = 0;
      for (int64_t e = 0; e < experts; ++e) loss += f[size_t(e)] * prob[size_t(e)] / double(length);
      pls[q] = alpha * loss;
      // dL/ds'_{t,i} = alpha f_i / T =: g_i; through s' = s / S: dL/ds_{t,j} = (g_j - sum_i g_i s'_{t,i}) / S.
      for (int64_t t = begin; t < end; ++t) {
        const T* s = ps + t * experts;
        double row_sum = 0, weighted = 0;
        for (int64_t e = 0; e < experts; ++e) row_sum += double(s[e]);
        for (int64_t e = 0; e < experts; ++e) weighted += f[size_t(e)] * double(s[e]) / row_sum;
        const double g_scale = alpha / double(length);
        for (int64_t e = 0; e < experts; ++e) dscores[size_t(e)] = g_scale * (f[size_t(e)] - weighted) / row_sum;
        scores_to_logits_grad(s, dscores.data(), experts, p.scoring, weight, true, pdl + t * experts);
      }
    });
    double total = 0;
    for (double v : seq_loss) total += v;
    return weight * total;
  });
}

}  // namespace r1::ops::host

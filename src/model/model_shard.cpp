// Rank grid -> model shard.
#include "model/model_shard.hpp"

namespace r1 {

ModelShard shard_for(const GridLayout& g, const RankPosition& p) {
  ModelShard s;
  s.layer_begin = g.stage_layer_begin[size_t(p.stage)];
  s.layer_end = g.stage_layer_begin[size_t(p.stage + 1)];
  s.has_embedding = p.stage == 0;
  s.has_head = p.stage == g.pp - 1;
  if (g.experts > 0) {
    s.experts.begin = p.ep_rank * g.experts_per_rank();
    s.experts.end = s.experts.begin + g.experts_per_rank();
  }
  return s;
}

bool shard_holds_embedding(const ModelShard& shard, const ModelConfig& c) {
  return shard.has_embedding || (shard.has_head && (c.tie_word_embeddings || c.num_nextn_predict_layers > 0));
}

}  // namespace r1

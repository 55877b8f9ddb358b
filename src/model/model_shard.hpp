// The part of the model a rank holds under a rank grid: its pipeline stage's layers, its expert
// shard, the embedding on the first stage (and on the last stage too when the LM head is tied to it
// or multi-token prediction embeds tokens there), the final norm, LM head and MTP on the last stage.
#pragma once
#include "model/model.hpp"
#include "parallel/grid_layout.hpp"

namespace r1 {

ModelShard shard_for(const GridLayout& grid, const RankPosition& position);
// Whether a shard declares model.embed_tokens.weight (see above).
bool shard_holds_embedding(const ModelShard& shard, const ModelConfig& config);

}  // namespace r1

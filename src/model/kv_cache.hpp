// KV caches for generation. A cache has `slots` sequences of up to `capacity` positions per layer.
// GQA layers cache keys and values [slots, capacity, Hkv, D]; MLA layers cache only what DeepSeek-V3
// caches — the normalised key/value latent and the rotated shared key, [slots, capacity, 1,
// kv_lora_rank + qk_rope_head_dim] — and attend to it in the absorbed form (queries multiplied into
// the latent space by kv_b_proj's key part; outputs mapped back by its value part).
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace r1 {

struct KvCache {
  int64_t slots = 0, capacity = 0;
  std::vector<Tensor> keys;    // per local layer
  std::vector<Tensor> values;  // per local layer; undefined for MLA (values live in the latent)
  int64_t bytes() const;
};

// New rows of a cached forward: row i is token tokens[i] of slot slots[i] at position positions[i].
// Rows of one slot appear in increasing position order and continue that slot's cached prefix.
struct CachedRows {
  std::vector<int32_t> tokens, positions, slots;
  int64_t size() const { return int64_t(tokens.size()); }
};

// What cached layers need about the rows, on the model's device. When every row belongs to a whole
// prompt (each slot's rows are positions 0, 1, ... in order, nothing cached before them),
// prompt_seqs holds their row ranges and attention can run over the new rows alone (the training
// kernel) instead of reading them back from the cache.
struct CachedLayout {
  Tensor positions, row_slot, cache_row;  // i32 [N]; cache_row = slot * capacity + position
  int64_t capacity = 0;
  std::vector<int64_t> prompt_seqs;  // [S + 1] row offsets, or empty
};

}  // namespace r1

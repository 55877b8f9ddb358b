// Attention factory: MLA for deepseek_v3, grouped-query attention otherwise.
#include "model/attention.hpp"

#include "model/attention_gqa.hpp"
#include "model/attention_mla.hpp"

namespace r1 {

std::unique_ptr<Attention> make_attention(const ModelConfig& c, const std::string& prefix, ParamStore& store,
                                          const RopeTables& rope) {
  if (c.is_mla()) return std::make_unique<MlaAttention>(c, prefix, store, rope);
  return std::make_unique<GqaAttention>(c, prefix, store, rope);
}

}  // namespace r1

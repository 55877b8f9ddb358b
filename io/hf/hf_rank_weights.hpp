// Loading a Hugging Face folder's weights straight into one rank's shard of a model (its pipeline
// stage's layers and its expert-parallel share of the routed experts), for recipes that start from
// `model.from_hf`. Each rank reads only the tensors it holds, one at a time, so memory stays bounded
// by the largest tensor. With `grow_vocabulary`, an embedding or LM head with fewer rows than the
// model (tokens added to the tokenizer) is copied into the first rows and the new rows start as
// the mean of the old ones (as transformers' resize_token_embeddings does).
#pragma once
#include "io/hf/hf_checkpoint_import.hpp"
#include "model/model.hpp"
#include "parallel/comm.hpp"

namespace r1 {

enum class VocabularyGrowth { exact, grow };

// Collective over `comm` (every rank of the job): checks the dropped copies (split over the ranks),
// then fills every parameter of `model` and refreshes its compute weights. InputError names the
// folder and the tensors that do not fit.
void load_hf_rank_weights(const HfModelSource& source, Model& model, const Comm& comm, VocabularyGrowth growth);

}  // namespace r1

// EpochSampler: Fisher-Yates shuffles from counter-based streams keyed by (seed, epoch).
#include "rl/data/epoch_sampler.hpp"

#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace r1 {

EpochSampler::EpochSampler(int64_t dataset_size, uint64_t seed, bool shuffle)
    : size_(dataset_size), seed_(seed), shuffle_(shuffle) {
  R1_INPUT_CHECK(dataset_size > 0, "dataset is empty");
}

void EpochSampler::build_order() {
  order_.resize(size_t(size_));
  std::iota(order_.begin(), order_.end(), 0);
  if (shuffle_) {
    CounterRng rng({seed_, hash_string("epoch-shuffle"), uint64_t(cursor_.epoch)});
    for (int64_t i = size_ - 1; i > 0; --i) std::swap(order_[size_t(i)], order_[size_t(rng.below(uint64_t(i + 1)))]);
  }
  order_epoch_ = cursor_.epoch;
}

std::vector<int64_t> EpochSampler::next(int64_t count) {
  std::vector<int64_t> out;
  out.reserve(size_t(count));
  while (int64_t(out.size()) < count) {
    if (order_epoch_ != cursor_.epoch) build_order();
    out.push_back(order_[size_t(cursor_.position)]);
    if (++cursor_.position == size_) {
      cursor_.position = 0;
      ++cursor_.epoch;
    }
  }
  return out;
}

void EpochSampler::seek(const DataCursor& c) {
  R1_INPUT_CHECK(c.position >= 0 && c.position < size_ && c.epoch >= 0, "data cursor (epoch ", c.epoch, ", position ",
                 c.position, ") does not fit a dataset of ", size_, " examples");
  cursor_ = c;
}

}  // namespace r1

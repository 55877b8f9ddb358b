// This rank's contiguous share of a job-wide list: items [n * rank / ranks, n * (rank + 1) / ranks).
// Every stage splits its global batch (prompts to sample, sequences to train on) this way, by the
// data-parallel rank, so pipeline peers (same dp rank) hold the same share.
#pragma once
#include <cstddef>
#include <vector>

namespace r1 {

template <class T>
std::vector<T> rank_share(const std::vector<T>& global, int rank, int ranks) {
  const size_t n = global.size(), begin = n * size_t(rank) / size_t(ranks), end = n * size_t(rank + 1) / size_t(ranks);
  return std::vector<T>(global.begin() + long(begin), global.begin() + long(end));
}

}  // namespace r1

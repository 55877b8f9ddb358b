// EpochSampler: the global order in which a dataset is visited — a permutation per epoch that is
// a pure function of (seed, epoch) — and a cursor (epoch, position) that is all the state a
// checkpoint needs to resume the data stream exactly.
#pragma once
#include <cstdint>
#include <vector>

namespace r1 {

struct DataCursor {
  int64_t epoch = 0, position = 0;
};

class EpochSampler {
 public:
  EpochSampler(int64_t dataset_size, uint64_t seed, bool shuffle = true);
  // The next `count` dataset indices of the global stream (crossing epochs as needed).
  std::vector<int64_t> next(int64_t count);
  const DataCursor& cursor() const { return cursor_; }
  void seek(const DataCursor& c);
  int64_t dataset_size() const { return size_; }

 private:
  void build_order();
  int64_t size_;
  uint64_t seed_;
  bool shuffle_;
  DataCursor cursor_;
  std::vector<int64_t> order_;
  int64_t order_epoch_ = -1;
};

}  // namespace r1

// KvCache size accounting.
#include "model/kv_cache.hpp"

namespace r1 {

int64_t KvCache::bytes() const {
  int64_t b = 0;
  for (auto& t : keys) b += int64_t(t.nbytes());
  for (auto& t : values)
    if (t.defined()) b += int64_t(t.nbytes());
  return b;
}

}  // namespace r1

#pragma once
#include "livekv/store/operation.hpp"

namespace livekv::store {

// Learns of every applied write commit, in revision order, under the store's commit lock (so it
// sees commits in exactly the order they were logged and applied). Implementations must be quick
// and must not call back into the store: count, enqueue, or hand off. Metrics use it today; the
// broadcast hub of the live feed is the other intended observer.
class commit_observer {
 public:
  virtual ~commit_observer() = default;
  virtual void on_commit(const commit_request& req, const commit_outcome& out) noexcept = 0;
};

}  // namespace livekv::store

#pragma once
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "livekv/feed/feed_counters.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/server_state.hpp"
#include "livekv/status.hpp"
#include "livekv/store/commit_observer.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/storage.hpp"

namespace livekv {

// The server's metrics beyond HTTP and the process: the store, the log and snapshots, expiry, the
// live feed, connections and readiness. Two kinds:
//   - events, counted as they happen, in prometheus-cpp metrics registered in the server's
//     Registry: commits and writes (on_commit), expirations and their lag, fsync and snapshot
//     durations, and the build info;
//   - values the components keep anyway (keys, bytes, revision, log size, feed counters), which
//     this object, as a prometheus::Collectable, reads when /metrics is scraped: each component
//     once per scrape (one store_stats, one hub_stats, one storage report).
// Every reference must outlive the scrapes and the events. Thread-safe.
class server_metrics final : public store::commit_observer, public prometheus::Collectable {
 public:
  // `disk` is null with --in-memory (no log metrics then); `hub` null: no feed metrics; `feed`
  // null: none of the feed sessions' counters. Errors:
  // errc::internal when the registry refuses a metric (a name taken, an invalid name).
  static result<std::unique_ptr<server_metrics>> make(prometheus::Registry& reg, const store::kv_store& store,
                                                      const server_state& state, const wal::storage* disk,
                                                      const hub::broadcast_hub* hub = nullptr,
                                                      const feed::feed_counters* feed = nullptr);

  // Under the store's commit lock, so calls never overlap and prometheus::Counter's
  // compare-and-swap never has to retry: as cheap as a plain atomic add.
  void on_commit(const store::commit_request& req, const store::commit_outcome& out) noexcept override;
  void on_expired(std::int64_t lag_ms) noexcept;
  void on_fsync(double seconds) noexcept;
  void on_snapshot(double seconds) noexcept;

  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  server_metrics(const store::kv_store& store, const server_state& state, const wal::storage* disk,
                 const hub::broadcast_hub* hub, const feed::feed_counters* feed)
      : store_(store), state_(state), disk_(disk), hub_(hub), feed_(feed) {}

  const store::kv_store& store_;
  const server_state& state_;
  const wal::storage* disk_;
  const hub::broadcast_hub* hub_;
  const feed::feed_counters* feed_;

  // Owned by the registry, which outlives this object.
  prometheus::Counter* commits_ = nullptr;
  prometheus::Counter* puts_ = nullptr;
  prometheus::Counter* deletes_ = nullptr;
  prometheus::Counter* expires_ = nullptr;
  prometheus::Counter* expired_keys_ = nullptr;
  prometheus::Histogram* expiry_lag_ = nullptr;
  prometheus::Histogram* fsync_ = nullptr;     // null without disk
  prometheus::Histogram* snapshot_ = nullptr;  // null without disk
};

}  // namespace livekv

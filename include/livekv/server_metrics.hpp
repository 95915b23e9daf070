#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <memory>

#include "livekv/metrics/registry.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/server_state.hpp"
#include "livekv/status.hpp"
#include "livekv/store/commit_observer.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/storage.hpp"

namespace livekv {

// Registers the server's metrics beyond HTTP — the store, the log and snapshots, expiry, and the
// standard process_* ones — and receives the events that feed them. Values the components keep
// anyway (keys, bytes, revision, log size) are read at scrape time; events are counted as they
// happen. Every reference must outlive the registry's scrapes. Thread-safe.
class server_metrics final : public store::commit_observer {
 public:
  // `disk` is null with --in-memory (no log metrics are registered then); `hub` null: no feed.
  static result<std::unique_ptr<server_metrics>> make(metrics::registry& reg, const store::kv_store& store,
                                                      const server_state& state, const wal::storage* disk,
                                                      const hub::broadcast_hub* hub = nullptr);

  void on_commit(const store::commit_request& req, const store::commit_outcome& out) noexcept override;
  void on_expired(std::int64_t lag_ms) noexcept;
  void on_fsync(double seconds) noexcept;
  void on_snapshot(double seconds) noexcept;

 private:
  server_metrics() = default;
  // One storage report serves every log metric of a scrape (it lists the data directory).
  wal::storage_status disk_report(const wal::storage& disk);

  std::mutex report_mutex_;  // guards the cached report
  wal::storage_status report_;
  std::chrono::steady_clock::time_point report_at_{};

  metrics::counter* commits_ = nullptr;
  metrics::counter* puts_ = nullptr;
  metrics::counter* deletes_ = nullptr;
  metrics::counter* expires_ = nullptr;
  metrics::counter* expired_keys_ = nullptr;
  metrics::histogram* expiry_lag_ = nullptr;
  metrics::histogram* fsync_ = nullptr;
  metrics::histogram* snapshot_ = nullptr;
};

}  // namespace livekv

#include "livekv/server_metrics.hpp"

#include "livekv/metrics/process_metrics.hpp"
#include "livekv/version.hpp"

namespace livekv {

result<std::unique_ptr<server_metrics>> server_metrics::make(metrics::registry& reg, const store::kv_store& store,
                                                             const server_state& state, const wal::storage* disk,
                                                             const hub::broadcast_hub* hub) {
  std::unique_ptr<server_metrics> m(new server_metrics());
  status s = metrics::register_process_metrics(reg);
  const auto gauge = [&](const char* name, const char* help, metrics::value_callback cb) {
    if (s) s = reg.add_callback_gauge(name, help, std::move(cb));
  };
  const auto counter_cb = [&](const char* name, const char* help, metrics::value_callback cb) {
    if (s) s = reg.add_callback_counter(name, help, std::move(cb));
  };
  gauge("livekv_keys", "Keys in the store (including expired ones not yet removed).",
        [&store] { return static_cast<double>(store.stats().keys); });
  gauge("livekv_keys_with_ttl", "Keys that have an expiry deadline.",
        [&store] { return static_cast<double>(store.stats().keys_with_ttl); });
  gauge("livekv_store_bytes", "Bytes of keys plus values in the store.",
        [&store] { return static_cast<double>(store.stats().bytes); });
  gauge("livekv_revision", "The store revision: the number of write commits ever made.",
        [&store] { return static_cast<double>(store.revision()); });
  gauge("livekv_http_connections", "Open client connections.",
        [&state] { return static_cast<double>(state.connections.load()); });
  counter_cb("livekv_http_connections_total", "Client connections accepted.",
             [&state] { return static_cast<double>(state.connections_total.load()); });
  gauge("livekv_ready", "1 when the server serves its API (recovery done, not draining, log writable).",
        [&state, disk] { return state.ready.load() && !state.draining.load() && !(disk && disk->read_only()) ? 1.0 : 0.0; });
  if (hub) {
    // Each reads one field; stats() is a few atomics and two short locks, cheap at scrape rates.
    using fs = hub::hub_stats;
    const auto feed = [&](bool is_counter, const char* name, const char* help, std::uint64_t fs::*field) {
      auto cb = [hub, field] { return static_cast<double>(hub->stats().*field); };
      if (is_counter) counter_cb(name, help, cb);
      else gauge(name, help, cb);
    };
    const auto feed_size = [&](const char* name, const char* help, std::size_t fs::*field) {
      gauge(name, help, [hub, field] { return static_cast<double>(hub->stats().*field); });
    };
    feed_size("livekv_feed_subscribers", "Live feed subscribers (WebSocket /wal and SSE watches).", &fs::subscribers);
    feed_size("livekv_feed_read_subscribers", "Feed subscribers that asked for read events.", &fs::read_subscribers);
    feed_size("livekv_feed_long_polls", "GET ?wait= requests waiting for their key to change.", &fs::key_waiters);
    feed_size("livekv_feed_history_events", "Write events held in memory for resumes.", &fs::history_events);
    feed_size("livekv_feed_history_bytes", "Approximate memory those events hold.", &fs::history_bytes);
    feed(true, "livekv_feed_events_published_total", "Write events published to the feed (one per write commit).",
         &fs::events_published);
    feed(true, "livekv_feed_read_events_published_total", "Read events published (only while someone listens).",
         &fs::reads_published);
    feed(true, "livekv_feed_messages_sent_total", "Messages written to feed subscribers, all kinds.",
         &fs::messages_sent);
    feed(true, "livekv_feed_events_dropped_total",
         "Events a subscriber had not received when it was cut off (it resumes from its last revision).",
         &fs::events_dropped);
    feed(true, "livekv_feed_lag_disconnects_total",
         "Subscribers cut off for falling behind (--feed-queue-messages / --feed-queue-bytes).", &fs::disconnected_lag);
    feed(true, "livekv_feed_compacted_disconnects_total",
         "Subscribers cut off because the history they were replaying was deleted under them.",
         &fs::disconnected_compacted);
  }
  if (!s) return s;

  auto writes = reg.add_counter("livekv_writes_total", "Operations applied by write commits, by kind.", {"op"});
  if (!writes) return writes.error();
  m->puts_ = &(*writes)->with({"put"});
  m->deletes_ = &(*writes)->with({"delete"});
  m->expires_ = &(*writes)->with({"expire"});
  auto commits = reg.add_counter("livekv_commits_total",
                                 "Write commits (a PUT, DELETE, CAS, batch or expiry; each takes one revision).");
  if (!commits) return commits.error();
  m->commits_ = *commits;
  auto expired = reg.add_counter("livekv_expired_keys_total", "Keys removed by the expiry sweeper.");
  if (!expired) return expired.error();
  m->expired_keys_ = *expired;
  auto lag = reg.add_histogram("livekv_expiry_lag_seconds", "How long after its deadline a key was removed.",
                               metrics::exponential_buckets(0.001, 2, 14));
  if (!lag) return lag.error();
  m->expiry_lag_ = *lag;
  auto info = reg.add_gauge("livekv_build_info", "Always 1; the labels say which build is running.", {"version"});
  if (!info) return info.error();
  (*info)->with({std::string_view(livekv::version)}).set(1);

  if (disk) {
    gauge("livekv_log_bytes", "Bytes of write-ahead log segments on disk.",
          [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.segment_bytes); });
    gauge("livekv_log_segments", "Write-ahead log segment files on disk.",
          [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.segments); });
    counter_cb("livekv_log_appends_total", "Commits appended to the write-ahead log.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.appends); });
    counter_cb("livekv_log_written_bytes_total", "Bytes written to the write-ahead log.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.bytes_written); });
    counter_cb("livekv_log_fsyncs_total", "fdatasync calls on the write-ahead log.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.syncs); });
    gauge("livekv_log_failed", "1 while the log is failed (disk error or full disk): writes are refused.",
          [disk, m_ = m.get()] { return m_->disk_report(*disk).log.failed ? 1.0 : 0.0; });
    counter_cb("livekv_log_failures_total", "Times the write-ahead log failed (a write or fsync error).",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.failures); });
    counter_cb("livekv_log_resumes_total", "Times a failed log could be written again and writes resumed.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).log.resumes); });
    counter_cb("livekv_snapshots_total", "Snapshots written.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).snapshots_taken); });
    counter_cb("livekv_snapshot_failures_total", "Snapshots that failed.",
               [disk, m_ = m.get()] { return static_cast<double>(m_->disk_report(*disk).snapshot_failures); });
    if (!s) return s;
    auto fsync = reg.add_histogram("livekv_log_fsync_duration_seconds", "Time one fdatasync of the log took.",
                                   metrics::exponential_buckets(0.0001, 2, 16));
    if (!fsync) return fsync.error();
    m->fsync_ = *fsync;
    auto snap = reg.add_histogram("livekv_snapshot_duration_seconds", "Time one snapshot took, start to rename.",
                                  metrics::exponential_buckets(0.001, 2, 16));
    if (!snap) return snap.error();
    m->snapshot_ = *snap;
  }
  return m;
}

wal::storage_status server_metrics::disk_report(const wal::storage& disk) {
  std::lock_guard lock(report_mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (now - report_at_ > std::chrono::milliseconds(200)) {
    report_ = disk.report();
    report_at_ = now;
  }
  return report_;
}

void server_metrics::on_commit(const store::commit_request& req, const store::commit_outcome&) noexcept {
  commits_->inc();
  for (const auto& op : req.ops) {
    switch (op.what) {
      case store::operation::kind::put: puts_->inc(); break;
      case store::operation::kind::erase: deletes_->inc(); break;
      case store::operation::kind::expire: expires_->inc(); break;
      case store::operation::kind::get: break;
    }
  }
}

void server_metrics::on_expired(std::int64_t lag_ms) noexcept {
  expired_keys_->inc();
  expiry_lag_->observe(static_cast<double>(lag_ms) / 1000.0);
}

void server_metrics::on_fsync(double seconds) noexcept {
  if (fsync_) fsync_->observe(seconds);
}

void server_metrics::on_snapshot(double seconds) noexcept {
  if (snapshot_) snapshot_->observe(seconds);
}

}  // namespace livekv

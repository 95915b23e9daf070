#include "livekv/server_metrics.hpp"

#include <prometheus/gauge.h>

#include <exception>
#include <optional>
#include <string>

#include "livekv/metrics/atomic_histogram.hpp"
#include "livekv/metrics/snapshot.hpp"
#include "livekv/version.hpp"

namespace livekv {

result<std::unique_ptr<server_metrics>> server_metrics::make(prometheus::Registry& reg, const store::kv_store& store,
                                                             const server_state& state, const wal::storage* disk,
                                                             const hub::broadcast_hub* hub,
                                                             const feed::feed_counters* feed) {
  std::unique_ptr<server_metrics> m(new server_metrics(store, state, disk, hub, feed));
  // prometheus-cpp reports a refused registration by throwing std::invalid_argument.
  try {
    auto& writes = prometheus::BuildCounter()
                       .Name("livekv_writes_total")
                       .Help("Operations applied by write commits, by kind.")
                       .Register(reg);
    m->puts_ = &writes.Add({{"op", "put"}});
    m->deletes_ = &writes.Add({{"op", "delete"}});
    m->expires_ = &writes.Add({{"op", "expire"}});
    m->commits_ = &prometheus::BuildCounter()
                       .Name("livekv_commits_total")
                       .Help("Write commits (a PUT, DELETE, CAS, batch or expiry; each takes one revision).")
                       .Register(reg)
                       .Add({});
    m->expired_keys_ = &prometheus::BuildCounter()
                            .Name("livekv_expired_keys_total")
                            .Help("Keys removed by the expiry sweeper.")
                            .Register(reg)
                            .Add({});
    m->expiry_lag_ = &prometheus::BuildHistogram()
                          .Name("livekv_expiry_lag_seconds")
                          .Help("How long after its deadline a key was removed.")
                          .Register(reg)
                          .Add({}, metrics::exponential_buckets(0.001, 2, 14));
    prometheus::BuildGauge()
        .Name("livekv_build_info")
        .Help("Always 1; the labels say which build is running.")
        .Register(reg)
        .Add({{"version", std::string(livekv::version)}})
        .Set(1);
    if (disk) {
      m->fsync_ = &prometheus::BuildHistogram()
                       .Name("livekv_log_fsync_duration_seconds")
                       .Help("Time one fdatasync of the log took.")
                       .Register(reg)
                       .Add({}, metrics::exponential_buckets(0.0001, 2, 16));
      m->snapshot_ = &prometheus::BuildHistogram()
                          .Name("livekv_snapshot_duration_seconds")
                          .Help("Time one snapshot took, start to rename.")
                          .Register(reg)
                          .Add({}, metrics::exponential_buckets(0.001, 2, 16));
    }
  } catch (const std::exception& e) {
    return status(errc::internal, std::string("registering the server's metrics: ") + e.what());
  }
  return m;
}

void server_metrics::on_commit(const store::commit_request& req, const store::commit_outcome&) noexcept {
  commits_->Increment();
  double puts = 0, deletes = 0, expires = 0;
  for (const auto& op : req.ops) {
    switch (op.what) {
      case store::operation::kind::put: ++puts; break;
      case store::operation::kind::erase: ++deletes; break;
      case store::operation::kind::expire: ++expires; break;
      case store::operation::kind::get: break;
    }
  }
  // One update per kind rather than per operation: a batch of 100 puts is one add.
  if (puts > 0) puts_->Increment(puts);
  if (deletes > 0) deletes_->Increment(deletes);
  if (expires > 0) expires_->Increment(expires);
}

void server_metrics::on_expired(std::int64_t lag_ms) noexcept {
  expired_keys_->Increment();
  expiry_lag_->Observe(static_cast<double>(lag_ms) / 1000.0);
}

void server_metrics::on_fsync(double seconds) noexcept {
  if (fsync_) fsync_->Observe(seconds);
}

void server_metrics::on_snapshot(double seconds) noexcept {
  if (snapshot_) snapshot_->Observe(seconds);
}

std::vector<prometheus::MetricFamily> server_metrics::Collect() const {
  using metrics::make_counter;
  using metrics::make_gauge;
  const auto d = [](auto v) { return static_cast<double>(v); };
  std::vector<prometheus::MetricFamily> out;
  out.reserve(32);

  const store::store_stats st = store_.stats();  // one shared lock: keys, bytes and revision agree
  out.push_back(make_gauge("livekv_keys", "Keys in the store (including expired ones not yet removed).", d(st.keys)));
  out.push_back(make_gauge("livekv_keys_with_ttl", "Keys that have an expiry deadline.", d(st.keys_with_ttl)));
  out.push_back(make_gauge("livekv_store_bytes", "Bytes of keys plus values in the store.", d(st.bytes)));
  out.push_back(make_gauge("livekv_revision", "The store revision: the number of write commits ever made.",
                           d(st.revision)));
  out.push_back(make_gauge("livekv_http_connections", "Open client connections.", d(state_.connections.load())));
  out.push_back(make_counter("livekv_http_connections_total", "Client connections accepted.",
                             d(state_.connections_total.load())));
  out.push_back(make_counter("livekv_http_connections_refused_total",
                             "Connections answered 503 and closed: over --max-connections.",
                             d(state_.connections_refused_total.load())));
  out.push_back(make_counter("livekv_http_connections_refused_per_ip_total",
                             "Connections answered 503 and closed: over --max-connections-per-ip.",
                             d(state_.connections_refused_per_ip.load())));
  out.push_back(make_counter("livekv_http_rate_limited_total", "Requests refused with 429 by --rate-limit.",
                             d(state_.rate_limited_total.load())));
  out.push_back(make_counter("livekv_auth_unauthorized_total",
                             "Requests refused with 401: no bearer token, or one the auth file does not know.",
                             d(state_.unauthorized_total.load())));
  out.push_back(make_counter("livekv_auth_forbidden_total",
                             "Requests refused with 403 before their route: a token without the route's role, or a page from a foreign Origin.",
                             d(state_.forbidden_total.load())));

  // One storage report: it lists the data directory, once per scrape rather than once per metric.
  std::optional<wal::storage_status> r;
  if (disk_) r = disk_->report();
  const bool ready = state_.ready.load() && !state_.draining.load() && !(r && r->log.failed);
  out.push_back(make_gauge("livekv_ready",
                           "1 when the server serves its API (recovery done, not draining, log writable).",
                           ready ? 1.0 : 0.0));
  if (r) {
    out.push_back(make_gauge("livekv_log_bytes", "Bytes of write-ahead log segments on disk.", d(r->log.segment_bytes)));
    out.push_back(make_gauge("livekv_log_segments", "Write-ahead log segment files on disk.", d(r->log.segments)));
    out.push_back(make_counter("livekv_log_appends_total", "Commits appended to the write-ahead log.", d(r->log.appends)));
    out.push_back(make_counter("livekv_log_written_bytes_total", "Bytes written to the write-ahead log.",
                               d(r->log.bytes_written)));
    out.push_back(make_counter("livekv_log_fsyncs_total", "fdatasync calls on the write-ahead log.", d(r->log.syncs)));
    out.push_back(make_gauge("livekv_log_failed",
                             "1 while the log is failed (disk error or full disk): writes are refused.",
                             r->log.failed ? 1.0 : 0.0));
    out.push_back(make_counter("livekv_log_failures_total", "Times the write-ahead log failed (a write or fsync error).",
                               d(r->log.failures)));
    out.push_back(make_counter("livekv_log_resumes_total", "Times a failed log could be written again and writes resumed.",
                               d(r->log.resumes)));
    out.push_back(make_counter("livekv_snapshots_total", "Snapshots written.", d(r->snapshots_taken)));
    out.push_back(make_counter("livekv_snapshot_failures_total", "Snapshots that failed.", d(r->snapshot_failures)));
  }

  if (hub_) {
    const hub::hub_stats f = hub_->stats();  // a few atomics and two short locks, once per scrape
    out.push_back(make_gauge("livekv_feed_subscribers", "Live feed subscribers (WebSocket /wal and SSE watches).",
                             d(f.subscribers)));
    out.push_back(make_gauge("livekv_feed_read_subscribers", "Feed subscribers that asked for read events.",
                             d(f.read_subscribers)));
    out.push_back(make_gauge("livekv_feed_long_polls", "GET ?wait= requests waiting for their key to change.",
                             d(f.key_waiters)));
    out.push_back(make_gauge("livekv_feed_history_events", "Write events held in memory for resumes.",
                             d(f.history_events)));
    out.push_back(make_gauge("livekv_feed_history_bytes", "Approximate memory those events hold.", d(f.history_bytes)));
    out.push_back(make_counter("livekv_feed_events_published_total",
                               "Write events published to the feed (one per write commit).", d(f.events_published)));
    out.push_back(make_counter("livekv_feed_read_events_published_total",
                               "Read events published (only while someone listens).", d(f.reads_published)));
  }
  if (feed_) {
    const feed::feed_counts f = feed_->counts();
    out.push_back(make_counter("livekv_feed_messages_sent_total", "Messages written to feed subscribers, all kinds.",
                               d(f.messages_sent)));
    out.push_back(make_counter("livekv_feed_events_dropped_total",
                               "Events a subscriber had not received when it was cut off (it resumes from its last "
                               "revision).",
                               d(f.events_dropped)));
    out.push_back(make_counter("livekv_feed_lag_disconnects_total",
                               "Subscribers cut off for falling behind (--feed-queue-messages / --feed-queue-bytes).",
                               d(f.disconnected_lag)));
    out.push_back(make_counter("livekv_feed_compacted_disconnects_total",
                               "Subscribers cut off because the history they were replaying was deleted under them.",
                               d(f.disconnected_compacted)));
  }
  return out;
}

}  // namespace livekv

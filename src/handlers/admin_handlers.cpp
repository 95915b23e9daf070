#include "livekv/handlers/admin_handlers.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>

#include "livekv/http/json_response.hpp"
#include "livekv/http/problem.hpp"
#include "livekv/metrics/process_metrics.hpp"
#include "livekv/version.hpp"

namespace livekv::handlers {
namespace {

using json = nlohmann::ordered_json;

json snapshot_json(const wal::snapshot_info& s) {
  return {{"start_revision", s.start_revision}, {"end_revision", s.end_revision}, {"keys", s.entries},
          {"bytes", s.bytes}, {"seconds", s.seconds}, {"time_ms", s.time_ms}};
}

// Resident set size as process_resident_memory_bytes reports it; null where /proc is unavailable.
// Where each setting not at its default came from: {"port": "flag", "data-dir": "FILE:3", ...}.
json sources_json(const std::vector<std::pair<std::string, std::string>>& sources) {
  json out = json::object();
  for (const auto& [name, from] : sources) out[name] = from;
  return out;
}

json resident_bytes() {
  const auto usage = metrics::read_process_usage();
  if (!usage) return nullptr;
  return static_cast<std::uint64_t>(usage->resident_bytes);
}

json storage_json(const wal::storage& disk) {
  const auto r = disk.report();
  json j = {{"fsync", wal::to_string(r.policy)},
            {"epoch", r.recovery.epoch},
            {"log",
             {{"bytes", r.log.segment_bytes},
              {"segments", r.log.segments},
              {"appends", r.log.appends},
              {"writes", r.log.writes},
              {"fsyncs", r.log.syncs},
              {"failed", r.log.failed},
              {"failures", r.log.failures},
              {"resumes", r.log.resumes}}},
            {"snapshots_taken", r.snapshots_taken},
            {"snapshot_failures", r.snapshot_failures},
            {"snapshot_running", r.snapshot_running}};
  j["last_snapshot"] = r.last_snapshot ? snapshot_json(*r.last_snapshot) : json(nullptr);
  j["recovery"] = {{"seconds", r.recovery.seconds},
                   {"snapshot_revision", r.recovery.snapshot_revision},
                   {"snapshot_keys", r.recovery.snapshot_entries},
                   {"records_replayed", r.recovery.records_replayed},
                   {"truncated_bytes", r.recovery.truncated_bytes},
                   {"dropped_records", r.recovery.dropped_records},
                   {"highest_dropped_revision", r.recovery.highest_dropped_revision},
                   {"moved_aside", r.recovery.moved_aside.empty() ? json(nullptr) : json(r.recovery.moved_aside)},
                   {"warnings", r.recovery.warnings}};
  return j;
}

}  // namespace

void admin_handlers::register_routes(http::router& r) {
  r.exact(http::verb::get, "/status", http::access::read, [this](http::request_context& c) { return status(c); });
  r.exact(http::verb::get, "/healthz", http::access::open, [this](http::request_context& c) { return healthz(c); });
  r.exact(http::verb::get, "/readyz", http::access::open, [this](http::request_context& c) { return readyz(c); });
  r.exact(http::verb::post, "/v1/admin/snapshot", http::access::admin, [this](http::request_context& c) { return snapshot(c); });
}

http::response admin_handlers::status(http::request_context& ctx) {
  using namespace std::chrono;
  const auto st = store_.stats();
  const auto uptime = duration_cast<duration<double>>(steady_clock::now() - state_.started).count();
  nlohmann::ordered_json body = {
      {"version", livekv::version},
      {"uptime_seconds", uptime},
      {"ready", state_.ready.load()},
      {"draining", state_.draining.load()},
      {"resident_memory_bytes", resident_bytes()},
      {"keys", st.keys},
      {"keys_with_ttl", st.keys_with_ttl},
      {"bytes", st.bytes},
      {"revision", st.revision},
      {"connections", state_.connections.load()},
      {"connections_total", state_.connections_total.load()},
      {"requests_total", state_.requests_total.load()},
      {"config",
       {{"host", cfg_.host},
        {"port", cfg_.port},
        {"threads", cfg_.threads},
        {"data_dir", cfg_.in_memory ? json(nullptr) : json(cfg_.data_dir)},
        {"in_memory", cfg_.in_memory},
        {"fsync", wal::to_string(cfg_.fsync)},
        {"snapshot_log_bytes", cfg_.snapshot_log_bytes},
        {"max_key_bytes", cfg_.max_key_bytes},
        {"max_value_bytes", cfg_.max_value_bytes},
        {"max_header_bytes", cfg_.max_header_bytes},
        {"max_batch_ops", cfg_.max_batch_ops},
        {"max_batch_bytes", cfg_.max_batch_bytes},
        {"log_level", util::to_string(cfg_.log_level)},
        {"access_log", util::to_string(cfg_.access_log)},
        {"log_format", util::to_string(cfg_.log_format)},
        {"metrics", cfg_.metrics},
        {"tls", cfg_.tls_cert.has_value()},
        {"tls_client_certificates", cfg_.tls_client_ca.has_value()},
        {"header_timeout_ms", cfg_.header_timeout.count()},
        {"idle_timeout_ms", cfg_.idle_timeout.count()},
        {"shutdown_timeout_ms", cfg_.shutdown_timeout.count()},
        {"feed_history", cfg_.feed_history},
        {"feed_history_bytes", cfg_.feed_history_bytes},
        {"feed_max_value_bytes", cfg_.feed_max_value_bytes},
        {"feed_queue_messages", cfg_.feed_queue_messages},
        {"feed_queue_bytes", cfg_.feed_queue_bytes},
        {"feed_max_subscribers", cfg_.feed_max_subscribers},
        {"feed_progress_ms", cfg_.feed_progress.count()},
        {"auth", cfg_.auth_file.has_value()},
        {"metrics_public", cfg_.metrics_public},
        {"cors_origins", cfg_.cors_origins},
        {"allowed_hosts", cfg_.allowed_hosts},
        {"rate_limit", cfg_.rate_limit},
        {"rate_burst", cfg_.rate_burst},
        {"max_connections", cfg_.max_connections},
        {"max_connections_per_ip", cfg_.max_connections_per_ip},
        {"log_file", cfg_.log_file ? json(*cfg_.log_file) : json(nullptr)},
        {"config_file", cfg_.config_file ? json(*cfg_.config_file) : json(nullptr)},
        {"sources", sources_json(cfg_.sources)}}},
  };
  body["storage"] = disk_ ? storage_json(*disk_) : json(nullptr);
  // The configuration and the data directory's layout are the admin's business.
  const bool admin = !ctx.who || ctx.who->may(auth::role::admin);
  if (!admin) {
    body.erase("config");
    body.erase("storage");
  }
  if (hub_) {
    const auto f = hub_->stats();
    body["feed"] = {{"subscribers", f.subscribers},
                    {"read_subscribers", f.read_subscribers},
                    {"long_polls", f.key_waiters},
                    {"head_revision", f.head},
                    {"compact_revision", hub_->compact_revision()},
                    {"history_events", f.history_events},
                    {"history_bytes", f.history_bytes},
                    {"events_published", f.events_published},
                    {"read_events_published", f.reads_published}};
    if (feed_) {
      const auto c = feed_->counts();
      body["feed"]["messages_sent"] = c.messages_sent;
      body["feed"]["events_dropped"] = c.events_dropped;
      body["feed"]["disconnected_lag"] = c.disconnected_lag;
      body["feed"]["disconnected_compacted"] = c.disconnected_compacted;
    }
  }
  return http::make_json(http::status_code::ok, body, ctx.req.version());
}

http::response admin_handlers::snapshot(http::request_context& ctx) {
  const unsigned v = ctx.req.version();
  if (!disk_) return http::make_problem(errc::bad_request, "the server runs --in-memory: there is nothing to snapshot", v);
  // Answered when the snapshot is on disk, so a caller knows the log has been compacted.
  ctx.defer = [this, v](http::request_context::resume_fn resume) {
    disk_->request_snapshot([resume = std::move(resume), v](result<wal::snapshot_info> r) {
      if (!r) return resume(http::make_problem(r.error(), v));
      resume(http::make_json(http::status_code::ok, snapshot_json(*r), v));
    });
  };
  return http::response{http::status_code::accepted, v};
}

http::response admin_handlers::healthz(http::request_context& ctx) {
  return http::make_json(http::status_code::ok, {{"status", "ok"}}, ctx.req.version());
}

http::response admin_handlers::readyz(http::request_context& ctx) {
  if (state_.draining) return http::make_problem(errc::draining, "the server is shutting down", ctx.req.version());
  if (!state_.ready) return http::make_problem(errc::not_ready, "the server is still starting", ctx.req.version());
  // Reads still work, but a server refusing every write is not one to send traffic to.
  if (disk_ && disk_->read_only())
    return http::make_problem(errc::read_only,
                              "the write-ahead log failed: writes are refused (reads work) until it can be written again",
                              ctx.req.version());
  return http::make_json(http::status_code::ok, {{"status", "ready"}}, ctx.req.version());
}

}  // namespace livekv::handlers

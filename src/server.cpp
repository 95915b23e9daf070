#include "livekv/server.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <csignal>
#include <cstdio>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "livekv/net/listener.hpp"
#include "livekv/util/logging.hpp"
#include "livekv/util/service_notify.hpp"
#include "livekv/version.hpp"

namespace livekv {

namespace asio = boost::asio;

server::server(config cfg)
    : cfg_(std::move(cfg)),
      pool_(std::in_place, cfg_.threads),
      disk_(cfg_.in_memory ? nullptr
                           : std::make_unique<wal::storage>(
                                 store_, wal::storage_options{cfg_.data_dir, cfg_.fsync,
                                                              cfg_.snapshot_log_bytes, 64ull << 20, cfg_.repair,
                                                              cfg_.discard_data,
                                                              [this](double s) { metrics_->on_fsync(s); },
                                                              [this](double s) { metrics_->on_snapshot(s); }})),
      log_reader_(cfg_.in_memory ? nullptr : std::make_unique<wal::log_reader>(cfg_.data_dir)),
      hub_(hub::hub_options{cfg_.feed_history, cfg_.feed_history_bytes, cfg_.feed_max_value_bytes,
                            cfg_.feed_max_subscribers, std::chrono::milliseconds(100)},
           log_reader_.get()),
      kv_(store_, {cfg_.max_key_bytes, cfg_.max_value_bytes}, &hub_),
      txn_(store_, {cfg_.max_key_bytes, cfg_.max_value_bytes, cfg_.max_batch_ops, cfg_.max_batch_bytes}),
      admin_(cfg_, store_, state_, disk_.get(), &hub_, &feed_counters_),
      watch_(feed::feed_env{hub_, gate_, state_, connections_, feed_counters_,
                             {cfg_.idle_timeout, cfg_.feed_queue_messages, cfg_.feed_queue_bytes, cfg_.feed_progress}},
             {cfg_.max_key_bytes, cfg_.max_batch_ops}),
      signals_(std::in_place, pool_->main(), SIGINT, SIGTERM),
      hangup_(std::in_place, pool_->main(), SIGHUP),
      drain_timer_(std::in_place, pool_->main()),
      watchdog_timer_(std::in_place, pool_->main()) {
  kv_.register_routes(routes_);
  txn_.register_routes(routes_);
  admin_.register_routes(routes_);
  metrics_handler_.register_routes(routes_, cfg_.metrics_public ? http::access::open : http::access::admin);
  watch_.register_routes(routes_);
  console_.register_routes(routes_);
}

server::~server() {
  watchdog_timer_.reset();
  drain_timer_.reset();
  signals_.reset();
  hangup_.reset();
  listener_.reset();
  pool_.reset();  // destroys pending handlers, and the sessions they own, while members live
}

status server::open() {
  if (cfg_.auth_file) {
    // A broken file refuses the start: serving without the tokens would serve everyone.
    if (auto s = gate_.open(*cfg_.auth_file); !s) return s;
    spdlog::info("{} tokens from {}", gate_.size(), *cfg_.auth_file);
  }
  if (cfg_.tls_cert && cfg_.tls_key) {
    // A certificate that does not load refuses the start: serving plaintext instead would
    // surprise every client, and some would send their tokens anyway.
    auto t = net::tls_context::load({*cfg_.tls_cert, *cfg_.tls_key, cfg_.tls_client_ca});
    if (!t) return t.error();
    tls_ = std::move(*t);
    spdlog::info("TLS certificate {} and key {}{}", *cfg_.tls_cert, *cfg_.tls_key,
                 cfg_.tls_client_ca ? "; client certificates required, signed by " + *cfg_.tls_client_ca : "");
  }
  auto log = util::make_access_log(cfg_.access_log, cfg_.log_format);
  if (!log) return log.error();
  access_log_ = std::move(*log);
  auto sm = server_metrics::make(registry_, store_, state_, disk_.get(), &hub_, &feed_counters_);
  if (!sm) return sm.error();
  metrics_ = std::move(*sm);
  if (cfg_.metrics) store_.add_observer(metrics_.get());
  http_metrics_ = std::make_unique<http::http_metrics>(routes_);  // every route is registered by now
  metrics_handler_.add(registry_);
  metrics_handler_.add(*metrics_);
  metrics_handler_.add(*http_metrics_);
  metrics_handler_.add(process_metrics_);
  // The longest request-target accepted: a maximal key, percent-encoded, plus room for the query.
  const net::session_settings settings{cfg_.header_timeout, cfg_.idle_timeout, cfg_.max_header_bytes,
                                       cfg_.max_key_bytes * 3 + 4096, cfg_.log_format == util::log_format::json};
  env_.emplace(net::session_env{settings, routes_, [this] { return store_.revision(); }, state_, connections_,
                                access_log_.get(), cfg_.metrics ? http_metrics_.get() : nullptr});

  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(cfg_.host, ec);
  if (ec) return {errc::bad_request, "--host '" + cfg_.host + "' is not an IP address"};
  // Under TLS the server's own origin is https://<Host>: the browser's Origin on its own pages.
  net::guard_settings guard{cfg_.cors_origins, cfg_.allowed_hosts, tls_ != nullptr};
  // On a loopback address only this machine's names reach us honestly; another name is a page
  // that rebound its own host name to 127.0.0.1 (DNS rebinding).
  if (guard.allowed_hosts.empty() && addr.is_loopback()) guard.allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  if (std::find(cfg_.cors_origins.begin(), cfg_.cors_origins.end(), "*") != cfg_.cors_origins.end() && !gate_.enabled())
    spdlog::warn("--cors-origin '*' without --auth-file: a page from any web site may read and write this server");
  if (cfg_.rate_limit > 0) limiter_.emplace(cfg_.rate_limit, cfg_.rate_burst);
  guard_.emplace(std::move(guard), gate_.enabled() ? &gate_ : nullptr, limiter_ ? &*limiter_ : nullptr);
  env_->guard = &*guard_;
  if (cfg_.max_connections != 0 || cfg_.max_connections_per_ip != 0)
    connection_limits_ = net::connection_limits::make(cfg_.max_connections, cfg_.max_connections_per_ip);
  listener_ = std::make_shared<net::listener>(*pool_, *env_, tls_.get(), connection_limits_);
  if (auto s = listener_->open({addr, cfg_.port}); !s) return s;
  cfg_.port = listener_->local_endpoint().port();  // --port 0: report the port actually bound
  return status::success();
}

std::uint16_t server::port() const { return listener_ ? listener_->local_endpoint().port() : 0; }

void mask_stop_signals(bool block) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &stop_signals, nullptr);
}

status server::run() {
  signals_->async_wait([this](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down (up to {} ms for in-flight requests)", sig,
                 cfg_.shutdown_timeout.count());
    begin_drain();
  });
  wait_for_hangup();
  // Serve at once so that /healthz and /readyz (503) answer while the data is being recovered.
  listener_->start();
  std::vector<std::thread> pool;
  pool.reserve(cfg_.threads);
  for (unsigned i = 0; i < cfg_.threads; ++i) {
    pool.emplace_back([this, i] {
      mask_stop_signals(false);
      // Handlers report errors as values; an exception here is a bug. Log it and keep serving
      // rather than let it end the process through std::terminate.
      for (;;) {
        try {
          pool_->run(i);
          return;
        } catch (const std::exception& e) {
          spdlog::error("unexpected exception on an io thread: {}", e.what());
        }
      }
    });
  }
  const auto join = [&] {
    for (auto& t : pool) t.join();
  };

  const auto ep = listener_->local_endpoint();
  const std::string host = ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
  const char* scheme = tls_ ? "https" : "http";
  spdlog::info("livekv {} on {}://{}:{} threads={} data-dir={} fsync={} max-key-bytes={} max-value-bytes={}",
               livekv::version, scheme, host, ep.port(), cfg_.threads, cfg_.in_memory ? "(in memory)" : cfg_.data_dir,
               wal::to_string(cfg_.fsync), cfg_.max_key_bytes, cfg_.max_value_bytes);
  if (disk_) {
    auto rep = disk_->open();
    if (!rep) {
      spdlog::critical("recovery failed: {}", rep.error().message());
      pool_->stop();
      join();
      return rep.error();
    }
    for (const auto& w : rep->warnings) spdlog::warn("recovery: {}", w);
    spdlog::info("recovered revision {} ({} keys from snapshot {}, {} log records) in {:.3f}s, epoch {}", rep->revision,
                 rep->snapshot_entries, rep->snapshot_revision, rep->records_replayed, rep->seconds, rep->epoch);
  }
  // The feed starts at the recovered revision, before anything (the sweeper included) can commit.
  store_.add_observer(&hub_);
  store_.checkpoint([this](std::uint64_t revision) { hub_.start(revision); });
  store::expiry_sweeper::options sweep;
  sweep.on_expired = [this](std::int64_t lag_ms) { metrics_->on_expired(lag_ms); };
  sweeper_.emplace(store_, sweep);
  state_.ready = true;
  // A machine-readable line on stdout once ready: scripts and tests read the port from it.
  std::printf("livekv listening on %s://%s:%u\n", scheme, host.c_str(), static_cast<unsigned>(ep.port()));
  std::fflush(stdout);
  util::notify_ready(fmt::format("serving {}://{}:{} at revision {}", scheme, host, ep.port(), store_.stats().revision));
  if (const auto every = util::watchdog_interval()) {
    // Petted from the main io thread: a loop stuck there (or every thread busy) misses it, and
    // systemd restarts the service.
    asio::post(pool_->main(), [this, half = *every / 2] { pet_watchdog(half); });
  }

  join();
  hub_.stop();
  sweeper_.reset();
  status outcome = status::success();
  if (disk_) {
    outcome = disk_->close();
    if (!outcome) spdlog::critical("final log flush failed: {}", outcome.message());
  }
  if (access_log_) access_log_->flush();
  spdlog::info("stopped");
  return outcome;
}

status server::reload_tls() {
  if (!tls_) return status::success();
  return tls_->reload();
}

void server::request_stop() {
  asio::post(pool_->main(), [this] { begin_drain(); });
}

void server::begin_drain() {
  if (state_.draining.exchange(true)) return;
  util::notify_stopping("draining: finishing in-flight requests");
  watchdog_timer_->cancel();
  signals_->cancel();
  hangup_->cancel();
  listener_->stop();
  connections_.drain_all();
  // Long-polls still waiting answer 304 now, so their connections can close.
  hub_.stop();
  drain_deadline_ = std::chrono::steady_clock::now() + cfg_.shutdown_timeout;
  check_drained();
}

void server::wait_for_hangup() {
  hangup_->async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    reload();
    wait_for_hangup();
  });
}

void server::pet_watchdog(std::chrono::microseconds every) {
  util::notify_watchdog();
  watchdog_timer_->expires_after(every);
  watchdog_timer_->async_wait([this, every](const boost::system::error_code& ec) {
    if (!ec) pet_watchdog(every);
  });
}

void server::reload() {
  util::notify_reloading();
  // First, so that what the reload logs lands in the new file.
  const auto reopened = util::reopen_log_files();
  spdlog::info("received SIGHUP: reloading");
  if (!reopened) spdlog::error("SIGHUP: {}; logging goes on in the old file", reopened.message());
  if (gate_.enabled()) {
    if (auto s = gate_.reload(); !s)
      spdlog::error("auth file not reloaded, the previous tokens stay in force: {}", s.message());
    else
      spdlog::info("{} tokens from {}", gate_.size(), *cfg_.auth_file);
  }
  if (tls_) {
    if (auto s = reload_tls(); s)
      spdlog::info("SIGHUP: TLS certificate {} reloaded; new connections use it", tls_->files().cert);
    else
      spdlog::error("SIGHUP: TLS certificate not reloaded, the old one stays in use: {}", s.message());
  }
  util::notify_reloaded();
}

void server::check_drained() {
  if (connections_.size() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
    if (connections_.size() > 0) spdlog::warn("{} connections still open at the deadline; closing", connections_.size());
    pool_->stop();
    return;
  }
  // Polling a counter keeps the sessions free of any reference back to the server.
  drain_timer_->expires_after(std::chrono::milliseconds(20));
  drain_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_drained();
  });
}

}  // namespace livekv

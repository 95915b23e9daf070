#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <prometheus/registry.h>

#include "livekv/auth/gate.hpp"
#include "livekv/net/connection_limits.hpp"
#include "livekv/net/rate_limiter.hpp"
#include "livekv/net/request_guard.hpp"
#include "livekv/config.hpp"
#include "livekv/handlers/admin_handlers.hpp"
#include "livekv/handlers/console_handler.hpp"
#include "livekv/handlers/kv_handlers.hpp"
#include "livekv/handlers/metrics_handler.hpp"
#include "livekv/http/http_metrics.hpp"
#include "livekv/metrics/process_metrics.hpp"
#include "livekv/server_metrics.hpp"
#include "livekv/handlers/txn_handlers.hpp"
#include "livekv/handlers/watch_handlers.hpp"
#include "livekv/hub/broadcast_hub.hpp"
#include "livekv/wal/log_reader.hpp"
#include "livekv/http/router.hpp"
#include "livekv/net/connection_registry.hpp"
#include "livekv/net/http_session.hpp"
#include "livekv/net/io_pool.hpp"
#include "livekv/net/tls_context.hpp"
#include "livekv/server_state.hpp"
#include "livekv/status.hpp"
#include "livekv/store/expiry_sweeper.hpp"
#include "livekv/store/kv_store.hpp"
#include "livekv/wal/storage.hpp"

namespace spdlog { class logger; }

namespace livekv {
namespace net { class listener; }

// The composition root: owns the io_context and its threads, the store, the routes and the
// listener, and runs the lifecycle start → serve → drain → stop. Not thread-safe itself: call
// open() then run() from one thread; shutdown comes from SIGINT/SIGTERM or request_stop().
// SIGINT and SIGTERM are for the io threads only, where the signal set's handler runs at once:
// main() blocks them (block = true) before the server starts any thread, so every thread inherits
// the block, and server::run unblocks them in its io threads. Under TSan, which runs signal
// handlers at its own safe points, a SIGTERM that the kernel gave to a thread asleep on a
// condition variable was once not handled within a test's 20 s (CI, 4892cca). SIGHUP (reload) is
// masked the same way, for the same reason.
void mask_stop_signals(bool block);

class server {
 public:
  explicit server(config cfg);
  ~server();

  // Binds the listening socket. Errors: errc::internal (address in use, bad address, ...).
  status open();
  // Recovers the data, serves until drained, then flushes the log. Returns after every thread has
  // stopped. Errors: recovery failed (damage, unreadable data directory), or the final flush failed.
  status run();
  // Begins a graceful shutdown, as SIGTERM does. Thread-safe.
  void request_stop();
  // Reads --tls-cert, --tls-key (and --tls-client-ca) again; connections accepted from now on use
  // them, open ones keep theirs. On error the old certificate stays in use and the status says
  // which file and why. Success, doing nothing, without TLS. Thread-safe; SIGHUP calls it.
  status reload_tls();

  std::uint16_t port() const;

 private:
  void begin_drain();
  void wait_for_hangup();
  // SIGHUP: reopens the log files (logrotate), reads the auth file again (a broken one keeps the old, and says why). Streams whose
  // token went away or lost its rights close within a tick of the hub. Then the TLS certificate
  // (reload_tls), likewise.
  void reload();
  void check_drained();
  // WATCHDOG=1 to systemd now and every `every` (half the unit's WatchdogSec) until the drain.
  void pet_watchdog(std::chrono::microseconds every);

  config cfg_;
  // --auth-file, loaded by open() and again on SIGHUP; disabled without the flag. Before the
  // handlers and sessions, which hold pointers to it.
  auth::gate gate_;
  std::optional<net::rate_limiter> limiter_;  // --rate-limit; none: no limit
  std::optional<net::request_guard> guard_;   // built by open()
  std::shared_ptr<net::connection_limits> connection_limits_;  // null without the caps
  std::unique_ptr<net::tls_context> tls_;    // --tls-cert, loaded by open() and again on SIGHUP; null: plain HTTP
  // Optional so that ~server() can destroy them first: sessions still owned by pending handlers die
  // with the io_context and must find the registry, state and store they reference alive.
  std::optional<net::io_pool> pool_;
  server_state state_;
  store::kv_store store_;
  // The metrics /metrics serves: prometheus-cpp's registry for what is counted as it happens, and
  // collectors that read the components at scrape time. Declared after store_ and state_, which
  // they read; disk_ and hub_ are declared below but outlive every scrape (scrapes happen only
  // while the io threads run). Throw: a name registered twice is an error, never a silent merge.
  prometheus::Registry registry_{prometheus::Registry::InsertBehavior::Throw};
  std::unique_ptr<server_metrics> metrics_;
  metrics::process_collector process_metrics_;
  std::unique_ptr<wal::storage> disk_;              // null with --in-memory
  std::unique_ptr<wal::log_reader> log_reader_;     // the feed's history on disk; null with --in-memory
  hub::broadcast_hub hub_;                          // started after recovery, stopped at drain
  feed::feed_counters feed_counters_;               // what the feed sessions count
  std::optional<store::expiry_sweeper> sweeper_;    // started after recovery; stops before disk_ closes
  http::router routes_;
  handlers::kv_handlers kv_;
  handlers::txn_handlers txn_;
  handlers::admin_handlers admin_;
  handlers::metrics_handler metrics_handler_;
  handlers::console_handler console_;
  std::unique_ptr<http::http_metrics> http_metrics_;
  net::connection_registry connections_;
  handlers::watch_handlers watch_;  // after connections_, which its sessions register with
  std::shared_ptr<spdlog::logger> access_log_;
  std::optional<net::session_env> env_;
  std::shared_ptr<net::listener> listener_;
  std::optional<boost::asio::signal_set> signals_;
  std::optional<boost::asio::signal_set> hangup_;  // SIGHUP: reload the auth file and the TLS certificate
  std::optional<boost::asio::steady_timer> drain_timer_;
  std::optional<boost::asio::steady_timer> watchdog_timer_;  // WatchdogSec: see pet_watchdog
  std::chrono::steady_clock::time_point drain_deadline_;
};

}  // namespace livekv

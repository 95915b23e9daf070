#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/util/log_settings.hpp"
#include "livekv/wal/fsync_policy.hpp"

namespace livekv {

// Every setting of the server, parsed into its type once here (consumers never parse a setting
// again). Each flag --name has an environment variable LIVEKV_NAME (upper case, '-' → '_') and a
// config file line `name = value`; a flag wins over the variable, the variable over the file.
struct config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;  // 0 = hardware concurrency (resolved by parse_config)
  std::string data_dir = "./data";
  bool in_memory = false;        // no data directory: nothing survives a restart
  wal::fsync_policy fsync = wal::fsync_policy::everysec;
  std::size_t snapshot_log_bytes = 64 * 1024 * 1024;
  bool repair = false;
  // --discard-data EPOCH: set the data aside and start empty, if the data directory is at EPOCH.
  std::optional<std::uint64_t> discard_data;
  std::size_t max_key_bytes = 1024;
  std::size_t max_value_bytes = 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_batch_ops = 1000;
  std::size_t max_batch_bytes = 4 * 1024 * 1024;
  util::log_level log_level = util::log_level::info;
  util::log_destination access_log;  // --access-log: off (default), stderr, stdout or a file
  std::optional<std::string> log_file;  // --log-file: the server log there instead of stderr
  util::log_format log_format = util::log_format::text;
  // --auth-file: the tokens allowed in (auth/token_table); none: every client is trusted.
  std::optional<std::string> auth_file;
  bool metrics_public = false;  // --metrics-public: /metrics needs no token even with an auth file
  // Browsers: origins allowed to call the API across origins (CORS); "*" for any (no credentials).
  std::vector<std::string> cors_origins;
  // Host header values served (DNS rebinding); empty: the loopback names when bound to loopback,
  // else any.
  std::vector<std::string> allowed_hosts;
  // Per client (token name, else IP address): requests per second and burst; 0: no limit.
  double rate_limit = 0;
  std::size_t rate_burst = 0;  // 0: as many as one second's rate
  std::size_t max_connections = 0;         // 0: no cap
  std::size_t max_connections_per_ip = 0;  // 0: no cap
  // TLS (--tls-cert, --tls-key, --tls-client-ca): the whole port speaks HTTPS and WSS. Cert and
  // key come together or not at all (parse_config refuses one without the other).
  std::optional<std::string> tls_cert;
  std::optional<std::string> tls_key;
  std::optional<std::string> tls_client_ca;  // requires it: mutual TLS
  bool metrics = true;              // count per request and per commit (off: only scrape-time gauges)
  // The live feed (/wal, /v1/watch).
  std::size_t feed_history = 65'536;               // recent write events kept in memory for resumes
  std::size_t feed_history_bytes = 64 * 1024 * 1024;
  std::size_t feed_max_value_bytes = 1024;         // larger values are announced by size only
  std::size_t feed_queue_messages = 10'000;        // a subscriber's backlog before it is cut off
  std::size_t feed_queue_bytes = 16 * 1024 * 1024;
  std::size_t feed_max_subscribers = 50'000;
  std::chrono::milliseconds feed_progress{10'000};  // bookmark interval on an idle subscription
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds shutdown_timeout{10'000};

  // --config FILE (LIVEKV_CONFIG), if one was read.
  std::optional<std::string> config_file;
  // The settings not left at their default, by flag name, with where each came from: "flag",
  // "env LIVEKV_PORT" or "FILE:LINE" (/status shows them).
  std::vector<std::pair<std::string, std::string>> sources;
};

struct parsed_args {
  config cfg;
  bool show_help = false;
  bool show_version = false;
  bool hash_token = false;  // --hash-token: print a new token and its auth-file entry, then exit
  bool config_template = false;  // --config-template: print a commented config file, then exit
};

// Looks up an environment variable; injectable so tests need not touch the real environment.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
env_lookup process_env();

// Parses flags (argv[1..]) over environment variables over the config file (--config, or
// LIVEKV_CONFIG) over defaults and validates the result. Errors in the file name its path and line.
// Errors (errc::bad_request) name the flag or variable and what was wrong with it; for a flag that
// takes one of a few words (--fsync, --log-level, --log-format) they also list the accepted words.
result<parsed_args> parse_config(const std::vector<std::string>& args, const env_lookup& env);

// The --help text.
std::string help_text();
// A config file listing every setting with its explanation, commented out at its default
// (--config-template).
std::string config_template();

// Parses "10s", "250ms", "2m" or a plain number of seconds.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& s);
// Parses "1048576", "64KiB", "1MiB", "1k", "1m" (binary multiples).
std::optional<std::size_t> parse_size(const std::string& s);

}  // namespace livekv

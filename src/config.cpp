#include "livekv/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <map>

#include <CLI/CLI.hpp>
#include <thread>
#include <utility>

#include "livekv/config_file.hpp"
#include "livekv/io/append_file.hpp"
#include "livekv/util/parse_uint.hpp"

namespace livekv {
namespace {

// One row per flag: the table drives parsing, the environment look-up and --help alike, so a
// flag cannot exist without its variable and its documentation.
struct flag_spec {
  const char* name;
  const char* value_name;  // nullptr for switches
  const char* sample;      // the default as written, or an example where there is none
  const char* help;
  std::function<bool(config&, const std::string&)> set;
  std::string accepted = {};  // a flag taking one of a few words: "a, b or c", named when refused
  bool repeatable = false;    // given again, it adds a value (else a second one is an error)
};

// A flag taking one of the words of `names` into `field`: the row's setter and its accepted list.
template <typename E, std::size_t N>
flag_spec word_flag(const char* name, const char* value_name, const char* sample, const char* help,
                    const util::enum_names<E, N>& names, E config::*field) {
  return {name, value_name, sample, help,
          [&names, field](config& c, const std::string& v) {
            const auto e = names.parse(v);
            if (e) c.*field = *e;
            return e.has_value();
          },
          names.list()};
}

// Sets `out` to `s` as a number of at most `max`; false (out untouched) otherwise.
template <typename T>
bool parse_uint(const std::string& s, T& out, unsigned long long max) {
  const auto v = util::parse_uint<unsigned long long>(s);
  if (!v || *v > max) return false;
  out = static_cast<T>(*v);
  return true;
}

bool parse_switch(const std::string& v, bool& out) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") out = true;
  else if (v == "false" || v == "0" || v == "no" || v == "off") out = false;
  else return false;
  return true;
}

// Adds the comma-separated words of `v` to `out`, each checked by `valid`.
bool add_words(const std::string& v, std::vector<std::string>& out, bool (*valid)(std::string_view)) {
  std::string_view rest = v;
  if (rest.empty()) return false;
  while (true) {
    const auto comma = rest.find(',');
    const auto word = rest.substr(0, comma);
    if (!valid(word)) return false;
    out.emplace_back(word);
    if (comma == std::string_view::npos) return true;
    rest = rest.substr(comma + 1);
  }
}

// "*" or scheme://host[:port] with nothing after: the form browsers send in Origin.
bool valid_origin(std::string_view o) {
  if (o == "*") return true;
  const auto sep = o.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  const auto scheme = o.substr(0, sep);
  if (scheme != "http" && scheme != "https") return false;
  const auto rest = o.substr(sep + 3);
  return !rest.empty() && rest.find_first_of("/?# ") == std::string_view::npos;
}

bool valid_host(std::string_view h) {
  return !h.empty() && h.find_first_of("/?#@ \t") == std::string_view::npos;
}

// "N", "N/s" or "N/m" (N may have a fraction) as requests per second.
bool parse_rate(const std::string& v, double& out) {
  std::string_view s = v;
  double per = 1;
  if (s.ends_with("/s")) s.remove_suffix(2);
  else if (s.ends_with("/m")) s.remove_suffix(2), per = 60;
  if (s.empty() || s.find_first_not_of("0123456789.") != std::string_view::npos) return false;
  char* end = nullptr;
  const std::string num(s);
  const double n = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !(n >= 0) || n > 1e9) return false;
  out = n / per;
  return true;
}

const std::vector<flag_spec>& flags() {
  static const std::vector<flag_spec> table = {
      {"host", "ADDR", "127.0.0.1", "Address to listen on. Use 0.0.0.0 or :: to serve other machines.",
       [](config& c, const std::string& v) { c.host = v; return !v.empty(); }},
      {"port", "N", "8080", "TCP port (0 picks a free one and prints it).",
       [](config& c, const std::string& v) { return parse_uint(v, c.port, 65535); }},
      {"threads", "N", "4", "I/O threads serving connections (default: one per CPU core).",
       [](config& c, const std::string& v) { return parse_uint(v, c.threads, 1024) && c.threads > 0; }},
      {"data-dir", "DIR", "./data", "Where the data lives (log and snapshots).",
       [](config& c, const std::string& v) { c.data_dir = v; return !v.empty(); }},
      {"in-memory", nullptr, "false", "Keep no data on disk: fast, and everything is lost at exit.",
       [](config& c, const std::string& v) { return parse_switch(v, c.in_memory); }},
      word_flag("fsync", "POLICY", "everysec",
                "When a write is acknowledged. always: after fdatasync; concurrent writes share one "
                "(group commit), so nothing acknowledged is lost even on power failure. everysec "
                "(default): after the write reaches the OS, synced once a second: a crash of livekv loses "
                "nothing, a power failure up to a second. no: at once, the OS syncs when it likes.",
                wal::fsync_policy_names, &config::fsync),
      {"snapshot-log-bytes", "SIZE", "64MiB",
       "Snapshot when the log has grown by this much since the last snapshot, or by the last "
       "snapshot's size if larger (default 64MiB). Old log segments are deleted after a snapshot.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 4096) return false;
         c.snapshot_log_bytes = *n;
         return true;
       }},
      {"repair", nullptr, "false",
       "Start even if the log is damaged in the middle: keep the store as it was before the damage "
       "and drop every record after it (the count is logged). The log and snapshot files are moved "
       "into DIR/discarded-<unix time>/, not deleted, and revisions continue past the highest one "
       "the dropped records hold, with the data directory's epoch raised: the dropped writes may "
       "have been acknowledged, and their revisions are never given to new writes. Without it such "
       "damage stops startup. A missing snapshot is not damage: --repair refuses it too.",
       [](config& c, const std::string& v) { return parse_switch(v, c.repair); }},
      {"discard-data", "EPOCH", "0",
       "Start with an empty store, whatever --data-dir holds: every snapshot and log file there is "
       "moved into DIR/discarded-<unix time>/ (nothing is deleted). For when the data cannot be "
       "recovered (a snapshot is missing) and no backup can be restored. Revisions continue past "
       "the highest one the moved files hold and the data directory's epoch is raised, so that "
       "revisions, ETags and resume points clients still hold are never given to new writes. EPOCH "
       "is the data directory's current epoch (0 for one never discarded; the refusal to start and "
       "/status name it): the flag acts only at that epoch, so left set it discards nothing more.",
       [](config& c, const std::string& v) {
         std::uint64_t epoch = 0;
         if (!parse_uint(v, epoch, ~0ull)) return false;
         c.discard_data = epoch;
         return true;
       }},
      {"auth-file", "PATH", "/etc/livekv/tokens.json",
       "JSON file of the tokens allowed in, stored as SHA-256 hashes with their roles (read, write, "
       "admin) and key prefixes (see docs/security.md); --hash-token makes an entry. Without it every "
       "client is trusted: keep livekv on loopback.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.auth_file = v;
         return true;
       }},
      {"metrics-public", nullptr, "false",
       "With --auth-file, serve /metrics without a token (a Prometheus that cannot send one). The "
       "metrics name no keys or tokens, but they do show traffic; by default they need the admin role.",
       [](config& c, const std::string& v) { return parse_switch(v, c.metrics_public); }},
      {"cors-origin", "ORIGIN", "https://app.example.com",
       "A web origin (scheme://host[:port]) whose pages may call the API: preflight OPTIONS is "
       "answered and the response headers are exposed to it. Repeat the flag (or separate with "
       "commas in LIVEKV_CORS_ORIGIN) for several. '*' allows any origin, and only without "
       "credentials: a browser will not send a token to it. A request carrying any other Origin "
       "that is not this server's own is refused with 403 before it does anything.",
       [](config& c, const std::string& v) { return add_words(v, c.cors_origins, valid_origin); }, {}, true},
      {"allowed-host", "NAME", "kv.example.com",
       "A Host header value this server answers to (with or without the port); others get 421. "
       "Repeatable. Default when listening on a loopback address: localhost, 127.0.0.1 and [::1] "
       "(with the port), which defeats DNS rebinding against a livekv on your machine; default "
       "otherwise: any host. Use '*' to allow any.",
       [](config& c, const std::string& v) { return add_words(v, c.allowed_hosts, valid_host); }, {}, true},
      {"rate-limit", "RATE", "0",
       "Requests allowed per client per second (N or N/s; N/m per minute); 0 (default) for no "
       "limit. A client is its token's name with --auth-file, else its IP address. Over it: 429 "
       "with Retry-After. A stream (WebSocket, SSE) counts once, when it opens.",
       [](config& c, const std::string& v) { return parse_rate(v, c.rate_limit); }},
      {"rate-burst", "N", "0",
       "Requests a client may make at once above the rate before it is limited (default: one "
       "second's worth).",
       [](config& c, const std::string& v) { return parse_uint(v, c.rate_burst, 1'000'000'000); }},
      {"max-connections", "N", "0",
       "Most connections at once (streams included); new ones beyond get 503 and are closed, the "
       "open ones keep working. 0 (default): no cap but the process's file limit.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_connections, 10'000'000); }},
      {"max-connections-per-ip", "N", "0",
       "Most connections at once from one IP address (default 0: no cap); as --max-connections.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_connections_per_ip, 10'000'000); }},
      {"tls-cert", "FILE", "/etc/livekv/tls/cert.pem",
       "Serve HTTPS and WSS instead of plain HTTP on the port, with this PEM certificate chain (the "
       "server's certificate first, then any intermediates). Needs --tls-key. TLS 1.2 is the oldest "
       "version accepted. SIGHUP reads the certificate and key again: new connections get the new "
       "one, open connections keep theirs, and a file that does not load keeps the old one (the "
       "log says why). Without it the port speaks plain HTTP, as fast as ever; keep it on loopback "
       "or behind a TLS proxy then.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.tls_cert = v;
         return true;
       }},
      {"tls-key", "FILE", "/etc/livekv/tls/key.pem", "The PEM private key of --tls-cert (unencrypted: nobody is there to type a passphrase).",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.tls_key = v;
         return true;
       }},
      {"tls-client-ca", "FILE", "/etc/livekv/tls/clients-ca.pem",
       "Mutual TLS: every client must present a certificate signed by a CA in this PEM file, or its "
       "handshake fails. The certificate is the client's identity at the transport; use it with "
       "--auth-file tokens or instead of them. Needs --tls-cert.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.tls_client_ca = v;
         return true;
       }},
      {"max-key-bytes", "SIZE", "1KiB", "Longest key accepted, in bytes (default 1024).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n == 0 || *n > 64 * 1024) return false;
         c.max_key_bytes = *n;
         return true;
       }},
      {"max-value-bytes", "SIZE", "1MiB",
       "Largest value accepted (default 1MiB, at most 32MiB). Larger bodies get 413 before they are read.",
       [](config& c, const std::string& v) {
         // At most 32 MiB: a commit must fit one log record (64 MiB) with room to spare.
         auto n = parse_size(v);
         if (!n || *n == 0 || *n > std::size_t{32} << 20) return false;
         c.max_value_bytes = *n;
         return true;
       }},
      {"max-header-bytes", "SIZE", "16KiB", "Largest request head (request line + headers; default 16KiB), else 431.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024 || *n > 1024 * 1024) return false;
         c.max_header_bytes = *n;
         return true;
       }},
      {"max-batch-ops", "N", "1000",
       "Most conditions plus operations one POST /v1/batch may hold (default 1000), else 413.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_batch_ops, 1'000'000) && c.max_batch_ops > 0; }},
      {"max-batch-bytes", "SIZE", "4MiB", "Largest POST /v1/batch body (default 4MiB, at most 32MiB), else 413.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024 || *n > std::size_t{32} << 20) return false;
         c.max_batch_bytes = *n;
         return true;
       }},
      {"feed-history", "N", "65536",
       "Write events kept in memory so that feed subscribers can resume (since=R, Last-Event-ID) "
       "without a gap (default 65536). Older revisions are read back from the log on disk while "
       "its segments last; a resume older than both gets 410.",
       [](config& c, const std::string& v) { return parse_uint(v, c.feed_history, 1u << 26) && c.feed_history > 0; }},
      {"feed-history-bytes", "SIZE", "64MiB", "Memory bound of that history (default 64MiB; the newest event always stays).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n == 0) return false;
         c.feed_history_bytes = *n;
         return true;
       }},
      {"feed-max-value-bytes", "SIZE", "1KiB",
       "Values up to this size travel inside feed events (default 1KiB); larger ones are announced "
       "by their size and \"truncated\": true, so one big write does not flood every subscriber.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n > std::size_t{32} << 20) return false;
         c.feed_max_value_bytes = *n;
         return true;
       }},
      {"feed-queue-messages", "N", "10000",
       "How far (in events) a live subscriber may fall behind the newest write before it is sent "
       "an overflow event and disconnected (default 10000); it resumes from the revision it got. "
       "Writers and other subscribers never wait for a slow one.",
       [](config& c, const std::string& v) {
         return parse_uint(v, c.feed_queue_messages, 1u << 26) && c.feed_queue_messages > 0;
       }},
      {"feed-queue-bytes", "SIZE", "16MiB", "The same bound in bytes of pending events (default 16MiB).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024) return false;
         c.feed_queue_bytes = *n;
         return true;
       }},
      {"feed-max-subscribers", "N", "50000", "Most feed subscribers at once (default 50000); more get 503.",
       [](config& c, const std::string& v) { return parse_uint(v, c.feed_max_subscribers, 1u << 24); }},
      {"feed-progress", "DURATION", "10s",
       "How often an idle subscription gets a progress bookmark with the current revision "
       "(default 10s), so its resume point stays fresh and dead connections show.",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() < 50) return false;
         c.feed_progress = *d;
         return true;
       }},
      word_flag("log-level", "LEVEL", "info", "trace, debug, info, warn, error or off.", util::log_level_names,
                &config::log_level),
      {"metrics", "on|off", "on",
       "Count requests and writes for /metrics (default on). off leaves only the values read at "
       "scrape time (keys, bytes, log size, process); it exists to measure what counting costs.",
       [](config& c, const std::string& v) { return parse_switch(v, c.metrics); }},
      word_flag("log-format", "FORMAT", "text",
                "text (default) or json: one JSON object per line, for log shippers. Applies to the server "
                "log and the access log.",
                util::log_format_names, &config::log_format),
      {"access-log", "DEST", "off",
       "One line per request to off (default), stderr, stdout or a file path: method, path, status, "
       "duration, bytes in and out, client address and request id (also sent as X-Request-Id). "
       "Written by a background thread, so it never blocks a request.",
       [](config& c, const std::string& v) {
         const auto d = util::parse_log_destination(v);
         if (d) c.access_log = *d;
         return d.has_value();
       }},
      {"log-file", "PATH", "/var/log/livekv/livekv.log",
       "Write the server log to this file (appending) instead of stderr. By default it goes to stderr, "
       "where systemd's journal and container runtimes collect it. SIGHUP reopens the file (and an "
       "access log file), so logrotate can move it aside and signal: nothing is lost in between.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.log_file = v;
         return true;
       }},
      {"header-timeout", "DURATION", "10s",
       "Time allowed to receive a request's head and body (default 10s); slow clients are cut off.",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0) return false;
         c.header_timeout = *d;
         return true;
       }},
      {"idle-timeout", "DURATION", "60s", "How long an idle keep-alive connection is kept open (default 60s).",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0) return false;
         c.idle_timeout = *d;
         return true;
       }},
      {"shutdown-timeout", "DURATION", "10s",
       "On SIGINT/SIGTERM, how long in-flight requests may take to finish (default 10s).",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() < 0) return false;
         c.shutdown_timeout = *d;
         return true;
       }},
  };
  return table;
}

std::string env_name(const char* flag) {
  std::string n = "LIVEKV_";
  for (const char* p = flag; *p; ++p) n += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
  return n;
}

// The tail of a refusal that lists a word flag's accepted words; empty for other flags.
std::string accepted_words(const flag_spec& f) {
  return f.accepted.empty() ? std::string() : " (accepted: " + f.accepted + ")";
}

// "250ms" → {250, "ms"}: one to twelve leading digits (too few to overflow any unit's multiple)
// and the rest as written; nullopt without leading digits or with more than twelve.
std::optional<std::pair<std::size_t, std::string>> number_and_unit(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0 || i > 12) return std::nullopt;
  return std::pair{*util::parse_uint<std::size_t>(std::string_view(s).substr(0, i)), s.substr(i)};
}

const flag_spec* find_flag(std::string_view name) {
  for (const auto& f : flags())
    if (name == f.name) return &f;
  return nullptr;
}

}  // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& s) {
  const auto split = number_and_unit(s);
  if (!split) return std::nullopt;
  const auto n = static_cast<long long>(split->first);
  const std::string& unit = split->second;
  if (unit == "ms") return std::chrono::milliseconds(n);
  if (unit.empty() || unit == "s") return std::chrono::milliseconds(n * 1000);
  if (unit == "m") return std::chrono::milliseconds(n * 60'000);
  return std::nullopt;
}

std::optional<std::size_t> parse_size(const std::string& s) {
  auto split = number_and_unit(s);
  if (!split) return std::nullopt;
  const std::size_t n = split->first;
  std::string& unit = split->second;
  std::transform(unit.begin(), unit.end(), unit.begin(), [](unsigned char ch) { return std::tolower(ch); });
  int shift = -1;
  if (unit.empty() || unit == "b") shift = 0;
  if (unit == "k" || unit == "kb" || unit == "kib") shift = 10;
  if (unit == "m" || unit == "mb" || unit == "mib") shift = 20;
  if (unit == "g" || unit == "gb" || unit == "gib") shift = 30;
  if (shift < 0 || n > (std::numeric_limits<std::size_t>::max() >> shift)) return std::nullopt;
  return n << shift;
}

namespace {

// Where a setting's value came from, as /status shows it.
std::string from_flag() { return "flag"; }
std::string from_env(const std::string& var) { return "env " + var; }
std::string from_file(const std::string& path, std::size_t line) { return path + ":" + std::to_string(line); }

status refuse(const std::string& what) { return status(errc::bad_request, what); }

// CLI11's refusals in the words of the rest of this file ("--port needs a value").
std::string describe(const CLI::ParseError& e) {
  const std::string what = e.what();
  const auto colon = what.find(": ");
  const std::string head = what.substr(0, colon);
  const std::string rest = colon == std::string::npos ? std::string() : what.substr(colon + 2);
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // CLI11 lists the leftovers last first; the first of them is the one to point at.
    const std::string first = rest.substr(rest.rfind(' ') + 1);
    return (first.starts_with("-") ? "unknown flag " : "unexpected argument ") + first;
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && head.starts_with("-")) {
    if (rest.find("missing") != std::string::npos) return head + " needs a value";
    if (rest.find("At Most") != std::string::npos) return head + " is given more than once";
  }
  return what;
}

// The file pass: every setting of the file that neither a flag nor a variable set. Errors point at
// the file and line.
status apply_file(const std::string& path, const std::vector<bool>& set_already, config& cfg) {
  auto text = io::read_whole_file(path);
  if (!text) return refuse("cannot read the config file: " + text.error().message());
  auto entries = parse_config_file(*text);
  if (!entries) return refuse(path + ": " + entries.error().message());
  std::map<std::string, std::size_t> first_line;
  for (const auto& e : *entries) {
    const std::string where = path + ":" + std::to_string(e.line) + ": ";
    const flag_spec* f = find_flag(e.name);
    if (!f) {
      const char* why = e.name == "config" ? " (a config file cannot name another)" : " (livekv --config-template lists them all)";
      return refuse(where + "unknown setting '" + e.name + "'" + why);
    }
    const auto [it, first] = first_line.emplace(e.name, e.line);
    if (!first && !f->repeatable)
      return refuse(where + e.name + " is set twice (first on line " + std::to_string(it->second) + ")");
    const auto index = static_cast<std::size_t>(f - flags().data());
    if (set_already[index]) continue;  // a flag or a variable wins over the file
    if (!f->set(cfg, e.value))
      return refuse(where + "invalid value for " + e.name + ": '" + e.value + "'" + accepted_words(*f));
    if (first) cfg.sources.emplace_back(e.name, from_file(path, e.line));
  }
  return status::success();
}

}  // namespace

// CLI11 reads the command line (separate and `=` values, switches, repeats, unknown flags). The
// environment and the file are applied here rather than by CLI11's envname() and set_config():
// CLI11 2.1 (Debian's) lets a config file win over the environment, where our precedence is
// flags > environment > file > defaults, and its config errors name no line. All three sources go
// through the same per-row setter, so a value means the same wherever it is written.
result<parsed_args> parse_config(const std::vector<std::string>& args, const env_lookup& env) {
  parsed_args out;
  CLI::App app{"livekv"};
  app.set_help_flag();  // --help prints help_text(), in the house voice
  auto* help = app.add_flag("-h,--help");
  auto* version = app.add_flag("--version");
  auto* hash_token = app.add_flag("--hash-token");
  auto* tmpl = app.add_flag("--config-template");
  auto* config_file = app.add_option("--config");
  std::vector<CLI::Option*> options;
  for (const auto& f : flags()) {
    auto* o = app.add_option(std::string("--") + f.name);
    if (!f.value_name) o->expected(0, 1);  // --repair, or --repair=false
    if (f.repeatable) o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    options.push_back(o);
  }
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return refuse(describe(e) + " (see --help)");
  }
  out.show_help = help->count() > 0;
  out.show_version = version->count() > 0;
  out.hash_token = hash_token->count() > 0;
  out.config_template = tmpl->count() > 0;

  config& cfg = out.cfg;
  std::vector<bool> set_already(flags().size(), false);
  for (std::size_t i = 0; i < flags().size(); ++i) {
    const auto& f = flags()[i];
    if (options[i]->count() == 0) continue;
    auto values = options[i]->results();
    if (values.empty()) values.emplace_back();
    for (auto& v : values) {
      if (!f.value_name && v.empty()) v = "true";  // a bare switch: --repair
      if (!f.set(cfg, v)) return refuse("invalid value for --" + std::string(f.name) + ": '" + v + "'" + accepted_words(f));
    }
    set_already[i] = true;
    cfg.sources.emplace_back(f.name, from_flag());
  }
  for (std::size_t i = 0; i < flags().size(); ++i) {
    const auto& f = flags()[i];
    if (set_already[i]) continue;
    const std::string var = env_name(f.name);
    const auto v = env(var);
    if (!v) continue;
    if (!f.set(cfg, *v)) return refuse("invalid " + var + "=" + *v + accepted_words(f));
    set_already[i] = true;
    cfg.sources.emplace_back(f.name, from_env(var));
  }
  if (config_file->count() > 0) cfg.config_file = config_file->as<std::string>();
  else if (auto v = env("LIVEKV_CONFIG")) cfg.config_file = *v;
  if (cfg.config_file) {
    if (cfg.config_file->empty()) return refuse("--config needs a file name");
    if (auto s = apply_file(*cfg.config_file, set_already, cfg); !s) return s;
  }

  // A certificate without its key (or a key without a certificate) is a half-done setup: refusing
  // it beats serving plaintext to clients that expect TLS.
  if (cfg.tls_cert.has_value() != cfg.tls_key.has_value())
    return refuse(cfg.tls_cert ? "--tls-cert needs --tls-key (LIVEKV_TLS_KEY)" : "--tls-key needs --tls-cert (LIVEKV_TLS_CERT)");
  if (cfg.tls_client_ca && !cfg.tls_cert)
    return refuse("--tls-client-ca needs --tls-cert and --tls-key: client certificates are part of TLS");
  if (cfg.threads == 0) cfg.threads = std::max(1u, std::thread::hardware_concurrency());
  return out;
}

namespace {

// `text` folded into lines of at most `width` characters, each starting with `indent`.
std::string wrap(std::string_view text, std::size_t width, const std::string& indent) {
  std::string out, line;
  while (!text.empty()) {
    const auto sp = text.find(' ');
    const std::string_view word = text.substr(0, sp);
    text = sp == std::string_view::npos ? std::string_view{} : text.substr(sp + 1);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    if (!line.empty()) line += ' ';
    line += word;
  }
  if (!line.empty()) out += indent + line + "\n";
  return out;
}

}  // namespace

std::string help_text() {
  std::string t =
      "livekv - a key-value server that speaks HTTP\n"
      "\n"
      "Usage: livekv [--config FILE] [FLAGS]\n"
      "\n"
      "  curl -X PUT --data-binary hello http://127.0.0.1:8080/v1/kv/greeting\n"
      "  curl http://127.0.0.1:8080/v1/kv/greeting\n"
      "\n"
      "Every setting below can be given three ways. The first that sets it wins:\n"
      "  1. the flag on the command line (--name VALUE or --name=VALUE);\n"
      "  2. its environment variable, shown in brackets (LIVEKV_NAME);\n"
      "  3. the config file, as a line 'name = VALUE' (livekv --config-template prints one);\n"
      "and otherwise the default. GET /status shows where each setting came from.\n"
      "\n"
      "  --config FILE  [LIVEKV_CONFIG]\n"
      "      Read settings from FILE. An unknown name or a bad value there stops livekv at\n"
      "      start, naming the file and line: a typo never silently leaves a default in place.\n";
  for (const auto& f : flags()) {
    std::string head = std::string("  --") + f.name;
    if (f.value_name) head += std::string(" ") + f.value_name;
    head += "  [" + env_name(f.name) + "]";
    t += head + "\n" + wrap(f.help, 100, "      ");
  }
  t += "  -h, --help\n      Print this help and exit.\n  --version\n      Print the version and exit.\n";
  t += "  --config-template\n      Print a config file with every setting, explained and commented out at its\n"
       "      default, then exit: livekv --config-template > /etc/livekv/livekv.conf\n";
  t += "  --hash-token\n      Print a new random token and the --auth-file entry that admits it (its SHA-256),\n"
       "      then exit. Give the token to the client; put the entry, with its roles and prefixes,\n"
       "      in the file.\n";
  t += "\nSIZE takes a number of bytes or a suffix (KiB, MiB, GiB); DURATION takes ms, s or m.\n";
  return t;
}

std::string config_template() {
  std::string t =
      "# livekv configuration file.\n"
      "#\n"
      "# Start the server with: livekv --config /path/to/this/file (or LIVEKV_CONFIG=/path/...).\n"
      "# One setting per line, 'name = value', names as the flags without their dashes. Lines\n"
      "# starting with '#' are comments; a value may be put in double quotes. A setting that may be\n"
      "# given several times (cors-origin, allowed-host) takes one line per value.\n"
      "#\n"
      "# Precedence: a flag on the command line wins over its LIVEKV_* environment variable, which\n"
      "# wins over this file, which wins over the default. GET /status (admin) shows where each\n"
      "# setting came from. An unknown name or a bad value stops livekv at start, naming the line.\n"
      "#\n"
      "# Every setting is listed below at its default (or, where there is none, an example),\n"
      "# commented out. Sizes take KiB, MiB or GiB; durations take ms, s or m.\n";
  for (const auto& f : flags()) {
    t += "\n" + wrap(f.help, 98, "# ");
    t += std::string("# ") + f.name + " = " + f.sample + "\n";
  }
  return t;
}

}  // namespace livekv

#include "livekv/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <limits>
#include <thread>
#include <utility>

#include "livekv/util/parse_uint.hpp"

namespace livekv {
namespace {

// One row per flag: the table drives parsing, the environment look-up and --help alike, so a
// flag cannot exist without its variable and its documentation.
struct flag_spec {
  const char* name;
  const char* value_name;  // nullptr for switches
  const char* help;
  std::function<bool(config&, const std::string&)> set;
  std::string accepted = {};  // a flag taking one of a few words: "a, b or c", named when refused
};

// A flag taking one of the words of `names` into `field`: the row's setter and its accepted list.
template <typename E, std::size_t N>
flag_spec word_flag(const char* name, const char* value_name, const char* help, const util::enum_names<E, N>& names,
                    E config::*field) {
  return {name, value_name, help,
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
      {"host", "ADDR", "Address to listen on. Use 0.0.0.0 or :: to serve other machines.",
       [](config& c, const std::string& v) { c.host = v; return !v.empty(); }},
      {"port", "N", "TCP port (0 picks a free one and prints it).",
       [](config& c, const std::string& v) { return parse_uint(v, c.port, 65535); }},
      {"threads", "N", "I/O threads serving connections (default: one per CPU core).",
       [](config& c, const std::string& v) { return parse_uint(v, c.threads, 1024) && c.threads > 0; }},
      {"data-dir", "DIR", "Where the data lives (log and snapshots).",
       [](config& c, const std::string& v) { c.data_dir = v; return !v.empty(); }},
      {"in-memory", nullptr, "Keep no data on disk: fast, and everything is lost at exit.",
       [](config& c, const std::string& v) { return parse_switch(v, c.in_memory); }},
      word_flag("fsync", "POLICY",
                "When a write is acknowledged. always: after fdatasync; concurrent writes share one "
                "(group commit), so nothing acknowledged is lost even on power failure. everysec "
                "(default): after the write reaches the OS, synced once a second: a crash of livekv loses "
                "nothing, a power failure up to a second. no: at once, the OS syncs when it likes.",
                wal::fsync_policy_names, &config::fsync),
      {"snapshot-log-bytes", "SIZE",
       "Snapshot when the log has grown by this much since the last snapshot, or by the last "
       "snapshot's size if larger (default 64MiB). Old log segments are deleted after a snapshot.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 4096) return false;
         c.snapshot_log_bytes = *n;
         return true;
       }},
      {"repair", nullptr,
       "Start even if the log is damaged in the middle: keep the store as it was before the damage "
       "and drop every record after it (the count is logged). The log and snapshot files are moved "
       "into DIR/discarded-<unix time>/, not deleted, and revisions continue past the highest one "
       "the dropped records hold, with the data directory's epoch raised: the dropped writes may "
       "have been acknowledged, and their revisions are never given to new writes. Without it such "
       "damage stops startup. A missing snapshot is not damage: --repair refuses it too.",
       [](config& c, const std::string& v) { return parse_switch(v, c.repair); }},
      {"discard-data", "EPOCH",
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
      {"auth-file", "PATH",
       "JSON file of the tokens allowed in, stored as SHA-256 hashes with their roles (read, write, "
       "admin) and key prefixes (see docs/security.md); --hash-token makes an entry. Without it every "
       "client is trusted: keep livekv on loopback.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.auth_file = v;
         return true;
       }},
      {"metrics-public", nullptr,
       "With --auth-file, serve /metrics without a token (a Prometheus that cannot send one). The "
       "metrics name no keys or tokens, but they do show traffic; by default they need the admin role.",
       [](config& c, const std::string& v) { return parse_switch(v, c.metrics_public); }},
      {"cors-origin", "ORIGIN",
       "A web origin (scheme://host[:port]) whose pages may call the API: preflight OPTIONS is "
       "answered and the response headers are exposed to it. Repeat the flag (or separate with "
       "commas in LIVEKV_CORS_ORIGIN) for several. '*' allows any origin, and only without "
       "credentials: a browser will not send a token to it. A request carrying any other Origin "
       "that is not this server's own is refused with 403 before it does anything.",
       [](config& c, const std::string& v) { return add_words(v, c.cors_origins, valid_origin); }},
      {"allowed-host", "NAME",
       "A Host header value this server answers to (with or without the port); others get 421. "
       "Repeatable. Default when listening on a loopback address: localhost, 127.0.0.1 and [::1] "
       "(with the port), which defeats DNS rebinding against a livekv on your machine; default "
       "otherwise: any host. Use '*' to allow any.",
       [](config& c, const std::string& v) { return add_words(v, c.allowed_hosts, valid_host); }},
      {"rate-limit", "RATE",
       "Requests allowed per client per second (N or N/s; N/m per minute); 0 (default) for no "
       "limit. A client is its token's name with --auth-file, else its IP address. Over it: 429 "
       "with Retry-After. A stream (WebSocket, SSE) counts once, when it opens.",
       [](config& c, const std::string& v) { return parse_rate(v, c.rate_limit); }},
      {"rate-burst", "N",
       "Requests a client may make at once above the rate before it is limited (default: one "
       "second's worth).",
       [](config& c, const std::string& v) { return parse_uint(v, c.rate_burst, 1'000'000'000); }},
      {"max-connections", "N",
       "Most connections at once (streams included); new ones beyond get 503 and are closed, the "
       "open ones keep working. 0 (default): no cap but the process's file limit.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_connections, 10'000'000); }},
      {"max-connections-per-ip", "N",
       "Most connections at once from one IP address (default 0: no cap); as --max-connections.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_connections_per_ip, 10'000'000); }},
      {"tls-cert", "FILE",
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
      {"tls-key", "FILE", "The PEM private key of --tls-cert (unencrypted: nobody is there to type a passphrase).",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.tls_key = v;
         return true;
       }},
      {"tls-client-ca", "FILE",
       "Mutual TLS: every client must present a certificate signed by a CA in this PEM file, or its "
       "handshake fails. The certificate is the client's identity at the transport; use it with "
       "--auth-file tokens or instead of them. Needs --tls-cert.",
       [](config& c, const std::string& v) {
         if (v.empty()) return false;
         c.tls_client_ca = v;
         return true;
       }},
      {"max-key-bytes", "SIZE", "Longest key accepted, in bytes (default 1024).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n == 0 || *n > 64 * 1024) return false;
         c.max_key_bytes = *n;
         return true;
       }},
      {"max-value-bytes", "SIZE",
       "Largest value accepted (default 1MiB, at most 32MiB). Larger bodies get 413 before they are read.",
       [](config& c, const std::string& v) {
         // At most 32 MiB: a commit must fit one log record (64 MiB) with room to spare.
         auto n = parse_size(v);
         if (!n || *n == 0 || *n > std::size_t{32} << 20) return false;
         c.max_value_bytes = *n;
         return true;
       }},
      {"max-header-bytes", "SIZE", "Largest request head (request line + headers; default 16KiB), else 431.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024 || *n > 1024 * 1024) return false;
         c.max_header_bytes = *n;
         return true;
       }},
      {"max-batch-ops", "N",
       "Most conditions plus operations one POST /v1/batch may hold (default 1000), else 413.",
       [](config& c, const std::string& v) { return parse_uint(v, c.max_batch_ops, 1'000'000) && c.max_batch_ops > 0; }},
      {"max-batch-bytes", "SIZE", "Largest POST /v1/batch body (default 4MiB, at most 32MiB), else 413.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024 || *n > std::size_t{32} << 20) return false;
         c.max_batch_bytes = *n;
         return true;
       }},
      {"feed-history", "N",
       "Write events kept in memory so that feed subscribers can resume (since=R, Last-Event-ID) "
       "without a gap (default 65536). Older revisions are read back from the log on disk while "
       "its segments last; a resume older than both gets 410.",
       [](config& c, const std::string& v) { return parse_uint(v, c.feed_history, 1u << 26) && c.feed_history > 0; }},
      {"feed-history-bytes", "SIZE", "Memory bound of that history (default 64MiB; the newest event always stays).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n == 0) return false;
         c.feed_history_bytes = *n;
         return true;
       }},
      {"feed-max-value-bytes", "SIZE",
       "Values up to this size travel inside feed events (default 1KiB); larger ones are announced "
       "by their size and \"truncated\": true, so one big write does not flood every subscriber.",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n > std::size_t{32} << 20) return false;
         c.feed_max_value_bytes = *n;
         return true;
       }},
      {"feed-queue-messages", "N",
       "How far (in events) a live subscriber may fall behind the newest write before it is sent "
       "an overflow event and disconnected (default 10000); it resumes from the revision it got. "
       "Writers and other subscribers never wait for a slow one.",
       [](config& c, const std::string& v) {
         return parse_uint(v, c.feed_queue_messages, 1u << 26) && c.feed_queue_messages > 0;
       }},
      {"feed-queue-bytes", "SIZE", "The same bound in bytes of pending events (default 16MiB).",
       [](config& c, const std::string& v) {
         auto n = parse_size(v);
         if (!n || *n < 1024) return false;
         c.feed_queue_bytes = *n;
         return true;
       }},
      {"feed-max-subscribers", "N", "Most feed subscribers at once (default 50000); more get 503.",
       [](config& c, const std::string& v) { return parse_uint(v, c.feed_max_subscribers, 1u << 24); }},
      {"feed-progress", "DURATION",
       "How often an idle subscription gets a progress bookmark with the current revision "
       "(default 10s), so its resume point stays fresh and dead connections show.",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() < 50) return false;
         c.feed_progress = *d;
         return true;
       }},
      word_flag("log-level", "LEVEL", "trace, debug, info, warn, error or off.", util::log_level_names,
                &config::log_level),
      {"metrics", "on|off",
       "Count requests and writes for /metrics (default on). off leaves only the values read at "
       "scrape time (keys, bytes, log size, process); it exists to measure what counting costs.",
       [](config& c, const std::string& v) { return parse_switch(v, c.metrics); }},
      word_flag("log-format", "FORMAT",
                "text (default) or json: one JSON object per line, for log shippers. Applies to the server "
                "log and the access log.",
                util::log_format_names, &config::log_format),
      {"access-log", "DEST",
       "One line per request to off (default), stderr, stdout or a file path: method, path, status, "
       "duration, bytes in and out, client address and request id (also sent as X-Request-Id). "
       "Written by a background thread, so it never blocks a request.",
       [](config& c, const std::string& v) { c.access_log = v; return !v.empty(); }},
      {"header-timeout", "DURATION",
       "Time allowed to receive a request's head and body (default 10s); slow clients are cut off.",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0) return false;
         c.header_timeout = *d;
         return true;
       }},
      {"idle-timeout", "DURATION", "How long an idle keep-alive connection is kept open (default 60s).",
       [](config& c, const std::string& v) {
         auto d = parse_duration(v);
         if (!d || d->count() <= 0) return false;
         c.idle_timeout = *d;
         return true;
       }},
      {"shutdown-timeout", "DURATION",
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

result<parsed_args> parse_config(const std::vector<std::string>& args, const env_lookup& env) {
  parsed_args out;
  for (const auto& f : flags()) {
    const std::string var = env_name(f.name);
    if (auto v = env(var)) {
      if (!f.set(out.cfg, *v)) return status(errc::bad_request, "invalid " + var + "=" + *v + accepted_words(f));
    }
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") { out.show_help = true; continue; }
    if (a == "--version") { out.show_version = true; continue; }
    if (a == "--hash-token") { out.hash_token = true; continue; }
    if (!a.starts_with("--")) return status(errc::bad_request, "unexpected argument '" + a + "' (see --help)");
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const flag_spec* f = find_flag(name);
    if (!f) return status(errc::bad_request, "unknown flag --" + name + " (see --help)");
    if (!value && !f->value_name) value = "true";  // a switch: --repair, --in-memory
    if (!value) {
      if (i + 1 >= args.size()) return status(errc::bad_request, "--" + name + " needs a value");
      value = args[++i];
    }
    if (!f->set(out.cfg, *value))
      return status(errc::bad_request, "invalid value for --" + name + ": '" + *value + "'" + accepted_words(*f));
  }
  // A certificate without its key (or a key without a certificate) is a half-done setup: refusing
  // it beats serving plaintext to clients that expect TLS.
  if (out.cfg.tls_cert.has_value() != out.cfg.tls_key.has_value())
    return status(errc::bad_request, out.cfg.tls_cert ? "--tls-cert needs --tls-key (LIVEKV_TLS_KEY)"
                                                      : "--tls-key needs --tls-cert (LIVEKV_TLS_CERT)");
  if (out.cfg.tls_client_ca && !out.cfg.tls_cert)
    return status(errc::bad_request, "--tls-client-ca needs --tls-cert and --tls-key: client certificates are part of TLS");
  if (out.cfg.threads == 0) out.cfg.threads = std::max(1u, std::thread::hardware_concurrency());
  return out;
}

std::string help_text() {
  std::string t =
      "livekv - a key-value server that speaks HTTP\n"
      "\n"
      "Usage: livekv [FLAGS]\n"
      "\n"
      "  curl -X PUT --data-binary hello http://127.0.0.1:8080/v1/kv/greeting\n"
      "  curl http://127.0.0.1:8080/v1/kv/greeting\n"
      "\n"
      "Every flag can also be set by an environment variable (the flag wins):\n"
      "\n";
  for (const auto& f : flags()) {
    std::string head = std::string("  --") + f.name;
    if (f.value_name) head += std::string(" ") + f.value_name;
    head += "  [" + env_name(f.name) + "]";
    t += head + "\n      " + f.help + "\n";
  }
  t += "  -h, --help\n      Print this help and exit.\n  --version\n      Print the version and exit.\n";
  t += "  --hash-token\n      Print a new random token and the --auth-file entry that admits it (its SHA-256),\n"
       "      then exit. Give the token to the client; put the entry, with its roles and prefixes,\n"
       "      in the file.\n";
  t += "\nSIZE takes a number of bytes or a suffix (KiB, MiB, GiB); DURATION takes ms, s or m.\n";
  return t;
}

}  // namespace livekv

// Feed fan-out: what N live /wal subscribers cost the writers, and how late their events arrive.
//
// Opens N WebSocket subscribers to GET /wal (one io_context, a few threads, at most
// --connect-parallel handshakes in flight), waits until every one has received its first progress
// event (the subscription is live from then on), then runs W keep-alive HTTP writers for S
// seconds, each PUTting unique keys (fanout/<writer>/<n>) with V-byte values, as fast as the
// answers come (or at --rate writes/s in total). Then it waits for the subscribers to catch up.
//
// Delivery latency = when a subscriber received an event - when the writer got the PUT's answer.
// Acks are keyed by the revision the PUT committed: the "revision" member of the response body.
// (Not the KV-Revision header: that is the store's revision when the answer left, which with
// several writers may already be another writer's later commit.) It can be negative: the server
// publishes to the hub inside the commit, before the HTTP answer is written, and the event and the
// answer travel on different sockets, so this process may read the event first. Negative values
// are kept as they are (they count in the percentiles: an event that beats its ack is simply
// early) and their number is reported. The event's own "ts" (commit time, wall clock, ms) gives a
// second figure that cannot be negative: commit_to_receipt_ms.
//
// With --server-pid it also reads the server's VmRSS before subscribing, with every subscription
// open and idle (the memory per idle subscriber), after the run and at its peak, and the server's
// CPU time: idle with the subscribers connected, over the writes, and per delivered event.
//
// Output: one JSON line on stdout (for scripts), a readable summary on stderr.
//
//   build/release/bench_feed_fanout --port 8080 --subscribers 1000 --writers 16 --seconds 10
//
// The client's own CPU matters: on a small machine it competes with the server. Per event it does
// a few substring searches, two clock reads and one histogram increment (log-linear buckets, no
// per-event allocation). client_cpu_pct says how busy it was, and client_unread_bytes_at_end how
// much the kernel had received that it had not read yet: near 100 % and a large backlog there mean
// the figures describe the client; a backlog of subscribers with nothing unread means the server.
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Options

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t subscribers = 100;
  std::size_t writers = 16;
  double seconds = 10.0;
  std::size_t value_bytes = 100;
  double rate = 0;                   // total writes/s; 0 = each writer sends when its answer came
  std::size_t threads = 0;           // 0 = the CPUs this process may run on, at most 4
  std::size_t connect_parallel = 128;  // handshakes in flight while subscribing
  double drain_seconds = 10.0;       // how long subscribers may take to catch up after the writers
  long server_pid = 0;               // read its VmRSS before and after subscribing
  std::string target = "/wal";
};

constexpr const char* usage =
    "Usage: bench_feed_fanout [--host ADDR] [--port N] [--subscribers N] [--writers W]\n"
    "         [--seconds S] [--value-bytes B] [--rate WRITES_PER_S] [--threads T]\n"
    "         [--connect-parallel P] [--drain-seconds D] [--server-pid PID] [--target /wal?...]\n";

template <typename T>
bool parse_number(std::string_view s, T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    // from_chars for double is in libstdc++ 11+, but strtod keeps this portable.
    const std::string copy(s);
    char* end = nullptr;
    out = static_cast<T>(std::strtod(copy.c_str(), &end));
    return !copy.empty() && end == copy.c_str() + copy.size() && out >= 0;
  } else {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && p == s.data() + s.size();
  }
}

std::optional<options> parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "-h" || a == "--help") return std::nullopt;
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%.*s needs a value\n", static_cast<int>(a.size()), a.data());
      return std::nullopt;
    }
    const std::string_view v = argv[++i];
    bool ok = true;
    if (a == "--host") o.host = v;
    else if (a == "--port") ok = parse_number(v, o.port);
    else if (a == "--subscribers") ok = parse_number(v, o.subscribers);
    else if (a == "--writers") ok = parse_number(v, o.writers);
    else if (a == "--seconds") ok = parse_number(v, o.seconds);
    else if (a == "--value-bytes") ok = parse_number(v, o.value_bytes);
    else if (a == "--rate") ok = parse_number(v, o.rate);
    else if (a == "--threads") ok = parse_number(v, o.threads);
    else if (a == "--connect-parallel") ok = parse_number(v, o.connect_parallel) && o.connect_parallel > 0;
    else if (a == "--drain-seconds") ok = parse_number(v, o.drain_seconds);
    else if (a == "--server-pid") ok = parse_number(v, o.server_pid);
    else if (a == "--target") {
      o.target = v;
      ok = v.starts_with('/');
    }
    else {
      std::fprintf(stderr, "unknown option %.*s\n", static_cast<int>(a.size()), a.data());
      return std::nullopt;
    }
    if (!ok) {
      std::fprintf(stderr, "bad value for %.*s: '%.*s'\n", static_cast<int>(a.size()), a.data(),
                   static_cast<int>(v.size()), v.data());
      return std::nullopt;
    }
  }
  if (o.threads == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    const int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    // More threads than CPUs only adds switches: under `taskset -c 1` this is one thread.
    o.threads = static_cast<std::size_t>(std::clamp(cpus, 1, 4));
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// Measuring

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counts of non-negative values in log-linear buckets: exact below 256, then 128 buckets per power
// of two (each within 0.8 % of its values). Recording is one increment; merging adds arrays.
class log_histogram {
 public:
  void record(std::uint64_t v) {
    ++counts_[index(v)];
    ++total_;
  }
  void merge(const log_histogram& o) {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  [[nodiscard]] std::uint64_t total() const { return total_; }
  [[nodiscard]] std::uint64_t count(std::size_t i) const { return counts_[i]; }
  // The smallest value bucket i holds.
  static std::uint64_t lower_bound(std::size_t i) {
    if (i < exact) return i;
    const std::size_t e = (i - exact) / sub_buckets + 8;
    const std::uint64_t mantissa = (i - exact) % sub_buckets + sub_buckets;
    return mantissa << (e - sub_bits);
  }
  // The value of rank r (1-based) in ascending order, as its bucket's lower bound.
  [[nodiscard]] std::uint64_t at_rank(std::uint64_t r) const {
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
      seen += counts_[i];
      if (seen >= r) return lower_bound(i);
    }
    return 0;
  }

  static constexpr std::size_t exact = 256;
  static constexpr std::size_t sub_bits = 7;
  static constexpr std::size_t sub_buckets = std::size_t{1} << sub_bits;
  static constexpr std::size_t bucket_count = exact + (64 - 8) * sub_buckets;

 private:
  static std::size_t index(std::uint64_t v) {
    if (v < exact) return static_cast<std::size_t>(v);
    const std::size_t e = static_cast<std::size_t>(std::bit_width(v)) - 1;  // >= 8
    return exact + (e - 8) * sub_buckets + static_cast<std::size_t>((v >> (e - sub_bits)) - sub_buckets);
  }
  std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(bucket_count);
  std::uint64_t total_ = 0;
};

// Signed values (nanoseconds of delivery latency): negatives and positives in two histograms.
class signed_histogram {
 public:
  void record(std::int64_t v) {
    if (v < 0) neg_.record(static_cast<std::uint64_t>(-v));
    else pos_.record(static_cast<std::uint64_t>(v));
    min_ = std::min(min_, v);
    max_ = std::max(max_, v);
  }
  void merge(const signed_histogram& o) {
    neg_.merge(o.neg_);
    pos_.merge(o.pos_);
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
  }
  [[nodiscard]] std::uint64_t total() const { return neg_.total() + pos_.total(); }
  [[nodiscard]] std::uint64_t negatives() const { return neg_.total(); }
  [[nodiscard]] std::int64_t min() const { return total() ? min_ : 0; }
  [[nodiscard]] std::int64_t max() const { return total() ? max_ : 0; }
  // Percentile p in [0, 1]: the value of rank ceil(p * n) in ascending order.
  [[nodiscard]] std::int64_t percentile(double p) const {
    const std::uint64_t n = total();
    if (n == 0) return 0;
    const auto r = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(n))), 1, n);
    if (r <= neg_.total()) {
      // Ascending order of negatives = descending magnitude: rank r from the bottom is rank
      // (count - r + 1) of the magnitudes.
      return -static_cast<std::int64_t>(neg_.at_rank(neg_.total() - r + 1));
    }
    return static_cast<std::int64_t>(pos_.at_rank(r - neg_.total()));
  }

 private:
  log_histogram neg_, pos_;
  std::int64_t min_ = INT64_MAX, max_ = INT64_MIN;
};

// What the handlers of one io thread measured; merged after the threads stop. Handlers never
// share one, so recording needs no lock and no atomic.
struct thread_stats {
  signed_histogram delivery_ns;       // receipt - ack
  log_histogram commit_to_receipt_ms;  // receipt (wall clock) - the event's "ts"
  std::vector<std::pair<std::int64_t, std::int64_t>> early;  // (rev, receipt ns): ack not yet known
  std::uint64_t write_events = 0;
  std::uint64_t progress_events = 0;  // after the first one
  std::uint64_t other_events = 0;
  std::uint64_t unknown_rev = 0;      // write events whose revision no writer of ours committed
  std::int64_t last_receipt_ns = 0;
};
thread_local thread_stats* this_thread_stats = nullptr;

// Ack time (steady ns) by revision, written by writers and read by subscribers concurrently.
// Chunks of 64 Ki revisions are allocated on first use; revisions are counted from `base`, the
// store's revision when the subscriptions went live.
class ack_table {
 public:
  ack_table() : chunks_(std::make_unique<std::atomic<std::atomic<std::int64_t>*>[]>(chunk_count)) {}
  ~ack_table() {
    for (std::size_t i = 0; i < chunk_count; ++i) delete[] chunks_[i].load();
  }
  ack_table(const ack_table&) = delete;
  ack_table& operator=(const ack_table&) = delete;

  void set_base(std::int64_t base) { base_.store(base, std::memory_order_relaxed); }
  // False when the revision is outside the table (then nobody can match it).
  bool set(std::int64_t rev, std::int64_t t) {
    auto* slot = find(rev, true);
    if (!slot) return false;
    slot->store(t, std::memory_order_release);
    return true;
  }
  // 0 when the ack is not (yet) known.
  [[nodiscard]] std::int64_t get(std::int64_t rev) const {
    auto* slot = const_cast<ack_table*>(this)->find(rev, false);
    return slot ? slot->load(std::memory_order_acquire) : 0;
  }

 private:
  static constexpr std::size_t chunk_bits = 16;
  static constexpr std::size_t chunk_count = std::size_t{1} << 14;  // 1 Gi revisions in all

  std::atomic<std::int64_t>* find(std::int64_t rev, bool create) {
    const std::int64_t i = rev - base_.load(std::memory_order_relaxed) - 1;
    if (i < 0 || static_cast<std::uint64_t>(i) >= (chunk_count << chunk_bits)) return nullptr;
    const auto c = static_cast<std::size_t>(i) >> chunk_bits;
    auto* chunk = chunks_[c].load(std::memory_order_acquire);
    if (!chunk) {
      if (!create) return nullptr;
      auto* fresh = new std::atomic<std::int64_t>[std::size_t{1} << chunk_bits]();
      if (chunks_[c].compare_exchange_strong(chunk, fresh, std::memory_order_acq_rel)) chunk = fresh;
      else delete[] fresh;  // another writer won; `chunk` now holds its chunk
    }
    return &chunk[static_cast<std::size_t>(i) & ((std::size_t{1} << chunk_bits) - 1)];
  }

  std::atomic<std::int64_t> base_{0};
  std::unique_ptr<std::atomic<std::atomic<std::int64_t>*>[]> chunks_;
};

// When the first subscription was lost, and how many writes had been acknowledged by then. The
// server never slows writers down for its subscribers: when the writers outrun the fan-out, queues
// fill and subscribers are dropped, and from then on writes/s no longer measures a fan-out.
struct drop_watch {
  std::atomic<std::uint64_t> acked{0};
  std::atomic<std::int64_t> first_drop_ns{0};
  std::atomic<std::uint64_t> acked_at_first_drop{0};

  void note_drop(std::int64_t t) {
    std::int64_t none = 0;
    if (first_drop_ns.compare_exchange_strong(none, t)) acked_at_first_drop.store(acked.load());
  }
};

// The text after `"name":` (whitespace skipped), or empty. Event members are few and short, so a
// search beats a JSON parser by a wide margin on the client's CPU budget.
std::string_view member(std::string_view msg, std::string_view quoted_name) {
  std::size_t p = msg.find(quoted_name);
  if (p == std::string_view::npos) return {};
  p += quoted_name.size();
  while (p < msg.size() && (msg[p] == ' ' || msg[p] == ':')) ++p;
  return msg.substr(p);
}
std::string_view string_member(std::string_view msg, std::string_view quoted_name) {
  auto v = member(msg, quoted_name);
  if (v.empty() || v[0] != '"') return {};
  v.remove_prefix(1);
  return v.substr(0, v.find('"'));
}
std::int64_t int_member(std::string_view msg, std::string_view quoted_name) {
  const auto v = member(msg, quoted_name);
  std::int64_t n = -1;
  std::from_chars(v.data(), v.data() + v.size(), n);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Subscribers

enum class sub_state : int { idle, connecting, live, failed, overflowed, closed };

// One WebSocket subscriber: connect, handshake, then one read in flight until the end. Only one
// chain of handlers runs per subscriber, so its members need no strand; the few the main thread
// reads while the io threads run are atomic.
class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  subscriber(asio::io_context& ioc, const options& opts, const ack_table& acks, drop_watch& drops,
             std::function<void()> on_settled)
      : ws_(ioc), opts_(opts), acks_(acks), drops_(drops), on_settled_(std::move(on_settled)) {}

  void start(const tcp::endpoint& ep) {
    ep_ = ep;
    state_.store(sub_state::connecting);
    do_connect();
  }

  [[nodiscard]] sub_state state() const { return state_.load(std::memory_order_acquire); }
  [[nodiscard]] std::int64_t last_rev() const { return last_rev_.load(std::memory_order_relaxed); }
  // Valid once the subscriber has settled (live or failed).
  [[nodiscard]] std::int64_t live_rev() const { return live_rev_; }
  // Valid after the io threads stopped.
  [[nodiscard]] std::uint64_t gaps() const { return gaps_; }
  [[nodiscard]] const std::string& failure() const { return failure_; }
  [[nodiscard]] std::int64_t overflow_last_rev() const { return overflow_last_rev_; }

 private:
  void do_connect() {
    beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(30));
    beast::get_lowest_layer(ws_).async_connect(
        ep_, beast::bind_front_handler(&subscriber::on_connect, shared_from_this()));
  }

  void on_connect(beast::error_code ec) {
    if (ec) {
      // A full accept queue shows up as refused or reset connects: try again a few times.
      if (++attempts_ < 5) {
        beast::get_lowest_layer(ws_).close();
        return do_connect();
      }
      return fail("connect: " + ec.message());
    }
    beast::get_lowest_layer(ws_).expires_never();  // the websocket stream keeps its own timeouts
    beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ec);
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.async_handshake(opts_.host + ":" + std::to_string(opts_.port), opts_.target,
                        beast::bind_front_handler(&subscriber::on_handshake, shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("handshake: " + ec.message());
    do_read();
  }

  void do_read() { ws_.async_read(buffer_, beast::bind_front_handler(&subscriber::on_read, shared_from_this())); }

  void on_read(beast::error_code ec, std::size_t) {
    const std::int64_t t = now_ns();
    if (ec) return on_end(ec);
    const auto data = buffer_.cdata();
    handle(std::string_view(static_cast<const char*>(data.data()), data.size()), t);
    buffer_.consume(buffer_.size());
    do_read();
  }

  void handle(std::string_view msg, std::int64_t t) {
    thread_stats& st = *this_thread_stats;
    const auto op = string_member(msg, "\"op\"");
    if (op == "progress") {
      if (state() == sub_state::connecting) {
        live_rev_ = int_member(msg, "\"rev\"");
        last_rev_.store(live_rev_, std::memory_order_relaxed);
        settle(sub_state::live);
      } else {
        ++st.progress_events;
      }
      return;
    }
    if (op == "overflow") {
      overflow_last_rev_ = int_member(msg, "\"last_rev\"");
      drops_.note_drop(t);
      state_.store(sub_state::overflowed, std::memory_order_release);
      return;
    }
    const std::int64_t rev = int_member(msg, "\"rev\"");
    if (rev < 0) {  // pong, error: no revision
      ++st.other_events;
      return;
    }
    ++st.write_events;
    st.last_receipt_ns = std::max(st.last_receipt_ns, t);
    const std::int64_t prev = last_rev_.load(std::memory_order_relaxed);
    if (rev != prev + 1) ++gaps_;  // our writes are the only ones: revisions arrive one by one
    last_rev_.store(rev, std::memory_order_relaxed);
    if (const std::int64_t ts = int_member(msg, "\"ts\""); ts > 0)
      st.commit_to_receipt_ms.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, wall_ms() - ts)));
    if (const std::int64_t ack = acks_.get(rev); ack != 0) st.delivery_ns.record(t - ack);
    else st.early.emplace_back(rev, t);  // resolved after the run: the writer has not seen its answer yet
  }

  void on_end(beast::error_code ec) {
    if (state() == sub_state::connecting) return fail("read before live: " + ec.message());
    drops_.note_drop(now_ns());
    if (ec == websocket::error::closed) {
      const auto& r = ws_.reason();
      failure_ = "closed by server: " + std::to_string(r.code) + " " + std::string(r.reason.data(), r.reason.size());
      // 1013 try_again_later is how the server ends an overflowed subscription.
      if (r.code == websocket::close_code::try_again_later) state_.store(sub_state::overflowed, std::memory_order_release);
    } else {
      failure_ = "read: " + ec.message();
    }
    if (state() != sub_state::overflowed) state_.store(sub_state::closed, std::memory_order_release);
  }

  void fail(std::string why) {
    failure_ = std::move(why);
    beast::get_lowest_layer(ws_).close();  // do not hold a server connection for nothing
    settle(sub_state::failed);
  }

  void settle(sub_state s) {
    state_.store(s, std::memory_order_release);
    if (on_settled_) std::exchange(on_settled_, nullptr)();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  const options& opts_;
  const ack_table& acks_;
  drop_watch& drops_;
  std::function<void()> on_settled_;  // called once, when live or failed
  tcp::endpoint ep_;
  int attempts_ = 0;
  std::atomic<sub_state> state_{sub_state::idle};
  std::atomic<std::int64_t> last_rev_{0};
  std::int64_t live_rev_ = -1;
  std::int64_t overflow_last_rev_ = -1;
  std::uint64_t gaps_ = 0;
  std::string failure_;
};

// ---------------------------------------------------------------------------------------------
// Writers

// One keep-alive HTTP connection PUTting fanout/<index>/<n>, one request in flight.
class writer : public std::enable_shared_from_this<writer> {
 public:
  writer(asio::io_context& ioc, const options& opts, ack_table& acks, drop_watch& drops, std::size_t index,
         bool record_acks)
      : stream_(ioc), timer_(ioc), opts_(opts), acks_(acks), drops_(drops), record_acks_(record_acks),
        prefix_("/v1/kv/fanout/" + std::to_string(index) + "/") {
    req_.method(bhttp::verb::put);
    req_.version(11);
    req_.set(bhttp::field::host, opts.host + ":" + std::to_string(opts.port));
    req_.set(bhttp::field::content_type, "application/octet-stream");
    req_.body().assign(opts.value_bytes, 'v');
    req_.prepare_payload();
    if (opts.rate > 0)
      interval_ns_ = static_cast<std::int64_t>(1e9 * static_cast<double>(opts.writers) / opts.rate);
  }

  // Connects, then writes until stop(). `stopping` is shared by all writers.
  void start(const tcp::endpoint& ep, const std::atomic<bool>& stopping) {
    stopping_ = &stopping;
    next_due_ns_ = now_ns();
    stream_.expires_after(std::chrono::seconds(10));
    stream_.async_connect(ep, beast::bind_front_handler(&writer::on_connect, shared_from_this()));
  }

  [[nodiscard]] bool done() const { return done_.load(std::memory_order_acquire); }
  // Valid once done().
  [[nodiscard]] std::uint64_t acked() const { return acked_; }
  [[nodiscard]] std::uint64_t errors() const { return errors_; }
  [[nodiscard]] std::int64_t max_rev() const { return max_rev_; }
  [[nodiscard]] const std::string& failure() const { return failure_; }

 private:
  void on_connect(beast::error_code ec) {
    if (ec) return finish("connect: " + ec.message());
    stream_.socket().set_option(tcp::no_delay(true), ec);
    do_write();
  }

  void do_write() {
    if (stopping_->load(std::memory_order_relaxed)) return finish({});
    if (interval_ns_ > 0) {
      next_due_ns_ += interval_ns_;
      const std::int64_t wait = next_due_ns_ - now_ns();
      if (wait > 0) {
        timer_.expires_after(std::chrono::nanoseconds(wait));
        return timer_.async_wait([self = shared_from_this()](beast::error_code) { self->send(); });
      }
    }
    send();
  }

  void send() {
    req_.target(prefix_ + std::to_string(seq_++));
    stream_.expires_after(std::chrono::seconds(30));
    bhttp::async_write(stream_, req_, beast::bind_front_handler(&writer::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return finish("write: " + ec.message());
    res_ = {};
    bhttp::async_read(stream_, buffer_, res_, beast::bind_front_handler(&writer::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    const std::int64_t t = now_ns();
    if (ec) return finish("read: " + ec.message());
    const auto code = res_.result_int();
    const std::int64_t rev = int_member(res_.body(), "\"revision\"");
    if ((code == 200 || code == 201) && rev > 0) {
      ++acked_;
      drops_.acked.fetch_add(1, std::memory_order_relaxed);
      max_rev_ = std::max(max_rev_, rev);
      if (record_acks_) acks_.set(rev, t);
    } else {
      if (errors_++ == 0) failure_ = "HTTP " + std::to_string(code) + ": " + res_.body().substr(0, 200);
    }
    if (!res_.keep_alive()) return finish("the server closed the connection");
    do_write();
  }

  void finish(std::string why) {
    if (!why.empty() && failure_.empty()) failure_ = std::move(why);
    done_.store(true, std::memory_order_release);
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  bhttp::request<bhttp::string_body> req_;
  bhttp::response<bhttp::string_body> res_;
  const options& opts_;
  ack_table& acks_;
  drop_watch& drops_;
  const bool record_acks_;
  const std::string prefix_;
  const std::atomic<bool>* stopping_ = nullptr;
  std::uint64_t seq_ = 0;
  std::int64_t interval_ns_ = 0;
  std::int64_t next_due_ns_ = 0;
  std::uint64_t acked_ = 0;
  std::uint64_t errors_ = 0;
  std::int64_t max_rev_ = 0;
  std::string failure_;
  std::atomic<bool> done_{false};
};

// ---------------------------------------------------------------------------------------------
// The process: file descriptors, memory, CPU

std::size_t raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return static_cast<std::size_t>(rl.rlim_cur);
}

// VmRSS (or another Vm* line of /proc/PID/status, e.g. "VmHWM:") of a process in KiB; -1 if unreadable.
long rss_kib(const std::string& pid, std::string_view field = "VmRSS:") {
  std::ifstream in("/proc/" + pid + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.starts_with(field)) return std::strtol(line.c_str() + field.size(), nullptr, 10);
  return -1;
}

// CPU seconds (user + system) a process has used; -1 if unreadable.
double cpu_seconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = all.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15 are utime and stime
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Bytes received but not yet read by this process, summed over its sockets connected to `port`
// (the rx_queue column of /proc/net/tcp{,6}), and how many sockets hold some.
std::pair<std::uint64_t, std::size_t> unread_bytes(std::uint16_t port) {
  std::pair<std::uint64_t, std::size_t> r{0, 0};
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      // sl local_address rem_address st tx_queue:rx_queue ...
      std::istringstream f(line);
      std::string sl, local, remote, st, queues;
      if (!(f >> sl >> local >> remote >> st >> queues)) continue;
      const auto colon = remote.rfind(':');
      if (colon == std::string::npos || std::stoul(remote.substr(colon + 1), nullptr, 16) != port) continue;
      const auto rx = std::stoull(queues.substr(queues.find(':') + 1), nullptr, 16);
      r.first += rx;
      r.second += rx > 0 ? 1 : 0;
    }
  }
  return r;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one + " " + five;
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

double seconds_between(std::int64_t a_ns, std::int64_t b_ns) { return static_cast<double>(b_ns - a_ns) / 1e9; }

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

}  // namespace

int main(int argc, char** argv) {
  const auto parsed = parse_options(argc, argv);
  if (!parsed) {
    std::fputs(usage, stderr);
    return 2;
  }
  const options& opts = *parsed;
  const std::size_t fd_limit = raise_fd_limit();
  if (fd_limit < opts.subscribers + opts.writers + 64) {
    std::fprintf(stderr, "open-file limit %zu is too low for %zu subscribers: raise ulimit -Hn\n", fd_limit,
                 opts.subscribers);
    return 2;
  }

  asio::io_context ioc(static_cast<int>(opts.threads));
  tcp::endpoint ep;
  try {  // the resolver throws; only here, before any handler runs
    ep = *tcp::resolver(ioc).resolve(opts.host, std::to_string(opts.port)).begin();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot resolve %s:%u: %s\n", opts.host.c_str(), opts.port, e.what());
    return 2;
  }

  const std::string server_pid = opts.server_pid > 0 ? std::to_string(opts.server_pid) : "";
  const long rss_before = server_pid.empty() ? -1 : rss_kib(server_pid);

  auto work = asio::make_work_guard(ioc);
  std::vector<std::unique_ptr<thread_stats>> stats;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < opts.threads; ++i) {
    stats.push_back(std::make_unique<thread_stats>());
    threads.emplace_back([&ioc, st = stats.back().get()] {
      this_thread_stats = st;
      ioc.run();
    });
  }

  // Subscribe: at most connect_parallel handshakes in flight; each one that settles starts the next.
  ack_table acks;
  drop_watch drops;
  std::vector<std::shared_ptr<subscriber>> subs;
  std::atomic<std::size_t> next_sub{0};
  std::atomic<std::size_t> settled{0};
  std::function<void()> launch_next = [&] {
    const std::size_t i = next_sub.fetch_add(1);
    if (i < subs.size()) subs[i]->start(ep);
  };
  subs.reserve(opts.subscribers);
  for (std::size_t i = 0; i < opts.subscribers; ++i)
    subs.push_back(std::make_shared<subscriber>(ioc, opts, acks, drops, [&] {
      settled.fetch_add(1);
      launch_next();
    }));
  const std::int64_t t_subscribe = now_ns();
  for (std::size_t i = 0; i < std::min(opts.connect_parallel, subs.size()); ++i) launch_next();
  const std::int64_t subscribe_deadline = t_subscribe + static_cast<std::int64_t>(60e9 + 20e6 * static_cast<double>(subs.size()));
  std::int64_t last_report = t_subscribe;
  while (settled.load() < subs.size() && now_ns() < subscribe_deadline) {
    sleep_ms(20);
    if (now_ns() - last_report > 2'000'000'000) {
      last_report = now_ns();
      std::fprintf(stderr, "%zu/%zu subscribers settled\n", settled.load(), subs.size());
    }
  }
  const double subscribe_s = seconds_between(t_subscribe, now_ns());
  std::size_t live = 0, failed = 0;
  std::int64_t base = -1;
  bool mixed_base = false;
  std::string first_failure;
  for (const auto& s : subs) {
    if (s->state() == sub_state::failed || s->state() == sub_state::connecting || s->state() == sub_state::idle) {
      ++failed;
      if (first_failure.empty()) first_failure = s->state() == sub_state::failed ? s->failure() : "not settled in time";
      continue;
    }
    ++live;
    if (base >= 0 && s->live_rev() != base) mixed_base = true;
    base = std::max(base, s->live_rev());
  }
  if (!subs.empty())
    std::fprintf(stderr, "%zu subscribers live, %zu failed, in %.1f s%s%s\n", live, failed, subscribe_s,
                 first_failure.empty() ? "" : "; first failure: ", first_failure.c_str());
  if (mixed_base) std::fprintf(stderr, "note: subscribers went live at different revisions (someone else writes?)\n");

  // Idle memory: let the server settle, then read its RSS with every subscription open; and what
  // idle subscriptions cost in CPU (progress bookmarks, ticks, pings) over the next 2 s.
  double idle_cpu_pct = -1;
  if (!subs.empty()) {
    sleep_ms(1000);
    const double c0 = server_pid.empty() ? -1 : cpu_seconds(server_pid);
    const std::int64_t i0 = now_ns();
    sleep_ms(2000);
    if (!server_pid.empty()) idle_cpu_pct = 100.0 * (cpu_seconds(server_pid) - c0) / seconds_between(i0, now_ns());
  }
  const long rss_after = server_pid.empty() ? -1 : rss_kib(server_pid);
  acks.set_base(std::max<std::int64_t>(base, 0));

  // Write for S seconds.
  std::atomic<bool> stopping{false};
  std::vector<std::shared_ptr<writer>> writers;
  for (std::size_t i = 0; i < opts.writers; ++i)
    writers.push_back(std::make_shared<writer>(ioc, opts, acks, drops, i, live > 0));
  const std::string load_start = load_average();
  const double server_cpu0 = server_pid.empty() ? -1 : cpu_seconds(server_pid);
  const double client_cpu0 = self_cpu_seconds();
  const std::int64_t t_start = now_ns();
  for (auto& w : writers) w->start(ep, stopping);
  const std::int64_t t_deadline = t_start + static_cast<std::int64_t>(opts.seconds * 1e9);
  while (now_ns() < t_deadline) sleep_ms(static_cast<int>(std::clamp<std::int64_t>((t_deadline - now_ns()) / 1'000'000, 1, 100)));
  stopping = true;
  const std::int64_t stop_deadline = now_ns() + 30'000'000'000;
  while (!std::all_of(writers.begin(), writers.end(), [](const auto& w) { return w->done(); }) && now_ns() < stop_deadline)
    sleep_ms(1);
  const std::int64_t t_end = now_ns();
  const double server_cpu1 = server_pid.empty() ? -1 : cpu_seconds(server_pid);
  const double client_cpu1 = self_cpu_seconds();
  std::uint64_t acked = 0, write_errors = 0;
  std::int64_t final_rev = 0;
  std::string writer_failure;
  for (const auto& w : writers) {
    if (!w->done()) {
      writer_failure = "a writer did not finish its last request in 30 s";
      continue;
    }
    acked += w->acked();
    write_errors += w->errors();
    final_rev = std::max(final_rev, w->max_rev());
    if (writer_failure.empty() && !w->failure().empty()) writer_failure = w->failure();
  }

  // Where the bytes are at the end of the writes: unread in this process's sockets means the client
  // is the bottleneck; (nearly) nothing there while subscribers are behind means the server is.
  const auto unread = unread_bytes(opts.port);

  // Drain: wait until every open subscription has the last revision, or none moved for a while.
  const auto behind = [&] {
    std::pair<std::size_t, std::int64_t> r{0, 0};  // subscribers behind, sum of their positions
    for (const auto& s : subs) {
      if (s->state() != sub_state::live || s->last_rev() >= final_rev) continue;
      ++r.first;
      r.second += s->last_rev();
    }
    return r;
  };
  std::int64_t last_move = now_ns();
  auto still_behind = behind();
  while (still_behind.first > 0 && now_ns() - last_move < static_cast<std::int64_t>(opts.drain_seconds * 1e9)) {
    sleep_ms(20);
    const auto b = behind();
    if (b != still_behind) last_move = now_ns();
    still_behind = b;
  }
  const double drain_s = seconds_between(t_end, now_ns());
  const double server_cpu2 = server_pid.empty() ? -1 : cpu_seconds(server_pid);
  // After the burst, with every subscriber caught up again: what the load left behind.
  const long rss_end = server_pid.empty() ? -1 : rss_kib(server_pid);
  const long rss_peak = server_pid.empty() ? -1 : rss_kib(server_pid, "VmHWM:");
  const std::string load_end = load_average();

  work.reset();
  ioc.stop();
  for (auto& t : threads) t.join();

  // Merge what the threads measured; resolve the events that arrived before their acks.
  thread_stats all;
  for (const auto& st : stats) {
    all.delivery_ns.merge(st->delivery_ns);
    all.commit_to_receipt_ms.merge(st->commit_to_receipt_ms);
    all.write_events += st->write_events;
    all.progress_events += st->progress_events;
    all.other_events += st->other_events;
    all.last_receipt_ns = std::max(all.last_receipt_ns, st->last_receipt_ns);
    for (const auto& [rev, t] : st->early) {
      if (const std::int64_t ack = acks.get(rev); ack != 0) all.delivery_ns.record(t - ack);
      else ++all.unknown_rev;
    }
  }
  std::size_t overflowed = 0, closed = 0, incomplete = 0;
  std::uint64_t gaps = 0;
  std::string first_close;
  for (const auto& s : subs) {
    gaps += s->gaps();
    switch (s->state()) {
      case sub_state::overflowed: ++overflowed; break;
      case sub_state::closed: ++closed; break;
      case sub_state::live: incomplete += s->last_rev() < final_rev ? 1 : 0; break;
      default: break;
    }
    if ((s->state() == sub_state::overflowed || s->state() == sub_state::closed) && first_close.empty())
      first_close = s->failure();
  }

  const double write_s = seconds_between(t_start, t_end);
  const double deliver_s = all.write_events ? seconds_between(t_start, all.last_receipt_ns) : write_s;
  const auto us = [](std::int64_t ns) { return round_to(static_cast<double>(ns) / 1e3, 1); };
  const auto pct_ms = [&](double p) {
    const auto& h = all.commit_to_receipt_ms;
    return h.total() ? static_cast<std::int64_t>(h.at_rank(std::clamp<std::uint64_t>(
                           static_cast<std::uint64_t>(std::ceil(p * static_cast<double>(h.total()))), 1, h.total())))
                     : 0;
  };
  nlohmann::ordered_json out;
  out["subscribers"] = opts.subscribers;
  out["subscribers_live"] = live;
  out["subscribe_failed"] = failed;
  out["subscribe_seconds"] = round_to(subscribe_s, 2);
  out["writers"] = opts.writers;
  out["value_bytes"] = opts.value_bytes;
  out["rate_limit"] = opts.rate;
  out["client_threads"] = opts.threads;
  out["seconds"] = round_to(write_s, 3);
  out["writes"] = acked;
  out["write_errors"] = write_errors;
  out["writes_per_s"] = round_to(static_cast<double>(acked) / write_s, 1);
  out["events"] = all.write_events;
  out["events_per_s"] = round_to(static_cast<double>(all.write_events) / std::max(deliver_s, 1e-9), 1);
  out["events_expected"] = static_cast<std::uint64_t>(live) * acked;
  out["delivery_latency_us"] = {{"count", all.delivery_ns.total()},
                                {"min", us(all.delivery_ns.min())},
                                {"p50", us(all.delivery_ns.percentile(0.50))},
                                {"p90", us(all.delivery_ns.percentile(0.90))},
                                {"p99", us(all.delivery_ns.percentile(0.99))},
                                {"p999", us(all.delivery_ns.percentile(0.999))},
                                {"max", us(all.delivery_ns.max())},
                                {"negative", all.delivery_ns.negatives()}};
  out["commit_to_receipt_ms"] = {{"p50", pct_ms(0.50)}, {"p99", pct_ms(0.99)}, {"max", pct_ms(1.0)}};
  out["events_unmatched"] = all.unknown_rev;
  out["revision_gaps"] = gaps;
  out["subscribers_overflowed"] = overflowed;
  out["subscribers_closed"] = closed;
  out["subscribers_incomplete"] = incomplete;
  // Writes/s until the first subscriber was dropped: the rate the fan-out really carried.
  const std::int64_t first_drop = drops.first_drop_ns.load();
  out["first_drop_after_s"] = first_drop ? round_to(seconds_between(t_start, first_drop), 3) : -1.0;
  out["writes_per_s_before_first_drop"] =
      first_drop > t_start ? round_to(static_cast<double>(drops.acked_at_first_drop.load()) / seconds_between(t_start, first_drop), 1)
                           : out["writes_per_s"].get<double>();
  out["drain_seconds"] = round_to(drain_s, 3);
  out["progress_events"] = all.progress_events;
  out["server_rss_kib_before"] = rss_before;
  out["server_rss_kib_after"] = rss_after;
  out["server_rss_kib_end"] = rss_end;
  out["server_rss_kib_peak"] = rss_peak;
  out["server_bytes_per_subscriber"] =
      (rss_before >= 0 && rss_after >= 0 && live > 0) ? round_to(static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(live), 0) : -1.0;
  out["server_idle_cpu_pct"] = round_to(idle_cpu_pct, 1);  // subscribers connected, no writes
  out["server_cpu_pct"] = server_pid.empty() ? -1.0 : round_to(100.0 * (server_cpu1 - server_cpu0) / write_s, 1);
  out["client_cpu_pct"] = round_to(100.0 * (client_cpu1 - client_cpu0) / write_s, 1);
  out["client_rss_kib"] = rss_kib("self");
  // Server CPU over writes and drain per event delivered (the writes' own cost included): a cost
  // figure that holds even when other processes share the CPUs and the rates above drop.
  out["server_cpu_us_per_event"] =
      server_pid.empty() || all.write_events == 0 ? -1.0 : round_to(1e6 * (server_cpu2 - server_cpu0) / static_cast<double>(all.write_events), 2);
  out["server_cpu_us_per_write"] =
      server_pid.empty() || acked == 0 ? -1.0 : round_to(1e6 * (server_cpu1 - server_cpu0) / static_cast<double>(acked), 2);
  out["client_unread_bytes_at_end"] = unread.first;
  out["client_sockets_with_unread"] = unread.second;
  out["load_average_start"] = load_start;  // 1 and 5 min: other work on the machine skews the rates
  out["load_average_end"] = load_end;
  std::cout << out.dump() << std::endl;

  std::fprintf(stderr, "%llu writes in %.2f s = %.0f writes/s (%llu errors%s%s)\n",
               static_cast<unsigned long long>(acked), write_s, static_cast<double>(acked) / write_s,
               static_cast<unsigned long long>(write_errors), writer_failure.empty() ? "" : "; ", writer_failure.c_str());
  if (!subs.empty()) {
    std::fprintf(stderr, "%llu events to %zu subscribers (expected %llu) = %.0f events/s\n",
                 static_cast<unsigned long long>(all.write_events), live,
                 static_cast<unsigned long long>(static_cast<std::uint64_t>(live) * acked),
                 static_cast<double>(all.write_events) / std::max(deliver_s, 1e-9));
    std::fprintf(stderr, "delivery latency (receipt - ack) us: p50=%.1f p99=%.1f p99.9=%.1f max=%.1f min=%.1f, %llu negative\n",
                 us(all.delivery_ns.percentile(0.5)), us(all.delivery_ns.percentile(0.99)),
                 us(all.delivery_ns.percentile(0.999)), us(all.delivery_ns.max()), us(all.delivery_ns.min()),
                 static_cast<unsigned long long>(all.delivery_ns.negatives()));
    std::fprintf(stderr, "commit to receipt ms: p50=%lld p99=%lld max=%lld\n", static_cast<long long>(pct_ms(0.5)),
                 static_cast<long long>(pct_ms(0.99)), static_cast<long long>(pct_ms(1.0)));
    std::fprintf(stderr, "subscribers: %zu overflowed, %zu closed, %zu incomplete after %.1f s of drain; %llu gaps%s%s\n",
                 overflowed, closed, incomplete, drain_s, static_cast<unsigned long long>(gaps),
                 first_close.empty() ? "" : "; first close: ", first_close.c_str());
    if (first_drop)
      std::fprintf(stderr, "first subscriber dropped %.3f s into the run, after %llu writes (%.0f writes/s until then)\n",
                   seconds_between(t_start, first_drop), static_cast<unsigned long long>(drops.acked_at_first_drop.load()),
                   out["writes_per_s_before_first_drop"].get<double>());
    if (rss_before >= 0)
      std::fprintf(stderr, "server CPU with the subscribers idle: %.1f %%\n", idle_cpu_pct);
    if (rss_before >= 0)
      std::fprintf(stderr, "server RSS %ld -> %ld KiB: %.0f bytes per idle subscriber; %ld KiB after the run (peak %ld)\n",
                   rss_before, rss_after,
                   static_cast<double>(rss_after - rss_before) * 1024.0 / static_cast<double>(std::max<std::size_t>(live, 1)),
                   rss_end, rss_peak);
  }
  std::fprintf(stderr, "CPU over the write phase: server %.0f %%, client %.0f %%; load average %s -> %s\n",
               server_pid.empty() ? -1.0 : 100.0 * (server_cpu1 - server_cpu0) / write_s,
               100.0 * (client_cpu1 - client_cpu0) / write_s, load_start.c_str(), load_end.c_str());
  if (!subs.empty())
    std::fprintf(stderr, "at the end of the writes, %llu bytes sat unread in %zu of this client's sockets\n",
                 static_cast<unsigned long long>(unread.first), unread.second);
  return failed == 0 && write_errors == 0 && writer_failure.empty() ? 0 : 1;
}

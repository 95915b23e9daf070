#include "livekv/feed/feed_session.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "livekv/util/json_text.hpp"

namespace livekv::feed {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

// One batch: enough to amortize a wake-up and a write, small enough to keep other sessions on this
// thread responsive.
constexpr std::size_t batch_events = 256;
constexpr std::size_t batch_bytes = 256 * 1024;
// How long a session being cut off may take to finish the write in flight before its socket is
// closed under it (a client that stopped reading entirely never finishes it).
constexpr auto stuck_write_grace = std::chrono::seconds(5);
// A backlog shorter than this is never worth a byte count.
constexpr std::uint64_t min_lag_to_measure = 64;

std::int64_t now_ns(steady::time_point t = steady::now()) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// {"op":"<op>","<name>":<rev>}: a control message that carries one revision.
std::string revision_json(std::string_view op, std::string_view name, std::uint64_t rev) {
  std::string out;
  util::json_writer(out).begin_object().string("op", op).number(name, rev).end_object();
  return out;
}

std::string progress_json(std::uint64_t rev) { return revision_json("progress", "rev", rev); }

}  // namespace

feed_session::feed_session(const feed_env& env, subscription sub, asio::any_io_executor executor)
    : env_(env), sub_(std::move(sub)), executor_(std::move(executor)), kill_timer_(executor_) {
  env_.state.connections.fetch_add(1, std::memory_order_relaxed);
  env_.state.connections_total.fetch_add(1, std::memory_order_relaxed);
  last_sent_ns_.store(now_ns(), std::memory_order_relaxed);
  if (sub_.who) auth_generation_.store(env_.gate.generation(), std::memory_order_relaxed);
}

feed_session::~feed_session() {
  if (id_ != 0) env_.hub.remove(id_);
  env_.registry.remove(this);
  env_.state.connections.fetch_sub(1, std::memory_order_relaxed);
}

void feed_session::begin() {
  phase_ = phase::ready;
  env_.registry.add(shared_from_this());
  if (env_.state.draining.load(std::memory_order_acquire)) {
    finish_reason_ = "server shutting down";
    end_kind_ = end_kind::going_away;
    return pump();
  }
  auto id = env_.hub.add(weak_from_this(), sub_.filter.wants_reads());
  if (!id) {
    finish_reason_ = id.error().message();
    std::string json;
    util::json_writer(json).begin_object().string("op", "error").string("detail", id.error().message()).end_object();
    return send_control("error", std::move(json));
  }
  id_ = *id;
  after_ = sub_.since.value_or(env_.hub.head());
  position_.store(after_, std::memory_order_relaxed);
  // A live subscription is caught up from the start; a resume once it has replayed its backlog.
  caught_up_.store(!sub_.since, std::memory_order_relaxed);
  // The first message tells the client where the subscription starts: every later event is newer.
  control_.push_back(message{"progress", after_, nullptr, nullptr, progress_json(after_)});
  pump();
}

void feed_session::send_control(std::string_view name, std::string json) {
  control_.push_back(message{name, std::nullopt, nullptr, nullptr, std::move(json)});
  pump();
}

void feed_session::pump() {
  if (phase_ != phase::ready) return;
  batch_.clear();
  if (overflow_pending_) {
    // The last message of a subscriber cut off: where to resume from.
    overflow_pending_ = false;
    batch_.push_back(
        message{"overflow", std::nullopt, nullptr, nullptr, revision_json("overflow", "last_rev", after_)});
  } else {
    while (!control_.empty() && batch_.size() < batch_events) {
      batch_.push_back(std::move(control_.front()));
      control_.pop_front();
    }
    if (!finish_reason_.empty()) {
      if (batch_.empty()) {
        phase_ = phase::finishing;
        return finish(finish_reason_, end_kind_);
      }
    } else {
      const auto max_value = env_.hub.options().max_value_bytes;
      while (!reads_.empty() && batch_.size() < batch_events) {
        hub::event_ptr ev = std::move(reads_.front());
        reads_.pop_front();
        const std::string* text = &ev->json(false, max_value);
        batch_.push_back(message{hub::event_kind_name(ev->kind), std::nullopt, std::move(ev), text, {}});
      }
      if (batch_.size() < batch_events) fill();
      if (phase_ == phase::ended || overflow_pending_) return pump();
    }
  }
  if (batch_.empty()) {
    // Nothing to send: sleep until the hub has something newer than after_. An idle session keeps
    // no batch capacity (up to 256 messages' worth), so 10,000 quiet subscribers stay small.
    std::vector<message>().swap(batch_);
    if (!env_.hub.arm(weak_from_this(), after_)) asio::post(executor_, [s = self()] { s->pump(); });
    return;
  }
  phase_ = phase::writing;
  last_sent_ns_.store(now_ns(), std::memory_order_relaxed);
  write(batch_);
}

void feed_session::fill() {
  std::vector<hub::event_ptr> evs;
  if (auto s = env_.hub.fetch(after_, batch_events - batch_.size(), batch_bytes, history_, evs); !s)
    return cut_off(s.message(), s.code() == errc::history_compacted);
  const auto max_value = env_.hub.options().max_value_bytes;
  for (auto& ev : evs) {
    after_ = ev->rev;
    const auto verdict = sub_.filter.judge(*ev, keep_);
    if (verdict == hub::filter::verdict::skip) continue;
    message m{hub::event_kind_name(ev->kind), ev->rev, nullptr, nullptr, {}};
    if (verdict == hub::filter::verdict::whole) {
      m.shared = &ev->json(sub_.with_prev, max_value);
      m.ev = std::move(ev);
    } else {
      m.own = ev->json_subset(sub_.with_prev, max_value, keep_);
    }
    batch_.push_back(std::move(m));
  }
  position_.store(after_, std::memory_order_relaxed);
  if (evs.empty() || after_ >= env_.hub.head()) caught_up_.store(true, std::memory_order_relaxed);
}

void feed_session::written(boost::beast::error_code ec, std::size_t) {
  if (phase_ == phase::ended) return;
  if (phase_ == phase::writing) phase_ = phase::ready;
  if (ec) {
    ended();
    return abort();
  }
  env_.counters.count_sent(batch_.size());
  batch_.clear();
  pump();
}

void feed_session::ended() {
  if (phase_ == phase::ended) return;
  phase_ = phase::ended;
  cut_.store(true, std::memory_order_relaxed);
  kill_timer_.cancel();
  control_.clear();
  reads_.clear();
  if (id_ != 0) {
    env_.hub.remove(id_);
    id_ = 0;
  }
}

bool feed_session::lagging(std::uint64_t head, std::uint64_t position) const {
  if (head <= position) return false;
  const auto behind = head - position;
  if (behind > env_.settings.queue_messages) return true;
  return behind >= min_lag_to_measure && env_.hub.backlog_bytes(position) > env_.settings.queue_bytes;
}

void feed_session::tick(steady::time_point now, std::uint64_t head) noexcept {
  if (cut_.load(std::memory_order_relaxed) || tick_posted_.load(std::memory_order_relaxed)) return;
  const bool lag = caught_up_.load(std::memory_order_relaxed) && lagging(head, position_.load(std::memory_order_relaxed));
  const bool idle = now_ns(now) - last_sent_ns_.load(std::memory_order_relaxed) >=
                    std::chrono::duration_cast<std::chrono::nanoseconds>(env_.settings.progress).count();
  // A reload of the auth file is noticed here, within a tick (100 ms) of it.
  const bool reloaded = sub_.who && auth_generation_.load(std::memory_order_relaxed) != env_.gate.generation();
  if (!lag && !idle && !reloaded) return;
  if (tick_posted_.exchange(true, std::memory_order_acq_rel)) return;
  asio::post(executor_, [s = self(), lag, reloaded] {
    s->tick_posted_.store(false, std::memory_order_relaxed);
    if (reloaded) return s->check_standing();
    if (lag) return s->check_lag();
    s->progress();
  });
}

void feed_session::check_lag() {
  if (phase_ == phase::ended || cut_.load(std::memory_order_relaxed)) return;
  const auto head = env_.hub.head();
  if (!lagging(head, after_)) return;
  cut_off("fell " + std::to_string(head - after_) + " events behind (--feed-queue-messages " +
              std::to_string(env_.settings.queue_messages) + ", --feed-queue-bytes " +
              std::to_string(env_.settings.queue_bytes) + ")",
          false);
  pump();
}

void feed_session::check_standing() {
  if (phase_ == phase::ended || cut_.load(std::memory_order_relaxed)) return;
  auth_generation_.store(env_.gate.generation(), std::memory_order_relaxed);
  const auto standing = env_.gate.recheck(*sub_.who, sub_.needs);
  if (standing == auth::standing::unchanged) return;
  const bool revoked = standing == auth::standing::revoked;
  std::string detail = revoked ? "the token '" + sub_.who->name() + "' was revoked"
                       : standing == auth::standing::lost_role
                           ? "the token '" + sub_.who->name() + "' lost the " +
                                 std::string(auth::role_name(sub_.needs)) + " role"
                           : "the prefixes of the token '" + sub_.who->name() + "' changed; subscribe again";
  spdlog::info("feed subscriber closed at revision {}: {}", after_, detail);
  // What was delivered stays a valid resume point: the client may come back with since=.
  cut_.store(true, std::memory_order_relaxed);
  control_.clear();
  reads_.clear();
  std::string json;
  util::json_writer(json)
      .begin_object()
      .string("op", "revoked")
      .number("code", revoked ? 4401u : 4403u)
      .string("detail", detail)
      .number("last_rev", after_)
      .end_object();
  control_.push_back(message{"revoked", std::nullopt, nullptr, nullptr, std::move(json)});
  finish_reason_ = std::move(detail);
  end_kind_ = revoked ? end_kind::unauthorized : end_kind::forbidden;
  if (phase_ == phase::writing) arm_kill_timer();
  pump();
}

void feed_session::progress() {
  if (phase_ == phase::ended || phase_ == phase::writing || !finish_reason_.empty() || !control_.empty()) return;
  // Only when idle: position == what was delivered, so the bookmark is a safe resume point.
  control_.push_back(message{"progress", after_, nullptr, nullptr, progress_json(after_)});
  pump();
}

void feed_session::on_read(const hub::event_ptr& ev) noexcept {
  std::vector<bool> unused;
  if (cut_.load(std::memory_order_relaxed) || sub_.filter.judge(*ev, unused) == hub::filter::verdict::skip) return;
  asio::post(executor_, [s = self(), ev] {
    if (s->phase_ == phase::ended || !s->finish_reason_.empty()) return;
    if (s->reads_.size() >= s->env_.settings.queue_messages) s->cut_off("too many read events pending", false);
    else s->reads_.push_back(ev);
    s->pump();
  });
}

void feed_session::wake() noexcept {
  asio::post(executor_, [s = self()] { s->pump(); });
}

void feed_session::cut_off(std::string reason, bool compacted) {
  if (phase_ == phase::ended || cut_.exchange(true, std::memory_order_relaxed)) return;
  const auto head = env_.hub.head();
  env_.counters.count_cut_off(head > after_ ? head - after_ : 0, compacted);
  spdlog::info("feed subscriber cut off at revision {}: {}", after_, reason);
  control_.clear();
  reads_.clear();
  overflow_pending_ = true;
  finish_reason_ = compacted ? "history compacted; re-read the state" : "overflow; resume with since=" + std::to_string(after_);
  end_kind_ = end_kind::error;
  if (phase_ == phase::writing) arm_kill_timer();
  // The caller pumps (the overflow message goes out once the write in flight is done).
}

void feed_session::arm_kill_timer() {
  kill_timer_.expires_after(stuck_write_grace);
  kill_timer_.async_wait([s = self()](boost::beast::error_code ec) {
    if (ec || s->phase_ == phase::ended) return;
    s->ended();
    s->abort();
  });
}

void feed_session::drain() {
  asio::post(executor_, [s = self()] {
    if (s->phase_ == phase::ended || !s->finish_reason_.empty()) return;
    s->finish_reason_ = "server shutting down";
    s->end_kind_ = end_kind::going_away;
    s->control_.clear();
    if (s->phase_ == phase::writing) s->arm_kill_timer();
    s->pump();
  });
}

}  // namespace livekv::feed

#include "livekv/wal/log_writer.hpp"

#include <filesystem>
#include <spdlog/spdlog.h>

#include "livekv/wal/commit_codec.hpp"
#include "livekv/wal/data_dir.hpp"
#include "livekv/wal/file_names.hpp"
#include "livekv/wal/frame.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

result<std::unique_ptr<log_writer>> log_writer::open(options opts, std::uint64_t next_revision) {
  auto file = io::append_file::open((fs::path(opts.dir) / segment_name(next_revision)).string());
  if (!file) return file.error();
  if (auto s = io::fsync_dir(opts.dir); !s) return s;
  std::unique_ptr<log_writer> w(new log_writer(std::move(opts), std::move(*file), next_revision - 1));
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

log_writer::log_writer(options opts, io::append_file file, std::uint64_t last_revision)
    : opts_(std::move(opts)), last_sync_(clock_type::now()), last_revision_(last_revision), file_(std::move(file)) {}

log_writer::~log_writer() { (void)close(); }

result<std::uint64_t> log_writer::append(const store::logged_commit& c) {
  // Encoding happens outside mutex_ so the log thread is held up only by a memcpy.
  std::string payload;
  payload.swap(scratch_);
  payload.clear();
  encode_commit(payload, c);
  if (payload.size() > max_frame_payload) {
    scratch_.swap(payload);
    return status(errc::value_too_large, "the commit is larger than a log record may be (" +
                                             std::to_string(max_frame_payload) + " bytes)");
  }
  std::uint64_t ticket;
  {
    util::lock_guard lock(mutex_);
    if (!failure_.ok() || phase_ != phase::running) {
      scratch_.swap(payload);
      return status(errc::read_only, "the write-ahead log has failed; writes are refused until restart");
    }
    const std::size_t before = pending_.size();
    append_frame(pending_, frame_type::commit, payload);
    appended_end_ += pending_.size() - before;
    last_revision_ = c.revision;
    ++stats_.appends;
    // Under `no` a write is answered at once — unless the disk has fallen this far behind: then
    // it waits for its write like everysec, so memory stays bounded when the disk is slow.
    ticket = opts_.policy == fsync_policy::no && pending_.size() < max_unwritten_bytes ? 0 : appended_end_;
  }
  scratch_.swap(payload);
  // Only `no` wakes the log thread per append. Under everysec the waiter writes (write_inline);
  // under always the log thread starts when someone waits (when_durable): an io thread waits once
  // per event-loop turn, after all of the turn's records are here, so one fdatasync covers the
  // turn. Woken per append, the log thread (sharing the io thread's core) preempted the turn and
  // synced its first record or two alone: 0.34 context switches per PUT, the core 18 % idle.
  // Either way the log thread picks up within a second what no one waits for.
  if (opts_.policy == fsync_policy::no) wake_.notify_one();
  return ticket;
}

void log_writer::when_durable(std::uint64_t ticket, std::function<void(status)> done) {
  status outcome;
  {
    util::unique_lock lock(mutex_);
    if (failure_.ok() && ticket > acked_end_) {
      waiters_.push_back({ticket, std::move(done)});
      if (opts_.policy == fsync_policy::everysec) return write_inline();
      lock.unlock();
      if (opts_.policy == fsync_policy::always) wake_.notify_one();
      return;
    }
    outcome = failure_;
  }
  done(outcome);
}

void log_writer::write_inline() {
  // A writer busy elsewhere looks at pending_ again before it lets go, so our frames are not left
  // behind. Cuts, rotations, syncs and shutdown stay with the log thread (it has been woken).
  while (turn_ == file_turn::free && !pending_.empty() && failure_.ok() && phase_ == phase::running &&
         !requests_.cut && !requests_.rotate && !requests_.sync) {
    turn_ = file_turn::inline_writer;
    inline_batch_.swap(pending_);
    pending_.clear();
    const std::uint64_t batch_end = appended_end_;
    std::uint64_t before = 0;
    const status s = util::run_unlocked(mutex_, [&] {
      before = file_.size();
      return file_.write_all(inline_batch_);
    });
    const bool full = s && file_.size() >= opts_.segment_bytes;  // the turn is still ours
    // A log thread waiting for the file is handed it; no one else takes it meanwhile.
    const bool hand_over = turn_ == file_turn::log_thread_waiting;
    turn_ = hand_over ? file_turn::log_thread : file_turn::free;
    // What the file held before this write is intact and the batch is still ours: resumable.
    if (!s) fail(s, std::move(inline_batch_), before);
    if (failure_.ok()) {
      stats_.bytes_written += inline_batch_.size();
      ++stats_.writes;
      written_end_ = batch_end;
      acked_end_ = written_end_;
      growth_since_cut_ += inline_batch_.size();
    }
    if (full) requests_.rotate = true;
    if (full || hand_over || !failure_.ok()) wake_.notify_one();
    const bool wrote = !inline_batch_.empty();
    inline_batch_.clear();
    complete_waiters(wrote);
  }
}

void log_writer::complete_waiters(bool report_growth) {
  // Waiters complete in any order; partition keeps the rest.
  std::vector<waiter> ready;
  const auto still_waiting = [&](const waiter& w) LIVEKV_REQUIRES(mutex_) {
    return failure_.ok() && w.ticket > acked_end_;
  };
  auto mid = std::partition(waiters_.begin(), waiters_.end(), still_waiting);
  std::move(mid, waiters_.end(), std::back_inserter(ready));
  waiters_.erase(mid, waiters_.end());
  const status outcome = failure_;
  const std::uint64_t growth = growth_since_cut_;
  util::run_unlocked(mutex_, [&] {
    for (auto& w : ready) w.done(outcome);
    if (opts_.on_growth && report_growth) opts_.on_growth(growth);
  });
}

void log_writer::set_durability_listener(store::durability_listener* l) noexcept {
  listener_.store(l, std::memory_order_release);
}

void log_writer::cut(std::uint64_t next_revision) {
  {
    util::lock_guard lock(mutex_);
    requests_.cut = cut_point{pending_.size(), next_revision};
  }
  wake_.notify_one();
}

status log_writer::sync_now() {
  util::unique_lock lock(mutex_);
  const std::uint64_t target = appended_end_;
  requests_.sync = true;
  wake_.notify_one();
  // Also wait for a pending cut: a caller deleting old segments relies on it having happened.
  synced_cv_.wait(mutex_, [&]() LIVEKV_REQUIRES(mutex_) {
    return (synced_end_ >= target && !requests_.cut) || !failure_.ok() || phase_ == phase::stopped;
  });
  if (failure_.ok() && synced_end_ < target) return status(errc::draining, "the log was closed before it synced");
  return failure_;
}

status log_writer::close() {
  {
    util::lock_guard lock(mutex_);
    if (phase_ == phase::running) phase_ = phase::stopping;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  file_.close();
  util::lock_guard lock(mutex_);
  return failure_;
}

bool log_writer::failed() const {
  util::lock_guard lock(mutex_);
  return !failure_.ok();
}

log_stats log_writer::stats() const {
  log_stats s;
  {
    util::lock_guard lock(mutex_);
    s = stats_;
    s.failed = !failure_.ok();
  }
  for (const auto& [rev, path] : list_data_files(opts_.dir).segments) {
    std::error_code size_ec;
    const auto size = fs::file_size(path, size_ec);
    if (size_ec) continue;  // deleted by a snapshot meanwhile
    ++s.segments;
    s.segment_bytes += size;
  }
  return s;
}

status log_writer::open_segment(std::uint64_t first_revision) {
  auto file = io::append_file::open((fs::path(opts_.dir) / segment_name(first_revision)).string());
  if (!file) return file.error();
  file_ = std::move(*file);
  return io::fsync_dir(opts_.dir);
}

void log_writer::fail(const status& s, std::optional<std::string> unwritten, std::uint64_t good_size) {
  if (!failure_.ok()) {
    // A second failure while failed (a sync that ran beside a failed inline write) may make the
    // file's state unknown: then only a restart's recovery can tell what it holds.
    if (!unwritten) resumable_ = false;
    return;
  }
  resumable_ = unwritten.has_value();
  if (unwritten) {
    retained_ = std::move(*unwritten);
    good_size_ = good_size;
  }
  next_probe_ = clock_type::now() + probe_interval;
  failure_ = status(errc::read_only, "the write-ahead log failed (" + s.message() + "); writes are refused " +
                                         (resumable_ ? "until it can be written again (retried every second)"
                                                     : "until restart"));
  ++stats_.failures;
  spdlog::critical("{}", failure_.message());
}

void log_writer::try_resume() {
  // An inline writer that was mid-write when the log failed finishes first (it writes no more).
  wake_.wait(mutex_, [&]() LIVEKV_REQUIRES(mutex_) { return turn_ == file_turn::free; });
  // The file is good up to good_size_; every frame after it is in retained_ or still in pending_
  // (appends stopped at the failure). Rewriting them from memory, rather than trusting what the
  // page cache may or may not hold after a failed write or sync, is what makes resuming safe.
  std::string frames = std::move(retained_);
  frames += pending_;
  pending_.clear();
  const std::uint64_t end = appended_end_;
  const std::uint64_t good = good_size_;
  turn_ = file_turn::log_thread;
  const status s = util::run_unlocked(mutex_, [&] {
    status r = file_.truncate(good);
    if (r) r = file_.write_all(frames);
    if (r) r = file_.sync();
    if (r && opts_.policy == fsync_policy::always)
      if (auto* l = listener_.load(std::memory_order_acquire)) l->durable_through(end);
    return r;
  });
  turn_ = file_turn::free;
  next_probe_ = clock_type::now() + probe_interval;
  if (!s) {
    retained_ = std::move(frames);  // still full (or failing): the next probe tries again
    return;
  }
  failure_ = status::success();
  resumable_ = false;
  written_end_ = synced_end_ = acked_end_ = end;
  last_sync_ = clock_type::now();
  stats_.bytes_written += frames.size();
  ++stats_.writes;
  ++stats_.syncs;
  ++stats_.resumes;
  growth_since_cut_ += frames.size();
  if (file_.size() >= opts_.segment_bytes) requests_.rotate = true;
  spdlog::warn("the write-ahead log can be written again ({} bytes rewritten); writes resume", frames.size());
}

// --- the log thread ---------------------------------------------------------------------------

void log_writer::run() {
  util::lock_guard lock(mutex_);
  for (;;) {
    if (!failure_.ok() && !wait_while_failed()) {
      if (phase_ != phase::running) break;
      continue;
    }
    if (!wait_for_work()) continue;
    pass p = begin_pass();
    write_pass(p);
    finish_pass(p);
    if (p.stop && pending_.empty()) break;
  }
  phase_ = phase::stopped;
  synced_cv_.notify_all();
}

bool log_writer::sync_due() const {
  return failure_.ok() && opts_.policy == fsync_policy::everysec && synced_end_ < written_end_ &&
         clock_type::now() - last_sync_ >= std::chrono::seconds(1);
}

bool log_writer::has_work() const {
  const bool stopping = phase_ != phase::running;
  // While failed nothing is written: only stopping, and the requests to answer, matter.
  if (!failure_.ok()) return stopping || requests_.sync || requests_.cut;
  // Under always, frames wait until someone waits for them (see append()).
  const bool frames = !pending_.empty() && (opts_.policy != fsync_policy::always || !waiters_.empty());
  return frames || stopping || requests_.sync || requests_.cut || requests_.rotate || sync_due();
}

bool log_writer::wait_while_failed() {
  const auto work = [&]() LIVEKV_REQUIRES(mutex_) { return has_work(); };
  if (resumable_ && phase_ == phase::running) wake_.wait_until(mutex_, next_probe_, work);
  else wake_.wait(mutex_, work);
  if (resumable_ && phase_ == phase::running && clock_type::now() >= next_probe_) try_resume();
  if (failure_.ok()) return true;
  // A sync or a cut asked for meanwhile fails (sync_now() returns the failure).
  requests_.sync = false;
  requests_.cut.reset();
  synced_cv_.notify_all();
  return false;
}

bool log_writer::wait_for_work() {
  const auto work = [&]() LIVEKV_REQUIRES(mutex_) { return has_work(); };
  bool timed_out = false;
  if (failure_.ok() && opts_.policy == fsync_policy::everysec && synced_end_ < written_end_)
    wake_.wait_until(mutex_, last_sync_ + std::chrono::seconds(1), work);
  else if (opts_.policy != fsync_policy::no)
    // Appends do not wake us: look once a second for frames no one waits for (an expiry's).
    timed_out = !wake_.wait_until(mutex_, clock_type::now() + std::chrono::seconds(1), work);
  else
    wake_.wait(mutex_, work);
  return has_work() || (timed_out && !pending_.empty());
}

log_writer::pass log_writer::begin_pass() {
  if (turn_ == file_turn::inline_writer) {
    // An inline writer has the file: it hands it over when its write ends, and starts no new one.
    turn_ = file_turn::log_thread_waiting;
    wake_.wait(mutex_, [&]() LIVEKV_REQUIRES(mutex_) { return turn_ == file_turn::log_thread; });
  }
  turn_ = file_turn::log_thread;
  requests_.rotate = false;

  pass p;
  p.batch.swap(pending_);
  p.batch_end = appended_end_;
  p.cut = requests_.cut;
  requests_.cut.reset();
  p.want_sync = requests_.sync || phase_ != phase::running || opts_.policy == fsync_policy::always || sync_due() ||
                p.cut.has_value();
  requests_.sync = false;
  p.stop = phase_ != phase::running;
  p.last_revision = last_revision_;
  p.ok_so_far = failure_.ok();
  return p;
}

void log_writer::write_pass(pass& p) {
  util::run_unlocked(mutex_, [&] {
    p.before = file_.size();  // ours now (turn_): the size before this batch
    if (p.ok_so_far) write_batch(p);
  });
  if (!p.ok_so_far) return;
  // The once-a-second sync needs only the descriptor: inline writers may append meanwhile instead
  // of waiting out the fdatasync (it put milliseconds on the p99 of a PUT).
  if (p.outcome && p.want_sync && opts_.policy == fsync_policy::everysec && !p.cut && !p.stop) release_before_sync(p);
  util::run_unlocked(mutex_, [&] {
    if (p.outcome && p.want_sync) {
      const auto t0 = clock_type::now();
      p.outcome = file_.sync();
      p.synced = true;
      p.sync_failed = !p.outcome;
      if (opts_.on_sync) opts_.on_sync(std::chrono::duration<double>(clock_type::now() - t0).count());
    }
    // Rotate by size at a batch boundary: the new segment starts after the last appended frame.
    // (Having let go of the file, the next pass rotates: see finish_pass.)
    if (p.outcome && !p.cut && !p.released && file_.size() >= opts_.segment_bytes) {
      if (!p.synced) p.outcome = file_.sync();
      p.synced = p.outcome.ok();
      if (p.outcome) p.outcome = open_segment(p.last_revision + 1);
    }
    // Readers may now see what this sync made durable: before its waiters are answered (so an
    // answered write is readable) and before sync_now() returns (a snapshot copies it).
    if (p.outcome && p.synced && opts_.policy == fsync_policy::always)
      if (auto* l = listener_.load(std::memory_order_acquire)) l->durable_through(p.batch_end);
  });
}

void log_writer::write_batch(pass& p) {
  const std::string_view all(p.batch);
  if (p.cut) {
    p.outcome = file_.write_all(all.substr(0, p.cut->at));
    if (p.outcome) p.outcome = file_.sync();
    if (p.outcome) p.outcome = open_segment(p.cut->revision);
    if (p.outcome) p.outcome = file_.write_all(all.substr(p.cut->at));
  } else {
    p.outcome = file_.write_all(all);
  }
}

void log_writer::release_before_sync(pass& p) {
  p.full = file_.size() >= opts_.segment_bytes;  // read while the file is still ours
  turn_ = file_turn::free;
  p.released = true;
  written_end_ = std::max(written_end_, p.batch_end);
  acked_end_ = written_end_;
  complete_waiters(false);
}

void log_writer::finish_pass(pass& p) {
  if (!p.released) turn_ = file_turn::free;
  else if (p.outcome && p.full) requests_.rotate = true;
  if (!p.outcome) {
    // Resumable when the file is known good up to `before` and this batch is all that follows:
    // a failed write (the OS keeps what it accepted before), or a failed sync under always
    // (earlier passes synced everything before). Not across a cut, nor after a failed sync
    // under everysec or no, whose earlier written-but-unsynced batches are no longer held.
    const bool resumable = !p.cut && !p.released && (!p.sync_failed || opts_.policy == fsync_policy::always);
    fail(p.outcome, resumable ? std::optional<std::string>(std::move(p.batch)) : std::nullopt, p.before);
  }
  if (failure_.ok()) {
    stats_.bytes_written += p.batch.size();
    if (!p.batch.empty()) ++stats_.writes;
    // Inline writers may have written past this batch while the log thread synced.
    written_end_ = std::max(written_end_, p.batch_end);
    if (p.synced) {
      ++stats_.syncs;
      synced_end_ = p.batch_end;
      last_sync_ = clock_type::now();
    }
    acked_end_ = opts_.policy == fsync_policy::always ? synced_end_ : written_end_;
    growth_since_cut_ = p.cut ? p.batch.size() - p.cut->at : growth_since_cut_ + p.batch.size();
  }
  synced_cv_.notify_all();
  complete_waiters(!p.batch.empty());
}

}  // namespace livekv::wal

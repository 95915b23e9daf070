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
  std::unique_ptr<log_writer> w(new log_writer(std::move(opts), std::move(*file)));
  w->last_revision_ = next_revision - 1;
  w->thread_ = std::thread([p = w.get()] { p->run(); });
  return w;
}

log_writer::log_writer(options opts, io::append_file file)
    : opts_(std::move(opts)), file_(std::move(file)), last_sync_(clock_type::now()) {}

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
    std::lock_guard lock(mutex_);
    if (!failure_.ok() || stopping_) {
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
    std::unique_lock lock(mutex_);
    if (failure_.ok() && ticket > acked_end_) {
      waiters_.push_back({ticket, std::move(done)});
      if (opts_.policy == fsync_policy::everysec) return write_inline(lock);
      lock.unlock();
      if (opts_.policy == fsync_policy::always) wake_.notify_one();
      return;
    }
    outcome = failure_;
  }
  done(outcome);
}

void log_writer::write_inline(std::unique_lock<std::mutex>& lock) {
  // A writer busy elsewhere looks at pending_ again before it lets go, so our frames are not left
  // behind. Cuts, rotations, syncs and shutdown stay with the log thread (it has been woken).
  while (!writing_ && !pending_.empty() && failure_.ok() && !stopping_ && !cut_requested_ && !rotate_requested_ &&
         !sync_requested_ && !writer_wanted_) {
    writing_ = true;
    inline_batch_.swap(pending_);
    pending_.clear();
    const std::uint64_t batch_end = appended_end_;
    lock.unlock();
    const std::uint64_t before = file_.size();
    status s = file_.write_all(inline_batch_);
    const bool full = s && file_.size() >= opts_.segment_bytes;
    lock.lock();
    writing_ = false;
    // What the file held before this write is intact and the batch is still ours: resumable.
    if (!s) fail(s, std::move(inline_batch_), before);
    if (failure_.ok()) {
      stats_.bytes_written += inline_batch_.size();
      ++stats_.writes;
      written_end_ = batch_end;
      acked_end_ = written_end_;
      growth_since_cut_ += inline_batch_.size();
    }
    if (full) rotate_requested_ = true;
    if (full || writer_wanted_ || !failure_.ok()) wake_.notify_one();
    std::vector<waiter> ready;
    auto mid = std::partition(waiters_.begin(), waiters_.end(),
                              [&](const waiter& w) { return failure_.ok() && w.ticket > acked_end_; });
    std::move(mid, waiters_.end(), std::back_inserter(ready));
    waiters_.erase(mid, waiters_.end());
    const status outcome = failure_;
    const std::uint64_t growth = growth_since_cut_;
    const bool wrote = !inline_batch_.empty();
    inline_batch_.clear();
    lock.unlock();
    for (auto& w : ready) w.done(outcome);
    if (opts_.on_growth && wrote) opts_.on_growth(growth);
    lock.lock();
  }
}

void log_writer::set_durability_listener(store::durability_listener* l) noexcept {
  listener_.store(l, std::memory_order_release);
}

void log_writer::cut(std::uint64_t next_revision) {
  {
    std::lock_guard lock(mutex_);
    cut_requested_ = true;
    cut_at_ = pending_.size();
    cut_revision_ = next_revision;
  }
  wake_.notify_one();
}

status log_writer::sync_now() {
  std::unique_lock lock(mutex_);
  const std::uint64_t target = appended_end_;
  sync_requested_ = true;
  wake_.notify_one();
  // Also wait for a pending cut: a caller deleting old segments relies on it having happened.
  synced_cv_.wait(lock, [&] { return (synced_end_ >= target && !cut_requested_) || !failure_.ok() || stopped_; });
  if (failure_.ok() && synced_end_ < target) return status(errc::draining, "the log was closed before it synced");
  return failure_;
}

status log_writer::close() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  file_.close();
  std::lock_guard lock(mutex_);
  return failure_;
}

bool log_writer::failed() const {
  std::lock_guard lock(mutex_);
  return !failure_.ok();
}

log_stats log_writer::stats() const {
  log_stats s;
  {
    std::lock_guard lock(mutex_);
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
  // Caller holds mutex_.
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

void log_writer::try_resume(std::unique_lock<std::mutex>& lock) {
  // An inline writer that was mid-write when the log failed finishes first (it writes no more).
  wake_.wait(lock, [&] { return !writing_; });
  // The file is good up to good_size_; every frame after it is in retained_ or still in pending_
  // (appends stopped at the failure). Rewriting them from memory, rather than trusting what the
  // page cache may or may not hold after a failed write or sync, is what makes resuming safe.
  std::string frames = std::move(retained_);
  frames += pending_;
  pending_.clear();
  const std::uint64_t end = appended_end_;
  const std::uint64_t good = good_size_;
  writing_ = true;
  lock.unlock();
  status s = file_.truncate(good);
  if (s) s = file_.write_all(frames);
  if (s) s = file_.sync();
  if (s && opts_.policy == fsync_policy::always)
    if (auto* l = listener_.load(std::memory_order_acquire)) l->durable_through(end);
  lock.lock();
  writing_ = false;
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
  if (file_.size() >= opts_.segment_bytes) rotate_requested_ = true;
  spdlog::warn("the write-ahead log can be written again ({} bytes rewritten); writes resume", frames.size());
}

void log_writer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto sync_due = [&] {
      return failure_.ok() && opts_.policy == fsync_policy::everysec && synced_end_ < written_end_ &&
             clock_type::now() - last_sync_ >= std::chrono::seconds(1);
    };
    const auto has_work = [&] {
      // While failed nothing is written: only stopping, and the requests to answer, matter.
      if (!failure_.ok()) return stopping_ || sync_requested_ || cut_requested_;
      // Under always, frames wait until someone waits for them (see append()).
      const bool frames = !pending_.empty() && (opts_.policy != fsync_policy::always || !waiters_.empty());
      return frames || stopping_ || sync_requested_ || cut_requested_ || rotate_requested_ || sync_due();
    };
    bool timed_out = false;
    if (!failure_.ok()) {
      if (resumable_ && !stopping_) wake_.wait_until(lock, next_probe_, has_work);
      else wake_.wait(lock, has_work);
      if (resumable_ && !stopping_ && clock_type::now() >= next_probe_) try_resume(lock);
      if (!failure_.ok()) {
        // A sync or a cut asked for meanwhile fails (sync_now() returns the failure).
        sync_requested_ = false;
        cut_requested_ = false;
        synced_cv_.notify_all();
        if (stopping_) break;
        continue;
      }
    }
    if (failure_.ok() && opts_.policy == fsync_policy::everysec && synced_end_ < written_end_)
      wake_.wait_until(lock, last_sync_ + std::chrono::seconds(1), has_work);
    else if (opts_.policy != fsync_policy::no)
      // Appends do not wake us: look once a second for frames no one waits for (an expiry's).
      timed_out = !wake_.wait_until(lock, clock_type::now() + std::chrono::seconds(1), has_work);
    else
      wake_.wait(lock, has_work);
    if (!has_work() && !(timed_out && !pending_.empty())) continue;
    if (writing_) {
      // An inline writer has the file: it wakes us when it is done, and starts no new write.
      writer_wanted_ = true;
      wake_.wait(lock, [&] { return !writing_; });
      writer_wanted_ = false;
    }
    writing_ = true;
    rotate_requested_ = false;

    std::string batch;
    batch.swap(pending_);
    const std::uint64_t batch_end = appended_end_;
    const bool cut = cut_requested_;
    const std::size_t cut_at = cut_at_;
    const std::uint64_t cut_revision = cut_revision_;
    cut_requested_ = false;
    const bool want_sync = sync_requested_ || stopping_ || opts_.policy == fsync_policy::always || sync_due() || cut;
    sync_requested_ = false;
    const bool stop = stopping_;
    const std::uint64_t last_revision = last_revision_;
    const bool ok_so_far = failure_.ok();
    lock.unlock();

    const std::uint64_t before = file_.size();  // ours now (writing_): the size before this batch
    status s;
    bool synced = false;
    bool sync_failed = false;
    bool released = false;  // writing_ was given up before the sync
    bool full = false;      // then: the segment had reached its size, to be rotated next pass
    if (ok_so_far) {
      const std::string_view all(batch);
      if (cut) {
        s = file_.write_all(all.substr(0, cut_at));
        if (s) s = file_.sync();
        if (s) s = open_segment(cut_revision);
        if (s) s = file_.write_all(all.substr(cut_at));
      } else {
        s = file_.write_all(all);
      }
      if (s && want_sync) {
        if (opts_.policy == fsync_policy::everysec && !cut && !stop) {
          full = file_.size() >= opts_.segment_bytes;  // read while the file is still ours
          // The once-a-second sync needs only the descriptor: inline writers may append meanwhile
          // instead of waiting out the fdatasync (it put milliseconds on the p99 of a PUT).
          // What was just written is acknowledged now, as an inline write would be.
          std::vector<waiter> written;
          lock.lock();
          writing_ = false;
          written_end_ = std::max(written_end_, batch_end);
          acked_end_ = written_end_;
          auto mid = std::partition(waiters_.begin(), waiters_.end(),
                                    [&](const waiter& w) { return failure_.ok() && w.ticket > acked_end_; });
          std::move(mid, waiters_.end(), std::back_inserter(written));
          waiters_.erase(mid, waiters_.end());
          const status outcome = failure_;
          lock.unlock();
          released = true;
          for (auto& w : written) w.done(outcome);
        }
        const auto t0 = clock_type::now();
        s = file_.sync();
        synced = true;
        sync_failed = !s;
        if (opts_.on_sync) opts_.on_sync(std::chrono::duration<double>(clock_type::now() - t0).count());
      }
      // Rotate by size at a batch boundary: the new segment starts after the last appended frame.
      // (Having let go of the file, the next pass rotates: see rotate_requested_ below.)
      if (s && !cut && !released && file_.size() >= opts_.segment_bytes) {
        if (!synced) s = file_.sync();
        synced = s.ok();
        if (s) s = open_segment(last_revision + 1);
      }
    }
    // Readers may now see what this sync made durable: before its waiters are answered (so an
    // answered write is readable) and before sync_now() returns (a snapshot copies it).
    if (s && synced && opts_.policy == fsync_policy::always)
      if (auto* l = listener_.load(std::memory_order_acquire)) l->durable_through(batch_end);

    std::vector<waiter> ready;
    lock.lock();
    if (!released) writing_ = false;
    else if (s && full) rotate_requested_ = true;
    if (!s) {
      // Resumable when the file is known good up to `before` and this batch is all that follows:
      // a failed write (the OS keeps what it accepted before), or a failed sync under always
      // (earlier passes synced everything before). Not across a cut, nor after a failed sync
      // under everysec or no, whose earlier written-but-unsynced batches are no longer held.
      const bool resumable = !cut && !released && (!sync_failed || opts_.policy == fsync_policy::always);
      fail(s, resumable ? std::optional<std::string>(std::move(batch)) : std::nullopt, before);
    }
    if (failure_.ok()) {
      stats_.bytes_written += batch.size();
      if (!batch.empty()) ++stats_.writes;
      // Inline writers may have written past this batch while the log thread synced.
      written_end_ = std::max(written_end_, batch_end);
      if (synced) {
        ++stats_.syncs;
        synced_end_ = batch_end;
        last_sync_ = clock_type::now();
      }
      acked_end_ = opts_.policy == fsync_policy::always ? synced_end_ : written_end_;
      growth_since_cut_ = cut ? batch.size() - cut_at : growth_since_cut_ + batch.size();
    }
    // Waiters complete in any order; partition keeps the rest.
    auto mid = std::partition(waiters_.begin(), waiters_.end(),
                              [&](const waiter& w) { return failure_.ok() && w.ticket > acked_end_; });
    std::move(mid, waiters_.end(), std::back_inserter(ready));
    waiters_.erase(mid, waiters_.end());
    const status outcome = failure_;
    const std::uint64_t growth = growth_since_cut_;
    synced_cv_.notify_all();
    lock.unlock();
    for (auto& w : ready) w.done(outcome);
    if (opts_.on_growth && !batch.empty()) opts_.on_growth(growth);
    lock.lock();
    if (stop && pending_.empty()) break;
  }
  stopped_ = true;
  synced_cv_.notify_all();
}

}  // namespace livekv::wal

#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "livekv/io/append_file.hpp"
#include "livekv/status.hpp"
#include "livekv/store/commit_log.hpp"
#include "livekv/wal/fsync_policy.hpp"

namespace livekv::wal {

struct log_stats {
  std::uint64_t appends = 0;        // commits appended
  std::uint64_t bytes_written = 0;  // since start
  std::uint64_t writes = 0;         // write(2) batches
  std::uint64_t syncs = 0;          // fdatasync calls
  std::uint64_t segment_bytes = 0;  // size of the segments on disk
  std::uint64_t segments = 0;
  bool failed = false;
  std::uint64_t failures = 0;       // times the log failed
  std::uint64_t resumes = 0;        // times it could be written again and writes resumed
};

// The append side of the write-ahead log. append() (on the committing thread, under the store's
// commit lock) only copies the encoded frame into a buffer; one log thread writes buffered frames
// in batches, syncs them per policy, rotates segments, and completes waiters. Thread-safe.
//
// Under everysec the thread waiting for its write (when_durable) writes the buffered frames itself
// when no one else is writing: handing each write to the log thread cost two context switches per
// request on a busy core (0.9 per PUT measured, ~40 % of the server's CPU). The log thread then
// only syncs once a second, cuts and rotates segments, and writes frames no one waits for.
// Under always the log thread writes and syncs when someone waits (when_durable), not per append,
// so that a waiter asking once for a batch of commits gets them all in one fdatasync.
// A failed write or fsync fails the log: appends and waiters get errc::read_only. When the file's
// state is known (see fail()) the log thread retries once a second and writes resume by themselves
// once the disk takes them again (a full disk that was given space); otherwise until restart.
class log_writer final : public store::commit_log {
 public:
  struct options {
    std::string dir;
    fsync_policy policy = fsync_policy::everysec;
    std::uint64_t segment_bytes = 64ull << 20;
    // Both run on the log thread, outside its lock; they must be quick and thread-safe.
    std::function<void(std::uint64_t bytes)> on_growth;  // log bytes since the last cut (for snapshots)
    std::function<void(double seconds)> on_sync;         // fsync latency (for metrics)
  };

  // Starts writing a new segment whose first revision is `next_revision`.
  static result<std::unique_ptr<log_writer>> open(options opts, std::uint64_t next_revision);
  ~log_writer() override;  // flushes, syncs and stops

  // Errors: errc::read_only once the log failed or closed; errc::value_too_large for a commit
  // that cannot fit one record (the config limits keep requests below that).
  result<std::uint64_t> append(const store::logged_commit& c) override;
  void when_durable(std::uint64_t ticket, std::function<void(status)> done) override;
  // Under always: readers see a commit once it is fsynced (the listener hears of each sync first).
  bool visible_when_durable() const noexcept override { return opts_.policy == fsync_policy::always; }
  void set_durability_listener(store::durability_listener* l) noexcept override;

  // Call under the store's commit lock (store::state_machine::checkpoint): frames appended after this call go
  // to a new segment whose first revision is `next_revision`.
  void cut(std::uint64_t next_revision);
  // Blocks until everything appended so far is written and fsynced. Errors: the log failed.
  status sync_now();
  // Flushes, syncs and stops the log thread; later appends fail. Idempotent.
  status close();

  log_stats stats() const;
  // True while the log is failed (writes refused). Cheap: for health checks.
  bool failed() const;
  fsync_policy policy() const noexcept { return opts_.policy; }

 private:
  struct waiter {
    std::uint64_t ticket;
    std::function<void(status)> done;
  };
  log_writer(options opts, io::append_file file);
  void run();
  // Under everysec: writes pending frames on the calling thread while no one else writes, then
  // completes the waiters it made durable. Called and returns with `lock` held.
  void write_inline(std::unique_lock<std::mutex>& lock);
  status open_segment(std::uint64_t first_revision);
  // Fails the log: appends are refused and waiters told. With `unwritten` (the frames of the
  // failed write, which follow the `good_size` bytes the file is known to hold) the failure is
  // resumable: the log thread retries them every probe_interval (try_resume).
  void fail(const status& s, std::optional<std::string> unwritten = std::nullopt, std::uint64_t good_size = 0);
  // Called on the log thread with `lock` held, while failed and resumable: truncates the file to
  // the good size, rewrites the retained and pending frames, syncs; on success the log works again.
  void try_resume(std::unique_lock<std::mutex>& lock);

  static constexpr std::chrono::seconds probe_interval{1};

  // Under --fsync no, how far appends may run ahead of the disk before they wait for their write.
  static constexpr std::size_t max_unwritten_bytes = 64u << 20;

  const options opts_;
  std::thread thread_;
  // Set once before commits are staged; read by the log thread after each sync.
  std::atomic<store::durability_listener*> listener_{nullptr};

  mutable std::mutex mutex_;  // guards everything below up to the log-thread-only members
  std::condition_variable wake_;        // the log thread waits on it
  std::condition_variable synced_cv_;   // sync_now() waits on it
  std::string pending_;                 // frames not yet handed to the log thread
  std::uint64_t appended_end_ = 0;      // logical offset after the last appended frame
  std::uint64_t written_end_ = 0;       // logical offset written to the OS
  std::uint64_t synced_end_ = 0;        // logical offset fsynced
  std::uint64_t acked_end_ = 0;         // what waiters may be told is durable, per policy
  std::vector<waiter> waiters_;
  bool cut_requested_ = false;
  std::size_t cut_at_ = 0;              // offset in pending_ where the new segment starts
  std::uint64_t cut_revision_ = 0;
  bool sync_requested_ = false;
  bool rotate_requested_ = false;       // an inline write filled the segment: the log thread rotates
  // file_ has one writer at a time: the log thread or an inline writer. Whoever sets writing_ owns
  // file_ until it clears it; the log thread, finding it set, says so (writer_wanted_) and waits.
  bool writing_ = false;
  bool writer_wanted_ = false;
  bool stopping_ = false;
  bool stopped_ = false;                // the log thread has exited
  status failure_;                      // non-ok while the log is failed
  bool resumable_ = false;              // ... and can resume (see fail())
  std::string retained_;                // the frames of the failed write, when resumable
  std::uint64_t good_size_ = 0;         // the file's size before them
  std::chrono::steady_clock::time_point next_probe_;  // when to try to resume next
  log_stats stats_;
  std::uint64_t growth_since_cut_ = 0;

  std::uint64_t last_revision_ = 0;     // of the last frame appended (names the next segment)

  std::string scratch_;  // encoding buffer; append() is only ever called by one thread at a time
  std::string inline_batch_;  // the frames an inline writer is writing (kept for its capacity)

  // Owned by the writer of the moment (see writing_).
  io::append_file file_;
  std::chrono::steady_clock::time_point last_sync_;
};


}  // namespace livekv::wal

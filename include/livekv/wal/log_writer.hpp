#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "livekv/io/append_file.hpp"
#include "livekv/status.hpp"
#include "livekv/store/commit_log.hpp"
#include "livekv/util/mutex.hpp"
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
  result<std::uint64_t> append(const store::logged_commit& c) override LIVEKV_EXCLUDES(mutex_);
  void when_durable(std::uint64_t ticket, std::function<void(status)> done) override LIVEKV_EXCLUDES(mutex_);
  // Under always: readers see a commit once it is fsynced (the listener hears of each sync first).
  bool visible_when_durable() const noexcept override { return opts_.policy == fsync_policy::always; }
  void set_durability_listener(store::durability_listener* l) noexcept override;

  // Call under the store's commit lock (store::state_machine::checkpoint): frames appended after this call go
  // to a new segment whose first revision is `next_revision`.
  void cut(std::uint64_t next_revision) LIVEKV_EXCLUDES(mutex_);
  // Blocks until everything appended so far is written and fsynced. Errors: the log failed.
  status sync_now() LIVEKV_EXCLUDES(mutex_);
  // Flushes, syncs and stops the log thread; later appends fail. Idempotent.
  status close() LIVEKV_EXCLUDES(mutex_);

  log_stats stats() const LIVEKV_EXCLUDES(mutex_);
  // True while the log is failed (writes refused). Cheap: for health checks.
  bool failed() const LIVEKV_EXCLUDES(mutex_);
  fsync_policy policy() const noexcept { return opts_.policy; }

 private:
  struct waiter {
    std::uint64_t ticket;
    std::function<void(status)> done;
  };

  // The log's state. Three parts, each guarded by mutex_ and changing only as drawn here; the
  // requests and offsets below are data, not state.
  //
  // phase_, the log's life. append() and inline writes stop at `stopping`; the log thread then
  // writes and syncs what is pending and exits, and sync_now() stops waiting at `stopped`.
  //   running --close()--> stopping --the log thread exits--> stopped
  enum class phase : std::uint8_t { running, stopping, stopped };
  //
  // turn_, who writes file_. Whoever holds the turn uses file_ without holding mutex_; nobody else
  // touches it. An inline writer (everysec) takes it only from `free` and only while the log thread
  // has nothing asked of it; the log thread (a pass, or try_resume) takes it from `free`, or asks
  // an inline writer for it and is handed it when that write ends.
  //   free --write_inline--> inline_writer --its write ends--> free
  //   inline_writer --the log thread needs the file--> log_thread_waiting   (no new inline write)
  //   log_thread_waiting --the inline write ends (the log thread is woken)--> log_thread
  //   free --a pass or try_resume starts--> log_thread --it ends, or an everysec pass lets go
  //                                                      of the file before its fdatasync--> free
  enum class file_turn : std::uint8_t { free, inline_writer, log_thread_waiting, log_thread };
  //
  // failure_ (with resumable_), the log's health: ok, or failed (failure_ says why; appends and
  // waiters get it). fail() goes from ok to failed; a failed log is resumable when the file is known
  // good up to good_size_ and retained_ holds every frame after it: then try_resume(), on the log
  // thread, goes back to ok. A second failure while failed may only make it unresumable.
  //   ok --fail()--> failed, resumable --try_resume() succeeds--> ok
  //   ok --fail()--> failed, not resumable (until restart)
  //   failed, resumable --fail() without the frames--> failed, not resumable

  // A store::state_machine::checkpoint: frames from `at` (an offset in pending_) on go to a new segment whose
  // first revision is `revision`.
  struct cut_point {
    std::size_t at = 0;
    std::uint64_t revision = 0;
  };
  // What the log thread is asked to do on its next pass (any combination); the pass that does it
  // clears it. While the log is failed, sync and cut are refused instead (sync_now() gets the failure).
  struct requests {
    bool sync = false;              // sync_now(): write and fdatasync everything appended
    bool rotate = false;            // an inline write or a resume filled the segment: start the next
    std::optional<cut_point> cut;   // cut()
  };

  // One pass of the log thread: what it took under the lock, then what came of writing it.
  struct pass {
    std::string batch;              // the frames taken from pending_
    std::uint64_t batch_end = 0;    // appended_end_ when they were taken
    std::optional<cut_point> cut;
    bool want_sync = false;
    bool stop = false;              // the last pass: close() asked
    std::uint64_t last_revision = 0;
    bool ok_so_far = false;         // the log had not failed when the pass began: write
    std::uint64_t before = 0;       // the file's size before this batch
    status outcome;
    bool synced = false;
    bool sync_failed = false;
    bool released = false;          // the turn was given up before the sync (everysec)
    bool full = false;              // then: the segment had reached its size, to be rotated next pass
  };

  log_writer(options opts, io::append_file file, std::uint64_t last_revision);

  // The log thread: waits for work, then runs passes until close().
  void run() LIVEKV_EXCLUDES(mutex_);
  // A pass is due now (the log thread's wake-up condition).
  bool has_work() const LIVEKV_REQUIRES(mutex_);
  // Under everysec: written frames have waited a second for their fdatasync.
  bool sync_due() const LIVEKV_REQUIRES(mutex_);
  // While the log is failed: waits for a request, or for the next probe and then tries to resume;
  // fails the syncs and cuts asked for meanwhile. True once the log works again.
  bool wait_while_failed() LIVEKV_REQUIRES(mutex_);
  // While the log works: waits for work, at most until a sync falls due or a second passes (for
  // frames no one waits for). True when there is a pass to run.
  bool wait_for_work() LIVEKV_REQUIRES(mutex_);
  // Takes the file (waiting out an inline writer) and this pass's frames and requests.
  pass begin_pass() LIVEKV_REQUIRES(mutex_);
  // Writes the pass's frames (across a cut), syncs per policy, rotates by size, and tells the
  // durability listener; without the lock except to let go of the file early (release_before_sync).
  void write_pass(pass& p) LIVEKV_REQUIRES(mutex_);
  // The file part of write_pass, on the thread that holds the turn, without the lock.
  void write_batch(pass& p);
  // Under everysec, before the once-a-second fdatasync: gives the file back to inline writers
  // and acknowledges what was just written, as an inline write would.
  void release_before_sync(pass& p) LIVEKV_REQUIRES(mutex_);
  // Records the pass's outcome: gives the file back, fails the log or counts the bytes and the
  // sync, and completes the waiters it made durable.
  void finish_pass(pass& p) LIVEKV_REQUIRES(mutex_);
  // Completes the waiters acked_end_ now covers (every waiter, with the failure, once the log has
  // failed): takes them out under the lock, then calls them and, when `report_growth`, on_growth
  // without it. Neither may throw (errors are values); if one does, the lock is held again.
  void complete_waiters(bool report_growth) LIVEKV_REQUIRES(mutex_);

  // Under everysec: writes pending frames on the calling thread while no one else writes, then
  // completes the waiters it made durable.
  void write_inline() LIVEKV_REQUIRES(mutex_);
  // On whoever holds the turn, without the lock.
  status open_segment(std::uint64_t first_revision);
  // Fails the log: appends are refused and waiters told. With `unwritten` (the frames of the
  // failed write, which follow the `good_size` bytes the file is known to hold) the failure is
  // resumable: the log thread retries them every probe_interval (try_resume).
  void fail(const status& s, std::optional<std::string> unwritten = std::nullopt, std::uint64_t good_size = 0)
      LIVEKV_REQUIRES(mutex_);
  // Called on the log thread while failed and resumable: truncates the file to the good size,
  // rewrites the retained and pending frames, syncs; on success the log works again.
  void try_resume() LIVEKV_REQUIRES(mutex_);

  static constexpr std::chrono::seconds probe_interval{1};

  // Under --fsync no, how far appends may run ahead of the disk before they wait for their write.
  static constexpr std::size_t max_unwritten_bytes = 64u << 20;

  const options opts_;
  std::thread thread_;
  // Set once before commits are staged; read by the log thread after each sync.
  std::atomic<store::durability_listener*> listener_{nullptr};

  mutable util::mutex mutex_;  // guards the state, requests and offsets below (not file_)
  util::condition_variable wake_;       // the log thread waits on it (for work, or for the turn)
  util::condition_variable synced_cv_;  // sync_now() waits on it
  phase phase_ LIVEKV_GUARDED_BY(mutex_) = phase::running;
  file_turn turn_ LIVEKV_GUARDED_BY(mutex_) = file_turn::free;
  status failure_ LIVEKV_GUARDED_BY(mutex_);          // non-ok while the log is failed
  bool resumable_ LIVEKV_GUARDED_BY(mutex_) = false;  // ... and can resume (see fail())
  requests requests_ LIVEKV_GUARDED_BY(mutex_);
  std::string pending_ LIVEKV_GUARDED_BY(mutex_);                // frames not yet handed to a writer
  std::uint64_t appended_end_ LIVEKV_GUARDED_BY(mutex_) = 0;     // logical offset after the last appended frame
  std::uint64_t written_end_ LIVEKV_GUARDED_BY(mutex_) = 0;      // logical offset written to the OS
  std::uint64_t synced_end_ LIVEKV_GUARDED_BY(mutex_) = 0;       // logical offset fsynced
  std::uint64_t acked_end_ LIVEKV_GUARDED_BY(mutex_) = 0;        // what waiters may be told is durable, per policy
  std::vector<waiter> waiters_ LIVEKV_GUARDED_BY(mutex_);
  std::string retained_ LIVEKV_GUARDED_BY(mutex_);               // the frames of the failed write, when resumable
  std::uint64_t good_size_ LIVEKV_GUARDED_BY(mutex_) = 0;        // the file's size before them
  std::chrono::steady_clock::time_point next_probe_ LIVEKV_GUARDED_BY(mutex_);  // when to try to resume next
  std::chrono::steady_clock::time_point last_sync_ LIVEKV_GUARDED_BY(mutex_);   // of the last fdatasync
  log_stats stats_ LIVEKV_GUARDED_BY(mutex_);
  std::uint64_t growth_since_cut_ LIVEKV_GUARDED_BY(mutex_) = 0;
  std::uint64_t last_revision_ LIVEKV_GUARDED_BY(mutex_);        // of the last frame appended (names the next segment)

  std::string scratch_;  // encoding buffer; append() is only ever called by one thread at a time
  // Owned by whoever holds the turn (see turn_), used without the lock: the analysis cannot check
  // that, the turn protocol does.
  std::string inline_batch_;  // the frames an inline writer is writing (kept for its capacity)
  io::append_file file_;
};


}  // namespace livekv::wal

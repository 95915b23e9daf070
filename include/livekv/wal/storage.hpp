#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/state_machine.hpp"
#include "livekv/util/mutex.hpp"
#include "livekv/wal/log_writer.hpp"
#include "livekv/wal/recovery.hpp"
#include "livekv/wal/snapshot.hpp"

namespace livekv::wal {

struct storage_options {
  std::string dir;
  fsync_policy policy = fsync_policy::everysec;
  std::uint64_t snapshot_log_bytes = 64ull << 20;
  std::uint64_t segment_bytes = 64ull << 20;
  bool repair = false;
  std::optional<std::uint64_t> discard_epoch;  // --discard-data EPOCH; see recover()
  std::function<void(double seconds)> on_fsync;     // each fdatasync of the log (metrics)
  std::function<void(double seconds)> on_snapshot;  // each snapshot written (metrics)
};

struct storage_status {
  fsync_policy policy = fsync_policy::everysec;
  log_stats log;
  std::optional<snapshot_info> last_snapshot;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshot_failures = 0;
  bool snapshot_running = false;
  recovery_report recovery;
};

// Everything on disk for one store: recovery at open, the write-ahead log attached to the store,
// and snapshots (when the log has grown past max(snapshot_log_bytes, last snapshot's size), or on
// request) on a thread of their own that also deletes the log segments a snapshot made obsolete.
// Thread-safe. The store must outlive it.
class storage {
 public:
  storage(store::state_machine& store, storage_options opts);
  ~storage();  // close()

  // Creates the directory, recovers the store from it, opens a new log segment and attaches the
  // log to the store. Once per object. Errors: unreadable directory, damage (see recover()), disk errors.
  result<recovery_report> open() LIVEKV_EXCLUDES(mutex_);
  // Writes and fsyncs everything committed so far. Errors: the log failed.
  status sync() LIVEKV_EXCLUDES(mutex_);
  // Takes a snapshot soon; `done` (may be empty) gets the outcome, on the snapshot thread.
  void request_snapshot(std::function<void(result<snapshot_info>)> done) LIVEKV_EXCLUDES(mutex_);
  // Stops snapshots, detaches the log from the store, flushes and fsyncs it. Idempotent.
  status close() LIVEKV_EXCLUDES(mutex_);
  storage_status report() const LIVEKV_EXCLUDES(mutex_);
  // True while the log is failed and writes are refused (cheap: no directory listing).
  bool read_only() const LIVEKV_EXCLUDES(mutex_);

 private:
  void snapshot_loop() LIVEKV_EXCLUDES(mutex_);
  result<snapshot_info> take_snapshot() LIVEKV_EXCLUDES(mutex_);
  void on_log_growth(std::uint64_t bytes) LIVEKV_EXCLUDES(mutex_);
  // log_, read under the lock; null before open(). Once set, the writer lives as long as the
  // storage, so the pointer may be used after the lock is let go.
  log_writer* current_log() const LIVEKV_EXCLUDES(mutex_);

  store::state_machine& store_;
  const storage_options opts_;
  std::thread snapshot_thread_;

  mutable util::mutex mutex_;  // guards log_ (the pointer, not the writer) and the members below
  // Set once by open(); the snapshot thread starts after.
  std::unique_ptr<log_writer> log_ LIVEKV_GUARDED_BY(mutex_);
  util::condition_variable wake_;  // the snapshot thread waits on it for requested_ or stopping_
  bool requested_ LIVEKV_GUARDED_BY(mutex_) = false;
  bool running_ LIVEKV_GUARDED_BY(mutex_) = false;
  bool stopping_ LIVEKV_GUARDED_BY(mutex_) = false;
  std::vector<std::function<void(result<snapshot_info>)>> waiting_ LIVEKV_GUARDED_BY(mutex_);
  std::optional<snapshot_info> last_ LIVEKV_GUARDED_BY(mutex_);
  std::uint64_t taken_ LIVEKV_GUARDED_BY(mutex_) = 0;
  std::uint64_t failures_ LIVEKV_GUARDED_BY(mutex_) = 0;
  recovery_report recovery_ LIVEKV_GUARDED_BY(mutex_);
};

}  // namespace livekv::wal

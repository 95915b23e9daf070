#pragma once
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "livekv/status.hpp"
#include "livekv/store/state_machine.hpp"
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
  result<recovery_report> open();
  // Writes and fsyncs everything committed so far. Errors: the log failed.
  status sync();
  // Takes a snapshot soon; `done` (may be empty) gets the outcome, on the snapshot thread.
  void request_snapshot(std::function<void(result<snapshot_info>)> done);
  // Stops snapshots, detaches the log from the store, flushes and fsyncs it. Idempotent.
  status close();
  storage_status report() const;
  // True while the log is failed and writes are refused (cheap: no directory listing).
  bool read_only() const;

 private:
  void snapshot_loop();
  result<snapshot_info> take_snapshot();
  void on_log_growth(std::uint64_t bytes);

  store::state_machine& store_;
  const storage_options opts_;
  std::thread snapshot_thread_;

  mutable std::mutex mutex_;  // guards log_ (the pointer, not the writer) and the members below
  std::unique_ptr<log_writer> log_;  // set once by open(); the snapshot thread starts after
  std::condition_variable wake_;
  bool requested_ = false;
  bool running_ = false;
  bool stopping_ = false;
  std::vector<std::function<void(result<snapshot_info>)>> waiting_;
  std::optional<snapshot_info> last_;
  std::uint64_t taken_ = 0;
  std::uint64_t failures_ = 0;
  recovery_report recovery_;
};

}  // namespace livekv::wal

#include "livekv/wal/storage.hpp"

#include <filesystem>
#include <spdlog/spdlog.h>

#include "livekv/wal/data_dir.hpp"
#include "livekv/wal/file_names.hpp"

namespace livekv::wal {

namespace fs = std::filesystem;

storage::storage(store::state_machine& store, storage_options opts) : store_(store), opts_(std::move(opts)) {}

storage::~storage() { (void)close(); }

result<recovery_report> storage::open() {
  {
    util::lock_guard lock(mutex_);
    if (log_ || stopping_) return status(errc::internal, "a storage is opened once");
  }
  std::error_code ec;
  fs::create_directories(opts_.dir, ec);
  if (ec) return status(errc::internal, "cannot create the data directory " + opts_.dir + ": " + ec.message());
  // A snapshot interrupted by a crash leaves its temporary file behind; it was never published.
  for (const auto& path : list_data_files(opts_.dir).temporaries) {
    std::error_code rm;
    fs::remove(path, rm);
  }

  auto rep = recover(store_, opts_.dir, {opts_.repair, opts_.discard_epoch});
  if (!rep) return rep;
  log_writer::options lo;
  lo.dir = opts_.dir;
  lo.policy = opts_.policy;
  lo.segment_bytes = opts_.segment_bytes;
  lo.on_growth = [this](std::uint64_t bytes) { on_log_growth(bytes); };
  lo.on_sync = opts_.on_fsync;
  auto log = log_writer::open(lo, store_.revision() + 1);
  if (!log) return log.error();
  store_.attach_log(log->get());
  {
    util::lock_guard lock(mutex_);
    // Under the lock: /status and /metrics read log_ from io threads while recovery runs.
    log_ = std::move(*log);
    recovery_ = *rep;
    if (rep->snapshot_written) {
      last_ = rep->snapshot_written;
    } else if (rep->snapshot_revision != 0) {
      snapshot_info s;
      s.start_revision = rep->snapshot_revision;
      s.entries = rep->snapshot_entries;
      last_ = s;
    }
  }
  snapshot_thread_ = std::thread([this] { snapshot_loop(); });
  return rep;
}

log_writer* storage::current_log() const {
  util::lock_guard lock(mutex_);
  return log_.get();
}

status storage::sync() {
  log_writer* const log = current_log();
  if (!log) return status(errc::internal, "storage is not open");
  return log->sync_now();
}

void storage::on_log_growth(std::uint64_t bytes) {
  util::lock_guard lock(mutex_);
  const std::uint64_t threshold = std::max(opts_.snapshot_log_bytes, last_ ? last_->bytes : 0);
  if (bytes < threshold || requested_ || running_) return;
  requested_ = true;
  wake_.notify_one();
}

void storage::request_snapshot(std::function<void(result<snapshot_info>)> done) {
  util::lock_guard lock(mutex_);
  if (stopping_ || !log_) {
    if (done) done(status(errc::draining, "storage is closed"));
    return;
  }
  if (done) waiting_.push_back(std::move(done));
  requested_ = true;
  wake_.notify_one();
}

void storage::snapshot_loop() {
  util::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(mutex_, [&]() LIVEKV_REQUIRES(mutex_) { return requested_ || stopping_; });
    if (stopping_) break;
    requested_ = false;
    running_ = true;
    auto waiters = std::move(waiting_);
    waiting_.clear();
    lock.unlock();
    auto outcome = take_snapshot();
    if (outcome && opts_.on_snapshot) opts_.on_snapshot(outcome->seconds);
    if (outcome)
      spdlog::info("snapshot at revision {}..{}: {} keys, {} bytes in {:.3f}s", outcome->start_revision,
                   outcome->end_revision, outcome->entries, outcome->bytes, outcome->seconds);
    else
      spdlog::error("snapshot failed: {}", outcome.error().message());
    lock.lock();
    running_ = false;
    if (outcome) {
      last_ = *outcome;
      ++taken_;
    } else {
      ++failures_;
    }
    lock.unlock();
    for (auto& w : waiters) w(outcome);
    lock.lock();
  }
  for (auto& w : waiting_) w(status(errc::draining, "the server is shutting down"));
  waiting_.clear();
}

result<snapshot_info> storage::take_snapshot() {
  log_writer* const log = current_log();  // set: the snapshot thread starts after open() set it
  std::uint64_t start = 0;
  store_.checkpoint([&](std::uint64_t revision) {
    start = revision;
    log->cut(revision + 1);
  });
  // Under --fsync always commits up to `start` may still be staged (not yet in the maps the
  // snapshot copies); a sync installs them, and the log segments holding them are deleted below.
  if (log->visible_when_durable())
    if (auto s = log->sync_now(); !s) return s;
  auto info = write_snapshot(store_, opts_.dir, start, [&] { return log->sync_now(); });
  std::error_code ec;
  if (!info) {
    fs::remove(fs::path(opts_.dir) / (snapshot_name(start) + ".tmp"), ec);
    return info;
  }
  // Everything at or before `start` is in the snapshot; the cut put every later commit in
  // segments that start after it.
  const data_files files = list_data_files(opts_.dir);
  for (const auto& [rev, path] : files.segments)
    if (rev <= start) fs::remove(path, ec);
  for (const auto& [rev, path] : files.snapshots)
    if (rev < start) fs::remove(path, ec);
  if (auto s = io::fsync_dir(opts_.dir); !s) spdlog::warn("{}", s.message());
  return info;
}

status storage::close() {
  {
    util::lock_guard lock(mutex_);
    if (stopping_) return status::success();
    stopping_ = true;
  }
  wake_.notify_all();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  log_writer* const log = current_log();
  if (!log) return status::success();
  store_.attach_log(nullptr);
  return log->close();
}

bool storage::read_only() const {
  log_writer* const log = current_log();
  return log && log->failed();
}

storage_status storage::report() const {
  storage_status s;
  s.policy = opts_.policy;
  log_writer* const log = current_log();
  // Once set, log_ lives until the storage is destroyed; stats() lists the directory, so it runs
  // outside the lock.
  if (log) s.log = log->stats();
  util::lock_guard lock(mutex_);
  s.last_snapshot = last_;
  s.snapshots_taken = taken_;
  s.snapshot_failures = failures_;
  s.snapshot_running = running_;
  s.recovery = recovery_;
  return s;
}

}  // namespace livekv::wal

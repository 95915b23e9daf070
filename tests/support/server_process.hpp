#pragma once
// Starts the real `livekv` binary as a child process, the way a user would, and controls its life:
// start (and restart on the same data directory), SIGTERM with a bounded wait, SIGKILL, and a
// destructor that never leaves a process behind.
#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"

namespace livekv::test {

// Extra environment variables for the child, on top of the test process's own environment. Any
// LIVEKV_* variable of the test process is dropped first, so a developer's shell cannot change
// what a test sees.
using env_vars = std::vector<std::pair<std::string, std::string>>;

// Generous enough for ASan/TSan builds on a loaded two-core machine; only a hang ever waits it out.
inline constexpr std::chrono::milliseconds default_process_timeout{20'000};

// How a child process ended (or that it did not end in time).
struct exit_status {
  enum class kind { exited, signaled, timed_out, not_running };
  kind how = kind::not_running;
  int value = 0;  // exit code for `exited`, signal number for `signaled`

  bool exited_with(int code) const noexcept { return how == kind::exited && value == code; }
  bool killed_by(int sig) const noexcept { return how == kind::signaled && value == sig; }
  std::string describe() const;
};
std::ostream& operator<<(std::ostream& os, const exit_status& s);

struct command_output {
  exit_status status;
  std::string out;  // everything the process wrote to stdout
  std::string err;  // everything it wrote to stderr
};

// Runs LIVEKV_BINARY with exactly `args` (nothing is added) until it exits, for flags that make it
// exit at once (--help, --version, a bad flag). A process still running after `timeout` is killed
// and reported as timed_out.
command_output run_livekv(const std::vector<std::string>& args, const env_vars& env = {},
                          std::chrono::milliseconds timeout = default_process_timeout);

// Runs another program (found on PATH unless `name` holds a '/'; curl, openssl) with `args` until
// it exits, like run_livekv. A program not found gives status not_running and says so in `err`.
command_output run_program(const std::string& name, const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout = default_process_timeout);

// One server process at a time, restartable. Unless `args` already name them, every start adds
// `--host 127.0.0.1 --port 0` and `--data-dir <own temp dir>/data`; the data directory (and so the
// data) survives restarts and is removed with this object. The child's stderr goes to a file in
// the temp dir (appended across restarts) and is printed when the current test has failed.
// Not thread-safe: one thread (the test's) drives it. The child is killed if the test process dies
// (PR_SET_PDEATHSIG), so a crashed test run leaves no server behind.
class server_process {
 public:
  explicit server_process(std::vector<std::string> args = {}, env_vars env = {});
  ~server_process();
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // Starts the binary and waits (bounded) for its `livekv listening on http[s]://HOST:PORT` line.
  // Fails, with the process's stderr in the message, if it exits or stays silent instead.
  // Precondition: not running.
  [[nodiscard]] testing::AssertionResult start(std::chrono::milliseconds timeout = default_process_timeout);

  // SIGTERM, then wait up to `timeout` for the exit. If it does not exit in time the process is
  // killed with SIGKILL and the result is timed_out. Precondition: started since the last exit.
  exit_status terminate(std::chrono::milliseconds timeout = default_process_timeout);
  // SIGKILL and reap: a crash as far as the data directory is concerned. not_running if it was not.
  exit_status kill9();
  // Sends `sig` without waiting; false if the process is not running.
  bool send_signal(int sig) const;
  // Waits up to `timeout` for the process to exit by itself; timed_out leaves it running,
  // not_running if there was no process.
  exit_status wait_for_exit(std::chrono::milliseconds timeout);

  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }
  // The port the running server listens on (from its stdout line); 0 before the first start.
  std::uint16_t port() const noexcept { return port_; }
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }
  const std::filesystem::path& stderr_path() const noexcept { return stderr_path_; }
  // Everything the process (all its runs) wrote to stderr so far.
  std::string stderr_text() const;

 private:
  std::vector<std::string> full_args() const;
  exit_status reap(std::chrono::milliseconds timeout);
  void close_fds() noexcept;

  std::vector<std::string> args_;
  env_vars env_;
  temp_dir dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path stderr_path_;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;  // read end of the child's stdout pipe
  int pidfd_ = -1;      // pidfd of the child, -1 where the kernel lacks pidfd_open
  std::uint16_t port_ = 0;
  int failed_tests_at_start_ = 0;
};

}  // namespace livekv::test

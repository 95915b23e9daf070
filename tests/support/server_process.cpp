#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

namespace livekv::test {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view listening_prefix = "livekv listening on http";  // http:// or https://
// Enough of a failed server's stderr to explain it without flooding the test log.
constexpr std::size_t max_stderr_in_message = 16 * 1024;

int millis_until(clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<milliseconds>(deadline - clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 60'000));
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

std::string tail(const std::string& s) {
  if (s.size() <= max_stderr_in_message) return s;
  return "[... " + std::to_string(s.size() - max_stderr_in_message) + " bytes cut ...]\n" +
         s.substr(s.size() - max_stderr_in_message);
}

// The child's environment: ours without LIVEKV_* (a developer's shell must not change what a test
// sees) and without the variables the test sets, followed by those.
std::vector<std::string> child_environment(const env_vars& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const auto name = kv.substr(0, kv.find('='));
    if (name.starts_with("LIVEKV_")) continue;
    if (std::any_of(extra.begin(), extra.end(), [&](const auto& p) { return p.first == name; })) continue;
    out.emplace_back(kv);
  }
  for (const auto& [name, value] : extra) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_array(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct child {
  pid_t pid = -1;
  int stdout_fd = -1;
  int pidfd = -1;
  std::string error;  // why spawning failed, when pid is -1
};

// fork + execve of `program` (a path) with stdin from /dev/null, stdout into a pipe we read and stderr
// onto `stderr_fd`. Everything the child needs is prepared before fork(): after it, in a
// multi-threaded parent, only async-signal-safe calls are allowed.
child spawn(const std::string& program, const std::vector<std::string>& args, const env_vars& env, int stderr_fd) {
  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = child_environment(env);
  std::vector<char*> argv = c_array(argv_strings);
  std::vector<char*> envp = c_array(env_strings);

  child c;
  std::array<int, 2> out{-1, -1};
  if (::pipe2(out.data(), O_CLOEXEC) != 0) {
    c.error = std::string("pipe2: ") + std::strerror(errno);
    return c;
  }
  const int dev_null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (dev_null >= 0) ::dup2(dev_null, STDIN_FILENO);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(stderr_fd, STDERR_FILENO);
    // Sockets of earlier tests must not live on in the server: a client's close would go unseen.
    ::close_range(3, ~0U, 0);
    // Signal mask and ignored signals survive exec; the server must get SIGTERM like from a shell.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test process died before prctl took effect
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  if (dev_null >= 0) ::close(dev_null);
  ::close(out[1]);
  if (pid < 0) {
    ::close(out[0]);
    c.error = std::string("fork: ") + std::strerror(fork_errno);
    return c;
  }
  c.pid = pid;
  c.stdout_fd = out[0];
  // A pidfd lets us poll() for the exit instead of napping between waitpid(WNOHANG) calls.
  c.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  return c;
}

exit_status decode_wait_status(int st) {
  if (WIFEXITED(st)) return {exit_status::kind::exited, WEXITSTATUS(st)};
  if (WIFSIGNALED(st)) return {exit_status::kind::signaled, WTERMSIG(st)};
  return {exit_status::kind::exited, -1};
}

// Waits until `pid` exits or `deadline` passes; nullopt on timeout (the child is left running).
std::optional<exit_status> wait_exit(pid_t pid, int pidfd, clock::time_point deadline) {
  for (;;) {
    int st = 0;
    const pid_t r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) return decode_wait_status(st);
    if (r < 0 && errno != EINTR) return exit_status{exit_status::kind::exited, -1};  // not our child
    if (clock::now() >= deadline) return std::nullopt;
    if (pidfd >= 0) {
      pollfd p{pidfd, POLLIN, 0};
      ::poll(&p, 1, millis_until(deadline));
    } else {
      // Old kernels without pidfd_open: a short nap between checks, still bounded by the deadline.
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool names_flag(const std::vector<std::string>& args, std::string_view flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& a) {
    return a == flag || (a.starts_with(flag) && a.size() > flag.size() && a[flag.size()] == '=');
  });
}

}  // namespace

std::string exit_status::describe() const {
  switch (how) {
    case kind::exited:
      return "exited with code " + std::to_string(value);
    case kind::signaled:
      return "killed by signal " + std::to_string(value) + " (" + ::strsignal(value) + ")";
    case kind::timed_out:
      return "did not exit in time";
    case kind::not_running:
      return "was not running";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& os, const exit_status& s) { return os << s.describe(); }

namespace {

// Runs `program` with `args` to its exit (or kills it at `timeout`), collecting its output.
command_output run_to_exit(const std::string& program, const std::vector<std::string>& args, const env_vars& env,
                           milliseconds timeout) {
  command_output result;
  std::array<int, 2> err{-1, -1};
  if (::pipe2(err.data(), O_CLOEXEC) != 0) {
    result.err = std::string("pipe2: ") + std::strerror(errno);
    return result;
  }
  child c = spawn(program, args, env, err[1]);
  ::close(err[1]);
  if (c.pid < 0) {
    ::close(err[0]);
    result.err = c.error;
    return result;
  }
  const auto deadline = clock::now() + timeout;
  // Read both pipes to their end so a chatty child never blocks on a full pipe.
  std::array<pollfd, 2> fds{pollfd{c.stdout_fd, POLLIN, 0}, pollfd{err[0], POLLIN, 0}};
  std::array<std::string*, 2> sinks{&result.out, &result.err};
  int open_pipes = 2;
  while (open_pipes > 0 && clock::now() < deadline) {
    if (::poll(fds.data(), fds.size(), millis_until(deadline)) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;  // poll() ignores negative descriptors
        --open_pipes;
      }
    }
  }
  for (auto& p : fds) close_fd(p.fd);
  if (auto st = wait_exit(c.pid, c.pidfd, deadline)) {
    result.status = *st;
  } else {
    ::kill(c.pid, SIGKILL);
    wait_exit(c.pid, c.pidfd, clock::now() + timeout);
    result.status = {exit_status::kind::timed_out, 0};
  }
  close_fd(c.pidfd);
  return result;
}

}  // namespace

command_output run_livekv(const std::vector<std::string>& args, const env_vars& env, milliseconds timeout) {
  return run_to_exit(LIVEKV_BINARY, args, env, timeout);
}

command_output run_program(const std::string& name, const std::vector<std::string>& args, milliseconds timeout) {
  // Looked up here, before fork(): the child may only call async-signal-safe functions.
  std::string path = name;
  if (name.find('/') == std::string::npos) {
    const char* search = std::getenv("PATH");
    std::string_view dirs = search ? search : "/usr/bin:/bin";
    path.clear();
    while (!dirs.empty()) {
      const auto colon = dirs.find(':');
      const auto candidate = std::filesystem::path(dirs.substr(0, colon)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        path = candidate.string();
        break;
      }
      dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
    }
    if (path.empty()) {
      command_output missing;
      missing.err = name + ": not found on PATH";
      return missing;
    }
  }
  return run_to_exit(path, args, {}, timeout);
}

server_process::server_process(std::vector<std::string> args, env_vars env)
    : args_(std::move(args)),
      env_(std::move(env)),
      data_dir_(dir_ / "data"),
      stderr_path_(dir_ / "stderr.log") {
  std::filesystem::create_directories(data_dir_);
}

server_process::~server_process() {
  if (running()) kill9();
  const auto* unit = testing::UnitTest::GetInstance();
  if (testing::Test::HasFailure() || unit->failed_test_count() > failed_tests_at_start_) {
    std::cerr << "---- livekv stderr (" << stderr_path_.string() << ") ----\n"
              << tail(stderr_text()) << "---- end of livekv stderr ----\n";
  }
}

std::vector<std::string> server_process::full_args() const {
  std::vector<std::string> out;
  if (!names_flag(args_, "--host")) out.insert(out.end(), {"--host", "127.0.0.1"});
  if (!names_flag(args_, "--port")) out.insert(out.end(), {"--port", "0"});
  if (!names_flag(args_, "--data-dir")) out.insert(out.end(), {"--data-dir", data_dir_.string()});
  out.insert(out.end(), args_.begin(), args_.end());
  return out;
}

testing::AssertionResult server_process::start(milliseconds timeout) {
  if (running()) return testing::AssertionFailure() << "start(): the server is already running";
  failed_tests_at_start_ = testing::UnitTest::GetInstance()->failed_test_count();
  const int err_fd = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (err_fd < 0) return testing::AssertionFailure() << "cannot open " << stderr_path_ << ": " << std::strerror(errno);
  child c = spawn(LIVEKV_BINARY, full_args(), env_, err_fd);
  ::close(err_fd);
  if (c.pid < 0) return testing::AssertionFailure() << "cannot start " << LIVEKV_BINARY << ": " << c.error;
  pid_ = c.pid;
  stdout_fd_ = c.stdout_fd;
  pidfd_ = c.pidfd;

  const auto deadline = clock::now() + timeout;
  std::string out;
  for (;;) {
    // Lines before the listening line (none today) are skipped, not treated as errors.
    for (auto nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n')) {
      const std::string line = out.substr(0, nl);
      out.erase(0, nl + 1);
      if (!line.starts_with(listening_prefix)) continue;
      const auto colon = line.rfind(':');
      unsigned port = 0;
      const auto* first = line.data() + colon + 1;
      const auto* last = line.data() + line.size();
      if (auto [p, ec] = std::from_chars(first, last, port); ec == std::errc{} && p == last && port > 0 &&
                                                             port <= 65535) {
        port_ = static_cast<std::uint16_t>(port);
        return testing::AssertionSuccess();
      }
      kill9();
      return testing::AssertionFailure() << "cannot read the port from the line '" << line << "'";
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, millis_until(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      kill9();
      return testing::AssertionFailure() << "livekv printed no listening line within " << timeout.count()
                                         << " ms; stderr:\n" << tail(stderr_text());
    }
    char buf[1024];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const exit_status st = reap(milliseconds(5'000));
      if (running()) kill9();
      return testing::AssertionFailure() << "livekv " << st << " before listening; stdout: '" << out
                                         << "'; stderr:\n" << tail(stderr_text());
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

bool server_process::send_signal(int sig) const { return running() && ::kill(pid_, sig) == 0; }

exit_status server_process::terminate(milliseconds timeout) {
  if (!running()) {
    ADD_FAILURE() << "terminate(): the server is not running";
    return {};
  }
  ::kill(pid_, SIGTERM);
  const exit_status st = reap(timeout);
  if (st.how != exit_status::kind::timed_out) return st;
  kill9();
  return st;
}

exit_status server_process::kill9() {
  if (!running()) return {};
  ::kill(pid_, SIGKILL);
  // SIGKILL cannot be caught; the bound only guards against a kernel that never reports it.
  return reap(default_process_timeout);
}

exit_status server_process::wait_for_exit(milliseconds timeout) {
  if (!running()) return {};
  return reap(timeout);
}

exit_status server_process::reap(milliseconds timeout) {
  const auto st = wait_exit(pid_, pidfd_, clock::now() + timeout);
  if (!st) return {exit_status::kind::timed_out, 0};
  pid_ = -1;
  close_fds();
  return *st;
}

void server_process::close_fds() noexcept {
  close_fd(stdout_fd_);
  close_fd(pidfd_);
}

std::string server_process::stderr_text() const { return read_file(stderr_path_); }

}  // namespace livekv::test

// The sd_notify protocol, as systemd's Type=notify unit sees it: the test binds the datagram socket
// systemd would and passes it in NOTIFY_SOCKET. READY=1 comes once the server serves, RELOADING=1
// then READY=1 around a SIGHUP, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1 on SIGTERM.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace livekv::test {
namespace {

// The receiving end of NOTIFY_SOCKET: every datagram the server sends, in order.
class notify_socket {
 public:
  explicit notify_socket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~notify_socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool bound() const { return bound_; }
  const std::filesystem::path& path() const { return path_; }

  // Reads datagrams until one contains `needle` (returned), or "" after `timeout`.
  std::string wait_for(const std::string& needle, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      std::string msg(buf, static_cast<std::size_t>(n));
      received.push_back(msg);
      if (msg.find(needle) != std::string::npos) return msg;
    }
    return {};
  }

  std::vector<std::string> received;

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(service_notify_test, ready_reloading_watchdog_and_stopping_reach_the_service_manager) {
  temp_dir dir;
  notify_socket sock(dir / "notify");
  ASSERT_TRUE(sock.bound()) << std::strerror(errno);
  server_process server({}, {{"NOTIFY_SOCKET", sock.path().string()}, {"WATCHDOG_USEC", "200000"}});
  ASSERT_TRUE(server.start());

  const auto ready = sock.wait_for("READY=1");
  ASSERT_FALSE(ready.empty()) << "no READY=1";
  EXPECT_NE(ready.find("STATUS=serving http://127.0.0.1:" + std::to_string(server.port())), std::string::npos) << ready;
  // Ready means serving: the store answers at once.
  http_client c(server.port());
  EXPECT_EQ(c.get("/readyz").status, 200);

  // WATCHDOG_USEC 200 ms: pets every 100 ms. Three in a row prove the timer repeats.
  for (int i = 0; i < 3; ++i) ASSERT_FALSE(sock.wait_for("WATCHDOG=1").empty()) << "watchdog ping " << i;

  ASSERT_TRUE(server.send_signal(SIGHUP));
  ASSERT_FALSE(sock.wait_for("RELOADING=1").empty());
  const auto reloaded = sock.wait_for("READY=1");
  EXPECT_NE(reloaded.find("reloaded"), std::string::npos) << reloaded;

  ASSERT_TRUE(server.send_signal(SIGTERM));
  EXPECT_FALSE(sock.wait_for("STOPPING=1").empty());
  EXPECT_TRUE(server.wait_for_exit(default_process_timeout).exited_with(0));
}

TEST(service_notify_test, without_notify_socket_nothing_is_sent_and_nothing_breaks) {
  // The server as a shell starts it: no NOTIFY_SOCKET, WATCHDOG_USEC ignored without it.
  server_process server({}, {{"WATCHDOG_USEC", "100000"}});
  ASSERT_TRUE(server.start());
  http_client c(server.port());
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

}  // namespace
}  // namespace livekv::test

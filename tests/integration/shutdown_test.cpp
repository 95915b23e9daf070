// Graceful shutdown: SIGTERM and SIGINT close idle connections, let a request in flight finish,
// turn /readyz to 503, and end the process with exit code 0. Also: a stopped server starts again on
// the same data directory.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"

namespace livekv::test {
namespace {

class shutdown_test : public server_test {
 protected:
  // Opens a connection, completes one request on it and leaves it idle in keep-alive.
  std::unique_ptr<raw_socket> idle_connection() {
    auto sock = std::make_unique<raw_socket>(server_.port());
    EXPECT_TRUE(sock->connected()) << sock->error();
    EXPECT_TRUE(sock->send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
    const auto res = sock->read_response();
    EXPECT_EQ(res.status, 200) << res;
    EXPECT_TRUE(res.keep_alive);
    return sock;
  }

  // Starts a request whose head has been accepted (the server sent 100 Continue) but whose body
  // has not been sent: a request provably in flight when the signal arrives.
  std::unique_ptr<raw_socket> request_in_flight(const std::string& head) {
    auto sock = std::make_unique<raw_socket>(server_.port());
    EXPECT_TRUE(sock->connected()) << sock->error();
    EXPECT_TRUE(sock->send(head));
    const auto interim = sock->read_response();
    EXPECT_EQ(interim.status, 100) << interim;
    return sock;
  }
};

TEST_F(shutdown_test, sigterm_with_an_idle_keep_alive_connection_exits_zero) {
  auto idle = idle_connection();
  ASSERT_TRUE(server_.send_signal(SIGTERM));
  EXPECT_TRUE(idle->read_until_close().closed) << "the idle connection is closed by the drain";
  const auto st = server_.wait_for_exit(default_process_timeout);
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st;
}

TEST_F(shutdown_test, sigint_exits_zero) {
  ASSERT_EQ(client().get("/healthz").status, 200);
  ASSERT_TRUE(server_.send_signal(SIGINT));
  const auto st = server_.wait_for_exit(default_process_timeout);
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st;
}

TEST_F(shutdown_test, a_request_in_flight_completes_during_shutdown_with_connection_close) {
  auto idle = idle_connection();
  auto busy = request_in_flight(
      "PUT /v1/kv/last HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(server_.send_signal(SIGTERM));
  // The idle connection closing proves the drain has begun before the body is sent.
  ASSERT_TRUE(idle->read_until_close().closed);
  ASSERT_TRUE(busy->send("done"));
  const auto res = busy->read_response();
  EXPECT_EQ(res.status, 201) << res;
  EXPECT_FALSE(res.keep_alive) << "a draining server closes after the answer";
  EXPECT_TRUE(busy->read_until_close().closed);
  const auto st = server_.wait_for_exit(default_process_timeout);
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st;
}

TEST_F(shutdown_test, readyz_answers_503_draining_once_shutdown_has_begun) {
  auto idle = idle_connection();
  // A GET with a one-byte body and Expect: 100-continue is the one way to hold a /readyz request
  // open across the signal: idle connections are closed by the drain, busy ones are not.
  auto busy = request_in_flight(
      "GET /readyz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(server_.send_signal(SIGTERM));
  ASSERT_TRUE(idle->read_until_close().closed);
  ASSERT_TRUE(busy->send("x"));
  const auto res = busy->read_response();
  EXPECT_TRUE(is_problem(res, 503, "draining"));
  const auto st = server_.wait_for_exit(default_process_timeout);
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st;
}

// A stuck client cannot hold the shutdown hostage: after --shutdown-timeout the server stops with
// the connection still open. Under ASan this also checks that sessions destroyed with the
// io_context do not touch server members that are already gone.
class stuck_shutdown_test : public server_test {
 protected:
  stuck_shutdown_test() : server_test({"--shutdown-timeout", "200ms", "--header-timeout", "60s"}) {}
};

TEST_F(stuck_shutdown_test, shutdown_timeout_bounds_the_wait_for_a_stuck_request) {
  raw_socket stuck(server_.port());
  ASSERT_TRUE(stuck.connected()) << stuck.error();
  ASSERT_TRUE(stuck.send("PUT /v1/kv/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  ASSERT_EQ(stuck.read_response().status, 100);
  // The body never comes; only the shutdown timeout can end this request.
  ASSERT_TRUE(server_.send_signal(SIGTERM));
  const auto st = server_.wait_for_exit(default_process_timeout);
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st;
  EXPECT_TRUE(stuck.read_until_close().closed);
}

TEST_F(shutdown_test, a_stopped_server_restarts_on_the_same_data_dir) {
  ASSERT_EQ(client().put("/v1/kv/k", "v").status, 201);
  const auto data_dir = server_.data_dir();
  const auto st = server_.terminate();
  ASSERT_TRUE(st.exited_with(0)) << "livekv " << st;
  ASSERT_TRUE(server_.start());
  const auto status = client().get("/status");
  ASSERT_EQ(status.status, 200) << status;
  EXPECT_EQ(status.json()["config"]["data_dir"], data_dir.string());
  EXPECT_EQ(status.json()["config"]["port"], server_.port());
}

TEST_F(shutdown_test, kill9_ends_the_server_at_once) {
  ASSERT_EQ(client().get("/healthz").status, 200);
  const auto st = server_.kill9();
  EXPECT_TRUE(st.killed_by(SIGKILL)) << "livekv " << st;
  EXPECT_FALSE(server_.running());
}

}  // namespace
}  // namespace livekv::test

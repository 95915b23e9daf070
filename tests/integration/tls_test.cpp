// TLS (--tls-cert, --tls-key, --tls-client-ca): HTTPS and WSS on one port, checked with real
// clients — curl, openssl s_client and the project's WebSocket client over Beast's TLS stream —
// against certificates the test makes with the openssl command line (support/test_pki). A client
// that does not trust the CA, TLS 1.1, and under mutual TLS a client without a certificate of the
// CA are refused; plaintext on the TLS port is closed at once; SIGHUP loads a new certificate for
// new connections and keeps the old one when the new file is broken.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "support/raw_socket.hpp"
#include "support/server_fixture.hpp"
#include "support/test_pki.hpp"
#include "support/ws_client.hpp"

namespace livekv::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using std::chrono::milliseconds;

std::vector<std::string> tls_args(const cert_files& server, bool client_ca = false) {
  std::vector<std::string> a{"--in-memory", "--tls-cert", server.cert.string(), "--tls-key", server.key.string()};
  if (client_ca) {
    a.push_back("--tls-client-ca");
    a.push_back(test_pki::shared().ca().string());
  }
  return a;
}

// curl's exit code, its output (the body, then the status code on a line of its own) and stderr.
struct curl_result {
  int exit_code = -1;
  std::string body;
  int status = 0;
  std::string err;
};

curl_result curl(std::uint16_t port, const std::string& path, std::vector<std::string> extra) {
  std::vector<std::string> args{"-sS", "--max-time", "10", "-w", "\n%{http_code}"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("https://127.0.0.1:" + std::to_string(port) + path);
  const auto out = run_program("curl", args);
  curl_result r;
  r.exit_code = out.status.how == exit_status::kind::exited ? out.status.value : -1;
  r.err = out.err;
  const auto nl = out.out.rfind('\n');
  if (nl != std::string::npos) {
    r.body = out.out.substr(0, nl);
    r.status = std::atoi(out.out.c_str() + nl + 1);
  }
  return r;
}

std::vector<std::string> trusting_ca() { return {"--cacert", test_pki::shared().ca().string()}; }

// The subject line openssl s_client prints for the certificate the server presents now.
std::string served_subject(std::uint16_t port) {
  const auto out = run_program("openssl", {"s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-CAfile",
                                           test_pki::shared().ca().string(), "-verify_return_error", "-brief"});
  // -brief prints "Peer certificate: CN = ..." on stderr.
  const std::string all = out.out + out.err;
  const auto at = all.find("Peer certificate: ");
  if (at == std::string::npos) return "(none) " + all;
  return all.substr(at + 18, all.find('\n', at) - at - 18);
}

// Reads from a TLS connection to 127.0.0.1:port, after sending `request`, until `needle` has
// arrived or `timeout` passes; returns what arrived (a test checks for the needle).
std::string tls_exchange(std::uint16_t port, const std::string& request, const std::string& needle,
                         milliseconds timeout = default_io_timeout) {
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(test_pki::shared().ca().string());
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
  s.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  beast::get_lowest_layer(s).expires_after(timeout);
  std::string got;
  std::array<char, 4096> buf{};
  std::function<void(beast::error_code, std::size_t)> on_read = [&](beast::error_code ec, std::size_t n) {
    got.append(buf.data(), n);
    if (ec || got.find(needle) != std::string::npos) return;
    s.async_read_some(asio::buffer(buf), on_read);
  };
  beast::get_lowest_layer(s).async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                           [&](beast::error_code ec) {
                                             if (ec) return;
                                             s.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code hec) {
                                               if (hec) return;
                                               asio::async_write(s, asio::buffer(request), [&](beast::error_code wec, std::size_t) {
                                                 if (!wec) s.async_read_some(asio::buffer(buf), on_read);
                                               });
                                             });
                                           });
  ioc.run();
  return got;
}

// Waits (bounded) until the server's stderr holds `text`: the server says when a reload is done.
testing::AssertionResult log_shows(const server_process& server, const std::string& text,
                                   milliseconds timeout = default_io_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (server.stderr_text().find(text) != std::string::npos) return testing::AssertionSuccess();
    std::this_thread::sleep_for(milliseconds(10));  // polling a file for a condition, not a sleep as sync
  }
  return testing::AssertionFailure() << "the server's log never said '" << text << "':\n" << server.stderr_text();
}

class tls_test : public server_test {
 protected:
  tls_test() : server_test([] {
    auto a = tls_args(test_pki::shared().server());
    // A silent client is cut off quickly, and that is checked below.
    a.insert(a.end(), {"--header-timeout", "1s"});
    return a;
  }()) {}
};

TEST_F(tls_test, https_put_and_get_work_for_a_client_that_trusts_the_ca) {
  auto put = curl(server_.port(), "/v1/kv/greeting", {"--cacert", test_pki::shared().ca().string(), "-X", "PUT",
                                                      "--data-binary", "hello over tls"});
  ASSERT_EQ(put.exit_code, 0) << put.err;
  EXPECT_EQ(put.status, 201) << put.body;
  auto get = curl(server_.port(), "/v1/kv/greeting", trusting_ca());
  ASSERT_EQ(get.exit_code, 0) << get.err;
  EXPECT_EQ(get.status, 200);
  EXPECT_EQ(get.body, "hello over tls");
  // The certificate names localhost as well as 127.0.0.1.
  auto by_name = run_program("curl", {"-sS", "--max-time", "10", "--cacert", test_pki::shared().ca().string(),
                                      "--resolve", "localhost:" + std::to_string(server_.port()) + ":127.0.0.1",
                                      "https://localhost:" + std::to_string(server_.port()) + "/v1/kv/greeting"});
  EXPECT_TRUE(by_name.status.exited_with(0)) << by_name.err;
  EXPECT_EQ(by_name.out, "hello over tls");
}

TEST_F(tls_test, a_client_that_does_not_trust_the_ca_refuses_the_certificate) {
  auto r = curl(server_.port(), "/healthz", {});
  EXPECT_EQ(r.exit_code, 60) << r.err;  // CURLE_PEER_FAILED_VERIFICATION
  // The server is unharmed.
  EXPECT_EQ(curl(server_.port(), "/healthz", trusting_ca()).status, 200);
}

TEST_F(tls_test, tls_1_1_is_refused_and_tls_1_2_accepted) {
  auto old = curl(server_.port(), "/healthz", {"--cacert", test_pki::shared().ca().string(), "--tls-max", "1.1"});
  EXPECT_NE(old.exit_code, 0);
  // The server's alert, not the client declining on its own.
  EXPECT_NE(old.err.find("protocol version"), std::string::npos) << old.err;
  auto v12 = curl(server_.port(), "/healthz",
                  {"--cacert", test_pki::shared().ca().string(), "--tlsv1.2", "--tls-max", "1.2"});
  EXPECT_EQ(v12.exit_code, 0) << v12.err;
  EXPECT_EQ(v12.status, 200);
}

TEST_F(tls_test, plaintext_http_on_the_tls_port_is_closed_at_once) {
  raw_socket s(server_.port());
  ASSERT_TRUE(s.connected()) << s.error();
  ASSERT_TRUE(s.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  const auto r = s.read_until_close();
  EXPECT_TRUE(r.closed) << "the connection stayed open";
  EXPECT_EQ(r.data, "");  // no answer in plaintext, and no hang
  // The server goes on serving.
  EXPECT_EQ(curl(server_.port(), "/healthz", trusting_ca()).status, 200);
}

TEST_F(tls_test, a_client_that_never_starts_the_handshake_is_closed_after_the_header_timeout) {
  raw_socket s(server_.port());
  ASSERT_TRUE(s.connected()) << s.error();
  // --header-timeout 1s; the bound here only keeps a broken server from hanging the test.
  const auto r = s.read_until_close(milliseconds(10'000));
  EXPECT_TRUE(r.closed) << "a silent client was kept past the header timeout";
}

TEST_F(tls_test, the_websocket_feed_streams_live_events_over_wss) {
  ws_options o;
  o.tls_ca = test_pki::shared().ca().string();
  ws_client ws(server_.port(), o);
  const auto res = ws.connect("/wal?prefix=app/");
  ASSERT_EQ(res.status, 101) << res;
  auto first = ws.read_event();
  ASSERT_TRUE(first) << ws.error();
  EXPECT_EQ((*first)["op"], "progress");
  ASSERT_EQ(curl(server_.port(), "/v1/kv/app/x", {"--cacert", test_pki::shared().ca().string(), "-X", "PUT",
                                                  "--data-binary", "1"})
                .status,
            201);
  std::optional<nlohmann::json> e;
  do {
    e = ws.read_event();
    ASSERT_TRUE(e) << ws.error();
  } while ((*e)["op"] == "progress");
  EXPECT_EQ((*e)["op"], "put");
  EXPECT_EQ((*e)["key"], "app/x");
  // Client messages travel too: ping, pong.
  ASSERT_TRUE(ws.send_text(R"({"op":"ping"})")) << ws.error();
  do {
    e = ws.read_event();
    ASSERT_TRUE(e) << ws.error();
  } while ((*e)["op"] == "progress");
  EXPECT_EQ((*e)["op"], "pong");
  ws.close();
}

TEST_F(tls_test, server_sent_events_stream_over_https) {
  ASSERT_EQ(curl(server_.port(), "/v1/kv/sse/a", {"--cacert", test_pki::shared().ca().string(), "-X", "PUT",
                                                  "--data-binary", "v"})
                .status,
            201);
  // since=0 replays the write, so the event is there without a race with the subscription.
  const auto got = tls_exchange(server_.port(),
                                "GET /v1/watch?prefix=sse/&since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                                "event: put\n");
  EXPECT_NE(got.find("HTTP/1.1 200 OK\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  EXPECT_NE(got.find("event: put\n"), std::string::npos) << got;
  EXPECT_NE(got.find(R"("key":"sse/a")"), std::string::npos) << got;
}

TEST_F(tls_test, status_reports_tls_on) {
  auto r = curl(server_.port(), "/status", trusting_ca());
  ASSERT_EQ(r.status, 200) << r.err;
  const auto j = nlohmann::json::parse(r.body, nullptr, false);
  EXPECT_EQ(j["config"]["tls"], true) << r.body;
  EXPECT_EQ(j["config"]["tls_client_certificates"], false) << r.body;
}

class mutual_tls_test : public server_test {
 protected:
  mutual_tls_test() : server_test(tls_args(test_pki::shared().server(), true)) {}

  static std::vector<std::string> with_cert(const cert_files& c) {
    return {"--cacert", test_pki::shared().ca().string(), "--cert", c.cert.string(), "--key", c.key.string()};
  }
};

TEST_F(mutual_tls_test, a_client_without_a_certificate_is_refused) {
  auto r = curl(server_.port(), "/healthz", trusting_ca());
  EXPECT_NE(r.exit_code, 0) << "served without a client certificate: " << r.body;
  EXPECT_NE(r.status, 200);
}

TEST_F(mutual_tls_test, a_certificate_of_another_ca_is_refused) {
  auto r = curl(server_.port(), "/healthz", with_cert(test_pki::shared().stranger_client()));
  EXPECT_NE(r.exit_code, 0) << "served a certificate of an unknown CA: " << r.body;
}

TEST_F(mutual_tls_test, a_client_with_a_certificate_of_the_ca_is_served_over_https_and_wss) {
  auto r = curl(server_.port(), "/healthz", with_cert(test_pki::shared().client()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.status, 200);

  ws_options o;
  o.tls_ca = test_pki::shared().ca().string();
  o.tls_cert = test_pki::shared().client().cert.string();
  o.tls_key = test_pki::shared().client().key.string();
  ws_client ws(server_.port(), o);
  const auto res = ws.connect("/wal");
  ASSERT_EQ(res.status, 101) << res;
  EXPECT_TRUE(ws.read_event()) << ws.error();
  ws.close();

  ws_options without = o;
  without.tls_cert.reset();
  without.tls_key.reset();
  ws_client refused(server_.port(), without);
  EXPECT_NE(refused.connect("/wal").status, 101);
}

// SIGHUP reload: the server's certificate files live in the test's own directory, so the test
// can replace them.
// The paths the reload test's server reads its certificate from (made once per process; the
// server_test base, which starts the server with them, is built before any member could hold them).
const cert_files& replaceable_files() {
  static const temp_dir dir;
  static const cert_files files{dir / "server.pem", dir / "server.key"};
  return files;
}

class tls_reload_test : public server_test {
 protected:
  tls_reload_test() : server_test(tls_args(replaceable_files())) { install(test_pki::shared().server()); }

  // Puts `next` where the server reads its certificate and key.
  static void install(const cert_files& next) {
    std::filesystem::copy_file(next.cert, replaceable_files().cert, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::copy_file(next.key, replaceable_files().key, std::filesystem::copy_options::overwrite_existing);
  }

  const cert_files& files_ = replaceable_files();
};

TEST_F(tls_reload_test, sighup_serves_a_new_certificate_to_new_connections_and_keeps_it_when_the_next_is_broken) {
  EXPECT_EQ(served_subject(server_.port()), "CN = localhost");
  // A connection open across the reload goes on with the certificate it started with.
  ws_options o;
  o.tls_ca = test_pki::shared().ca().string();
  ws_client ws(server_.port(), o);
  ASSERT_EQ(ws.connect("/wal").status, 101);
  ASSERT_TRUE(ws.read_event()) << ws.error();

  install(test_pki::shared().make_server_cert("renewed", "renewed.localhost"));
  ASSERT_TRUE(server_.send_signal(SIGHUP));
  ASSERT_TRUE(log_shows(server_, "TLS certificate " + files_.cert.string() + " reloaded"));
  EXPECT_EQ(served_subject(server_.port()), "CN = renewed.localhost");
  EXPECT_EQ(curl(server_.port(), "/v1/kv/k", {"--cacert", test_pki::shared().ca().string(), "-X", "PUT",
                                              "--data-binary", "after reload"})
                .status,
            201);
  std::optional<nlohmann::json> e;
  do {
    e = ws.read_event();
    ASSERT_TRUE(e) << ws.error();
  } while ((*e)["op"] == "progress");
  EXPECT_EQ((*e)["key"], "k");

  // A broken certificate on the next reload: the renewed one stays, and the log says why.
  std::ofstream(files_.cert, std::ios::trunc) << "-----BEGIN CERTIFICATE-----\nbroken\n";
  ASSERT_TRUE(server_.send_signal(SIGHUP));
  ASSERT_TRUE(log_shows(server_, "TLS certificate not reloaded, the old one stays in use: --tls-cert " +
                                     files_.cert.string()));
  EXPECT_TRUE(server_.running());
  EXPECT_EQ(served_subject(server_.port()), "CN = renewed.localhost");
  EXPECT_EQ(curl(server_.port(), "/v1/kv/k", trusting_ca()).body, "after reload");
  ws.close();
}

TEST(tls_startup, a_missing_or_broken_certificate_refuses_the_start_naming_the_file) {
  const auto& pki = test_pki::shared();
  auto r = run_livekv({"--in-memory", "--port", "0", "--tls-cert", "/nonexistent/cert.pem", "--tls-key",
                       pki.server().key.string()});
  EXPECT_TRUE(r.status.exited_with(1)) << r.status;
  EXPECT_NE(r.err.find("--tls-cert /nonexistent/cert.pem"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos) << r.err;

  r = run_livekv({"--in-memory", "--port", "0", "--tls-cert", pki.server().cert.string(), "--tls-key",
                  pki.client().key.string()});
  EXPECT_TRUE(r.status.exited_with(1)) << r.status;
  EXPECT_NE(r.err.find("--tls-key " + pki.client().key.string()), std::string::npos) << r.err;

  r = run_livekv({"--in-memory", "--port", "0", "--tls-cert", pki.server().cert.string()});
  EXPECT_TRUE(r.status.exited_with(2)) << r.status;
  EXPECT_NE(r.err.find("--tls-cert needs --tls-key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace livekv::test

#include "support/server_fixture.hpp"

#include <charconv>

namespace livekv::test {

server_test::server_test(std::vector<std::string> args, env_vars env) : server_(std::move(args), std::move(env)) {}

void server_test::SetUp() { ASSERT_TRUE(server_.start()); }

void server_test::TearDown() {
  client_.reset();
  // Tests that stop the server themselves check how it ended.
  if (!server_.running()) return;
  const exit_status st = server_.terminate();
  EXPECT_TRUE(st.exited_with(0)) << "livekv " << st << " on SIGTERM";
}

http_client& server_test::client() {
  if (!client_ || client_port_ != server_.port()) {
    client_ = std::make_unique<http_client>(server_.port());
    client_port_ = server_.port();
  }
  return *client_;
}

std::unique_ptr<http_client> server_test::new_client() const { return std::make_unique<http_client>(server_.port()); }

std::uint64_t server_test::current_revision() {
  const auto res = client().get("/healthz");
  const std::string rev = res.header("KV-Revision");
  std::uint64_t n = 0;
  const auto [p, ec] = std::from_chars(rev.data(), rev.data() + rev.size(), n);
  EXPECT_TRUE(res.status == 200 && ec == std::errc{} && p == rev.data() + rev.size())
      << "no usable KV-Revision in\n" << res;
  return n;
}

testing::AssertionResult is_problem(const http_response& res, int status, std::string_view code) {
  if (res.status != status) return testing::AssertionFailure() << "expected status " << status << ", got\n" << res;
  if (res.header("Content-Type") != "application/problem+json")
    return testing::AssertionFailure() << "expected Content-Type application/problem+json, got\n" << res;
  const auto j = res.json();
  if (!j.is_object()) return testing::AssertionFailure() << "the body is not a JSON object:\n" << res;
  for (const char* member : {"type", "title", "detail", "code"})
    if (!j.contains(member) || !j[member].is_string())
      return testing::AssertionFailure() << "the problem lacks string member '" << member << "':\n" << res;
  if (!j.contains("status") || j["status"] != status)
    return testing::AssertionFailure() << "the problem's status member is not " << status << ":\n" << res;
  if (j["code"].get<std::string>() != code) return testing::AssertionFailure() << "expected code " << code << ", got\n" << res;
  if (j["type"].get<std::string>() != "urn:livekv:problem:" + std::string(code))
    return testing::AssertionFailure() << "unexpected problem type:\n" << res;
  return testing::AssertionSuccess();
}

}  // namespace livekv::test

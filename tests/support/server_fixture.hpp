#pragma once
// A gtest fixture that gives every test a fresh `livekv` on its own port and data directory, and a
// keep-alive client to it. TearDown stops the server with SIGTERM and expects exit code 0, so a
// sanitizer report or a crash in the server fails the test that caused it.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"

namespace livekv::test {

class server_test : public ::testing::Test {
 protected:
  // `args` and `env` go to every start of the server (see server_process).
  explicit server_test(std::vector<std::string> args = {}, env_vars env = {});

  void SetUp() override;
  void TearDown() override;

  // The fixture's client, connected to the running server (reconnected after a restart).
  http_client& client();
  // Another client with its own connection, for tests that need several.
  std::unique_ptr<http_client> new_client() const;
  // The store revision the server reports in KV-Revision right now.
  std::uint64_t current_revision();

  server_process server_;

 private:
  std::unique_ptr<http_client> client_;
  std::uint16_t client_port_ = 0;
};

// True when `res` is an RFC 9457 problem with the given HTTP status and livekv code, with every
// member the API promises (type, title, status, detail, code).
testing::AssertionResult is_problem(const http_response& res, int status, std::string_view code);

}  // namespace livekv::test

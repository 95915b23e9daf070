// The command line: --help, --version, bad flags, and LIVEKV_* environment variables (a flag on the
// command line wins over its variable).
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace livekv::test {
namespace {

TEST(cli_test, help_exits_zero_and_mentions_every_flag_and_its_variable) {
  const auto r = run_livekv({"--help"});
  ASSERT_TRUE(r.status.exited_with(0)) << r.status << "\n" << r.err;
  for (const char* flag : {"host", "port", "threads", "data-dir", "max-key-bytes", "max-value-bytes",
                           "max-header-bytes", "log-level", "access-log", "header-timeout", "idle-timeout",
                           "shutdown-timeout", "repair", "discard-data"}) {
    EXPECT_NE(r.out.find(std::string("--") + flag), std::string::npos) << flag << " missing from:\n" << r.out;
    std::string var = "LIVEKV_";
    for (const char* p = flag; *p; ++p) var += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
    EXPECT_NE(r.out.find(var), std::string::npos) << var << " missing from:\n" << r.out;
  }
  EXPECT_NE(r.out.find("--help"), std::string::npos);
  EXPECT_NE(r.out.find("--version"), std::string::npos);
}

TEST(cli_test, version_prints_the_version_and_exits_zero) {
  const auto r = run_livekv({"--version"});
  ASSERT_TRUE(r.status.exited_with(0)) << r.status << "\n" << r.err;
  EXPECT_TRUE(r.out.starts_with("livekv ")) << r.out;
}

TEST(cli_test, an_unknown_flag_exits_nonzero_and_names_the_flag) {
  const auto r = run_livekv({"--no-such-flag", "1"});
  EXPECT_EQ(r.status.how, exit_status::kind::exited) << r.status;
  EXPECT_NE(r.status.value, 0);
  EXPECT_NE(r.err.find("--no-such-flag"), std::string::npos) << r.err;
  EXPECT_EQ(r.out, "") << "nothing on stdout, where scripts look for the listening line";
}

TEST(cli_test, an_invalid_flag_value_exits_nonzero_and_names_the_flag) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--port", "http"}, {"--max-key-bytes", "0"}, {"--idle-timeout", "soon"},
        {"--max-value-bytes=12XB"}, {"--port"}, {"stray"}}) {
    const auto r = run_livekv(args);
    EXPECT_EQ(r.status.how, exit_status::kind::exited) << args[0] << ": " << r.status;
    EXPECT_NE(r.status.value, 0) << args[0];
    EXPECT_FALSE(r.err.empty()) << args[0];
  }
}

TEST(cli_test, an_invalid_environment_variable_exits_nonzero_and_names_it) {
  const auto r = run_livekv({"--port", "0"}, {{"LIVEKV_MAX_KEY_BYTES", "lots"}});
  EXPECT_EQ(r.status.how, exit_status::kind::exited) << r.status;
  EXPECT_NE(r.status.value, 0);
  EXPECT_NE(r.err.find("LIVEKV_MAX_KEY_BYTES"), std::string::npos) << r.err;
}

TEST(cli_test, environment_variable_sets_the_key_limit) {
  server_process server({}, {{"LIVEKV_MAX_KEY_BYTES", "16"}});
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  EXPECT_EQ(client.put("/v1/kv/" + std::string(16, 'k'), "v").status, 201);
  EXPECT_EQ(client.put("/v1/kv/" + std::string(17, 'k'), "v").status, 414);
  EXPECT_EQ(client.get("/status").json()["config"]["max_key_bytes"], 16);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(cli_test, a_flag_wins_over_its_environment_variable) {
  server_process server({"--max-key-bytes", "32"}, {{"LIVEKV_MAX_KEY_BYTES", "16"}});
  ASSERT_TRUE(server.start());
  http_client client(server.port());
  EXPECT_EQ(client.put("/v1/kv/" + std::string(32, 'k'), "v").status, 201);
  EXPECT_EQ(client.put("/v1/kv/" + std::string(33, 'k'), "v").status, 414);
  EXPECT_EQ(client.get("/status").json()["config"]["max_key_bytes"], 32);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(cli_test, listening_line_reports_the_port_actually_bound) {
  server_process server;
  ASSERT_TRUE(server.start());
  EXPECT_NE(server.port(), 0);
  http_client client(server.port());
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_TRUE(server.terminate().exited_with(0));
}

TEST(cli_test, a_port_already_in_use_exits_nonzero_with_a_message) {
  server_process first;
  ASSERT_TRUE(first.start());
  const auto r = run_livekv({"--host", "127.0.0.1", "--port", std::to_string(first.port()), "--data-dir",
                             first.data_dir().string()});
  EXPECT_EQ(r.status.how, exit_status::kind::exited) << r.status;
  EXPECT_NE(r.status.value, 0);
  EXPECT_NE(r.err.find(std::to_string(first.port())), std::string::npos) << r.err;
  EXPECT_TRUE(first.terminate().exited_with(0));
}

TEST(cli_test, hash_token_prints_a_token_and_the_auth_file_entry_that_admits_it) {
  const auto a = run_livekv({"--hash-token"});
  ASSERT_TRUE(a.status.exited_with(0)) << a.status << "\n" << a.err;
  ASSERT_TRUE(a.out.starts_with("token: ")) << a.out;
  const auto token = a.out.substr(7, a.out.find('\n') - 7);
  EXPECT_EQ(token.size(), 43u) << a.out;
  const auto entry = a.out.substr(a.out.find("entry: ") + 7);
  EXPECT_NE(entry.find("\"token_sha256\": \""), std::string::npos) << a.out;
  EXPECT_EQ(entry.find(token), std::string::npos) << "the entry holds the hash, never the token";
  const auto b = run_livekv({"--hash-token"});
  EXPECT_NE(a.out, b.out) << "a new token each time";

  // The entry, named, is a file the server starts with.
  temp_dir dir;
  std::string line = entry.substr(0, entry.find('\n'));
  line.replace(line.find("NAME"), 4, "ci");
  std::ofstream(dir / "auth.json") << "[" << line << "]\n";
  server_process srv({"--in-memory", "--auth-file", (dir / "auth.json").string()});
  ASSERT_TRUE(srv.start()) << srv.stderr_text();
  EXPECT_EQ(http_client(srv.port()).get("/healthz").status, 200);
}

TEST(cli_test, a_broken_auth_file_refuses_the_start_naming_the_file_the_line_and_the_reason) {
  temp_dir dir;
  std::ofstream(dir / "auth.json") << "[\n  {\"name\": \"ci\",\n   oops}\n]\n";
  const auto r = run_livekv({"--in-memory", "--port", "0", "--auth-file", (dir / "auth.json").string()});
  EXPECT_EQ(r.status.how, exit_status::kind::exited) << r.status;
  EXPECT_NE(r.status.value, 0);
  EXPECT_NE(r.err.find((dir / "auth.json").string() + ":3:"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("listening"), std::string::npos) << "never served";

  const auto missing = run_livekv({"--in-memory", "--port", "0", "--auth-file", (dir / "none.json").string()});
  EXPECT_NE(missing.status.value, 0);
  EXPECT_NE(missing.err.find("none.json"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace livekv::test

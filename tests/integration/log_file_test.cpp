// --log-file: the server log goes to the file, not stderr; after logrotate's rename, SIGHUP reopens
// the name and the log goes on in a new file, with nothing lost in the renamed one. The access log
// file is reopened the same way.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace livekv::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Polls (bounded) until `path` exists and holds `needle`; the log is flushed within a second.
bool eventually_contains(const std::filesystem::path& path, const std::string& needle) {
  for (int i = 0; i < 200; ++i) {
    if (read_file(path).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

TEST(log_file_test, the_log_goes_to_the_file_and_sighup_reopens_it_after_a_rename) {
  temp_dir dir;
  const auto log = dir / "livekv.log";
  const auto access = dir / "access.log";
  server_process server({"--log-file", log.string(), "--access-log", access.string()});
  ASSERT_TRUE(server.start());
  ASSERT_TRUE(eventually_contains(log, "recovered revision")) << read_file(log);
  EXPECT_EQ(server.stderr_text().find("recovered revision"), std::string::npos) << "not on stderr as well";

  http_client c(server.port());
  ASSERT_EQ(c.put("/v1/kv/before", "1").status, 201);
  ASSERT_TRUE(eventually_contains(access, "/v1/kv/before"));

  // logrotate: rename, then signal.
  std::filesystem::rename(log, dir / "livekv.log.1");
  std::filesystem::rename(access, dir / "access.log.1");
  ASSERT_TRUE(server.send_signal(SIGHUP));
  ASSERT_TRUE(eventually_contains(log, "reloading")) << "a new file under the old name";
  ASSERT_EQ(c.put("/v1/kv/after", "2").status, 201);
  ASSERT_TRUE(eventually_contains(access, "/v1/kv/after"));
  EXPECT_EQ(read_file(access).find("/v1/kv/before"), std::string::npos);
  EXPECT_NE(read_file(dir / "access.log.1").find("/v1/kv/before"), std::string::npos) << "nothing lost";
  EXPECT_NE(read_file(dir / "livekv.log.1").find("recovered revision"), std::string::npos);

  EXPECT_TRUE(server.terminate().exited_with(0));
  EXPECT_NE(read_file(log).find("stopped"), std::string::npos) << "the last line is flushed at exit";
}

TEST(log_file_test, a_log_file_that_cannot_be_opened_stops_the_start) {
  temp_dir dir;
  const auto r = run_livekv({"--log-file", (dir / "no" / "such" / "dir.log").string(), "--in-memory", "--port", "0"});
  EXPECT_TRUE(r.status.exited_with(2)) << r.status << "\n" << r.err;
  EXPECT_NE(r.err.find("cannot open the log file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace livekv::test

// --config FILE against the real binary: settings from the file take effect, flags and LIVEKV_*
// variables win over it, /status says where each setting came from, a bad file stops the start
// with its path and line, and the template the binary prints is a file it accepts.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/http_client.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"

namespace livekv::test {
namespace {

std::string write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path.string();
}

TEST(config_file_test, the_file_sets_what_flags_and_environment_leave_and_status_shows_the_sources) {
  temp_dir dir;
  const auto conf = write_file(dir / "livekv.conf",
                               "# a deployment's settings\n"
                               "max-key-bytes = 16\n"
                               "max-batch-ops = 3\n"
                               "fsync = always\n"
                               "log-level = warn\n");
  server_process server({"--config", conf, "--max-batch-ops", "5"}, {{"LIVEKV_FSYNC", "no"}});
  ASSERT_TRUE(server.start());
  http_client c(server.port());

  // From the file: a key of 17 bytes is too long.
  EXPECT_EQ(c.put("/v1/kv/" + std::string(16, 'k'), "v").status, 201);
  EXPECT_EQ(c.put("/v1/kv/" + std::string(17, 'k'), "v").status, 414);

  const auto status = c.get("/status");
  ASSERT_EQ(status.status, 200) << status;
  const auto cfg = status.json()["config"];
  EXPECT_EQ(cfg["max_key_bytes"], 16);
  EXPECT_EQ(cfg["max_batch_ops"], 5) << "the flag wins over the file";
  EXPECT_EQ(cfg["fsync"], "no") << "the variable wins over the file";
  EXPECT_EQ(cfg["log_level"], "warn");
  EXPECT_EQ(cfg["config_file"], conf);
  EXPECT_EQ(cfg["sources"]["max-key-bytes"], conf + ":2");
  EXPECT_EQ(cfg["sources"]["max-batch-ops"], "flag");
  EXPECT_EQ(cfg["sources"]["fsync"], "env LIVEKV_FSYNC");
  EXPECT_EQ(cfg["sources"]["log-level"], conf + ":5");
  EXPECT_FALSE(cfg["sources"].contains("max-value-bytes")) << "a default has no source";
}

TEST(config_file_test, livekv_config_names_the_file) {
  temp_dir dir;
  const auto conf = write_file(dir / "env.conf", "max-key-bytes = 8\n");
  server_process server({}, {{"LIVEKV_CONFIG", conf}});
  ASSERT_TRUE(server.start());
  http_client c(server.port());
  EXPECT_EQ(c.put("/v1/kv/" + std::string(9, 'k'), "v").status, 414);
}

TEST(config_file_test, a_bad_file_stops_the_start_naming_the_file_and_line) {
  temp_dir dir;
  const struct {
    const char* text;
    const char* expected;
  } cases[] = {
      {"port = 0\nmax-key-byte = 10\n", ":2: unknown setting 'max-key-byte'"},
      {"\n\n\nfsync = sometimes\n", ":4: invalid value for fsync: 'sometimes' (accepted: always, everysec or no)"},
      {"host 127.0.0.1\n", ": line 1: expected 'name = value'"},
  };
  for (const auto& c : cases) {
    const auto conf = write_file(dir / "bad.conf", c.text);
    const auto r = run_livekv({"--config", conf, "--port", "0", "--in-memory"});
    EXPECT_TRUE(r.status.exited_with(2)) << r.status << "\n" << r.err;
    EXPECT_NE(r.err.find(conf + c.expected), std::string::npos) << r.err;
  }
  const auto missing = run_livekv({"--config", (dir / "absent.conf").string(), "--in-memory"});
  EXPECT_TRUE(missing.status.exited_with(2)) << missing.status;
  EXPECT_NE(missing.err.find("absent.conf"), std::string::npos) << missing.err;
}

TEST(config_file_test, the_printed_template_is_a_file_the_server_starts_with) {
  const auto t = run_livekv({"--config-template"});
  ASSERT_TRUE(t.status.exited_with(0)) << t.status << "\n" << t.err;
  EXPECT_NE(t.out.find("# fsync = everysec"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("# max-value-bytes = 1MiB"), std::string::npos);
  temp_dir dir;
  // All commented out: the defaults. Then with a line added, as an operator would edit it.
  const auto conf = write_file(dir / "livekv.conf", t.out + "\nmax-key-bytes = 12\n");
  server_process server({"--config", conf});
  ASSERT_TRUE(server.start());
  http_client c(server.port());
  EXPECT_EQ(c.put("/v1/kv/" + std::string(13, 'k'), "v").status, 414);
}

}  // namespace
}  // namespace livekv::test

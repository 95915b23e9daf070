#include "livekv/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

namespace livekv {
namespace {

env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// A config file in a fresh temporary directory, removed at the end of the test.
class config_file_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("livekv-config-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& text) {
    const auto path = (dir_ / "livekv.conf").string();
    std::ofstream(path) << text;
    return path;
  }
  std::filesystem::path dir_;
};

TEST(config, defaults_are_documented_values) {
  auto p = parse_config({}, env_of({}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cfg.host, "127.0.0.1");
  EXPECT_EQ(p->cfg.port, 8080);
  EXPECT_EQ(p->cfg.data_dir, "./data");
  EXPECT_EQ(p->cfg.max_key_bytes, 1024u);
  EXPECT_EQ(p->cfg.max_value_bytes, 1024u * 1024u);
  EXPECT_GE(p->cfg.threads, 1u);
}

TEST(config, flags_accept_separate_and_equals_values) {
  auto p = parse_config({"--port", "9000", "--host=0.0.0.0", "--max-value-bytes", "64KiB", "--threads=3"}, env_of({}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cfg.port, 9000);
  EXPECT_EQ(p->cfg.host, "0.0.0.0");
  EXPECT_EQ(p->cfg.max_value_bytes, 64u * 1024u);
  EXPECT_EQ(p->cfg.threads, 3u);
}

TEST(config, environment_sets_and_flags_override) {
  auto p = parse_config({"--port", "9001"}, env_of({{"LIVEKV_PORT", "9000"}, {"LIVEKV_MAX_KEY_BYTES", "16"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cfg.port, 9001);
  EXPECT_EQ(p->cfg.max_key_bytes, 16u);
}

TEST(config, invalid_values_name_the_flag_or_variable) {
  auto a = parse_config({"--port", "70000"}, env_of({}));
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message().find("--port"), std::string::npos);
  auto b = parse_config({}, env_of({{"LIVEKV_THREADS", "zero"}}));
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message().find("LIVEKV_THREADS"), std::string::npos);
  EXPECT_FALSE(parse_config({"--threads", "0"}, env_of({})));
  EXPECT_FALSE(parse_config({"--log-level", "loud"}, env_of({})));
  EXPECT_FALSE(parse_config({"--header-timeout", "soon"}, env_of({})));
}

TEST(config, word_settings_parse_into_their_types_once) {
  auto d = parse_config({}, env_of({}));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cfg.fsync, wal::fsync_policy::everysec);
  EXPECT_EQ(d->cfg.log_level, util::log_level::info);
  EXPECT_EQ(d->cfg.log_format, util::log_format::text);
  auto p = parse_config({"--fsync", "always", "--log-level=warn"}, env_of({{"LIVEKV_LOG_FORMAT", "json"}}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->cfg.fsync, wal::fsync_policy::always);
  EXPECT_EQ(p->cfg.log_level, util::log_level::warn);
  EXPECT_EQ(p->cfg.log_format, util::log_format::json);
}

TEST(config, an_unknown_word_names_the_flag_and_the_accepted_words) {
  auto f = parse_config({"--fsync", "sometimes"}, env_of({}));
  ASSERT_FALSE(f) << "an unknown policy must not become everysec";
  EXPECT_EQ(f.error().message(), "invalid value for --fsync: 'sometimes' (accepted: always, everysec or no)");
  auto l = parse_config({}, env_of({{"LIVEKV_LOG_LEVEL", "loud"}}));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().message(), "invalid LIVEKV_LOG_LEVEL=loud (accepted: trace, debug, info, warn, error or off)");
  auto j = parse_config({"--log-format=JSON"}, env_of({}));
  ASSERT_FALSE(j) << "words are case-sensitive, as before";
  EXPECT_EQ(j.error().message(), "invalid value for --log-format: 'JSON' (accepted: text or json)");
  auto p = parse_config({"--port", "http"}, env_of({}));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(), "invalid value for --port: 'http'") << "other flags' refusals are unchanged";
}

TEST(config, repair_and_discard_data_are_separate_and_off_by_default) {
  auto d = parse_config({}, env_of({}));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->cfg.repair);
  EXPECT_FALSE(d->cfg.discard_data);
  auto f = parse_config({"--discard-data", "0"}, env_of({}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cfg.discard_data, 0u);
  EXPECT_FALSE(f->cfg.repair) << "discarding the data is never implied by repairing it, nor the reverse";
  auto e = parse_config({"--repair"}, env_of({{"LIVEKV_DISCARD_DATA", "3"}}));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->cfg.repair);
  EXPECT_EQ(e->cfg.discard_data, 3u);
  EXPECT_FALSE(parse_config({}, env_of({{"LIVEKV_DISCARD_DATA", "yes"}}))) << "the flag names an epoch";
  EXPECT_FALSE(parse_config({"--discard-data", "-1"}, env_of({})));
}

TEST(config, tls_is_off_by_default_and_takes_its_files_from_flags_or_environment) {
  auto p = parse_config({}, env_of({}));
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->cfg.tls_cert);
  EXPECT_FALSE(p->cfg.tls_key);
  EXPECT_FALSE(p->cfg.tls_client_ca);
  p = parse_config({"--tls-cert", "c.pem", "--tls-client-ca=ca.pem"}, env_of({{"LIVEKV_TLS_KEY", "k.pem"}}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.tls_cert, "c.pem");
  EXPECT_EQ(p->cfg.tls_key, "k.pem");
  EXPECT_EQ(p->cfg.tls_client_ca, "ca.pem");
}

TEST(config, a_tls_certificate_without_its_key_or_the_reverse_is_refused) {
  auto p = parse_config({"--tls-cert", "c.pem"}, env_of({}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("--tls-cert needs --tls-key"), std::string::npos) << p.error().message();
  p = parse_config({}, env_of({{"LIVEKV_TLS_KEY", "k.pem"}}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("--tls-key needs --tls-cert"), std::string::npos) << p.error().message();
  p = parse_config({"--tls-client-ca", "ca.pem"}, env_of({}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("--tls-client-ca needs --tls-cert"), std::string::npos) << p.error().message();
  p = parse_config({"--tls-cert", ""}, env_of({}));
  ASSERT_FALSE(p);
}

TEST(config, unknown_flags_and_missing_values_are_errors) {
  EXPECT_FALSE(parse_config({"--nope"}, env_of({})));
  EXPECT_FALSE(parse_config({"--port"}, env_of({})));
  EXPECT_FALSE(parse_config({"positional"}, env_of({})));
}

TEST(config, help_and_version_are_reported) {
  auto p = parse_config({"--help"}, env_of({}));
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->show_help);
  EXPECT_TRUE(parse_config({"--version"}, env_of({}))->show_version);
}

TEST(config, help_documents_every_flag_and_its_variable) {
  const std::string h = help_text();
  for (const char* f : {"--host", "--port", "--threads", "--data-dir", "--max-key-bytes", "--max-value-bytes",
                        "--log-level", "--access-log", "--repair", "--discard-data", "LIVEKV_PORT", "LIVEKV_DATA_DIR",
                        "LIVEKV_DISCARD_DATA"})
    EXPECT_NE(h.find(f), std::string::npos) << f;
}

TEST(config, durations_and_sizes_take_units) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("3"), std::chrono::milliseconds(3000));
  EXPECT_EQ(parse_duration("2m"), std::chrono::milliseconds(120000));
  EXPECT_FALSE(parse_duration("1h"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_EQ(parse_size("1MiB"), 1024u * 1024u);
  EXPECT_EQ(parse_size("2k"), 2048u);
  EXPECT_EQ(parse_size("100"), 100u);
  EXPECT_FALSE(parse_size("1 MiB"));
  EXPECT_FALSE(parse_size("MiB"));
}


using config_from_file = config_file_fixture;

TEST_F(config_from_file, sets_every_kind_of_setting) {
  const auto path = write("# livekv\nport = 9100\nfsync = always\nin-memory = true\nmax-value-bytes = 64KiB\n"
                          "header-timeout = 250ms\ncors-origin = http://a.example\ncors-origin = http://b.example\n"
                          "log-file = \"/tmp/with space.log\"\n");
  auto p = parse_config({"--config", path}, env_of({}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.port, 9100);
  EXPECT_EQ(p->cfg.fsync, wal::fsync_policy::always);
  EXPECT_TRUE(p->cfg.in_memory);
  EXPECT_EQ(p->cfg.max_value_bytes, 64u * 1024u);
  EXPECT_EQ(p->cfg.header_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(p->cfg.cors_origins, (std::vector<std::string>{"http://a.example", "http://b.example"}));
  EXPECT_EQ(p->cfg.log_file, "/tmp/with space.log");
  EXPECT_EQ(p->cfg.config_file, path);
}

TEST_F(config_from_file, flags_beat_environment_beats_file_beats_defaults) {
  const auto path = write("port = 9100\nmax-key-bytes = 100\nmax-batch-ops = 7\nfsync = no\n");
  auto p = parse_config({"--port", "9300", "--config", path},
                        env_of({{"LIVEKV_PORT", "9200"}, {"LIVEKV_MAX_KEY_BYTES", "200"}}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.port, 9300) << "flag over environment and file";
  EXPECT_EQ(p->cfg.max_key_bytes, 200u) << "environment over file";
  EXPECT_EQ(p->cfg.max_batch_ops, 7u) << "file over default";
  EXPECT_EQ(p->cfg.max_value_bytes, 1024u * 1024u) << "default where nothing sets it";
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"port", "flag"}, {"max-key-bytes", "env LIVEKV_MAX_KEY_BYTES"}, {"max-batch-ops", path + ":3"}, {"fsync", path + ":4"}};
  EXPECT_EQ(p->cfg.sources, expected);
}

TEST_F(config_from_file, the_file_may_come_from_livekv_config) {
  const auto path = write("port = 9400\n");
  auto p = parse_config({}, env_of({{"LIVEKV_CONFIG", path}}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.port, 9400);
  EXPECT_EQ(p->cfg.config_file, path);
}

TEST_F(config_from_file, a_flag_overrides_a_repeatable_setting_of_the_file_whole) {
  const auto path = write("allowed-host = a.example\nallowed-host = b.example\n");
  auto p = parse_config({"--config", path, "--allowed-host", "c.example"}, env_of({}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.allowed_hosts, std::vector<std::string>{"c.example"});
}

TEST_F(config_from_file, errors_name_the_file_and_the_line) {
  const struct {
    const char* text;
    const char* message;  // after "PATH:"
  } cases[] = {
      {"port = 1\n\nprot = 2\n", "3: unknown setting 'prot' (livekv --config-template lists them all)"},
      {"fsync = sometimes\n", "1: invalid value for fsync: 'sometimes' (accepted: always, everysec or no)"},
      {"# x\nport = 80000\n", "2: invalid value for port: '80000'"},
      {"port = 1\nport = 2\n", "2: port is set twice (first on line 1)"},
      {"config = /etc/other.conf\n", "1: unknown setting 'config' (a config file cannot name another)"},
      {"max-key-bytes = lots\n", "1: invalid value for max-key-bytes: 'lots'"},
  };
  for (const auto& c : cases) {
    const auto path = write(c.text);
    auto p = parse_config({"--config", path}, env_of({}));
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().message(), path + ":" + c.message);
  }
  auto syntax = parse_config({"--config", write("a\nport 8080\n")}, env_of({}));
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message().find("livekv.conf: line 1: expected 'name = value'"), std::string::npos)
      << syntax.error().message();
}

TEST_F(config_from_file, a_bad_value_the_environment_overrides_is_still_no_error_but_a_bad_name_is) {
  // The file's value is never read for a setting the environment sets; its name is still checked.
  auto p = parse_config({"--config", write("port = nonsense\n")}, env_of({{"LIVEKV_PORT", "9000"}}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.port, 9000);
  EXPECT_FALSE(parse_config({"--config", write("porrt = 1\n")}, env_of({{"LIVEKV_PORT", "9000"}})));
}

TEST_F(config_from_file, a_missing_file_is_an_error) {
  auto p = parse_config({"--config", (dir_ / "absent.conf").string()}, env_of({}));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("absent.conf"), std::string::npos) << p.error().message();
}

TEST_F(config_from_file, the_template_lists_every_setting_and_each_sample_is_accepted) {
  // Uncomment every "# name = value" line of the template: the result must be a valid file that
  // sets every setting (the samples are examples and defaults, and must parse).
  std::string uncommented;
  std::size_t settings = 0;
  const std::string t = config_template();
  std::size_t pos = 0;
  while (pos < t.size()) {
    auto nl = t.find('\n', pos);
    std::string line = t.substr(pos, nl - pos);
    pos = nl == std::string::npos ? t.size() : nl + 1;
    if (line.rfind("# ", 0) == 0 && line.find(" = ") != std::string::npos && line.find(' ', 2) == line.find(" = ")) {
      uncommented += line.substr(2) + "\n";
      ++settings;
    }
  }
  EXPECT_GE(settings, 40u);
  auto p = parse_config({"--config", write(uncommented)}, env_of({}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->cfg.sources.size(), settings) << "every line of the template set its setting";
  EXPECT_NE(help_text().find("--config FILE  [LIVEKV_CONFIG]"), std::string::npos);
}

}  // namespace
}  // namespace livekv

namespace livekv {
namespace {

TEST(config, the_access_log_destination_is_parsed_once_into_its_kind) {
  using kind = util::log_destination::kind;
  auto d = parse_config({}, env_of({}));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cfg.access_log.where, kind::off);
  auto s = parse_config({"--access-log", "stderr"}, env_of({}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cfg.access_log.where, kind::to_stderr);
  auto f = parse_config({}, env_of({{"LIVEKV_ACCESS_LOG", "/var/log/livekv/access.log"}}));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cfg.access_log, (util::log_destination{kind::file, "/var/log/livekv/access.log"}));
  EXPECT_EQ(util::to_string(f->cfg.access_log), "/var/log/livekv/access.log");
  EXPECT_FALSE(parse_config({"--access-log="}, env_of({})));
}

}  // namespace
}  // namespace livekv

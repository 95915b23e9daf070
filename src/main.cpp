// Wiring only: parse the configuration, build the server, run it, turn the outcome into an exit code.
#include <cstdio>
#include <exception>
#include <spdlog/spdlog.h>
#include <string>
#include <vector>

#include "livekv/auth/token_hash.hpp"
#include "livekv/config.hpp"
#include "livekv/server.hpp"
#include "livekv/util/logging.hpp"
#include "livekv/version.hpp"

int main(int argc, char** argv) {
  try {
    auto parsed = livekv::parse_config(std::vector<std::string>(argv + 1, argv + argc), livekv::process_env());
    if (!parsed) {
      std::fprintf(stderr, "livekv: %s\n", parsed.error().message().c_str());
      return 2;
    }
    if (parsed->show_help) {
      std::fputs(livekv::help_text().c_str(), stdout);
      return 0;
    }
    if (parsed->show_version) {
      std::printf("livekv %s\n", std::string(livekv::version).c_str());
      return 0;
    }
    if (parsed->config_template) {
      std::fputs(livekv::config_template().c_str(), stdout);
      return 0;
    }
    if (parsed->hash_token) {
      const std::string token = livekv::auth::make_token();
      std::printf("token: %s\nentry: {\"name\": \"NAME\", \"token_sha256\": \"%s\", \"roles\": [\"read\"], "
                  "\"prefixes\": [\"\"]}\n",
                  token.c_str(), livekv::auth::to_hex(livekv::auth::sha256(token)).c_str());
      return 0;
    }
    if (auto s = livekv::util::setup_logging(parsed->cfg.log_level, parsed->cfg.log_format, parsed->cfg.log_file); !s) {
      std::fprintf(stderr, "livekv: %s\n", s.message().c_str());
      return 2;
    }
    livekv::mask_stop_signals(true);  // before any thread starts: see server.hpp
    livekv::server srv(std::move(parsed->cfg));
    if (auto s = srv.open(); !s) {
      spdlog::critical("{}", s.message());
      return 1;
    }
    const auto outcome = srv.run();
    spdlog::shutdown();
    return outcome ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "livekv: fatal: %s\n", e.what());
    return 1;
  }
}

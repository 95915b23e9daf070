// The configuration on untrusted text: a config file an operator edits by hand (--config), read
// through the same path as at start (parse_config, which also applies every value's parser). Every
// text must give a configuration or an error naming the file and line, never a throw or a crash.
// Inputs starting with "ARGV|" are split at NUL bytes into a command line instead: CLI11's parsing
// and the per-flag parsers behind it, with the same promise.
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "livekv/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace livekv;
  const auto text = fuzz::as_text(data, size);
  const env_lookup no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  constexpr std::string_view argv_mark = "ARGV|";
  if (text.starts_with(argv_mark)) {
    std::vector<std::string> args;
    std::string_view rest = text.substr(argv_mark.size());
    while (!rest.empty()) {
      const auto nul = rest.find('\0');
      args.emplace_back(rest.substr(0, nul));
      rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    }
    (void)parse_config(args, no_env);
    return 0;
  }
  const std::string path = fuzz::scratch_dir() + "/livekv.conf";
  fuzz::write_file(path, text);
  const auto parsed = parse_config({"--config", path}, no_env);
  // An error names the file; anything else is a configuration whose every field was set by a parser.
  if (!parsed && parsed.error().message().find(path) == std::string::npos) __builtin_trap();
  return 0;
}

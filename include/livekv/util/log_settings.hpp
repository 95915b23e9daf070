#pragma once
// How the server logs (--log-level, --log-format, --access-log): the settings util/logging
// applies, in a small header of their own so that config can hold them without including spdlog.
#include <optional>
#include <string>
#include <string_view>

#include "livekv/util/enum_names.hpp"

namespace livekv::util {

// The least severe message the server log writes; off writes none.
enum class log_level { trace, debug, info, warn, error, off };

inline constexpr enum_names<log_level, 6> log_level_names{{"trace", "debug", "info", "warn", "error", "off"}};

// "trace", "debug", "info", "warn", "error" or "off".
constexpr std::string_view to_string(log_level l) noexcept { return log_level_names.to_string(l); }
// The inverse of to_string; nullopt for any other text.
constexpr std::optional<log_level> parse_log_level(std::string_view text) noexcept {
  return log_level_names.parse(text);
}

// The shape of server and access log lines: text for people, json (one object per line) for log
// shippers.
enum class log_format { text, json };

inline constexpr enum_names<log_format, 2> log_format_names{{"text", "json"}};

// "text" or "json".
constexpr std::string_view to_string(log_format f) noexcept { return log_format_names.to_string(f); }
// The inverse of to_string; nullopt for any other text.
constexpr std::optional<log_format> parse_log_format(std::string_view text) noexcept {
  return log_format_names.parse(text);
}

// Where a log goes (--access-log): nowhere, a standard stream, or a file (appended to, and
// reopened on SIGHUP).
struct log_destination {
  enum class kind { off, to_stderr, to_stdout, file };
  kind where = kind::off;
  std::string path;  // for file only

  bool operator==(const log_destination&) const = default;
};

// "off", "stderr", "stdout", or anything else non-empty as a file path; nullopt for "".
inline std::optional<log_destination> parse_log_destination(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "off") return log_destination{};
  if (text == "stderr") return log_destination{log_destination::kind::to_stderr, {}};
  if (text == "stdout") return log_destination{log_destination::kind::to_stdout, {}};
  return log_destination{log_destination::kind::file, std::string(text)};
}

// The inverse of parse_log_destination.
inline std::string to_string(const log_destination& d) {
  switch (d.where) {
    case log_destination::kind::off: return "off";
    case log_destination::kind::to_stderr: return "stderr";
    case log_destination::kind::to_stdout: return "stdout";
    case log_destination::kind::file: break;
  }
  return d.path;
}

}  // namespace livekv::util

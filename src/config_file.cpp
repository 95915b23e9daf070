#include "livekv/config_file.hpp"

#include <optional>

namespace livekv {
namespace {

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

bool valid_name(std::string_view n) {
  if (n.empty()) return false;
  for (const char c : n)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

// The inside of "..." with \" and \\ unescaped; nullopt when the quotes do not close at the end.
std::optional<std::string> unquote(std::string_view v) {
  std::string out;
  for (std::size_t i = 1; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '"') return i + 1 == v.size() ? std::optional(out) : std::nullopt;
    if (c == '\\') {
      if (i + 1 >= v.size() || (v[i + 1] != '"' && v[i + 1] != '\\')) return std::nullopt;
      out += v[++i];
      continue;
    }
    out += c;
  }
  return std::nullopt;
}

status line_error(std::size_t line, const std::string& what) {
  return status(errc::bad_request, "line " + std::to_string(line) + ": " + what);
}

}  // namespace

result<std::vector<config_entry>> parse_config_file(std::string_view text) {
  std::vector<config_entry> out;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    const std::string_view raw = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[')
      return line_error(line_no, "sections are not used: every setting is a line 'name = value'");
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      return line_error(line_no, "expected 'name = value', got '" + std::string(line) + "'");
    const std::string_view name = trim(line.substr(0, eq));
    std::string_view value = trim(line.substr(eq + 1));
    if (!valid_name(name))
      return line_error(line_no, "'" + std::string(name) +
                                     "' is not a setting name (names are flags without the dashes, e.g. data-dir)");
    std::string v(value);
    if (!value.empty() && value.front() == '"') {
      auto unq = unquote(value);
      if (!unq) return line_error(line_no, "the quoted value of " + std::string(name) + " does not end in '\"'");
      v = std::move(*unq);
    }
    out.push_back({std::string(name), std::move(v), line_no});
  }
  return out;
}

}  // namespace livekv

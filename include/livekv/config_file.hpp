#pragma once
// The config file's syntax (--config FILE): lines of `name = value`, where name is a flag's name
// without the leading dashes. What the names mean is config's business; this reads the lines.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/status.hpp"

namespace livekv {

struct config_entry {
  std::string name;
  std::string value;
  std::size_t line;  // 1-based, for error messages that point at the line
};

// Parses the text of a config file. Blank lines and lines whose first non-blank character is '#'
// are skipped; '#' elsewhere is part of the value (a path or an origin may hold one). Spaces around
// the name and the value are dropped; a value in double quotes keeps its spaces and may escape '"'
// and '\' with a backslash. A repeated name is kept twice: whether it may repeat is the caller's
// rule. Errors (errc::bad_request) start with "line N: ".
result<std::vector<config_entry>> parse_config_file(std::string_view text);

}  // namespace livekv

#pragma once
// A bound on how deeply any JSON the server parses may nest.
#include <cstddef>
#include <string_view>

namespace livekv::util {

// The deepest nesting of arrays and objects accepted in JSON from outside (request bodies, feed
// client messages). Real bodies nest three levels (a batch: object → "ops" array → op object).
// nlohmann's parser is iterative, but copying, comparing and destroying a value recurse once per
// level: a 131 KB body nested 65,000 levels deep overflowed the stack and killed the server.
inline constexpr std::size_t max_json_depth = 64;

// True when `text` opens more than `max_depth` arrays or objects inside one another. One linear
// pass that skips string contents (escapes included); it validates nothing else, so run it before
// the parser, which then never sees a document deep enough to hurt.
bool json_nesting_exceeds(std::string_view text, std::size_t max_depth = max_json_depth) noexcept;

}  // namespace livekv::util

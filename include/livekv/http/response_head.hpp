#pragma once
#include <string>
#include <string_view>

#include "livekv/http/types.hpp"

namespace livekv::http {

// The status line and header block of a response, serialized by us rather than by Beast's
// serializer: the head is a handful of short lines, and building them into one reused string costs
// a fraction of Beast's generic buffer-sequence machinery (its iterators were ~15 % of the CPU of a
// GET under load). The body is written separately, straight from the stored value.
//
// Usage per response: start(res), add() the session's own fields, finish(), then write view().
// The string keeps its capacity, so a connection's heads stop allocating after its first.
class response_head {
 public:
  // The status line and every field of `res`, in the order the handler set them.
  void start(const response& res);
  // One more field; `name` and `value` must not contain CR or LF.
  void add(std::string_view name, std::string_view value);
  void add(std::string_view name, std::uint64_t value);
  // Ends the head (the empty line).
  void finish();
  std::string_view view() const noexcept { return text_; }

 private:
  std::string text_;
};

}  // namespace livekv::http

#include "livekv/store/key.hpp"

#include <string>

#include "livekv/util/utf8.hpp"

namespace livekv::store {

status validate_key(std::string_view key, std::size_t max_bytes) {
  if (key.empty()) return {errc::bad_key, "the key is empty"};
  if (key.size() > max_bytes) {
    return {errc::key_too_long, "the key is " + std::to_string(key.size()) +
                                    " bytes; the limit is " + std::to_string(max_bytes)};
  }
  if (!util::is_printable_utf8(key)) {
    return {errc::bad_key, "the key must be UTF-8 without control characters"};
  }
  return status::success();
}

}  // namespace livekv::store

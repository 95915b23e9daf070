#include "livekv/util/json_text.hpp"

#include <cassert>

namespace livekv::util {

void append_json_escaped(std::string& out, std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

void json_writer::separate() {
  if (depth_ == 0) return;  // a top-level value
  const std::uint32_t bit = std::uint32_t{1} << (depth_ - 1);
  if (nonempty_ & bit) out_ += ',';
  nonempty_ |= bit;
}

void json_writer::member(std::string_view name) {
  separate();
  out_ += '"';
  out_ += name;
  out_ += "\":";
}

json_writer& json_writer::open(char bracket) {
  assert(depth_ < 32 && "json_writer nests at most 32 levels");
  out_ += bracket;
  ++depth_;
  nonempty_ &= ~(std::uint32_t{1} << (depth_ - 1));
  return *this;
}

json_writer& json_writer::close(char bracket) {
  assert(depth_ > 0 && "json_writer: an end_* without its begin_*");
  --depth_;
  out_ += bracket;
  return *this;
}

json_writer& json_writer::begin_object() { separate(); return open('{'); }
json_writer& json_writer::begin_object(std::string_view name) { member(name); return open('{'); }
json_writer& json_writer::end_object() { return close('}'); }
json_writer& json_writer::begin_array(std::string_view name) { member(name); return open('['); }
json_writer& json_writer::end_array() { return close(']'); }

json_writer& json_writer::string(std::string_view name, std::string_view value) {
  return string(name, {}, value);
}

json_writer& json_writer::string(std::string_view name, std::string_view prefix, std::string_view value) {
  member(name);
  out_ += '"';
  append_json_escaped(out_, prefix);
  append_json_escaped(out_, value);
  out_ += '"';
  return *this;
}

json_writer& json_writer::number(std::string_view name, std::uint64_t value) {
  member(name);
  out_ += std::to_string(value);
  return *this;
}

json_writer& json_writer::boolean(std::string_view name, bool value) {
  member(name);
  out_ += value ? "true" : "false";
  return *this;
}

}  // namespace livekv::util

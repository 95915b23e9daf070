#include "livekv/http/response_head.hpp"

#include <charconv>

namespace livekv::http {

void response_head::start(const response& res) {
  text_.clear();
  text_ += res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  {
    char digits[8];
    const auto end = std::to_chars(digits, digits + sizeof digits, res.result_int()).ptr;
    text_.append(digits, end);
  }
  text_ += ' ';
  text_ += res.reason();  // the standard phrase unless a handler set another
  text_ += "\r\n";
  for (const auto& f : res) add(f.name_string(), f.value());
}

void response_head::add(std::string_view name, std::string_view value) {
  text_ += name;
  text_ += ": ";
  text_ += value;
  text_ += "\r\n";
}

void response_head::add(std::string_view name, std::uint64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  add(name, std::string_view(digits, static_cast<std::size_t>(end - digits)));
}

void response_head::finish() { text_ += "\r\n"; }

}  // namespace livekv::http

#pragma once
// The one room for JSON the server writes by hand: the string escaper and a small writer. They
// serve the hot answers (a PUT, a 404, every feed event), where building an nlohmann object and
// dumping it cost more than the rest of the request; everything else builds nlohmann JSON.
#include <cstdint>
#include <string>
#include <string_view>

namespace livekv::util {

// Appends `s` to `out` escaped for the inside of a JSON string: quote, backslash and control
// characters (as \n, \t, ... or \u00XX); every other byte as it is, so valid UTF-8 in gives valid
// JSON out (callers check UTF-8, or send bytes as base64).
void append_json_escaped(std::string& out, std::string_view s);

// Appends compact JSON to a caller's string, placing the commas, quotes and colons:
//
//   json_writer(out).begin_object().string("key", k).number("revision", 7).boolean("created", true).end_object();
//
// appends {"key":"<k escaped>","revision":7,"created":true}. String values are escaped; member
// names are written as given (they are literals that need no escaping). The caller nests its
// calls properly (each begin_* closed by its end_*, members only inside an object, bare objects
// only at the top or inside an array, at most 32 levels); that is not checked. A writer holds a
// reference to `out`, which must outlive it. Not thread-safe: one writer per string.
class json_writer {
 public:
  explicit json_writer(std::string& out) noexcept : out_(out) {}

  json_writer& begin_object();                       // {  at the top, or an element of an array
  json_writer& begin_object(std::string_view name);  // "name":{  a member
  json_writer& end_object();
  json_writer& begin_array(std::string_view name);   // "name":[  a member
  json_writer& end_array();

  // Members of the object being written.
  json_writer& string(std::string_view name, std::string_view value);
  // "name":"<prefix><value>": one string from two pieces (a URN, say), without joining them first.
  json_writer& string(std::string_view name, std::string_view prefix, std::string_view value);
  json_writer& number(std::string_view name, std::uint64_t value);
  json_writer& boolean(std::string_view name, bool value);

 private:
  void separate();                   // the comma before every member or element but the first
  void member(std::string_view name);  // separate(), then "name":
  json_writer& open(char bracket);   // the bracket; a new, empty container one level deeper
  json_writer& close(char bracket);

  std::string& out_;
  unsigned depth_ = 0;          // containers open
  std::uint32_t nonempty_ = 0;  // bit d-1: the container at depth d holds something already
};

}  // namespace livekv::util

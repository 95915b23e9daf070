#include "livekv/http/http_date.hpp"

namespace livekv::http {

namespace {

// Two digits, zero-padded.
char* put2(char* p, int v) noexcept {
  *p++ = static_cast<char>('0' + v / 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

char* put3(char* p, const char* s) noexcept {
  *p++ = s[0];
  *p++ = s[1];
  *p++ = s[2];
  return p;
}

}  // namespace

std::string_view format_http_date(std::time_t t, char (&out)[http_date_size]) noexcept {
  // By hand rather than strftime: its %a and %b follow LC_TIME, and the header must be English.
  static constexpr const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  gmtime_r(&t, &tm);
  const int year = tm.tm_year + 1900;
  char* p = out;
  p = put3(p, days[tm.tm_wday]);
  *p++ = ',';
  *p++ = ' ';
  p = put2(p, tm.tm_mday);
  *p++ = ' ';
  p = put3(p, months[tm.tm_mon]);
  *p++ = ' ';
  p = put2(p, year / 100 % 100);
  p = put2(p, year % 100);
  *p++ = ' ';
  p = put2(p, tm.tm_hour);
  *p++ = ':';
  p = put2(p, tm.tm_min);
  *p++ = ':';
  p = put2(p, tm.tm_sec);
  *p++ = ' ';
  *p++ = 'G';
  *p++ = 'M';
  *p++ = 'T';
  return {out, static_cast<std::size_t>(p - out)};
}

std::string_view current_http_date() noexcept {
  // Per thread, so no lock and no sharing between the io threads: each formats once a second.
  struct cached_date {
    std::time_t second = -1;
    char text[http_date_size];
  };
  thread_local cached_date cache;
  const std::time_t now = std::time(nullptr);
  if (now != cache.second) {
    format_http_date(now, cache.text);
    cache.second = now;
  }
  return {cache.text, http_date_size};
}

}  // namespace livekv::http

#include "livekv/http/http_date.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace livekv::http {
namespace {

std::string format(std::time_t t) {
  char out[http_date_size];
  return std::string(format_http_date(t, out));
}

TEST(http_date, formats_the_rfc_9110_example_as_an_imf_fixdate) {
  EXPECT_EQ(format(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(http_date, pads_every_field_and_handles_the_epoch_leap_days_and_the_last_four_digit_year) {
  EXPECT_EQ(format(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(format(253402300799), "Fri, 31 Dec 9999 23:59:59 GMT");
}

TEST(http_date, the_current_date_is_now_in_imf_fixdate_form) {
  const std::time_t before = std::time(nullptr);
  const std::string now(current_http_date());
  const std::time_t after = std::time(nullptr);
  EXPECT_TRUE(std::regex_match(now, std::regex(R"([A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT)"))) << now;
  EXPECT_TRUE(now == format(before) || now == format(after)) << now;
  EXPECT_EQ(now.size(), http_date_size);
}

}  // namespace
}  // namespace livekv::http

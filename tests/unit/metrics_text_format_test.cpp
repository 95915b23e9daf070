#include <gtest/gtest.h>

#include <clocale>
#include <limits>
#include <locale>
#include <string>
#include <vector>

#include "livekv/metrics/registry.hpp"
#include "livekv/metrics/text_format.hpp"

namespace livekv::metrics {
namespace {

std::string value_text(double v) {
  std::string out;
  append_value(v, out);
  return out;
}

TEST(metrics_text_format, content_type_is_the_0_0_4_text_format) {
  EXPECT_EQ(text_content_type, "text/plain; version=0.0.4; charset=utf-8");
}

TEST(metrics_text_format, small_registry_is_written_exactly) {
  registry reg;
  auto requests = *reg.add_counter("livekv_http_requests_total", "HTTP requests served.",
                                   {"route", "method", "code"});
  requests->with({"/v1/kv/{key}", "GET", "200"}).inc(3);
  requests->with({"/v1/kv/{key}", "PUT", "201"}).inc();
  (**reg.add_gauge("livekv_http_connections", "Open HTTP connections.")).set(2);
  (**reg.add_counter("livekv_http_bytes_received_total", "Request bytes read.")).inc(1048576);
  ASSERT_TRUE(reg.add_callback_gauge("livekv_revision", "Latest committed revision.",
                                     [] { return 42.0; }));

  EXPECT_EQ(to_text(reg.collect()),
            "# HELP livekv_http_bytes_received_total Request bytes read.\n"
            "# TYPE livekv_http_bytes_received_total counter\n"
            "livekv_http_bytes_received_total 1048576\n"
            "# HELP livekv_http_connections Open HTTP connections.\n"
            "# TYPE livekv_http_connections gauge\n"
            "livekv_http_connections 2\n"
            "# HELP livekv_http_requests_total HTTP requests served.\n"
            "# TYPE livekv_http_requests_total counter\n"
            "livekv_http_requests_total{route=\"/v1/kv/{key}\",method=\"GET\",code=\"200\"} 3\n"
            "livekv_http_requests_total{route=\"/v1/kv/{key}\",method=\"PUT\",code=\"201\"} 1\n"
            "# HELP livekv_revision Latest committed revision.\n"
            "# TYPE livekv_revision gauge\n"
            "livekv_revision 42\n");
}

TEST(metrics_text_format, histogram_is_cumulative_with_inf_sum_and_count) {
  registry reg;
  auto duration = *reg.add_histogram("livekv_http_request_duration_seconds",
                                     "Request latency.", {"route"}, {0.005, 0.5, 1});
  histogram& h = duration->with({"/v1/kv/{key}"});
  h.observe(0.001);
  h.observe(0.25);
  h.observe(0.5);
  h.observe(3);
  histogram& plain = **reg.add_histogram("livekv_expiry_lag_seconds", "Expiry lag.", {1});
  plain.observe(0.5);

  EXPECT_EQ(to_text(reg.collect()),
            "# HELP livekv_expiry_lag_seconds Expiry lag.\n"
            "# TYPE livekv_expiry_lag_seconds histogram\n"
            "livekv_expiry_lag_seconds_bucket{le=\"1\"} 1\n"
            "livekv_expiry_lag_seconds_bucket{le=\"+Inf\"} 1\n"
            "livekv_expiry_lag_seconds_sum 0.5\n"
            "livekv_expiry_lag_seconds_count 1\n"
            "# HELP livekv_http_request_duration_seconds Request latency.\n"
            "# TYPE livekv_http_request_duration_seconds histogram\n"
            "livekv_http_request_duration_seconds_bucket{route=\"/v1/kv/{key}\",le=\"0.005\"} 1\n"
            "livekv_http_request_duration_seconds_bucket{route=\"/v1/kv/{key}\",le=\"0.5\"} 3\n"
            "livekv_http_request_duration_seconds_bucket{route=\"/v1/kv/{key}\",le=\"1\"} 3\n"
            "livekv_http_request_duration_seconds_bucket{route=\"/v1/kv/{key}\",le=\"+Inf\"} 4\n"
            "livekv_http_request_duration_seconds_sum{route=\"/v1/kv/{key}\"} 3.751\n"
            "livekv_http_request_duration_seconds_count{route=\"/v1/kv/{key}\"} 4\n");
}

TEST(metrics_text_format, label_values_escape_backslash_quote_and_newline) {
  registry reg;
  auto f = *reg.add_counter("livekv_odd_total", "Odd labels.", {"v"});
  f->with({"a\\b"}).inc();
  f->with({"say \"hi\""}).inc();
  f->with({"two\nlines"}).inc();
  f->with({"caf\xc3\xa9 {x}=y,z"}).inc();  // UTF-8 and punctuation pass through
  EXPECT_EQ(to_text(reg.collect()),
            "# HELP livekv_odd_total Odd labels.\n"
            "# TYPE livekv_odd_total counter\n"
            "livekv_odd_total{v=\"a\\\\b\"} 1\n"
            "livekv_odd_total{v=\"caf\xc3\xa9 {x}=y,z\"} 1\n"
            "livekv_odd_total{v=\"say \\\"hi\\\"\"} 1\n"
            "livekv_odd_total{v=\"two\\nlines\"} 1\n");
}

TEST(metrics_text_format, help_escapes_backslash_and_newline_but_not_quotes) {
  registry reg;
  ASSERT_TRUE(reg.add_gauge("livekv_g", "Path C:\\data\nsecond \"line\"."));
  EXPECT_EQ(to_text(reg.collect()),
            "# HELP livekv_g Path C:\\\\data\\nsecond \"line\".\n"
            "# TYPE livekv_g gauge\n"
            "livekv_g 0\n");
}

TEST(metrics_text_format, special_values_are_written_as_prometheus_spells_them) {
  EXPECT_EQ(value_text(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(value_text(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(value_text(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(metrics_text_format, whole_numbers_have_no_exponent_while_exact) {
  EXPECT_EQ(value_text(0), "0");
  EXPECT_EQ(value_text(-0.0), "0");
  EXPECT_EQ(value_text(1e6), "1000000");
  EXPECT_EQ(value_text(-42), "-42");
  EXPECT_EQ(value_text(9007199254740992.0), "9007199254740992");  // 2^53
  EXPECT_EQ(value_text(1e20), "1e+20");  // beyond 2^53: shortest round-trip form
}

TEST(metrics_text_format, fractions_use_the_shortest_round_trip_form) {
  EXPECT_EQ(value_text(0.1), "0.1");
  EXPECT_EQ(value_text(2.5), "2.5");
  EXPECT_EQ(value_text(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(value_text(1.5e-7), "1.5e-07");
  EXPECT_EQ(std::stod(value_text(1.0 / 3)), 1.0 / 3);
}

// Decimal comma and dot grouping, as de_DE has: what iostreams would pick up.
struct decimal_comma : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

TEST(metrics_text_format, output_does_not_depend_on_the_locale) {
  // The C++ global locale always; the C locale (printf) too when a decimal-comma one is installed.
  std::locale previous =
      std::locale::global(std::locale(std::locale::classic(), new decimal_comma));
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"}) {
    if (std::setlocale(LC_ALL, name) != nullptr) break;
  }
  const std::string text = value_text(0.25) + " " + value_text(1234567.5) + " " + value_text(1e6);
  std::locale::global(previous);
  std::setlocale(LC_ALL, "C");
  EXPECT_EQ(text, "0.25 1234567.5 1000000");
}

TEST(metrics_text_format, hand_built_snapshot_without_samples_writes_nothing) {
  std::vector<family_snapshot> families(1);
  families[0].name = "livekv_empty";
  families[0].help = "Nothing yet.";
  EXPECT_EQ(to_text(families), "");
}

TEST(metrics_text_format, write_text_appends_in_the_given_order) {
  std::vector<family_snapshot> families(2);
  families[0].name = "b";
  families[0].help = "B.";
  families[0].samples.resize(1);
  families[0].samples[0].value = 1;
  families[1].name = "a";
  families[1].help = "A.";
  families[1].type = metric_type::counter;
  families[1].samples.resize(1);
  families[1].samples[0].value = 2.5;
  std::string out = "prefix\n";
  write_text(families, out);
  EXPECT_EQ(out,
            "prefix\n"
            "# HELP b B.\n# TYPE b gauge\nb 1\n"
            "# HELP a A.\n# TYPE a counter\na 2.5\n");
}

}  // namespace
}  // namespace livekv::metrics

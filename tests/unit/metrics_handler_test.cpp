// GET /metrics called directly: prometheus-cpp's Registry and our collectors, merged, ordered and
// written in the text format.
#include "livekv/handlers/metrics_handler.hpp"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <clocale>
#include <locale>
#include <string>
#include <vector>

#include "livekv/metrics/snapshot.hpp"

namespace livekv::handlers {
namespace {

// A collector returning fixed families, as ours build them at scrape time.
struct fixed_collector final : prometheus::Collectable {
  std::vector<prometheus::MetricFamily> families;
  std::vector<prometheus::MetricFamily> Collect() const override { return families; }
};

http::response get(metrics_handler& h) {
  http::request req{http::verb::get, "/metrics", 11};
  http::request_context ctx{req, "", "", "", "127.0.0.1:1", {}, {}, {}, {}, {}, {}, {}};
  return h.scrape(ctx);
}

TEST(metrics_handler, answers_in_the_0_0_4_text_format) {
  metrics_handler h;
  const auto res = get(h);
  EXPECT_EQ(res.result(), http::status_code::ok);
  EXPECT_EQ(res[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res.body().text, "");
}

TEST(metrics_handler, registry_and_collectors_are_merged_in_name_order_with_samples_in_label_order) {
  prometheus::Registry reg;
  auto& writes = prometheus::BuildCounter().Name("livekv_writes_total").Help("Writes.").Register(reg);
  writes.Add({{"op", "put"}}).Increment(3);
  writes.Add({{"op", "delete"}});
  writes.Add({{"op", "expire"}}).Increment();
  fixed_collector c;
  c.families.push_back(metrics::make_gauge("livekv_revision", "The revision.", 42));
  c.families.push_back(metrics::make_counter("livekv_commits_total", "Commits.", 4));
  metrics_handler h;
  h.add(reg);
  h.add(c);
  EXPECT_EQ(get(h).body().text,
            "# HELP livekv_commits_total Commits.\n"
            "# TYPE livekv_commits_total counter\n"
            "livekv_commits_total 4\n"
            "# HELP livekv_revision The revision.\n"
            "# TYPE livekv_revision gauge\n"
            "livekv_revision 42\n"
            "# HELP livekv_writes_total Writes.\n"
            "# TYPE livekv_writes_total counter\n"
            "livekv_writes_total{op=\"delete\"} 0\n"
            "livekv_writes_total{op=\"expire\"} 1\n"
            "livekv_writes_total{op=\"put\"} 3\n");
}

TEST(metrics_handler, families_without_samples_are_left_out) {
  prometheus::Registry reg;
  prometheus::BuildCounter().Name("livekv_unused_total").Help("No child yet.").Register(reg);
  fixed_collector c;
  c.families.push_back(metrics::make_family("livekv_http_requests_total", "Requests.", prometheus::MetricType::Counter));
  metrics_handler h;
  h.add(reg);
  h.add(c);
  EXPECT_EQ(get(h).body().text, "");
}

// Decimal comma and dot grouping, as de_DE has: what iostreams would pick up.
struct decimal_comma : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

TEST(metrics_handler, output_does_not_depend_on_the_locale) {
  fixed_collector c;
  c.families.push_back(metrics::make_gauge("a", "A.", 0.25));
  c.families.push_back(metrics::make_gauge("b", "B.", 1234567.5));
  c.families.push_back(metrics::make_counter("c_total", "C.", 1e6));
  metrics_handler h;
  h.add(c);
  // The C++ global locale always; the C locale (printf) too when a decimal-comma one is installed.
  std::locale previous = std::locale::global(std::locale(std::locale::classic(), new decimal_comma));
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"}) {
    if (std::setlocale(LC_ALL, name) != nullptr) break;
  }
  const std::string text = get(h).body().text;
  std::locale::global(previous);
  std::setlocale(LC_ALL, "C");
  EXPECT_NE(text.find("\na 0.25\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nb 1234567.5\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nc_total 1000000\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace livekv::handlers

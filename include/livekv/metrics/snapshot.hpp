#pragma once
// What a scrape is made of: prometheus-cpp's plain MetricFamily and ClientMetric values, which
// prometheus::TextSerializer writes. Our collectors (prometheus::Collectable implementations) build
// them at scrape time from what the components count or keep anyway; these helpers shorten the
// common cases. Label order is the collector's: the text format writes labels in the order given.
#include <prometheus/metric_family.h>

#include <string>

namespace livekv::metrics {

// A family without samples yet: the collector appends them to `metric`.
prometheus::MetricFamily make_family(std::string name, std::string help, prometheus::MetricType type);

// A family of one unlabelled sample.
prometheus::MetricFamily make_gauge(std::string name, std::string help, double value);
prometheus::MetricFamily make_counter(std::string name, std::string help, double value);

}  // namespace livekv::metrics

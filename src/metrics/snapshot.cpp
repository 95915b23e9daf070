#include "livekv/metrics/snapshot.hpp"

#include <utility>

namespace livekv::metrics {

prometheus::MetricFamily make_family(std::string name, std::string help, prometheus::MetricType type) {
  prometheus::MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

prometheus::MetricFamily make_gauge(std::string name, std::string help, double value) {
  auto f = make_family(std::move(name), std::move(help), prometheus::MetricType::Gauge);
  f.metric.emplace_back().gauge.value = value;
  return f;
}

prometheus::MetricFamily make_counter(std::string name, std::string help, double value) {
  auto f = make_family(std::move(name), std::move(help), prometheus::MetricType::Counter);
  f.metric.emplace_back().counter.value = value;
  return f;
}

}  // namespace livekv::metrics

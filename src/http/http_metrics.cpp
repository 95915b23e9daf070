#include "livekv/http/http_metrics.hpp"

#include <algorithm>
#include <iterator>
#include <string_view>

#include "livekv/metrics/snapshot.hpp"

namespace livekv::http {
namespace {

std::size_t method_index(verb m) noexcept {
  switch (m) {
    case verb::get: return 0;
    case verb::head: return 1;
    case verb::put: return 2;
    case verb::delete_: return 3;
    case verb::post: return 4;
    default: return 5;
  }
}

constexpr std::string_view method_labels[] = {"GET", "HEAD", "PUT", "DELETE", "POST", "other"};

constexpr unsigned cached_codes[] = {200, 201, 202, 204, 304, 400, 404, 405, 409, 410,
                                     411, 412, 413, 414, 429, 431, 500, 503, 101};

std::size_t code_index(unsigned code) noexcept {
  for (std::size_t i = 0; i < std::size(cached_codes); ++i)
    if (cached_codes[i] == code) return i;
  return std::size(cached_codes);  // not cached: looked up each time
}

}  // namespace

http_metrics::per_route::per_route(std::size_t i, std::string l)
    : index(i), label(std::move(l)), duration(metrics::exponential_buckets(0.00005, 2, 18)) {}

http_metrics::http_metrics(const router& routes) {
  routes_.reserve(routes.size() + 1);
  for (std::size_t i = 0; i <= routes.size(); ++i) {
    std::string label = routes.label(i == routes.size() ? router::no_route : i);
    auto same = std::find_if(labelled_.begin(), labelled_.end(), [&](const auto& r) { return r->label == label; });
    if (same == labelled_.end()) {
      labelled_.push_back(std::make_unique<per_route>(labelled_.size(), std::move(label)));
      same = std::prev(labelled_.end());
    }
    routes_.push_back(same->get());
  }
}

http_metrics::count& http_metrics::requests_for(per_route& r, verb method, unsigned code) {
  const std::size_t mi = method_index(method);
  const std::size_t ci = code_index(code);
  std::atomic<count*>* slot = ci < std::size(cached_codes) ? &r.requests[mi * codes + ci] : nullptr;
  if (slot) {
    if (count* c = slot->load(std::memory_order_acquire)) return *c;
  }
  // Cold: the first request of this kind (or an uncached code). Two threads may both get here;
  // the map gives both the same child.
  util::lock_guard lock(children_mutex_);
  auto& child = children_[child_key{r.index, mi, code}];
  if (!child) child = std::make_unique<count>();
  if (slot) slot->store(child.get(), std::memory_order_release);
  return *child;
}

void http_metrics::record(std::size_t route, verb method, unsigned code, double seconds, std::uint64_t bytes_in,
                          std::uint64_t bytes_out) noexcept {
  per_route& r = *routes_[route < routes_.size() - 1 ? route : routes_.size() - 1];
  try {
    requests_for(r, method, code).value.fetch_add(1, std::memory_order_relaxed);
  } catch (...) {
    // Only allocation can fail here (a new child); losing one count beats losing the request.
  }
  r.duration.observe(seconds);
  bytes_in_.value.fetch_add(bytes_in, std::memory_order_relaxed);
  bytes_out_.value.fetch_add(bytes_out, std::memory_order_relaxed);
}

std::vector<prometheus::MetricFamily> http_metrics::Collect() const {
  using prometheus::MetricType;
  auto requests = metrics::make_family("livekv_http_requests_total",
                                       "HTTP requests answered, by route, method and status code.", MetricType::Counter);
  {
    util::lock_guard lock(children_mutex_);
    requests.metric.reserve(children_.size());
    for (const auto& [key, c] : children_) {
      const auto& [ri, mi, code] = key;
      auto& m = requests.metric.emplace_back();
      // Labels in this order (prometheus-cpp's own families sort them by name): the series the
      // dashboards and alerts select were written route, method, code.
      m.label = {{"route", labelled_[ri]->label}, {"method", std::string(method_labels[mi])},
                 {"code", std::to_string(code)}};
      m.counter.value = static_cast<double>(c->value.load(std::memory_order_relaxed));
    }
  }
  auto duration = metrics::make_family("livekv_http_request_duration_seconds",
                                       "Time from a request's head being read to its answer being written, by route.",
                                       MetricType::Histogram);
  duration.metric.reserve(labelled_.size());
  for (const auto& r : labelled_) {
    auto& m = duration.metric.emplace_back(r->duration.collect());
    m.label = {{"route", r->label}};
  }
  std::vector<prometheus::MetricFamily> out;
  out.reserve(4);
  out.push_back(std::move(requests));
  out.push_back(std::move(duration));
  out.push_back(metrics::make_counter("livekv_http_received_bytes_total", "Bytes of HTTP requests read (heads and bodies).",
                                      static_cast<double>(bytes_in_.value.load(std::memory_order_relaxed))));
  out.push_back(metrics::make_counter("livekv_http_sent_bytes_total", "Bytes of HTTP responses written.",
                                      static_cast<double>(bytes_out_.value.load(std::memory_order_relaxed))));
  return out;
}

}  // namespace livekv::http

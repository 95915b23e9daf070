#include "livekv/http/http_metrics.hpp"

#include <string_view>

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

std::string_view method_label(verb m) noexcept {
  static constexpr std::string_view labels[] = {"GET", "HEAD", "PUT", "DELETE", "POST", "other"};
  return labels[method_index(m)];
}

constexpr unsigned cached_codes[] = {200, 201, 202, 204, 304, 400, 404, 405, 409, 410,
                                     411, 412, 413, 414, 429, 431, 500, 503, 101};

std::size_t code_index(unsigned code) noexcept {
  for (std::size_t i = 0; i < std::size(cached_codes); ++i)
    if (cached_codes[i] == code) return i;
  return std::size(cached_codes);  // not cached: looked up each time
}

}  // namespace

result<std::unique_ptr<http_metrics>> http_metrics::make(metrics::registry& reg, const router& routes) {
  std::unique_ptr<http_metrics> m(new http_metrics());
  auto requests = reg.add_counter("livekv_http_requests_total", "HTTP requests answered, by route, method and status code.",
                                  {"route", "method", "code"});
  if (!requests) return requests.error();
  m->requests_ = *requests;
  auto duration = reg.add_histogram("livekv_http_request_duration_seconds",
                                    "Time from a request's head being read to its answer being written, by route.",
                                    {"route"}, metrics::exponential_buckets(0.00005, 2, 18));
  if (!duration) return duration.error();
  auto in = reg.add_counter("livekv_http_received_bytes_total", "Bytes of HTTP requests read (heads and bodies).");
  if (!in) return in.error();
  auto out = reg.add_counter("livekv_http_sent_bytes_total", "Bytes of HTTP responses written.");
  if (!out) return out.error();
  m->bytes_in_ = *in;
  m->bytes_out_ = *out;
  for (std::size_t i = 0; i <= routes.size(); ++i) {
    auto r = std::make_unique<per_route>();
    r->label = routes.label(i == routes.size() ? router::no_route : i);
    const std::string_view l = r->label;
    r->duration = &(*duration)->with({l});
    m->routes_.push_back(std::move(r));
  }
  return m;
}

metrics::counter& http_metrics::requests_for(per_route& r, verb method, unsigned code) {
  const std::size_t ci = code_index(code);
  if (ci == std::size(cached_codes)) {
    const std::string code_label = std::to_string(code);
    return requests_->with({std::string_view(r.label), method_label(method), std::string_view(code_label)});
  }
  auto& slot = r.requests[method_index(method) * codes + ci];
  metrics::counter* c = slot.load(std::memory_order_acquire);
  if (!c) {
    // Cold: the label is built only on the first request of this kind. Two threads may both look
    // it up; with() returns the same child to both.
    const std::string code_label = std::to_string(code);
    c = &requests_->with({std::string_view(r.label), method_label(method), std::string_view(code_label)});
    slot.store(c, std::memory_order_release);
  }
  return *c;
}

void http_metrics::record(std::size_t route, verb method, unsigned code, double seconds, std::uint64_t bytes_in,
                          std::uint64_t bytes_out) noexcept {
  per_route& r = *routes_[route < routes_.size() - 1 ? route : routes_.size() - 1];
  try {
    requests_for(r, method, code).inc();
  } catch (...) {
    // Only allocation can fail here (a new child); losing one count beats losing the request.
  }
  r.duration->observe(seconds);
  bytes_in_->inc(bytes_in);
  bytes_out_->inc(bytes_out);
}

}  // namespace livekv::http

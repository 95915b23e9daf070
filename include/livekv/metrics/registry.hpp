#pragma once
// The metrics registry: every metric family of the process, by name, and the scrape that reads
// them all. Owned by the server and passed by reference; not a global.
//
// Thread-safety contract
//   - Registration (add_*) and collect() are thread-safe; they take the registry's mutex, so keep
//     them off the hot path: register at start-up, collect on a scrape.
//   - family::with() is thread-safe and takes that family's mutex: call it once per label tuple
//     and cache the reference.
//   - counter::inc, gauge::set/inc/dec and histogram::observe take no lock, from any thread.
//   - Every pointer and reference handed out stays valid, at the same address, until the
//     registry is destroyed. Nothing is ever unregistered.
//   - Callbacks run on the scraping thread, without the registry's lock, possibly concurrently
//     with each other if two scrapes overlap; they must not call into the registry.
//
// Caching children (how the HTTP layer is expected to wire it):
//
//   struct http_metrics {
//     metrics::counter_family<3>* requests;    // {route, method, code}
//     metrics::histogram_family<1>* duration;  // {route}
//     metrics::counter* bytes_received;
//   };
//
//   result<http_metrics> make_http_metrics(metrics::registry& reg) {
//     auto requests = reg.add_counter("livekv_http_requests_total",
//                                     "HTTP requests by route, method and status code.",
//                                     {"route", "method", "code"});
//     if (!requests) return requests.error();
//     auto duration = reg.add_histogram("livekv_http_request_duration_seconds",
//                                       "Time from request read to response written.",
//                                       {"route"}, metrics::exponential_buckets(0.0001, 2, 16));
//     if (!duration) return duration.error();
//     auto received = reg.add_counter("livekv_http_bytes_received_total", "Request bytes read.");
//     if (!received) return received.error();
//     return http_metrics{*requests, *duration, *received};
//   }
//
//   // Once per route, when the router is built (cold): resolve the children and keep references.
//   metrics::counter& get_ok = m.requests->with({"GET", "/v1/kv/{key}", "200"});
//   metrics::histogram& get_latency = m.duration->with({"/v1/kv/{key}"});
//   // Per request (hot): no lookup, no lock.
//   get_ok.inc();
//   get_latency.observe(elapsed_seconds);
//
//   // Values the program already keeps are read at scrape time instead of mirrored:
//   reg.add_callback_gauge("livekv_keys", "Live keys in the store.",
//                          [&store] { return static_cast<double>(store.size()); });
//
// Names follow Prometheus conventions: `livekv_` prefix, base units (`_seconds`, `_bytes`),
// `_total` on counters. The registry checks syntax and uniqueness, not conventions (promtool
// check metrics does: tests/integration/metrics_promtool.sh).
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "livekv/metrics/counter.hpp"
#include "livekv/metrics/family.hpp"
#include "livekv/metrics/gauge.hpp"
#include "livekv/metrics/histogram.hpp"
#include "livekv/metrics/snapshot.hpp"
#include "livekv/status.hpp"

namespace livekv::metrics {

template <std::size_t N>
using counter_family = family<counter, N>;
template <std::size_t N>
using gauge_family = family<gauge, N>;
template <std::size_t N>
using histogram_family = family<histogram, N>;

// Computes a value at scrape time. nullopt means "unknown right now" (e.g. /proc unreadable):
// the sample is left out of that scrape rather than reported as a made-up number.
using value_callback = std::function<std::optional<double>()>;

class registry {
 public:
  registry() = default;
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  // Registration. Every add_* fails, registering nothing, with errc::internal when:
  //   - the name is not [a-zA-Z_:][a-zA-Z0-9_:]*, or the help text is empty;
  //   - a label name is not [a-zA-Z_][a-zA-Z0-9_]*, starts with "__", repeats, or is "le" on a
  //     histogram;
  //   - any series name it would expose is already exposed by another family (a histogram "x"
  //     exposes x_bucket, x_sum and x_count too);
  //   - a histogram's bounds are rejected by bucket_bounds::make.
  // On success the pointer is never null. Unlabelled metrics exist (at 0) from registration.

  result<counter*> add_counter(std::string_view name, std::string_view help);
  template <std::size_t N>
  result<counter_family<N>*> add_counter(std::string_view name, std::string_view help,
                                         const std::string_view (&label_names)[N]) {
    return add_family<counter, N>(name, help, label_names, counter::config{});
  }

  result<gauge*> add_gauge(std::string_view name, std::string_view help);
  template <std::size_t N>
  result<gauge_family<N>*> add_gauge(std::string_view name, std::string_view help,
                                     const std::string_view (&label_names)[N]) {
    return add_family<gauge, N>(name, help, label_names, gauge::config{});
  }

  result<histogram*> add_histogram(std::string_view name, std::string_view help,
                                   std::vector<double> upper_bounds);
  template <std::size_t N>
  result<histogram_family<N>*> add_histogram(std::string_view name, std::string_view help,
                                             const std::string_view (&label_names)[N],
                                             std::vector<double> upper_bounds) {
    auto bounds = make_bounds(name, std::move(upper_bounds));
    if (!bounds) return bounds.error();
    return add_family<histogram, N>(name, help, label_names, std::move(*bounds));
  }

  // A gauge (or counter) without labels whose value `read` computes at each scrape: for values
  // the program keeps anyway (keys, bytes, revision, connections, resident memory). Whatever
  // `read` refers to must stay valid while collect() may run: in the server, declare it before
  // the registry so that it is destroyed after. Errors: as above, or an empty `read`.
  status add_callback_gauge(std::string_view name, std::string_view help, value_callback read);
  status add_callback_counter(std::string_view name, std::string_view help, value_callback read);

  // Reads every family: one snapshot per family with at least one sample, ordered by name, each
  // with its samples ordered by label values. Runs callbacks. Thread-safe; cost is linear in the
  // number of children, so it belongs on a scrape, not a request.
  std::vector<family_snapshot> collect() const;

 private:
  template <typename Metric, std::size_t N>
  result<family<Metric, N>*> add_family(std::string_view name, std::string_view help,
                                        std::span<const std::string_view> label_names,
                                        typename Metric::config config) {
    auto owned = std::make_unique<family<Metric, N>>(
        std::string(name), std::string(help),
        std::vector<std::string>(label_names.begin(), label_names.end()), std::move(config));
    family<Metric, N>* raw = owned.get();
    if (status st = adopt(std::move(owned)); !st.ok()) return st;
    return raw;
  }

  // bucket_bounds::make, with the family's name in the error.
  static result<bucket_bounds> make_bounds(std::string_view name, std::vector<double> upper_bounds);
  // Validates the family's name, help and labels, then, under mutex_, checks its series names
  // against the taken ones and takes ownership.
  status adopt(std::unique_ptr<family_base> f);

  mutable std::mutex mutex_;  // guards families_ and series_names_ (their shape, not the metrics)
  std::map<std::string, std::unique_ptr<family_base>, std::less<>> families_;  // by family name
  std::set<std::string, std::less<>> series_names_;  // every sample name any family exposes
};

}  // namespace livekv::metrics

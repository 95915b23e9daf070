#pragma once
#include <algorithm>
#include <array>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "livekv/metrics/snapshot.hpp"

namespace livekv::metrics {

// What the registry knows about every family whatever its metric type: name, help, type, label
// names, and a way to read the current samples. Immutable after construction except for what
// collect() reads, which the concrete family guards.
class family_base {
 public:
  family_base(std::string name, std::string help, metric_type type,
              std::vector<std::string> label_names)
      : name_(std::move(name)),
        help_(std::move(help)),
        type_(type),
        label_names_(std::move(label_names)) {}
  virtual ~family_base() = default;
  family_base(const family_base&) = delete;
  family_base& operator=(const family_base&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  metric_type type() const noexcept { return type_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }

  // Appends one sample per child to `out.samples`, ordered by label values. Thread-safe; may run
  // concurrently with updates and with lookups. Must not call back into the registry.
  virtual void collect(family_snapshot& out) const = 0;

 private:
  std::string name_;
  std::string help_;
  metric_type type_;
  std::vector<std::string> label_names_;
};

// Orders label-value tuples, owned or borrowed, so that lookups need not allocate.
struct label_values_less {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const noexcept {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

// The children of one metric (a counter, gauge or histogram) that share a name and N label names,
// one child per distinct tuple of N label values. Created only by the registry, which owns it;
// a family and every child it hands out live as long as the registry.
//
// with() is the cold path: it takes the family's mutex and may allocate, so call it once per
// label-value tuple and keep the returned reference (see registry.hpp). Updating the child is the
// hot path and takes no lock. Label values are stored verbatim (escaped only on output); keep
// their set small and bounded: route templates, not raw paths; status codes, not messages.
template <typename Metric, std::size_t N>
class family final : public family_base {
 public:
  family(std::string name, std::string help, std::vector<std::string> label_names,
         typename Metric::config config)
      : family_base(std::move(name), std::move(help), Metric::type, std::move(label_names)),
        config_(std::move(config)) {}

  // The child for these label values, in label-name order; created on first use. The count of
  // values is checked at compile time: with({"GET", "/v1/kv/{key}", "200"}). The returned
  // reference stays valid, at the same address, for the registry's lifetime. Thread-safe.
  template <std::size_t M>
    requires(N > 0)
  Metric& with(const std::string_view (&values)[M]) {
    static_assert(M == N, "with() needs exactly one value per label name");
    std::array<std::string_view, N> key;
    std::copy(std::begin(values), std::end(values), key.begin());
    return find_or_add(key);
  }

  // The only child of a family without labels (the registry creates it at registration).
  Metric& with()
    requires(N == 0)
  {
    return find_or_add(std::array<std::string_view, 0>{});
  }

  void collect(family_snapshot& out) const override {
    std::lock_guard lock(mutex_);
    out.samples.reserve(out.samples.size() + children_.size());
    for (const auto& [values, child] : children_) {
      sample s;
      s.label_values.assign(values.begin(), values.end());
      child.collect(s);
      out.samples.push_back(std::move(s));
    }
  }

 private:
  Metric& find_or_add(const std::array<std::string_view, N>& key) {
    std::lock_guard lock(mutex_);
    if (auto it = children_.find(key); it != children_.end()) return it->second;
    std::array<std::string, N> owned;
    std::copy(key.begin(), key.end(), owned.begin());
    // Map nodes never move, so the child's address is stable however many siblings follow.
    return children_.try_emplace(std::move(owned), config_).first->second;
  }

  const typename Metric::config config_;  // passed to every child (a histogram's bounds)
  mutable std::mutex mutex_;              // guards children_ (the map; children are atomic)
  std::map<std::array<std::string, N>, Metric, label_values_less> children_;
};

}  // namespace livekv::metrics

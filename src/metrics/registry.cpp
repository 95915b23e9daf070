#include "livekv/metrics/registry.hpp"

#include <algorithm>

namespace livekv::metrics {
namespace {

bool is_name_start(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) {
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

// Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: the same without ':'.
bool is_valid_name(std::string_view s, bool allow_colon) {
  if (s.empty() || !is_name_start(s.front(), allow_colon)) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return is_name_char(c, allow_colon); });
}

status invalid(std::string_view family, std::string_view why) {
  return status(errc::internal, "metric " + std::string(family) + ": " + std::string(why));
}

// The series names a family puts on the wire; two families must never share one.
std::vector<std::string> series_names_of(const family_base& f) {
  if (f.type() != metric_type::histogram) return {f.name()};
  return {f.name(), f.name() + "_bucket", f.name() + "_sum", f.name() + "_count"};
}

status validate(const family_base& f) {
  if (!is_valid_name(f.name(), true)) return invalid(f.name(), "invalid metric name");
  if (f.help().empty()) return invalid(f.name(), "help text is empty");
  const auto& labels = f.label_names();
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const std::string& l = labels[i];
    if (!is_valid_name(l, false)) return invalid(f.name(), "invalid label name '" + l + "'");
    if (l.starts_with("__")) return invalid(f.name(), "label name '" + l + "' is reserved");
    if (f.type() == metric_type::histogram && l == "le") {
      return invalid(f.name(), "label name 'le' is reserved for histogram buckets");
    }
    if (std::find(labels.begin(), labels.begin() + static_cast<std::ptrdiff_t>(i), l) !=
        labels.begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid(f.name(), "label name '" + l + "' repeats");
    }
  }
  return status::success();
}

// A family of one sample whose value is computed when scraped.
class callback_family final : public family_base {
 public:
  callback_family(std::string name, std::string help, metric_type type, value_callback read)
      : family_base(std::move(name), std::move(help), type, {}), read_(std::move(read)) {}

  void collect(family_snapshot& out) const override {
    if (std::optional<double> v = read_()) {
      sample s;
      s.value = *v;
      out.samples.push_back(std::move(s));
    }
  }

 private:
  value_callback read_;  // never empty (checked at registration)
};

}  // namespace

result<counter*> registry::add_counter(std::string_view name, std::string_view help) {
  auto f = add_family<counter, 0>(name, help, {}, counter::config{});
  if (!f) return f.error();
  return &(*f)->with();
}

result<gauge*> registry::add_gauge(std::string_view name, std::string_view help) {
  auto f = add_family<gauge, 0>(name, help, {}, gauge::config{});
  if (!f) return f.error();
  return &(*f)->with();
}

result<histogram*> registry::add_histogram(std::string_view name, std::string_view help,
                                           std::vector<double> upper_bounds) {
  auto bounds = make_bounds(name, std::move(upper_bounds));
  if (!bounds) return bounds.error();
  auto f = add_family<histogram, 0>(name, help, {}, std::move(*bounds));
  if (!f) return f.error();
  return &(*f)->with();
}

status registry::add_callback_gauge(std::string_view name, std::string_view help,
                                    value_callback read) {
  if (!read) return invalid(name, "callback is empty");
  return adopt(std::make_unique<callback_family>(std::string(name), std::string(help),
                                                 metric_type::gauge, std::move(read)));
}

status registry::add_callback_counter(std::string_view name, std::string_view help,
                                      value_callback read) {
  if (!read) return invalid(name, "callback is empty");
  return adopt(std::make_unique<callback_family>(std::string(name), std::string(help),
                                                 metric_type::counter, std::move(read)));
}

result<bucket_bounds> registry::make_bounds(std::string_view name,
                                            std::vector<double> upper_bounds) {
  auto bounds = bucket_bounds::make(std::move(upper_bounds));
  if (!bounds) return invalid(name, bounds.error().message());
  return bounds;
}

status registry::adopt(std::unique_ptr<family_base> f) {
  if (status st = validate(*f); !st.ok()) return st;
  std::vector<std::string> series = series_names_of(*f);
  std::lock_guard lock(mutex_);
  for (const std::string& s : series) {
    if (series_names_.contains(s)) {
      return invalid(f->name(), "series name '" + s + "' is already registered");
    }
  }
  for (std::string& s : series) series_names_.insert(std::move(s));
  std::string key = f->name();
  families_.emplace(std::move(key), std::move(f));
  return status::success();
}

std::vector<family_snapshot> registry::collect() const {
  // Families are never removed, so their addresses can be copied out and read without the
  // registry's lock: a slow callback never blocks registration or another scrape.
  std::vector<const family_base*> families;
  {
    std::lock_guard lock(mutex_);
    families.reserve(families_.size());
    for (const auto& [name, f] : families_) families.push_back(f.get());
  }
  std::vector<family_snapshot> out;
  out.reserve(families.size());
  for (const family_base* f : families) {
    family_snapshot snap;
    snap.name = f->name();
    snap.help = f->help();
    snap.type = f->type();
    snap.label_names = f->label_names();
    f->collect(snap);
    if (!snap.samples.empty()) out.push_back(std::move(snap));
  }
  return out;
}

}  // namespace livekv::metrics

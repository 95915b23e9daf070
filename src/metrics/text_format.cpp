#include "livekv/metrics/text_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>

namespace livekv::metrics {
namespace {

void append_escaped(std::string_view s, bool escape_quote, std::string& out) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '"':
        if (escape_quote) {
          out += "\\\"";
        } else {
          out += c;
        }
        break;
      default: out += c;
    }
  }
}

void append_count(std::uint64_t n, std::string& out) {
  char buf[24];
  auto r = std::to_chars(std::begin(buf), std::end(buf), n);
  out.append(std::begin(buf), r.ptr);
}

std::string_view type_name(metric_type t) {
  switch (t) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "untyped";
}

// Writes `{name="value",...}` for the sample's labels, plus le="<bound>" when `le` is given;
// writes nothing when there is neither.
void append_labels(const family_snapshot& f, const sample& s, const double* le, std::string& out) {
  const std::size_t n = f.label_names.size();
  if (n == 0 && le == nullptr) return;
  out += '{';
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ',';
    out += f.label_names[i];
    out += "=\"";
    if (i < s.label_values.size()) append_escaped(s.label_values[i], true, out);
    out += '"';
  }
  if (le != nullptr) {
    if (n > 0) out += ',';
    out += "le=\"";
    append_value(*le, out);
    out += '"';
  }
  out += '}';
}

void append_series_name(const family_snapshot& f, std::string_view suffix, std::string& out) {
  out += f.name;
  out += suffix;
}

void append_family(const family_snapshot& f, std::string& out) {
  out += "# HELP ";
  out += f.name;
  out += ' ';
  append_escaped(f.help, false, out);
  out += "\n# TYPE ";
  out += f.name;
  out += ' ';
  out += type_name(f.type);
  out += '\n';
  for (const sample& s : f.samples) {
    if (f.type != metric_type::histogram) {
      append_series_name(f, "", out);
      append_labels(f, s, nullptr, out);
      out += ' ';
      append_value(s.value, out);
      out += '\n';
      continue;
    }
    for (const bucket_sample& b : s.buckets) {
      append_series_name(f, "_bucket", out);
      append_labels(f, s, &b.upper_bound, out);
      out += ' ';
      append_count(b.cumulative_count, out);
      out += '\n';
    }
    append_series_name(f, "_sum", out);
    append_labels(f, s, nullptr, out);
    out += ' ';
    append_value(s.sum, out);
    out += '\n';
    append_series_name(f, "_count", out);
    append_labels(f, s, nullptr, out);
    out += ' ';
    append_count(s.count, out);
    out += '\n';
  }
}

}  // namespace

void append_value(double v, std::string& out) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  // Whole numbers up to 2^53 are exact in a double; write them as integers ("1000000", not the
  // "1e+06" that shortest round-trip would pick) since most values are counts and byte sizes.
  constexpr double exact_limit = 9007199254740992.0;  // 2^53
  if (std::trunc(v) == v && std::fabs(v) <= exact_limit) {
    char buf[24];
    auto r = std::to_chars(std::begin(buf), std::end(buf), static_cast<std::int64_t>(v));
    out.append(std::begin(buf), r.ptr);
    return;
  }
  char buf[32];  // the longest shortest-round-trip double is 24 characters
  auto r = std::to_chars(std::begin(buf), std::end(buf), v);
  out.append(std::begin(buf), r.ptr);
}

void write_text(std::span<const family_snapshot> families, std::string& out) {
  for (const family_snapshot& f : families) {
    if (!f.samples.empty()) append_family(f, out);
  }
}

std::string to_text(std::span<const family_snapshot> families) {
  std::string out;
  write_text(families, out);
  return out;
}

}  // namespace livekv::metrics

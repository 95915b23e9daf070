#pragma once
// Serialization of registry snapshots into the Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Grammar, as written here:
//
//   exposition = { family }
//   family     = "# HELP " name " " escaped_help "\n"
//                "# TYPE " name " " ("counter" | "gauge" | "histogram") "\n"
//                { series "\n" }
//   series     = name [ labels ] " " value                       (counter, gauge)
//              | name "_bucket" labels " " count                 (histogram: one per bucket,
//                  with le="<bound>" last in labels, cumulative, ascending, ending le="+Inf")
//                name "_sum" [ labels ] " " value
//                name "_count" [ labels ] " " count
//   labels     = "{" label { "," label } "}"      label = label_name "=\"" escaped_value "\""
//   escaped_help:  "\" -> "\\", newline -> "\n"
//   escaped_value: "\" -> "\\", newline -> "\n", '"' -> "\""
//   value      = "+Inf" | "-Inf" | "NaN" | integer (a double that is a whole number of magnitude
//                <= 2^53, so it is exact, printed without exponent) | shortest round-trip decimal
//
// No timestamps. Numbers are written with std::to_chars, which ignores the C and C++ locales, so a
// process running under de_DE still writes "0.5", never "0,5".
#include <span>
#include <string>
#include <string_view>

#include "livekv/metrics/snapshot.hpp"

namespace livekv::metrics {

// The Content-Type of a text exposition response.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Appends the exposition of `families`, in the given order, to `out`. Families without samples
// produce nothing. Label values and help are written as given, so they must be UTF-8. Each
// sample's label_values must match its family's label_names in length (extra values are ignored,
// missing ones written as empty). Does not throw except std::bad_alloc.
void write_text(std::span<const family_snapshot> families, std::string& out);

// The same, into a new string.
std::string to_text(std::span<const family_snapshot> families);

// Appends one sample value as the grammar above writes it.
void append_value(double v, std::string& out);

}  // namespace livekv::metrics

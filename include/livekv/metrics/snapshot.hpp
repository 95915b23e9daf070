#pragma once
// The plain values that cross from the registry to a serializer: what every family held at one
// scrape. No atomics, no locks, no pointers back into the registry, so a serializer (text today,
// maybe OpenMetrics or protobuf later) can be written and tested against hand-built snapshots.
#include <cstdint>
#include <string>
#include <vector>

namespace livekv::metrics {

enum class metric_type { counter, gauge, histogram };

// One histogram bucket as exposed: the count of observations <= upper_bound, cumulative.
struct bucket_sample {
  double upper_bound = 0;
  std::uint64_t cumulative_count = 0;
};

// One child of a family: its label values (in the order of family_snapshot::label_names, same
// length) and its value. Counters and gauges use `value`; histograms use `buckets` (ascending,
// cumulative, the last one's upper_bound is +Inf and its count equals `count`), `sum` and `count`.
struct sample {
  std::vector<std::string> label_values;
  double value = 0;
  std::vector<bucket_sample> buckets;
  double sum = 0;
  std::uint64_t count = 0;
};

struct family_snapshot {
  std::string name;
  std::string help;
  metric_type type = metric_type::gauge;
  std::vector<std::string> label_names;
  std::vector<sample> samples;  // ordered by label values
};

}  // namespace livekv::metrics

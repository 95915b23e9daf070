#pragma once
// Reading Prometheus text exposition in tests.
#include <optional>
#include <string>

namespace livekv::test {

// The value of the sample whose name-and-labels part is exactly `series`, if present.
std::optional<double> sample(const std::string& exposition, const std::string& series);

}  // namespace livekv::test

#include "livekv/wal/file_names.hpp"

#include <cstdio>

#include "livekv/util/parse_uint.hpp"

namespace livekv::wal {

namespace {
constexpr std::size_t digits = 20;  // the most a u64 needs
}

std::string numbered_name(std::string_view prefix, std::uint64_t revision, std::string_view suffix) {
  char buf[digits + 1];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(revision));
  std::string out(prefix);
  out.append(buf, digits);
  out.append(suffix);
  return out;
}

std::optional<std::uint64_t> parse_numbered_name(std::string_view name, std::string_view prefix,
                                                 std::string_view suffix) {
  if (name.size() != prefix.size() + digits + suffix.size() || !name.starts_with(prefix) || !name.ends_with(suffix))
    return std::nullopt;
  return util::parse_uint<std::uint64_t>(name.substr(prefix.size(), digits));
}

std::string segment_name(std::uint64_t first_revision) { return numbered_name("wal-", first_revision, ".log"); }

std::optional<std::uint64_t> parse_segment_name(const std::string& name) {
  return parse_numbered_name(name, "wal-", ".log");
}

std::string snapshot_name(std::uint64_t start_revision) { return numbered_name("snapshot-", start_revision, ".snap"); }

std::optional<std::uint64_t> parse_snapshot_name(const std::string& name) {
  return parse_numbered_name(name, "snapshot-", ".snap");
}

}  // namespace livekv::wal

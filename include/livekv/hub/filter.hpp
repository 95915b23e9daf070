#pragma once
// What one subscriber wants: which kinds of events, and which keys (all, a prefix, or a set).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "livekv/hub/event.hpp"

namespace livekv::hub {

// The bit of one event kind in a filter's kind mask.
constexpr std::uint32_t kind_bit(event_kind k) noexcept { return 1u << static_cast<unsigned>(k); }

class filter {
 public:
  // Writes only (put, delete, expire, cas, batch), every key.
  filter() = default;

  void set_prefix(std::string prefix) { prefix_ = std::move(prefix); }
  void add_key(std::string key);
  void set_kinds(std::uint32_t mask) { kinds_ = mask; }
  // Limits every other choice to keys under one of `prefixes` (an auth token's scope): events of
  // other keys are skipped, a batch's ops of other keys left out. Empty: no limit.
  void set_scope(std::vector<std::string> prefixes) { scope_ = std::move(prefixes); }

  static constexpr std::uint32_t bit(event_kind k) noexcept { return kind_bit(k); }
  static constexpr std::uint32_t writes_mask = kind_bit(event_kind::put) | kind_bit(event_kind::erase) |
                                               kind_bit(event_kind::expire) | kind_bit(event_kind::cas) |
                                               kind_bit(event_kind::batch);
  static constexpr std::uint32_t reads_mask = kind_bit(event_kind::get) | kind_bit(event_kind::list);

  bool wants(event_kind k) const noexcept { return (kinds_ & bit(k)) != 0; }
  bool wants_reads() const noexcept { return (kinds_ & reads_mask) != 0; }
  bool all_keys() const noexcept { return keys_.empty() && prefix_.empty() && scope_.empty(); }
  bool matches_key(std::string_view key) const noexcept;

  enum class verdict : std::uint8_t { skip, whole, some };
  // Whether `ev` goes to this subscriber: not at all, as it is, or (a batch touching keys both in
  // and out of the filter) with only the ops in `keep`.
  verdict judge(const event& ev, std::vector<bool>& keep) const;

  const std::string& prefix() const noexcept { return prefix_; }
  const std::vector<std::string>& keys() const noexcept { return keys_; }

 private:
  std::string prefix_;
  std::vector<std::string> keys_;  // sorted, unique
  std::vector<std::string> scope_;  // empty: every key
  bool in_scope(std::string_view key) const noexcept;
  std::uint32_t kinds_ = writes_mask;
};

}  // namespace livekv::hub

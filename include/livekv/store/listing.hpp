#pragma once
// A prefix listing: the question and one page of its answer, in byte order of the keys.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "livekv/store/entry.hpp"

namespace livekv::store {

struct list_query {
  std::string prefix;
  std::optional<std::string> start_after;  // exclusive
  std::size_t limit = 100;
};

struct list_item {
  std::string key;
  entry e;
};

struct list_page {
  std::vector<list_item> items;
  std::optional<std::string> next;  // last key returned, when more keys match
  std::uint64_t revision = 0;       // the store revision the page was read at
};

}  // namespace livekv::store

#include "livekv/hub/filter.hpp"

#include <algorithm>

namespace livekv::hub {

void filter::add_key(std::string key) {
  const auto it = std::lower_bound(keys_.begin(), keys_.end(), key);
  if (it == keys_.end() || *it != key) keys_.insert(it, std::move(key));
}

bool filter::in_scope(std::string_view key) const noexcept {
  return scope_.empty() ||
         std::any_of(scope_.begin(), scope_.end(), [&](const std::string& p) { return key.starts_with(p); });
}

bool filter::matches_key(std::string_view key) const noexcept {
  if (!in_scope(key)) return false;
  if (keys_.empty()) return key.starts_with(prefix_);
  // A key set and a prefix together mean either (the query gave both).
  if (!prefix_.empty() && key.starts_with(prefix_)) return true;
  return std::binary_search(keys_.begin(), keys_.end(), key, std::less<>{});
}

filter::verdict filter::judge(const event& ev, std::vector<bool>& keep) const {
  if (!wants(ev.kind)) return verdict::skip;
  if (all_keys()) return verdict::whole;
  switch (ev.kind) {
    case event_kind::get:
      return matches_key(ev.subject) ? verdict::whole : verdict::skip;
    case event_kind::list:
      // A listing concerns this subscriber when it reads inside the watched prefix (and, with a
      // scope, inside it too: a listing of a wider prefix may have read keys outside).
      return ((!prefix_.empty() && ev.subject.starts_with(prefix_)) || (prefix_.empty() && keys_.empty())) &&
                     in_scope(ev.subject)
                 ? verdict::whole
                 : verdict::skip;
    case event_kind::batch: {
      keep.assign(ev.ops.size(), false);
      std::size_t n = 0;
      for (std::size_t i = 0; i < ev.ops.size(); ++i)
        if (matches_key(ev.ops[i].key)) keep[i] = true, ++n;
      return n == 0 ? verdict::skip : n == ev.ops.size() ? verdict::whole : verdict::some;
    }
    default:
      return !ev.ops.empty() && matches_key(ev.ops[0].key) ? verdict::whole : verdict::skip;
  }
}

}  // namespace livekv::hub

#include "livekv/store/kv_store.hpp"

#include <algorithm>

namespace livekv::store {

std::optional<entry> kv_store::get(std::string_view key) const {
  std::shared_lock lock(map_mutex_);
  if (const entry* e = find_locked(key)) return *e;
  return std::nullopt;
}

list_page kv_store::list(const list_query& q) const {
  list_page page;
  std::shared_lock lock(map_mutex_);
  page.revision = revision_.load(std::memory_order_relaxed);
  auto it = index_.lower_bound(q.prefix);
  if (q.start_after && *q.start_after >= q.prefix) it = index_.upper_bound(*q.start_after);
  const auto matches = [&](std::string_view k) { return k.starts_with(q.prefix); };
  page.items.reserve(std::min<std::size_t>(q.limit, 64));
  for (; it != index_.end() && matches(*it); ++it) {
    if (page.items.size() == q.limit) {
      page.next = page.items.back().key;
      break;
    }
    page.items.push_back({std::string(*it), *find_locked(*it)});
  }
  return page;
}

store_stats kv_store::stats() const {
  std::shared_lock lock(map_mutex_);
  return {map_.size(), bytes_, revision_.load(std::memory_order_relaxed)};
}

const entry* kv_store::find_locked(std::string_view key) const {
  const auto it = map_.find(key);
  return it == map_.end() ? nullptr : &it->second;
}

bool kv_store::holds(const condition& c, const entry* current) const {
  switch (c.what) {
    case condition::kind::mod_revision:
      return (current ? current->mod_revision : 0) == c.revision;
    case condition::kind::value_equals:
      return current && current->val->bytes == c.bytes;
    case condition::kind::exists:
      return (current != nullptr) == c.present;
  }
  return false;
}

result<commit_outcome> kv_store::commit(const commit_request& req) {
  commit_outcome out;
  std::lock_guard commit_lock(commit_mutex_);
  // Only writers change the maps and we are the only writer now, so reading them without
  // map_mutex_ is race-free; readers holding the shared lock do not mutate.
  const std::uint64_t current_rev = revision_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < req.conditions.size(); ++i) {
    const entry* cur = find_locked(req.conditions[i].key);
    if (!holds(req.conditions[i], cur)) {
      out.revision = current_rev;
      out.failed_condition = i;
      if (cur) out.failed_current = *cur;
      return out;
    }
  }
  const bool writes = std::any_of(req.ops.begin(), req.ops.end(),
                                  [](const operation& op) { return op.what != operation::kind::get; });
  const std::uint64_t rev = writes ? current_rev + 1 : current_rev;
  out.results.resize(req.ops.size());
  {
    std::unique_lock lock(map_mutex_);
    for (std::size_t i = 0; i < req.ops.size(); ++i) apply_locked(req.ops[i], rev, out.results[i]);
    revision_.store(rev, std::memory_order_release);
  }
  out.revision = rev;
  out.applied = true;
  return out;
}

void kv_store::apply_locked(const operation& op, std::uint64_t rev, op_outcome& out) {
  auto it = map_.find(op.key);
  if (it != map_.end()) out.previous = it->second;
  switch (op.what) {
    case operation::kind::get:
      return;
    case operation::kind::put: {
      if (it == map_.end()) {
        it = map_.emplace(op.key, entry{op.val, rev, rev, 1}).first;
        index_.insert(it->first);
        bytes_ += it->first.size() + op.val->bytes.size();
        out.created = true;
      } else {
        bytes_ = bytes_ - it->second.val->bytes.size() + op.val->bytes.size();
        it->second.val = op.val;
        it->second.mod_revision = rev;
        ++it->second.version;
      }
      return;
    }
    case operation::kind::erase: {
      if (it == map_.end()) return;
      bytes_ -= it->first.size() + it->second.val->bytes.size();
      index_.erase(it->first);
      map_.erase(it);
      return;
    }
  }
}

}  // namespace livekv::store

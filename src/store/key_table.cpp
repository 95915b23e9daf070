#include "livekv/store/key_table.hpp"

#include <bit>
#include <new>
#include <utility>

namespace livekv::store {

namespace {
// A new table is small: tests and short-lived stores make many, and the first growth is cheap.
constexpr std::size_t initial_buckets = 16;
}  // namespace

// The layout the header promises; if a hook grows, the per-key cost moves with it, so say so here.
static_assert(sizeof(void*) != 8 || sizeof(key_table::node) == 72,
              "node: hash link 8 + tree links 24 + entry 40; the key follows it");

key_table::node* key_table::node::create(std::string_view key, entry en) {
  // Keys are bounded far below 4 GiB by validation (--max-key-bytes is at most 64 KiB).
  const auto size = static_cast<std::uint32_t>(key.size());
  void* block = ::operator new(sizeof(node) + sizeof size + key.size());
  auto* n = new (block) node(std::move(en));
  char* tail = static_cast<char*>(block) + sizeof(node);
  std::memcpy(tail, &size, sizeof size);
  if (!key.empty()) std::memcpy(tail + sizeof size, key.data(), key.size());
  return n;
}

void key_table::node::destroy(node* n) noexcept {
  n->~node();
  ::operator delete(n);
}

key_table::key_table()
    : buckets_(new hash_type::bucket_type[initial_buckets]),
      hash_(hash_type::bucket_traits(buckets_.get(), initial_buckets)) {}

key_table::~key_table() {
  // Unlink from the tree without rebalancing (clear), then free each node once, via the hash.
  tree_.clear();
  hash_.clear_and_dispose([](node* n) { node::destroy(n); });
}

key_table::node* key_table::find(std::string_view key) noexcept {
  const auto it = hash_.find(key);
  return it == hash_.end() ? nullptr : &*it;
}

const key_table::node* key_table::find(std::string_view key) const noexcept {
  const auto it = hash_.find(key);
  return it == hash_.end() ? nullptr : &*it;
}

key_table::node& key_table::insert(std::string_view key, entry e) {
  // Grow first, at one key per bucket on average (unordered_map's default): the only step that can
  // throw after this is none, so a failed allocation leaves the table as it was.
  if (hash_.size() + 1 > hash_.bucket_count()) rehash(hash_.bucket_count() * 2);
  node* n = node::create(key, std::move(e));
  hash_.insert(*n);
  tree_.insert(*n);
  return *n;
}

void key_table::erase(node& n) noexcept {
  tree_.erase(tree_.iterator_to(n));
  hash_.erase(hash_.iterator_to(n));
  node::destroy(&n);
}

void key_table::reserve(std::size_t keys) {
  if (keys > hash_.bucket_count()) rehash(std::bit_ceil(keys));
}

void key_table::rehash(std::size_t count) {
  std::unique_ptr<hash_type::bucket_type[]> fresh(new hash_type::bucket_type[count]);
  hash_.rehash(hash_type::bucket_traits(fresh.get(), count));
  buckets_ = std::move(fresh);  // frees the old array, which the table no longer uses
}

}  // namespace livekv::store

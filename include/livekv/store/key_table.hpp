#pragma once
// The key space's storage: one node per key, holding the key and its entry, reachable both by hash
// (point reads and writes, O(1)) and in key byte order (prefix listing, O(log n + limit)).
//
// Why not unordered_map<std::string, entry> + set<string_view>: per key that is a map node (next
// pointer, 32-byte std::string, entry, cached hash; a 112-byte heap chunk), a tree node (64 B) and
// a bucket. Here both structures are intrusive (Boost.Intrusive, part of the Boost we already use):
// the node carries the hash chain link (8 B) and the tree links (24 B; the red/black colour rides in
// a pointer's low bit) itself, and the key follows the node in the same allocation, so a key costs
// one heap chunk and one bucket pointer. A 12-byte key fits a 96-byte malloc chunk.
//
//   node := hash link | tree links | entry | key size (u32) | key bytes
//
// Not thread-safe: kv_store guards it with its map mutex (shared for find and the ordered walk,
// exclusive for insert, erase and reserve).
#include <boost/intrusive/set.hpp>
#include <boost/intrusive/unordered_set.hpp>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>

#include "livekv/store/entry.hpp"

namespace livekv::store {

class key_table {
  using tree_hook = boost::intrusive::set_base_hook<boost::intrusive::optimize_size<true>>;
  using hash_hook = boost::intrusive::unordered_set_base_hook<>;

 public:
  // One key and its entry. The key never changes and never moves while the node is in the table,
  // so a view of it stays valid until the key is erased.
  class node : public hash_hook, public tree_hook {
   public:
    entry e;

    std::string_view key() const noexcept {
      std::uint32_t size = 0;
      std::memcpy(&size, tail(), sizeof size);  // the tail is only byte-aligned for a u32
      return {tail() + sizeof size, size};
    }

   private:
    friend class key_table;
    explicit node(entry en) noexcept : e(std::move(en)) {}
    ~node() = default;
    const char* tail() const noexcept { return reinterpret_cast<const char*>(this + 1); }
    static node* create(std::string_view key, entry en);
    static void destroy(node* n) noexcept;
  };

 private:
  struct key_of {
    using type = std::string_view;
    std::string_view operator()(const node& n) const noexcept { return n.key(); }
  };
  struct key_hash {
    std::size_t operator()(std::string_view k) const noexcept { return std::hash<std::string_view>{}(k); }
  };
  using tree_type = boost::intrusive::set<node, boost::intrusive::base_hook<tree_hook>,
                                          boost::intrusive::key_of_value<key_of>>;
  // Power-of-two bucket counts: a mask instead of a division per lookup.
  using hash_type = boost::intrusive::unordered_set<node, boost::intrusive::base_hook<hash_hook>,
                                                    boost::intrusive::key_of_value<key_of>,
                                                    boost::intrusive::hash<key_hash>,
                                                    boost::intrusive::power_2_buckets<true>>;

 public:
  // Walks the keys in byte order; dereferences to a const node.
  using ordered_iterator = tree_type::const_iterator;

  key_table();
  ~key_table();  // frees every node (values are released, not destroyed, if others hold them)
  key_table(const key_table&) = delete;
  key_table& operator=(const key_table&) = delete;

  std::size_t size() const noexcept { return hash_.size(); }

  // The node of `key`, or nullptr.
  node* find(std::string_view key) noexcept;
  const node* find(std::string_view key) const noexcept;

  // Adds `key`, which must be absent. Throws std::bad_alloc, leaving the keys as they were.
  node& insert(std::string_view key, entry e);
  // Removes and frees `n`, which must be in this table; views of its key die with it.
  void erase(node& n) noexcept;

  // Sizes the bucket array for `keys` keys at most one per bucket on average, so a bulk load
  // (recovery) does not rehash as it grows. Never shrinks.
  void reserve(std::size_t keys);

  // The first key >= `key` (lower_bound) or > `key` (upper_bound), in byte order.
  ordered_iterator lower_bound(std::string_view key) const noexcept { return tree_.lower_bound(key); }
  ordered_iterator upper_bound(std::string_view key) const noexcept { return tree_.upper_bound(key); }
  ordered_iterator end() const noexcept { return tree_.end(); }

  std::size_t bucket_count() const noexcept { return hash_.bucket_count(); }

 private:
  // Replaces the bucket array by one of `count` buckets (a power of two). Throws std::bad_alloc
  // before touching anything.
  void rehash(std::size_t count);

  // Declared before hash_, which points into it: destroyed after it.
  std::unique_ptr<hash_type::bucket_type[]> buckets_;
  hash_type hash_;
  tree_type tree_;
};

}  // namespace livekv::store

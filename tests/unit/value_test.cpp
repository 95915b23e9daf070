#include "livekv/store/value.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace livekv::store {
namespace {

static_assert(sizeof(value_ptr) == sizeof(void*), "a value_ptr is one pointer in every entry and event");
static_assert(std::is_nothrow_move_constructible_v<value_ptr> && std::is_nothrow_copy_constructible_v<value_ptr>);

TEST(value, holds_its_bytes_and_content_type) {
  const auto v = make_value("hello", "text/plain");
  EXPECT_EQ(v->bytes(), "hello");
  EXPECT_EQ(v->content_type(), "text/plain");
}

TEST(value, empty_value_and_empty_content_type_are_empty_views) {
  const auto v = make_value("");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->bytes().empty());
  EXPECT_TRUE(v->content_type().empty());
  const auto typed = make_value({}, "application/json");
  EXPECT_TRUE(typed->bytes().empty());
  EXPECT_EQ(typed->content_type(), "application/json");
}

TEST(value, binary_bytes_with_nuls_round_trip_unchanged) {
  const std::string bin("\0a\xff\0", 4);
  const auto v = make_value(bin, std::string("x\0y", 3));
  EXPECT_EQ(v->bytes(), bin);
  EXPECT_EQ(v->content_type(), std::string_view("x\0y", 3));
}

TEST(value, large_value_is_held_whole) {
  std::string big(8u << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
  const auto v = make_value(big, "application/octet-stream");
  EXPECT_EQ(v->bytes().size(), big.size());
  EXPECT_EQ(v->bytes(), big);
  EXPECT_EQ(v->content_type(), "application/octet-stream");
}

TEST(value, does_not_alias_the_caller_buffer) {
  std::string src = "original";
  const auto v = make_value(src);
  src.assign("changed!");
  EXPECT_EQ(v->bytes(), "original");
}

TEST(value_ptr, copies_share_one_block_and_count_their_holders) {
  const auto a = make_value("shared");
  EXPECT_EQ(a.use_count(), 1u);
  {
    const value_ptr b = a;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
    EXPECT_EQ(b.get(), a.get());
    EXPECT_EQ(b->bytes().data(), a->bytes().data());
    EXPECT_EQ(a.use_count(), 2u);
  }
  EXPECT_EQ(a.use_count(), 1u);
}

TEST(value_ptr, move_transfers_without_counting_and_empties_the_source) {
  auto a = make_value("x");
  const value* raw = a.get();
  value_ptr b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): a moved-from value_ptr is null by contract
  EXPECT_EQ(b.get(), raw);
  EXPECT_EQ(b.use_count(), 1u);
}

TEST(value_ptr, assignment_releases_the_old_value_and_self_assignment_is_harmless) {
  auto a = make_value("a");
  const auto b = make_value("b");
  a = b;
  EXPECT_EQ(a->bytes(), "b");
  EXPECT_EQ(b.use_count(), 2u);
  auto& same = a;
  a = same;
  EXPECT_EQ(b.use_count(), 2u);
  a = nullptr;
  EXPECT_TRUE(a == nullptr);
  EXPECT_EQ(b.use_count(), 1u);
  value_ptr c = b;
  c.reset();
  EXPECT_FALSE(c);
  EXPECT_EQ(b.use_count(), 1u);
}

TEST(value_ptr, default_and_null_pointers_own_nothing) {
  const value_ptr a;
  const value_ptr b = nullptr;
  EXPECT_FALSE(a);
  EXPECT_EQ(a.get(), nullptr);
  EXPECT_EQ(b.use_count(), 0u);
  EXPECT_TRUE(a == b);
}

// Threads copy and drop one value concurrently, the way responses, the log writer and the feed do;
// each reads the bytes through its copies. The count must come back to exactly one holder, and the
// sanitizer builds check that nothing is read after free or leaked.
TEST(value_ptr, concurrent_copies_and_drops_keep_an_exact_count) {
  const auto v = make_value(std::string(100, 'v'), "text/plain");
  constexpr int threads = 4;
  constexpr int rounds = 20000;
  std::vector<std::thread> pool;
  std::vector<std::size_t> seen(threads, 0);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < rounds; ++i) {
        value_ptr copy = v;
        value_ptr moved = std::move(copy);
        value_ptr again = moved;
        seen[static_cast<std::size_t>(t)] += again->bytes().size() + moved->content_type().size();
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(v.use_count(), 1u);
  for (const auto n : seen) EXPECT_EQ(n, std::size_t{rounds} * (100 + 10));
}

// The last holder may be any thread: here the creator lets go first and the block is freed by
// whichever reader finishes last, after all of them have read it.
TEST(value_ptr, the_last_holder_on_any_thread_frees_the_block) {
  auto v = make_value(std::string(4096, 'z'));
  constexpr int threads = 4;
  std::vector<value_ptr> handed(threads, v);
  v.reset();
  std::vector<std::thread> pool;
  std::vector<int> intact(threads, 0);  // not vector<bool>: its bits would share bytes across threads
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t, mine = std::move(handed[static_cast<std::size_t>(t)])]() mutable {
      intact[static_cast<std::size_t>(t)] = mine->bytes() == std::string(4096, 'z');
      mine.reset();
    });
  }
  for (auto& th : pool) th.join();
  for (const int ok : intact) EXPECT_TRUE(ok);
}

}  // namespace
}  // namespace livekv::store

// A response body shares a stored value's bytes through http::shared_bytes, which holds one
// reference to the value for as long as the body (or a copy of it) lives, and no longer.
#include "livekv/http/shared_bytes.hpp"

#include <gtest/gtest.h>

#include "livekv/http/types.hpp"
#include "livekv/store/value.hpp"

namespace livekv::http {
namespace {

TEST(shared_bytes, holds_one_reference_per_copy_and_drops_it_with_the_last) {
  auto v = store::make_value("hello", "text/plain");
  ASSERT_EQ(v.use_count(), 1u);
  {
    shared_bytes a(v, v->bytes());
    EXPECT_EQ(v.use_count(), 2u);
    EXPECT_EQ(a.view(), "hello");
    EXPECT_EQ(a.view().data(), v->bytes().data()) << "shared, not copied";
    shared_bytes b = a;
    EXPECT_EQ(v.use_count(), 3u);
    shared_bytes c = std::move(b);
    EXPECT_EQ(v.use_count(), 3u) << "a move takes no reference";
    EXPECT_FALSE(b);
    EXPECT_TRUE(b.view().empty());
    c.reset();
    EXPECT_EQ(v.use_count(), 2u);
    a = shared_bytes{};
    EXPECT_EQ(v.use_count(), 1u);
  }
  EXPECT_EQ(v.use_count(), 1u);
}

TEST(shared_bytes, a_response_body_keeps_the_value_alive_after_the_store_dropped_it) {
  response res{status_code::ok, 11};
  {
    auto v = store::make_value(std::string(1000, 'x'));
    res.body().shared = shared_bytes(v, v->bytes());
  }  // the store's reference is gone (an overwrite, say)
  EXPECT_EQ(res.body().view(), std::string(1000, 'x'));
  response moved = std::move(res);
  EXPECT_EQ(moved.body().view().size(), 1000u);
  moved.body().clear();
  EXPECT_TRUE(moved.body().view().empty());
}

}  // namespace
}  // namespace livekv::http

#include "livekv/http/router.hpp"

#include <gtest/gtest.h>

namespace livekv::http {
namespace {

router::handler tagged(std::string tag) {
  return [tag](request_context&) {
    response r{status_code::ok, 11};
    r.body().text = tag;
    return r;
  };
}

std::string call(const router::match& m) {
  request req;
  request_context ctx{req, "", "", m.rest, "", {}, {}, {}, {}, {}, {}, {}};
  return (*m.target)(ctx).body().text;
}

class router_test : public ::testing::Test {
 protected:
  void SetUp() override {
    r_.exact(verb::get, "/status", http::access::read, tagged("status"));
    r_.exact(verb::get, "/v1/kv", http::access::read, tagged("list"));
    r_.prefix(verb::get, "/v1/kv/", http::access::read, tagged("get"));
    r_.prefix(verb::put, "/v1/kv/", http::access::read, tagged("put"));
    r_.prefix(verb::delete_, "/v1/kv/", http::access::read, tagged("delete"));
    r_.prefix(verb::get, "/v1/kv/special/", http::access::read, tagged("special"));
  }
  router r_;
};

TEST_F(router_test, exact_route_matches_only_the_exact_path) {
  auto m = r_.find(verb::get, "/status");
  ASSERT_TRUE(m.target);
  EXPECT_EQ(call(m), "status");
  EXPECT_EQ(r_.find(verb::get, "/status/x").error, errc::route_not_found);
  EXPECT_EQ(r_.find(verb::get, "/statu").error, errc::route_not_found);
}

TEST_F(router_test, prefix_route_passes_the_rest_of_the_path) {
  auto m = r_.find(verb::get, "/v1/kv/app/config/db");
  ASSERT_TRUE(m.target);
  EXPECT_EQ(call(m), "get");
  EXPECT_EQ(m.rest, "app/config/db");
}

TEST_F(router_test, exact_route_wins_over_a_prefix_of_it) {
  EXPECT_EQ(call(r_.find(verb::get, "/v1/kv")), "list");
  auto m = r_.find(verb::get, "/v1/kv/");
  EXPECT_EQ(call(m), "get");
  EXPECT_EQ(m.rest, "");
}

TEST_F(router_test, longest_prefix_wins) {
  auto m = r_.find(verb::get, "/v1/kv/special/x");
  EXPECT_EQ(call(m), "special");
  EXPECT_EQ(m.rest, "x");
}

TEST_F(router_test, method_selects_the_handler) {
  EXPECT_EQ(call(r_.find(verb::put, "/v1/kv/a")), "put");
  EXPECT_EQ(call(r_.find(verb::delete_, "/v1/kv/a")), "delete");
}

TEST_F(router_test, head_falls_back_to_get) {
  auto m = r_.find(verb::head, "/status");
  ASSERT_TRUE(m.target);
  EXPECT_EQ(call(m), "status");
}

TEST_F(router_test, wrong_method_is_405_with_allow_listing_the_resource_methods) {
  auto m = r_.find(verb::post, "/v1/kv/a");
  EXPECT_FALSE(m.target);
  EXPECT_EQ(m.error, errc::method_not_allowed);
  EXPECT_EQ(m.allow, "GET, PUT, DELETE, HEAD");
  auto s = r_.find(verb::delete_, "/status");
  EXPECT_EQ(s.error, errc::method_not_allowed);
  EXPECT_EQ(s.allow, "GET, HEAD");
}

TEST_F(router_test, unknown_path_is_route_not_found) {
  auto m = r_.find(verb::get, "/nope");
  EXPECT_FALSE(m.target);
  EXPECT_EQ(m.error, errc::route_not_found);
  EXPECT_TRUE(m.allow.empty());
}

}  // namespace
}  // namespace livekv::http

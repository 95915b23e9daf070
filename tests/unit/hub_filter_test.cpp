// What one feed subscriber asked for: which kinds of events, and which keys. judge() decides per
// event whether it goes out whole, not at all, or (a batch) with only some of its ops.
#include "livekv/hub/filter.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace livekv::hub {
namespace {

using verdict = filter::verdict;
using op_kind = store::operation::kind;

event_ptr write_event(event_kind kind, std::initializer_list<std::string> keys) {
  auto ev = std::make_shared<event>();
  ev->kind = kind;
  ev->rev = 7;
  for (const auto& k : keys) {
    event_op op;
    op.what = kind == event_kind::erase ? op_kind::erase : kind == event_kind::expire ? op_kind::expire : op_kind::put;
    op.key = k;
    if (op.what == op_kind::put) op.val = store::make_value("v");
    ev->ops.push_back(std::move(op));
  }
  return ev;
}

event_ptr read_event(event_kind kind, std::string subject) {
  auto ev = std::make_shared<event>();
  ev->kind = kind;
  ev->subject = std::move(subject);
  ev->client = "127.0.0.1:5000";
  return ev;
}

verdict judge(const filter& f, const event_ptr& ev) {
  std::vector<bool> keep;
  return f.judge(*ev, keep);
}

constexpr event_kind all_kinds[] = {event_kind::put,   event_kind::erase, event_kind::expire, event_kind::cas,
                                    event_kind::batch, event_kind::get,   event_kind::list};

TEST(filter, the_default_wants_every_write_kind_on_every_key_and_no_reads) {
  filter f;
  EXPECT_TRUE(f.all_keys());
  EXPECT_FALSE(f.wants_reads());
  for (auto k : {event_kind::put, event_kind::erase, event_kind::expire, event_kind::cas, event_kind::batch})
    EXPECT_TRUE(f.wants(k)) << event_kind_name(k);
  EXPECT_FALSE(f.wants(event_kind::get));
  EXPECT_FALSE(f.wants(event_kind::list));
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"any"})), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "any")), verdict::skip);
}

TEST(filter, the_kind_masks_name_exactly_their_kinds) {
  for (auto k : all_kinds) {
    EXPECT_EQ((filter::writes_mask & filter::bit(k)) != 0, !is_read(k)) << event_kind_name(k);
    EXPECT_EQ((filter::reads_mask & filter::bit(k)) != 0, is_read(k)) << event_kind_name(k);
  }
  EXPECT_EQ(filter::writes_mask & filter::reads_mask, 0u);
}

TEST(filter, a_kind_mask_selects_only_those_kinds) {
  filter f;
  f.set_kinds(filter::bit(event_kind::put) | filter::bit(event_kind::get));
  EXPECT_TRUE(f.wants(event_kind::put));
  EXPECT_TRUE(f.wants(event_kind::get));
  EXPECT_TRUE(f.wants_reads());
  for (auto k : {event_kind::erase, event_kind::expire, event_kind::cas, event_kind::batch, event_kind::list})
    EXPECT_FALSE(f.wants(k)) << event_kind_name(k);
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"k"})), verdict::whole);
  EXPECT_EQ(judge(f, write_event(event_kind::erase, {"k"})), verdict::skip);
  EXPECT_EQ(judge(f, write_event(event_kind::batch, {"k"})), verdict::skip);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "k")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::list, "")), verdict::skip);
}

TEST(filter, writes_and_reads_together_want_everything) {
  filter f;
  f.set_kinds(filter::writes_mask | filter::reads_mask);
  for (auto k : all_kinds) EXPECT_TRUE(f.wants(k)) << event_kind_name(k);
  EXPECT_EQ(judge(f, read_event(event_kind::list, "p/")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "x")), verdict::whole);
}

TEST(filter, a_prefix_matches_the_keys_that_start_with_it) {
  filter f;
  f.set_prefix("app/");
  EXPECT_FALSE(f.all_keys());
  EXPECT_TRUE(f.matches_key("app/"));
  EXPECT_TRUE(f.matches_key("app/a"));
  EXPECT_TRUE(f.matches_key("app/a/b"));
  EXPECT_FALSE(f.matches_key("app"));
  EXPECT_FALSE(f.matches_key("apps/a"));
  EXPECT_FALSE(f.matches_key("x/app/a"));
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"app/a"})), verdict::whole);
  EXPECT_EQ(judge(f, write_event(event_kind::erase, {"app/a"})), verdict::whole);
  EXPECT_EQ(judge(f, write_event(event_kind::expire, {"other"})), verdict::skip);
  EXPECT_EQ(judge(f, write_event(event_kind::cas, {"other"})), verdict::skip);
}

TEST(filter, a_key_set_matches_exactly_its_keys) {
  filter f;
  f.add_key("b");
  f.add_key("a");
  f.add_key("b");
  EXPECT_FALSE(f.all_keys());
  EXPECT_EQ(f.keys(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(f.matches_key("a"));
  EXPECT_TRUE(f.matches_key("b"));
  EXPECT_FALSE(f.matches_key("ab"));
  EXPECT_FALSE(f.matches_key(""));
  EXPECT_FALSE(f.matches_key("c"));
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"a"})), verdict::whole);
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"ab"})), verdict::skip);
}

TEST(filter, a_prefix_and_keys_together_match_either) {
  filter f;
  f.set_prefix("p/");
  f.add_key("solo");
  EXPECT_TRUE(f.matches_key("p/x"));
  EXPECT_TRUE(f.matches_key("solo"));
  EXPECT_FALSE(f.matches_key("solo2"));
  EXPECT_FALSE(f.matches_key("q/x"));
}

TEST(filter, a_batch_goes_whole_when_every_op_matches) {
  filter f;
  f.set_prefix("p/");
  std::vector<bool> keep;
  EXPECT_EQ(f.judge(*write_event(event_kind::batch, {"p/a", "p/b"}), keep), verdict::whole);
}

TEST(filter, a_batch_is_skipped_when_no_op_matches) {
  filter f;
  f.add_key("k");
  EXPECT_EQ(judge(f, write_event(event_kind::batch, {"a", "b", "c"})), verdict::skip);
}

TEST(filter, a_batch_partly_in_the_filter_keeps_only_the_matching_ops) {
  filter f;
  f.add_key("b");
  f.add_key("d");
  std::vector<bool> keep{true, true};  // whatever the caller had is replaced
  EXPECT_EQ(f.judge(*write_event(event_kind::batch, {"a", "b", "c", "d"}), keep), verdict::some);
  EXPECT_EQ(keep, (std::vector<bool>{false, true, false, true}));
}

TEST(filter, every_key_takes_a_batch_whole) {
  filter f;
  EXPECT_EQ(judge(f, write_event(event_kind::batch, {"a", "b"})), verdict::whole);
}

TEST(filter, a_get_is_judged_by_its_key) {
  filter f;
  f.set_kinds(filter::reads_mask);
  f.set_prefix("p/");
  f.add_key("k");
  EXPECT_EQ(judge(f, read_event(event_kind::get, "p/x")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "k")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "other")), verdict::skip);
}

TEST(filter, a_list_is_judged_by_whether_it_reads_inside_the_watched_prefix) {
  filter f;
  f.set_kinds(filter::reads_mask);
  f.set_prefix("p/");
  EXPECT_EQ(judge(f, read_event(event_kind::list, "p/")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::list, "p/sub/")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::list, "q/")), verdict::skip);
}

TEST(filter, a_list_does_not_concern_a_subscriber_of_single_keys) {
  filter f;
  f.set_kinds(filter::reads_mask);
  f.add_key("k");
  EXPECT_EQ(judge(f, read_event(event_kind::list, "k")), verdict::skip);
}

TEST(filter, reads_on_every_key_go_whole) {
  filter f;
  f.set_kinds(filter::reads_mask);
  EXPECT_EQ(judge(f, read_event(event_kind::get, "anything")), verdict::whole);
  EXPECT_EQ(judge(f, read_event(event_kind::list, "")), verdict::whole);
  EXPECT_EQ(judge(f, write_event(event_kind::put, {"k"})), verdict::skip);
}

}  // namespace
}  // namespace livekv::hub

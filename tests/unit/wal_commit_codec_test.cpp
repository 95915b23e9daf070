// The commit record's format 2 (with the origin byte the live feed names events by) and the
// format 1 records older logs still hold. Round trips of the op kinds are in wal_storage_test.cpp.
#include "livekv/wal/commit_codec.hpp"

#include <gtest/gtest.h>

#include <string>

#include "livekv/util/byte_coding.hpp"

namespace livekv::wal {
namespace {

using origin = store::commit_request::kind;
using op_kind = store::operation::kind;

// format(1) term(8) index(8) revision(8) time_ms(8): where format 2 puts its origin byte.
constexpr std::size_t origin_offset = 33;

std::string encode(origin o) {
  const auto v = store::make_value("value", "text/plain");
  store::logged_commit c{1, 2, 9, 1'700'000'000'000, {}};
  c.origin = o;
  c.ops.push_back({op_kind::put, "k", v.get(), 0});
  c.ops.push_back({op_kind::erase, "gone", nullptr, 0});
  std::string payload;
  encode_commit(payload, c);
  return payload;
}

TEST(wal_commit_codec, every_origin_round_trips) {
  for (const auto o : {origin::write, origin::cas, origin::batch}) {
    const auto payload = encode(o);
    auto d = decode_commit(payload);
    ASSERT_TRUE(d) << d.error().message();
    EXPECT_EQ(d->origin, o) << static_cast<int>(o);
    EXPECT_EQ(d->revision, 9u);
    ASSERT_EQ(d->ops.size(), 2u);
    EXPECT_EQ(d->ops[0].val->bytes(), "value");
    EXPECT_EQ(d->ops[1].what, op_kind::erase);
  }
}

TEST(wal_commit_codec, new_records_are_format_2_with_the_origin_after_the_time) {
  const auto payload = encode(origin::batch);
  ASSERT_GT(payload.size(), origin_offset);
  EXPECT_EQ(static_cast<unsigned char>(payload[0]), 2u);
  EXPECT_EQ(static_cast<unsigned char>(payload[origin_offset]), 2u);
  EXPECT_EQ(static_cast<unsigned char>(encode(origin::cas)[origin_offset]), 1u);
  EXPECT_EQ(static_cast<unsigned char>(encode(origin::write)[origin_offset]), 0u);
}

TEST(wal_commit_codec, a_format_1_record_without_origin_still_decodes_as_a_plain_write) {
  // Built by hand, as session 1's writer laid it out: no origin byte between time and op count.
  std::string p;
  p.push_back(1);
  util::put_fixed<std::uint64_t>(p, 5);                  // term
  util::put_fixed<std::uint64_t>(p, 6);                  // index
  util::put_fixed<std::uint64_t>(p, 42);                 // revision
  util::put_fixed<std::uint64_t>(p, 1'700'000'000'123);  // time_ms
  util::put_fixed<std::uint32_t>(p, 3);                  // op count
  p.push_back(1);                                        // put
  util::put_bytes32(p, "a/key");
  util::put_fixed<std::uint64_t>(p, 1'800'000'000'000);  // expires_at_ms
  util::put_bytes32(p, "application/json");
  util::put_bytes32(p, "{}");
  p.push_back(2);  // delete
  util::put_bytes32(p, "b");
  p.push_back(3);  // expire
  util::put_bytes32(p, "c");

  auto d = decode_commit(p);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->origin, origin::write);
  EXPECT_EQ(d->term, 5u);
  EXPECT_EQ(d->index, 6u);
  EXPECT_EQ(d->revision, 42u);
  EXPECT_EQ(d->time_ms, 1'700'000'000'123);
  ASSERT_EQ(d->ops.size(), 3u);
  EXPECT_EQ(d->ops[0].what, op_kind::put);
  EXPECT_EQ(d->ops[0].key, "a/key");
  EXPECT_EQ(d->ops[0].expires_at_ms, 1'800'000'000'000);
  EXPECT_EQ(d->ops[0].val->content_type(), "application/json");
  EXPECT_EQ(d->ops[0].val->bytes(), "{}");
  EXPECT_EQ(d->ops[1].what, op_kind::erase);
  EXPECT_EQ(d->ops[1].key, "b");
  EXPECT_EQ(d->ops[2].what, op_kind::expire);
  EXPECT_EQ(d->ops[2].key, "c");
}

TEST(wal_commit_codec, an_unknown_origin_is_malformed) {
  auto payload = encode(origin::write);
  payload[origin_offset] = 3;
  auto d = decode_commit(payload);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), errc::internal);
}

TEST(wal_commit_codec, an_unknown_format_is_malformed) {
  for (const char format : {char{0}, char{3}}) {
    auto payload = encode(origin::write);
    payload[0] = format;
    auto d = decode_commit(payload);
    ASSERT_FALSE(d) << static_cast<int>(format);
    EXPECT_EQ(d.error().code(), errc::internal);
  }
}

}  // namespace
}  // namespace livekv::wal

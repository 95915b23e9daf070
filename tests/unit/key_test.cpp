#include "livekv/store/key.hpp"

#include <gtest/gtest.h>

#include "livekv/util/base64.hpp"
#include "livekv/util/utf8.hpp"

namespace livekv {
namespace {

TEST(key, ordinary_keys_are_valid) {
  EXPECT_TRUE(store::validate_key("a", 1024).ok());
  EXPECT_TRUE(store::validate_key("app/config/db", 1024).ok());
  EXPECT_TRUE(store::validate_key("a//b", 1024).ok());
  EXPECT_TRUE(store::validate_key("caf\xc3\xa9 \xe2\x82\xac", 1024).ok());
}

TEST(key, empty_key_is_bad_key) { EXPECT_EQ(store::validate_key("", 1024).code(), errc::bad_key); }

TEST(key, length_limit_is_in_bytes_and_inclusive) {
  EXPECT_TRUE(store::validate_key(std::string(16, 'x'), 16).ok());
  EXPECT_EQ(store::validate_key(std::string(17, 'x'), 16).code(), errc::key_too_long);
  EXPECT_EQ(store::validate_key("\xc3\xa9\xc3\xa9", 3).code(), errc::key_too_long);
}

TEST(key, control_characters_are_rejected) {
  EXPECT_EQ(store::validate_key(std::string("a\0b", 3), 1024).code(), errc::bad_key);
  EXPECT_EQ(store::validate_key("a\nb", 1024).code(), errc::bad_key);
  EXPECT_EQ(store::validate_key("a\x7f", 1024).code(), errc::bad_key);
  EXPECT_EQ(store::validate_key("a\xc2\x85", 1024).code(), errc::bad_key);  // U+0085, a C1 control
}

TEST(key, invalid_utf8_is_rejected) {
  EXPECT_EQ(store::validate_key("\xff", 1024).code(), errc::bad_key);
  EXPECT_EQ(store::validate_key("\xc3", 1024).code(), errc::bad_key);          // truncated
  EXPECT_EQ(store::validate_key("\xc0\xaf", 1024).code(), errc::bad_key);      // overlong '/'
  EXPECT_EQ(store::validate_key("\xed\xa0\x80", 1024).code(), errc::bad_key);  // surrogate
  EXPECT_EQ(store::validate_key("\xf4\x90\x80\x80", 1024).code(), errc::bad_key);  // > U+10FFFF
}

TEST(utf8, valid_utf8_accepts_controls_but_printable_does_not) {
  EXPECT_TRUE(util::is_valid_utf8(std::string("a\0b\n", 4)));
  EXPECT_FALSE(util::is_printable_utf8("a\n"));
  EXPECT_TRUE(util::is_valid_utf8("\xf0\x9f\x98\x80"));
  EXPECT_TRUE(util::is_printable_utf8("\xf0\x9f\x98\x80"));
}

TEST(base64, encodes_rfc4648_test_vectors) {
  EXPECT_EQ(util::base64_encode(""), "");
  EXPECT_EQ(util::base64_encode("f"), "Zg==");
  EXPECT_EQ(util::base64_encode("fo"), "Zm8=");
  EXPECT_EQ(util::base64_encode("foo"), "Zm9v");
  EXPECT_EQ(util::base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(util::base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(util::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(util::base64_encode("\xff\xfe"), "//4=");
}

}  // namespace
}  // namespace livekv

// auth/gate: the auth file in force. admit() says who a token is and whether it has the role;
// reload() swaps the table whole (a broken file keeps the old one, and the generation does not
// move); recheck() tells a stream admitted earlier whether it may go on; a principal handed out
// keeps its table alive across reloads.
#include "livekv/auth/gate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/temp_dir.hpp"

namespace livekv::auth {
namespace {

std::string entry(const std::string& name, const std::string& token, const std::string& roles,
                  const std::string& prefixes = R"([""])") {
  return R"({"name": ")" + name + R"(", "token_sha256": ")" + to_hex(sha256(token)) + R"(", "roles": )" + roles +
         R"(, "prefixes": )" + prefixes + "}";
}

class auth_gate_test : public testing::Test {
 protected:
  void write(const std::string& text) {
    std::ofstream out(path(), std::ios::trunc);
    out << text;
  }
  std::string path() const { return (dir_ / "auth.json").string(); }

  test::temp_dir dir_;
  gate gate_;
};

TEST_F(auth_gate_test, without_open_the_gate_is_disabled) { EXPECT_FALSE(gate_.enabled()); }

TEST_F(auth_gate_test, open_refuses_a_broken_file_and_stays_disabled) {
  write("[{oops}]");
  const auto s = gate_.open(path());
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find(path()), std::string::npos) << s.message();
  EXPECT_FALSE(gate_.enabled());
}

TEST_F(auth_gate_test, admit_names_the_token_or_says_why_not) {
  write("[" + entry("reader", "r-token", R"(["read"])") + "," + entry("admin", "a-token", R"(["admin"])") + "]");
  ASSERT_TRUE(gate_.open(path()));
  EXPECT_TRUE(gate_.enabled());
  EXPECT_EQ(gate_.size(), 2u);

  const auto r = gate_.admit("r-token", role::read);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ((*r)->name(), "reader");
  EXPECT_TRUE(gate_.admit("r-token", std::nullopt)) << "any known token for a route that needs none in particular";
  EXPECT_TRUE(gate_.admit("a-token", std::nullopt));

  const auto none = gate_.admit(std::nullopt, role::read);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), errc::unauthorized);
  EXPECT_EQ(gate_.admit("", role::read).error().code(), errc::unauthorized) << "an empty token is none";
  EXPECT_EQ(gate_.admit("nobody", role::read).error().code(), errc::unauthorized);
  EXPECT_EQ(gate_.admit("nobody", std::nullopt).error().code(), errc::unauthorized);
  const auto lacking = gate_.admit("r-token", role::write);
  ASSERT_FALSE(lacking);
  EXPECT_EQ(lacking.error().code(), errc::forbidden);
  EXPECT_NE(lacking.error().message().find("write"), std::string::npos) << lacking.error().message();
  EXPECT_EQ(gate_.admit("a-token", role::read).error().code(), errc::forbidden) << "admin does not imply read";
}

TEST_F(auth_gate_test, a_reload_puts_the_new_file_in_force_and_moves_the_generation) {
  write("[" + entry("old", "old-token", R"(["read"])") + "]");
  ASSERT_TRUE(gate_.open(path()));
  const auto g = gate_.generation();
  write("[" + entry("new", "new-token", R"(["read"])") + "]");
  ASSERT_TRUE(gate_.reload());
  EXPECT_NE(gate_.generation(), g);
  EXPECT_TRUE(gate_.admit("new-token", role::read));
  EXPECT_EQ(gate_.admit("old-token", role::read).error().code(), errc::unauthorized);
}

TEST_F(auth_gate_test, a_broken_file_on_reload_keeps_the_old_table_and_the_generation) {
  write("[" + entry("old", "old-token", R"(["read"])") + "]");
  ASSERT_TRUE(gate_.open(path()));
  const auto g = gate_.generation();
  write("[" + entry("new", "new-token", R"(["read"])") + ",\n {oops}]");
  const auto s = gate_.reload();
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find(path()), std::string::npos) << s.message();
  EXPECT_EQ(gate_.generation(), g) << "streams have nothing to recheck";
  EXPECT_TRUE(gate_.admit("old-token", role::read));
  EXPECT_FALSE(gate_.admit("new-token", role::read));
  std::filesystem::remove(path());
  EXPECT_FALSE(gate_.reload()) << "a file gone is broken too";
  EXPECT_TRUE(gate_.admit("old-token", role::read));
}

TEST_F(auth_gate_test, recheck_tells_a_stream_whether_its_token_still_holds) {
  write("[" + entry("w", "w-token", R"(["read"])", R"(["app/"])") + "," +
        entry("x", "x-token", R"(["read"])", R"(["app/"])") + "," + entry("y", "y-token", R"(["read"])", R"(["app/"])") +
        "," + entry("z", "z-token", R"(["read"])", R"(["app/"])") + "]");
  ASSERT_TRUE(gate_.open(path()));
  const auto w = gate_.admit("w-token", role::read).value();
  const auto x = gate_.admit("x-token", role::read).value();
  const auto y = gate_.admit("y-token", role::read).value();
  const auto z = gate_.admit("z-token", role::read).value();
  // w unchanged (but renamed: the token is what counts), x removed, y loses read, z changes prefixes.
  write("[" + entry("w-renamed", "w-token", R"(["read", "write"])", R"(["app/"])") + "," +
        entry("y", "y-token", R"(["write"])", R"(["app/"])") + "," +
        entry("z", "z-token", R"(["read"])", R"(["app/", "jobs/"])") + "]");
  ASSERT_TRUE(gate_.reload());
  EXPECT_EQ(gate_.recheck(*w, role::read), standing::unchanged);
  EXPECT_EQ(gate_.recheck(*x, role::read), standing::revoked);
  EXPECT_EQ(gate_.recheck(*y, role::read), standing::lost_role);
  EXPECT_EQ(gate_.recheck(*z, role::read), standing::rescoped);
  EXPECT_EQ(gate_.recheck(*w, role::admin), standing::lost_role) << "a read-event stream needs admin";
}

TEST_F(auth_gate_test, a_principal_outlives_the_reload_that_replaced_its_table) {
  write("[" + entry("old", "old-token", R"(["read"])", R"(["app/"])") + "]");
  ASSERT_TRUE(gate_.open(path()));
  const auto who = gate_.admit("old-token", role::read).value();
  write("[" + entry("new", "new-token", R"(["read"])") + "]");
  ASSERT_TRUE(gate_.reload());
  // The old table is gone from the gate; the principal still reads as it did.
  EXPECT_EQ(who->name(), "old");
  EXPECT_TRUE(who->covers("app/k"));
  EXPECT_FALSE(who->covers("other"));
}

}  // namespace
}  // namespace livekv::auth

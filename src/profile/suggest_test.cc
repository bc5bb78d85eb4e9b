#include "profile/suggest.h"

#include <gtest/gtest.h>

#include <array>

namespace sandbox::profile {
namespace {

TEST(ProfileSuggestTest, EditDistance) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("hostnme", "hostname"), 1u);
  EXPECT_EQ(EditDistance("hostnmae", "hostname"), 1u);  // a swap is one edit
  EXPECT_EQ(EditDistance("HOEM", "HOME"), 1u);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
}

TEST(ProfileSuggestTest, Nearest) {
  constexpr std::array<std::string_view, 4> kWords = {"source", "target", "size", "mode"};
  EXPECT_EQ(Nearest("sorce", kWords), "source");
  EXPECT_EQ(Nearest("taregt", kWords), "target");
  EXPECT_EQ(Nearest("sizes", kWords), "size");
  EXPECT_EQ(Nearest("mod", kWords), "mode");
  EXPECT_EQ(Nearest("x", kWords), "");     // too short to guess
  EXPECT_EQ(Nearest("nope", kWords), "");  // two edits from "mode": too far for four letters
  EXPECT_EQ(Nearest("destination", kWords), "");
}

}  // namespace
}  // namespace sandbox::profile

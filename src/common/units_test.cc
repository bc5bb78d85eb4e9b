#include "common/units.h"

#include <gtest/gtest.h>

namespace sandbox {
namespace {

TEST(UnitsTest, Durations) {
  EXPECT_EQ(*ParseDuration("30"), std::chrono::milliseconds(30'000));
  EXPECT_EQ(*ParseDuration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(*ParseDuration("5m"), std::chrono::milliseconds(300'000));
  EXPECT_EQ(*ParseDuration("2h"), std::chrono::milliseconds(7'200'000));
  EXPECT_EQ(*ParseDuration("1d"), std::chrono::milliseconds(86'400'000));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_FALSE(ParseDuration("m"));
  EXPECT_FALSE(ParseDuration("1.5s"));
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("99999999999999999999d"));
}

TEST(UnitsTest, Sizes) {
  EXPECT_EQ(*ParseSize("0"), 0u);
  EXPECT_EQ(*ParseSize("512"), 512u);
  EXPECT_EQ(*ParseSize("64K"), 64u << 10);
  EXPECT_EQ(*ParseSize("64M"), 64u << 20);
  EXPECT_EQ(*ParseSize("1G"), 1ULL << 30);
  EXPECT_EQ(*ParseSize("2T"), 2ULL << 40);
  EXPECT_FALSE(ParseSize("1MB"));
  EXPECT_FALSE(ParseSize("lots"));
  EXPECT_FALSE(ParseSize("99999999999T"));
}

TEST(UnitsTest, Modes) {
  EXPECT_EQ(*ParseMode("0755"), 0755u);
  EXPECT_EQ(*ParseMode("1777"), 01777u);
  EXPECT_EQ(*ParseMode("700"), 0700u);
  EXPECT_FALSE(ParseMode("0800"));
  EXPECT_FALSE(ParseMode("17777"));
  EXPECT_FALSE(ParseMode(""));
}

}  // namespace
}  // namespace sandbox

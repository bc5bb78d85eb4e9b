#include "report/json_writer.h"

#include <gtest/gtest.h>

#include <string>

namespace sandbox::report {
namespace {

std::string Quoted(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST(JsonStringTest, PlainTextIsQuoted) {
  EXPECT_EQ(Quoted(""), "\"\"");
  EXPECT_EQ(Quoted("make -j8"), "\"make -j8\"");
}

TEST(JsonStringTest, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(Quoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(Quoted("C:\\dir\\"), R"("C:\\dir\\")");
  EXPECT_EQ(Quoted("/"), "\"/\"");  // a solidus needs no escape
}

TEST(JsonStringTest, ControlCharactersAreEscaped) {
  EXPECT_EQ(Quoted("a\nb\tc\rd\be\ff"), R"("a\nb\tc\rd\be\ff")");
  EXPECT_EQ(Quoted(std::string("nul\0here", 8)), R"("nul\u0000here")");
  EXPECT_EQ(Quoted("\x01\x1f\x7f"), R"("\u0001\u001f\u007f")");
  EXPECT_EQ(Quoted("\x1b[31m"), R"("\u001b[31m")");
}

TEST(JsonStringTest, ValidUtf8PassesThrough) {
  EXPECT_EQ(Quoted("caf\xc3\xa9"), "\"caf\xc3\xa9\"");            // é, 2 bytes
  EXPECT_EQ(Quoted("\xe2\x82\xac"), "\"\xe2\x82\xac\"");          // €, 3 bytes
  EXPECT_EQ(Quoted("\xf0\x9f\x93\xa6"), "\"\xf0\x9f\x93\xa6\"");  // 📦, 4 bytes
  EXPECT_EQ(Quoted("\xef\xbf\xbf\xf4\x8f\xbf\xbf"), "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
}

TEST(JsonStringTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(Quoted("\xff"), R"("\ufffd")");
  EXPECT_EQ(Quoted("a\x80z"), R"("a\ufffdz")");                  // stray continuation byte
  EXPECT_EQ(Quoted("\xc3"), R"("\ufffd")");                      // truncated sequence
  EXPECT_EQ(Quoted("\xc3(x"), R"("\ufffd(x")");                  // bad continuation
  EXPECT_EQ(Quoted("\xc0\xaf"), R"("\ufffd\ufffd")");            // overlong '/'
  EXPECT_EQ(Quoted("\xe0\x80\xaf"), R"("\ufffd\ufffd\ufffd")");  // overlong, 3 bytes
  EXPECT_EQ(Quoted("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // UTF-16 surrogate
  EXPECT_EQ(Quoted("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
}

TEST(JsonWriterTest, CompactDocument) {
  JsonWriter json(0);
  json.BeginObject();
  json.Key("a").Int(-1);
  json.Key("b").BeginArray().String("x").UInt(18446744073709551615ULL).Bool(true).Null().EndArray();
  json.Key("c").BeginObject().EndObject();
  json.Key("d").BeginArray().EndArray();
  json.Key("e").Double(1.5, 3);
  json.EndObject();
  EXPECT_EQ(json.Finish(),
            R"({"a":-1,"b":["x",18446744073709551615,true,null],"c":{},"d":[],"e":1.500})");
}

TEST(JsonWriterTest, IndentedDocument) {
  JsonWriter json;
  json.BeginObject();
  json.Key("list").BeginArray().Int(1).Int(2).EndArray();
  json.Key("empty").BeginArray().EndArray();
  json.Key("k\"ey").String("v");
  json.EndObject();
  EXPECT_EQ(json.Finish(),
            "{\n"
            "  \"list\": [\n"
            "    1,\n"
            "    2\n"
            "  ],\n"
            "  \"empty\": [],\n"
            "  \"k\\\"ey\": \"v\"\n"
            "}\n");
}

TEST(JsonWriterTest, NonFiniteNumbersBecomeNull) {
  JsonWriter json(0);
  json.BeginArray().Double(1.0 / 0.0).Double(0.25, 2).EndArray();
  EXPECT_EQ(json.Finish(), "[null,0.25]");
}

}  // namespace
}  // namespace sandbox::report

// JsonWriter: builds one JSON document in a string, with commas, indentation and string
// escaping done for the caller. Enough for the run report; no parsing, no dependencies.
#ifndef SANDBOX_REPORT_JSON_WRITER_H_
#define SANDBOX_REPORT_JSON_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sandbox::report {

/// Appends `text` to `out` as a quoted JSON string. Quotes, backslashes and control characters
/// are escaped; bytes that are not valid UTF-8 (a command line may hold any bytes) become
/// U+FFFD, so the document is always valid UTF-8 and valid JSON.
void AppendJsonString(std::string_view text, std::string* out);

/// Writes values in document order: Begin/End pairs nest, Key() names the next value inside an
/// object. Misuse (a value without a key in an object, unbalanced End) is a programming error
/// and is not diagnosed.
class JsonWriter {
 public:
  /// indent: spaces per level; 0 writes the whole document on one line.
  explicit JsonWriter(int indent = 2) : indent_(indent) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& UInt(uint64_t value);
  /// Fixed notation with `decimals` digits; NaN and infinities (not JSON) become null.
  JsonWriter& Double(double value, int decimals = 6);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  /// `value`, or null when it is empty (the report's "not known" for text).
  JsonWriter& StringOrNull(std::string_view value);

  /// The document so far; complete once every Begin has its End. Ends with a newline when
  /// indenting.
  std::string Finish() const;

 private:
  struct Level {
    bool is_object;
    bool empty = true;
  };
  void BeforeValue();
  void NewLine();
  JsonWriter& Close(char bracket);

  int indent_;
  std::string out_;
  std::vector<Level> levels_;
  bool after_key_ = false;
};

}  // namespace sandbox::report

#endif  // SANDBOX_REPORT_JSON_WRITER_H_

// Result<T> and Error: the parent side's error channel, spelled like std::expected so a
// move to C++23 is a rename. Never used between clone() and execve().
#ifndef SANDBOX_COMMON_RESULT_H_
#define SANDBOX_COMMON_RESULT_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace sandbox {

/// Where in a profile (or on the command line) a value came from.
struct SourceLocation {
  std::string file;  // profile path, or "command line"
  int line = 0;      // 1-based; 0 when unknown
  int column = 0;    // 1-based; 0 when unknown

  /// "cc.toml:14:3", "cc.toml:14", "cc.toml" or "" depending on what is known.
  std::string ToString() const;
};

struct Error {
  std::string message;  // one line, no "sandbox:" prefix, no trailing period
  int errno_value = 0;  // 0 when no errno applies
  std::optional<SourceLocation> where;
  std::string hint;     // optional "how to fix it", printed after the message
  std::string excerpt;  // the offending source line, shown with a caret under `where->column`
  std::string path;     // the host path involved, for the report's error.path; "" if none

  /// With a line number (profile errors): "file:line:col: message; hint", then the excerpt and
  /// a caret line. Otherwise: message [": " strerror] [" (" where ")"] ["; " hint].
  std::string ToString() const;
};

/// Builds an Error from a message and optional errno.
Error MakeError(std::string message, int errno_value = 0);

template <typename E>
class Unexpected {
 public:
  explicit Unexpected(E e) : error_(std::move(e)) {}
  E& error() & { return error_; }
  E&& error() && { return std::move(error_); }

 private:
  E error_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Result(Unexpected<Error> e)                                           // NOLINT implicit
      : data_(std::in_place_index<1>, std::move(e).error()) {}
  Result(Error e) : data_(std::in_place_index<1>, std::move(e)) {}  // NOLINT implicit

  bool has_value() const { return data_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(data_); }
  Error& error() { return std::get<1>(data_); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected<Error> e) : error_(std::move(e).error()) {}  // NOLINT implicit
  Result(Error e) : error_(std::move(e)) {}                      // NOLINT implicit

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *error_; }
  Error& error() { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Unexpected<Error> Fail(Error e) { return Unexpected<Error>(std::move(e)); }

}  // namespace sandbox

#endif  // SANDBOX_COMMON_RESULT_H_

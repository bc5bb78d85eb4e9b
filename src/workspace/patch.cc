#include "workspace/patch.h"

#include <dirent.h>
#include <fcntl.h>
#include <nettle/sha1.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/syscalls.h"
#include "common/unique_fd.h"
#include "workspace/apply.h"

namespace sandbox::workspace {
namespace {

constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
constexpr size_t kContext = 3;
constexpr char kNullId[] = "0000000000000000000000000000000000000000";

Result<std::string> ReadBeneath(int root, const std::string& path) {
  int fd;
  do {
    fd = sys::OpenAt2(root, path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC, kBeneath);
  } while (fd < 0 && errno == EAGAIN);
  UniqueFd file(fd);
  struct stat st {};
  if (!file || ::fstat(file.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return MakeError("cannot read " + path, errno);
  }
  std::string text;
  text.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  for (;;) {
    if (done == text.size()) text.resize(done + 65536);
    ssize_t n = ::read(file.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError("cannot read " + path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  text.resize(done);
  return text;
}

// git's blob id: SHA-1 of "blob SIZE\0" and the content (the `index` line binary patches need).
std::string BlobId(const std::string& content) {
  sha1_ctx context;
  sha1_init(&context);
  std::string header = "blob " + std::to_string(content.size());
  sha1_update(&context, header.size() + 1, reinterpret_cast<const uint8_t*>(header.c_str()));
  sha1_update(&context, content.size(), reinterpret_cast<const uint8_t*>(content.data()));
  uint8_t digest[SHA1_DIGEST_SIZE];
  sha1_digest(&context, sizeof(digest), digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (uint8_t b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

bool IsBinary(const std::string& content) {
  return std::memchr(content.data(), '\0', std::min<size_t>(content.size(), 8000)) != nullptr;
}

// zlib's format with stored (uncompressed) deflate blocks: valid input for git's inflate, and
// no compression library needed for what is only a transport.
std::string ZlibStored(const std::string& data) {
  std::string out = "\x78\x01";
  size_t at = 0;
  do {
    size_t n = std::min<size_t>(data.size() - at, 65535);
    bool last = at + n == data.size();
    out.push_back(last ? 1 : 0);
    out.push_back(static_cast<char>(n & 0xff));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(~n & 0xff));
    out.push_back(static_cast<char>((~n >> 8) & 0xff));
    out.append(data, at, n);
    at += n;
  } while (at < data.size());
  uint32_t a = 1;
  uint32_t b = 0;
  for (unsigned char c : data) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  uint32_t adler = (b << 16) | a;
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(adler >> shift));
  return out;
}

// git's base85 lines: a length character, then 5 characters per 4 bytes (52 bytes a line).
std::string Base85Lines(const std::string& data) {
  static constexpr char kAlphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";
  std::string out;
  for (size_t at = 0; at < data.size(); at += 52) {
    size_t n = std::min<size_t>(52, data.size() - at);
    out.push_back(n <= 26 ? static_cast<char>('A' + n - 1) : static_cast<char>('a' + n - 27));
    for (size_t i = 0; i < n; i += 4) {
      uint32_t value = 0;
      for (size_t k = 0; k < 4; ++k) {
        unsigned char byte = i + k < n ? static_cast<unsigned char>(data[at + i + k]) : 0;
        value = (value << 8) | byte;
      }
      char chunk[5];
      for (int k = 4; k >= 0; --k) {
        chunk[k] = kAlphabet[value % 85];
        value /= 85;
      }
      out.append(chunk, 5);
    }
    out.push_back('\n');
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

std::string Range(size_t start, size_t length) {
  return std::to_string(length == 0 ? start : start + 1) + "," + std::to_string(length);
}

// C-style quoting as git does for names with quotes, backslashes or control characters.
std::string Quoted(const std::string& prefix, const std::string& path) {
  bool plain = std::none_of(path.begin(), path.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
  if (plain) return prefix + path;
  std::string out = "\"" + prefix;
  for (char c : path) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      char oct[8];
      std::snprintf(oct, sizeof(oct), "\\%03o", static_cast<unsigned char>(c));
      out += oct;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

const char* GitMode(const std::string& type, unsigned mode) {
  if (type == "symlink") return "120000";
  return (mode & 0111) != 0 ? "100755" : "100644";
}

struct Side {
  bool exists = false;
  std::string content;  // a file's bytes or a link's text
  const char* mode = "100644";
};

void AppendFile(const std::string& path, const Side& old_side, const Side& new_side,
                bool binary_as_line, std::string* out) {
  std::string a = Quoted("a/", path);
  std::string b = Quoted("b/", path);
  std::string text = "diff --git " + a + " " + b + "\n";
  bool type_changed =
      old_side.exists && new_side.exists &&
      (std::strcmp(old_side.mode, "120000") == 0) != (std::strcmp(new_side.mode, "120000") == 0);
  if (type_changed) {  // git writes a deletion and an addition
    Side none;
    AppendFile(path, old_side, none, binary_as_line, out);
    AppendFile(path, none, new_side, binary_as_line, out);
    return;
  }
  if (!old_side.exists) {
    text += std::string("new file mode ") + new_side.mode + "\n";
  } else if (!new_side.exists) {
    text += std::string("deleted file mode ") + old_side.mode + "\n";
  } else if (std::strcmp(old_side.mode, new_side.mode) != 0) {
    text += std::string("old mode ") + old_side.mode + "\nnew mode " + new_side.mode + "\n";
  }
  const std::string& before = old_side.content;
  const std::string& after = new_side.content;
  if (old_side.exists && new_side.exists && before == after) {
    *out += text;  // a mode change only
    return;
  }
  std::string old_id = old_side.exists ? BlobId(before) : kNullId;
  std::string new_id = new_side.exists ? BlobId(after) : kNullId;
  text += "index " + old_id + ".." + new_id;
  if (old_side.exists && new_side.exists) text += std::string(" ") + new_side.mode;
  text += "\n";
  if (IsBinary(before) || IsBinary(after)) {
    if (binary_as_line) {
      *out += "Binary files " + (old_side.exists ? a : std::string("/dev/null")) + " and " +
              (new_side.exists ? b : std::string("/dev/null")) + " differ\n";
      return;
    }
    text += "GIT binary patch\nliteral " + std::to_string(after.size()) + "\n" +
            Base85Lines(ZlibStored(after)) + "\n";
    text +=
        "literal " + std::to_string(before.size()) + "\n" + Base85Lines(ZlibStored(before)) + "\n";
    *out += text;
    return;
  }
  text += "--- " + (old_side.exists ? a : std::string("/dev/null")) + "\n";
  text += "+++ " + (new_side.exists ? b : std::string("/dev/null")) + "\n";
  text += UnifiedHunks(before, after);
  *out += text;
}

// Every file below `dir` of the checkout, for a deleted directory.
Result<void> DeletedTree(int checkout, const std::string& dir, std::string* out) {
  int fd;
  do {
    fd = sys::OpenAt2(checkout, dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                      kBeneath);
  } while (fd < 0 && errno == EAGAIN);
  if (fd < 0) return MakeError("cannot open " + dir, errno);
  std::unique_ptr<DIR, int (*)(DIR*)> stream(::fdopendir(fd), &::closedir);
  if (!stream) {
    ::close(fd);
    return MakeError("cannot read " + dir, errno);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(stream.get())) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      names.emplace_back(e->d_name);
    }
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir + "/" + name;
    struct stat st {};
    if (::fstatat(::dirfd(stream.get()), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (auto r = DeletedTree(checkout, path, out); !r) return r;
      continue;
    }
    Side old_side;
    old_side.exists = true;
    if (S_ISLNK(st.st_mode)) {
      char link[4096];
      ssize_t n = ::readlinkat(::dirfd(stream.get()), name.c_str(), link, sizeof(link));
      if (n < 0) return MakeError("cannot read " + path, errno);
      old_side.content.assign(link, static_cast<size_t>(n));
      old_side.mode = "120000";
    } else if (S_ISREG(st.st_mode)) {
      auto content = ReadBeneath(checkout, path);
      if (!content) return content.error();
      old_side.content = std::move(content).value();
      old_side.mode = GitMode("file", st.st_mode);
    } else {
      continue;
    }
    AppendFile(path, old_side, Side{}, false, out);
  }
  return {};
}

Result<Side> OldSide(int checkout, const Change& c) {
  Side side;
  int fd;
  do {
    fd = sys::OpenAt2(checkout, c.path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC, kBeneath);
  } while (fd < 0 && errno == EAGAIN);
  UniqueFd at(fd);
  struct stat st {};
  if (!at || ::fstat(at.get(), &st) != 0) return side;  // added: nothing there
  side.exists = S_ISREG(st.st_mode) || S_ISLNK(st.st_mode);
  if (S_ISLNK(st.st_mode)) {
    char link[4096];
    ssize_t n = ::readlinkat(at.get(), "", link, sizeof(link));
    if (n < 0) return MakeError("cannot read " + c.path, errno);
    side.content.assign(link, static_cast<size_t>(n));
    side.mode = "120000";
  } else if (S_ISREG(st.st_mode)) {
    auto content = ReadBeneath(checkout, c.path);
    if (!content) return content.error();
    side.content = std::move(content).value();
    side.mode = GitMode("file", st.st_mode);
  }
  return side;
}

}  // namespace

std::string UnifiedHunks(const std::string& old_text, const std::string& new_text) {
  if (old_text == new_text) return "";
  std::vector<std::string> o = SplitLines(old_text);
  std::vector<std::string> n = SplitLines(new_text);
  size_t prefix = 0;
  while (prefix < o.size() && prefix < n.size() && o[prefix] == n[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < o.size() - prefix && suffix < n.size() - prefix &&
         o[o.size() - 1 - suffix] == n[n.size() - 1 - suffix]) {
    ++suffix;
  }
  size_t pre = std::min(kContext, prefix);
  size_t post = std::min(kContext, suffix);
  size_t start = prefix - pre;
  size_t old_len = o.size() - prefix - suffix + pre + post;
  size_t new_len = n.size() - prefix - suffix + pre + post;
  std::string out = "@@ -" + Range(start, old_len) + " +" + Range(start, new_len) + " @@\n";
  auto line = [&out](char mark, const std::string& text) {
    out += mark;
    out += text;
    if (text.empty() || text.back() != '\n') out += "\n\\ No newline at end of file\n";
  };
  for (size_t i = start; i < prefix; ++i) line(' ', o[i]);
  for (size_t i = prefix; i < o.size() - suffix; ++i) line('-', o[i]);
  for (size_t i = prefix; i < n.size() - suffix; ++i) line('+', n[i]);
  for (size_t i = o.size() - suffix; i < o.size() - suffix + post; ++i) line(' ', o[i]);
  return out;
}

Result<std::string> MakePatch(const std::vector<Change>& changes, const PatchRequest& request) {
  std::string out;
  for (const Change& c : changes) {
    if (!Selected(c.path, request.paths)) continue;
    if (c.type == "dir") {
      if (c.change == "deleted") {
        if (auto r = DeletedTree(request.checkout, c.path, &out); !r) return r.error();
      }
      continue;
    }
    if (c.type != "file" && c.type != "symlink") continue;
    auto old_side = OldSide(request.checkout, c);
    if (!old_side) return old_side.error();
    Side new_side;
    if (c.change != "deleted") {
      new_side.exists = true;
      new_side.mode = GitMode(c.type, c.mode);
      if (c.type == "symlink") {
        new_side.content = c.link;
      } else {
        auto content = ReadBeneath(request.source, c.path);
        if (!content) return content.error();
        new_side.content = std::move(content).value();
      }
    }
    if (c.change == "added") old_side->exists = false;  // what stood there was deleted first
    AppendFile(c.path, *old_side, new_side, request.binary_as_line, &out);
  }
  return out;
}

}  // namespace sandbox::workspace

// The caller's search-path directories that a writable bind hands to the job. PATH: an active
// venv's bin, node_modules/.bin, a project's bin/ that direnv put first; the host's shell runs
// what the job leaves there by name, so a job that plants `.venv/bin/git` has its code run by
// the user's next `git` in that shell. LD_LIBRARY_PATH: a build's lib/ exported to run tests
// against it; the dynamic loader takes a `libc.so.6` the job leaves there for every program
// started from that shell. Snapshotted before the run; after it, each entry the job created or
// changed that comes before another of the same name further on is reported.
#ifndef SANDBOX_WORKSPACE_PATH_WATCH_H_
#define SANDBOX_WORKSPACE_PATH_WATCH_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sandbox::workspace {

struct PathEntryState {
  std::string name;
  dev_t dev = 0;
  ino_t ino = 0;
  int64_t ctime_ns = 0;  // the job cannot set it back (utimensat sets it to now)
  off_t size = 0;
  mode_t mode = 0;
};

/// Entries of one directory the check reads at most (a venv's bin has dozens,
/// node_modules/.bin hundreds); a directory with more is named instead of checked.
inline constexpr size_t kMaxPathDirEntries = 65536;

/// One watched directory of the search path, as it was before the run.
struct WatchedPathDir {
  std::string dir;      // absolute host path, canonical as far as it exists
  size_t position = 0;  // its index in the search path
  bool existed = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::vector<PathEntryState> entries;  // sorted by name
  bool too_many = false;  // more than kMaxPathDirEntries at the start: not watched (no entries)
};

/// Which search: commands by PATH, shared libraries by LD_LIBRARY_PATH (then the loader's
/// default directories).
enum class SearchKind { kCommands, kLibraries };

/// "PATH" or "LD_LIBRARY_PATH".
const char* VariableName(SearchKind kind);

/// One variable's search path and the directories of it the job could write.
struct WatchedSearchPath {
  SearchKind kind = SearchKind::kCommands;
  std::vector<std::string> dirs;  // in search order (for libraries, the defaults last)
  std::vector<WatchedPathDir> watched;
};

/// What the check after the run found: `path` is taken instead of `shadows` for its name.
struct PathShadow {
  SearchKind kind = SearchKind::kCommands;
  std::string path;     // DIR/NAME, the job's
  std::string shadows;  // OTHERDIR/NAME, what the caller's PATH found before the run
  std::string change;   // "created" or "changed"; for a watched directory itself
                        // (`path`, `shadows` ""): "unchecked", it holds more than
                        // kMaxPathDirEntries entries after the run; "replaced", a symlink
                        // now stands on its path
};

/// PATH's directories in order, absolute: an empty entry and "." mean `cwd` (as the shell
/// reads them), relative ones are taken against it; each canonical as far as it exists.
std::vector<std::string> SearchPath(const char* path, const std::string& cwd);

/// The directories of `search_path` inside one of `writable_dirs` (canonical) and not inside
/// one of `read_only_dirs`, with their entries as they are now (absent ones too).
std::vector<WatchedPathDir> WatchPathDirs(const std::vector<std::string>& search_path,
                                          const std::vector<std::string>& writable_dirs,
                                          const std::vector<std::string>& read_only_dirs);

/// Where the dynamic loader looks after LD_LIBRARY_PATH on a Debian-style layout (its cache
/// lists files of these).
std::vector<std::string> DefaultLibraryDirs();

/// After the run: each entry of a watched directory that is new or changed (or in a directory
/// the job made or replaced), that the search would take (an executable file for commands, a
/// file named like a shared library for libraries) and that the search now finds first for
/// its name while a later directory has one of that name. Only reads; follows the job's
/// symlinks only to stat what they point at.
std::vector<PathShadow> FindPathShadows(const WatchedSearchPath& search);

/// The warning for one finding, after "sandbox: warning: ".
std::string Warning(const PathShadow& shadow);

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_PATH_WATCH_H_

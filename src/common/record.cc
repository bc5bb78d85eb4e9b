#include "common/record.h"

#include <sys/socket.h>

#include <cerrno>

#include "common/raw_log.h"

namespace sandbox {

Record MakeErrorRecord(RecordKind kind, SetupStep step, int error, int op_index, const char* path,
                       const char* detail) noexcept {
  Record record;
  record.kind = kind;
  record.step = step;
  record.error = error;
  record.op_index = op_index;
  if (path != nullptr) RawCopy(record.path, sizeof(record.path), path);
  if (detail != nullptr) RawCopy(record.detail, sizeof(record.detail), detail);
  return record;
}

Record MakeStepRecord(SetupStep step, int op_index, int64_t nanoseconds) noexcept {
  Record record;
  record.kind = RecordKind::kStepDone;
  record.step = step;
  record.op_index = op_index;
  record.nanoseconds = nanoseconds;
  return record;
}

bool SendRecord(int fd, const Record& record) noexcept {
  for (;;) {
    ssize_t n = ::send(fd, &record, sizeof(record), MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(sizeof(record))) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

}  // namespace sandbox

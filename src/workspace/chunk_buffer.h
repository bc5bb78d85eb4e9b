// The buffer files are read through in chunks (hashing, copying): one per process, allocated
// uninitialised on first use. A fresh zeroed buffer per file would touch a megabyte of pages
// for every small file of a 10,000-file change list.
#ifndef SANDBOX_WORKSPACE_CHUNK_BUFFER_H_
#define SANDBOX_WORKSPACE_CHUNK_BUFFER_H_

#include <cstddef>
#include <memory>

namespace sandbox::workspace {

inline constexpr size_t kChunkSize = size_t{1} << 20;

inline char* ChunkBuffer() {
  static const std::unique_ptr<char[]> buffer(new char[kChunkSize]);
  return buffer.get();
}

}  // namespace sandbox::workspace

#endif  // SANDBOX_WORKSPACE_CHUNK_BUFFER_H_

// CopyMessage against a memfd laid out as a caller's memory: both layouts, the kernel's errnos.
#include "seccomp/message_copy.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/unique_fd.h"

namespace sandbox::seccomp {
namespace {

class MessageCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_.Reset(::memfd_create("caller", MFD_CLOEXEC));
    ASSERT_TRUE(memory_);
    ASSERT_EQ(::ftruncate(memory_.get(), 1 << 16), 0);
  }
  template <typename T>
  void Put(uint64_t at, const T& value) {
    ASSERT_EQ(::pwrite(memory_.get(), &value, sizeof(value), static_cast<off_t>(at)),
              static_cast<ssize_t>(sizeof(value)));
  }
  void PutBytes(uint64_t at, const std::string& bytes) {
    ASSERT_EQ(::pwrite(memory_.get(), bytes.data(), bytes.size(), static_cast<off_t>(at)),
              static_cast<ssize_t>(bytes.size()));
  }
  UniqueFd memory_;
};

// struct msghdr as a 64-bit caller lays it out.
struct Native {
  uint64_t name;
  int32_t namelen, pad;
  uint64_t iov, iovlen, control, controllen;
  int32_t flags, pad2;
};

TEST_F(MessageCopyTest, NativeMessageWithAddressIovecsAndRights) {
  PutBytes(0x100, std::string("\x01\x00/run/x", 8));
  PutBytes(0x200, "hello");
  PutBytes(0x210, " world");
  Put(0x300, std::array<uint64_t, 4>{0x200, 5, 0x210, 6});
  // One SCM_RIGHTS with two descriptors: a 16-byte header, 8 bytes of ints.
  struct {
    uint64_t len;
    int32_t level, type;
    int32_t fds[2];
  } rights = {24, SOL_SOCKET, SCM_RIGHTS, {3, 4}};
  Put(0x400, rights);
  Put(0x500, Native{0x100, 9, 0, 0x300, 2, 0x400, 24, 0, 0});
  CopiedMessage m;
  ASSERT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 1 << 20, &m), 0);
  EXPECT_EQ(std::string(m.address.begin(), m.address.end()), std::string("\x01\x00/run/x\0", 9));
  EXPECT_EQ(std::string(m.data.begin(), m.data.end()), "hello world");
  ASSERT_EQ(m.control.size(), 1u);
  EXPECT_EQ(m.control[0].level, SOL_SOCKET);
  EXPECT_EQ(m.control[0].type, SCM_RIGHTS);
  ASSERT_EQ(m.control[0].data.size(), 8u);
}

TEST_F(MessageCopyTest, CompatMessage) {
  PutBytes(0x200, "abc");
  Put(0x300, std::array<uint32_t, 2>{0x200, 3});
  struct {
    uint32_t len;
    int32_t level, type;
    int32_t fd;
  } rights = {16, SOL_SOCKET, SCM_RIGHTS, 7};
  Put(0x400, rights);
  Put(0x500, std::array<uint32_t, 7>{0, 0, 0x300, 1, 0x400, 16, 0});
  CopiedMessage m;
  ASSERT_EQ(CopyMessage(memory_.get(), 0x500, true, false, 1 << 20, &m), 0);
  EXPECT_TRUE(m.address.empty());
  EXPECT_EQ(std::string(m.data.begin(), m.data.end()), "abc");
  ASSERT_EQ(m.control.size(), 1u);
  ASSERT_EQ(m.control[0].data.size(), 4u);
  EXPECT_EQ(MmsgLayoutOf(true).length_at, 28u);
  EXPECT_EQ(MmsgLayoutOf(false).length_at, 56u);
}

TEST_F(MessageCopyTest, TheKernelsErrors) {
  CopiedMessage m;
  // A negative name length; a name pointer with length 0 is no name at all.
  Put(0x500, Native{0x100, -1, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 100, &m), EINVAL);
  // Too many iovecs.
  Put(0x500, Native{0, 0, 0, 0x300, 1025, 0, 0, 0, 0});
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 100, &m), EMSGSIZE);
  // An iovec outside the caller's memory.
  Put(0x300, std::array<uint64_t, 2>{1ULL << 40, 4});
  Put(0x500, Native{0, 0, 0, 0x300, 1, 0, 0, 0, 0});
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 100, &m), EFAULT);
  // A control message longer than the buffer.
  Put(0x400, std::array<uint64_t, 2>{64, 0});
  Put(0x500, Native{0, 0, 0, 0, 0, 0x400, 16, 0, 0});
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 100, &m), EINVAL);
  // More bytes than may be copied: EMSGSIZE for a datagram, a short write for a stream.
  Put(0x300, std::array<uint64_t, 2>{0x200, 200});
  Put(0x500, Native{0, 0, 0, 0x300, 1, 0, 0, 0, 0});
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, false, 100, &m), EMSGSIZE);
  CopiedMessage stream;
  EXPECT_EQ(CopyMessage(memory_.get(), 0x500, false, true, 100, &stream), 0);
  EXPECT_EQ(stream.data.size(), 100u);
}

}  // namespace
}  // namespace sandbox::seccomp

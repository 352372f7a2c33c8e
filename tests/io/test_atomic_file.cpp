// write_file_atomic: the destination holds either the old or the complete new content, whatever
// happens during the write, and no temporary file is left behind by an orderly failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "dlfs/io/atomic_file.hpp"
#include "io_test_util.hpp"

namespace dlfs {
namespace {

using test::TempDir;

TEST(AtomicFile, WritesAndReplacesLeavingOnlyTheDestination) {
  TempDir dir;
  const std::string path = dir.file("model.npz");
  write_file_atomic(path, std::string_view("first"));
  EXPECT_EQ(test::slurp(path), "first");
  write_file_atomic(path, std::string_view("second, longer"));
  EXPECT_EQ(test::slurp(path), "second, longer");
  write_file_atomic(path, std::string_view(""));
  EXPECT_EQ(test::slurp(path), "");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.npz"});
}

TEST(AtomicFile, WriterGetsAHiddenTempFileInTheSameFolder) {
  TempDir dir;
  const std::string path = dir.file("plot.png");
  std::string seen;
  write_file_atomic(path, [&](const std::string& tmp) {
    seen = tmp;
    std::ofstream(tmp, std::ios::binary) << "PNG bytes";
  });
  EXPECT_EQ(test::slurp(path), "PNG bytes");
  EXPECT_EQ(std::filesystem::path(seen).parent_path(), dir.path());
  EXPECT_EQ(std::filesystem::path(seen).filename().string().rfind(".plot.png.tmp.", 0), 0u) << seen;
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"plot.png"});
}

TEST(AtomicFile, ThrowingWriterKeepsTheOldFileAndRemovesTheTemp) {
  TempDir dir;
  const std::string path = dir.file("model.npz");
  write_file_atomic(path, std::string_view("old content"));
  try {
    write_file_atomic(path, [](const std::string& tmp) {
      std::ofstream(tmp, std::ios::binary) << "half of the new con";
      throw std::runtime_error("disk on fire");
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "disk on fire");  // the writer's own error, unchanged
  }
  EXPECT_EQ(test::slurp(path), "old content");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.npz"});
}

TEST(AtomicFile, MissingFolderIsAClearError) {
  TempDir dir;
  const std::string path = dir.file("no/such/folder/x.csv");
  try {
    write_file_atomic(path, std::string_view("x"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "write_file_atomic: cannot create temporary file for " + path + ": No such file or directory");
  }
  EXPECT_THROW(write_file_atomic(dir.path().string() + "/", std::string_view("x")), std::invalid_argument);
}

TEST(AtomicFile, RenameOntoAFolderFailsAndCleansUp) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("taken"));
  std::filesystem::create_directory(dir.file("taken/inside"));  // non-empty: rename must fail
  try {
    write_file_atomic(dir.file("taken"), std::string_view("x"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot rename"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.file("taken") + ": "), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"});
}

TEST(AtomicFile, ProcessKilledMidWriteLeavesTheOldFileIntact) {
  TempDir dir;
  const std::string path = dir.file("big.bin");
  write_file_atomic(path, std::string_view("old content"));
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const std::size_t half = std::size_t(4) << 20;
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Child: write half of an 8 MiB file, tell the parent, then wait to be killed.
    ::close(ready[0]);
    try {
      write_file_atomic(path, [&](const std::string& tmp) {
        std::ofstream out(tmp, std::ios::binary);
        std::string chunk(half, 'N');
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        out.flush();
        std::string msg = tmp + "\n";
        if (::write(ready[1], msg.data(), msg.size()) < 0) ::_exit(3);
        for (;;) ::pause();
      });
    } catch (...) {
    }
    ::_exit(2);  // only reached if the kill never came
  }
  ::close(ready[1]);
  std::string tmp;
  char c;
  while (::read(ready[0], &c, 1) == 1 && c != '\n') tmp += c;
  ::close(ready[0]);
  ASSERT_FALSE(tmp.empty()) << "child never reported its temporary file";
  EXPECT_EQ(std::filesystem::file_size(tmp), half);  // the write really was in flight
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(test::slurp(path), "old content");
  // A killed process cannot clean up; its hidden temp is all that is left besides the old file.
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{std::filesystem::path(tmp).filename().string(), "big.bin"}));
}

TEST(AtomicFile, ReadFileBytesRoundTripsAndBoundsTheSize) {
  TempDir dir;
  std::string data(100000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  write_file_atomic(dir.file("d"), data);
  EXPECT_EQ(read_file_bytes(dir.file("d")), data);
  EXPECT_THROW(read_file_bytes(dir.file("d"), 99999), std::runtime_error);
  try {
    read_file_bytes(dir.file("nope"));
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "cannot open " + dir.file("nope") + ": No such file or directory");
  }
}

}  // namespace
}  // namespace dlfs

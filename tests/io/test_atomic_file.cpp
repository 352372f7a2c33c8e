// write_file_atomic: the destination holds either the old or the complete new content, whatever
// happens during the write, and no temporary file is left behind by an orderly failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
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

TEST(AtomicFile, AFolderAsDestinationIsRefusedBeforeAnyWrite) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("taken"));
  std::filesystem::create_directory(dir.file("taken/inside"));
  try {
    write_file_atomic(dir.file("taken"), std::string_view("x"));
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("taken") +
                                         " is a folder, not a regular file; dlfs replaces only regular files, so "
                                         "give a file path");
  }
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"taken"});
}

TEST(AtomicFile, FifoSocketAndLinkToFifoAreRefusedAndLeftAsTheyWere) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("pipe").c_str(), 0644), 0);
  std::filesystem::create_symlink("pipe", dir.file("link"));
  for (const char* name : {"pipe", "link"}) {
    SCOPED_TRACE(name);
    try {
      write_file_atomic(dir.file(name), std::string_view("x"));  // would block forever if it opened the FIFO
      FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("is a FIFO, not a regular file"), std::string::npos) << e.what();
    }
    EXPECT_THROW(resolve_output_target(dir.file(name)), std::runtime_error);
  }
  EXPECT_TRUE(std::filesystem::is_fifo(std::filesystem::symlink_status(dir.file("pipe"))));
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("link")));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"link", "pipe"}));
}

TEST(AtomicFile, SymlinksAreWrittenThroughAndKept) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("real"));
  write_file_atomic(dir.file("real/target"), std::string_view("old"));
  std::filesystem::create_symlink("real/target", dir.file("rel"));        // relative, existing target
  std::filesystem::create_symlink(dir.file("rel"), dir.file("chain"));    // a link to a link
  std::filesystem::create_symlink("real/new", dir.file("dangling"));      // the target does not exist yet
  EXPECT_EQ(resolve_output_target(dir.file("chain")), dir.file("real/target"));
  write_file_atomic(dir.file("chain"), std::string_view("through two links"));
  write_file_atomic(dir.file("dangling"), [](const std::string& tmp) { std::ofstream(tmp) << "created"; });
  EXPECT_EQ(test::slurp(dir.file("real/target")), "through two links");
  EXPECT_EQ(test::slurp(dir.file("real/new")), "created");
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("rel")), "real/target");
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("chain")), dir.file("rel"));
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("dangling")), "real/new");
  std::filesystem::create_symlink("loop", dir.file("loop"));
  EXPECT_THROW(write_file_atomic(dir.file("loop"), std::string_view("x")), std::runtime_error);
}

TEST(AtomicFile, ReplacementKeepsTheOldFilesMode) {
  TempDir dir;
  const std::string path = dir.file("model.npz");
  write_file_atomic(path, std::string_view("old"));
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  write_file_atomic(path, std::string_view("new"));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::chmod(path.c_str(), 0640), 0);
  write_file_atomic(path, [](const std::string& tmp) { std::ofstream(tmp) << "by path"; });
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(test::slurp(path), "by path");
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
  // ... which the next run removes, since its pid is dead; a live writer's temp and look-alikes stay.
  const std::string live = "." + std::string("x.tmp.") + std::to_string(::getpid()) + ".ab";
  for (const std::string& name : {live, std::string("y.tmp.") + std::to_string(child) + ".ab",
                                  "." + std::string("z.tmp.") + std::to_string(child) + ".xyz"})
    std::ofstream(dir.file(name)) << "keep";
  EXPECT_EQ(remove_stale_temp_files(dir.path().string()), 1u);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{live, ".z.tmp." + std::to_string(child) + ".xyz", "big.bin",
                                                     "y.tmp." + std::to_string(child) + ".ab"}));
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

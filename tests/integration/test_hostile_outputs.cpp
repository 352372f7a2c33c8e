// dlfs train's OUTPUT files under hostile conditions (issue 16, holes 2, 3, 4, 5 and 10), through
// the real binary: a full disk, targets that are not regular files, bad output paths found before
// any training, two runs into one folder, kept permissions and leftovers of killed runs. Every
// case also checks that what was already on disk is unchanged.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include "dlfs/data/idx.hpp"
#include "dlfs/io/plot.hpp"
#include "dlfs/train/model_file.hpp"
#include "integration/robust_util.hpp"

using namespace dlfs;
using namespace dlfs_robust;
namespace fs = std::filesystem;

namespace {

// A scratch folder with the tiny data set in data/.
struct Scratch {
  TempDir dir{"outputs"};
  Scratch() { write_tiny_idx(data()); }
  std::string data() const { return dir.file("data"); }
  std::string file(const std::string& name) const { return dir.file(name); }
  // `dlfs train` on the tiny data, a small net, a few iterations, then `extra`.
  std::vector<std::string> train(const std::vector<std::string>& extra, const std::string& iters = "3") const {
    std::vector<std::string> v = {"train", "--data", data(), "--hidden", "8", "--batch", "10", "--iters", iters};
    v.insert(v.end(), extra.begin(), extra.end());
    return v;
  }
};

// Everything under `folder` (relative names), each file's size and hash (short failure messages);
// a non-regular entry maps to its kind.
std::map<std::string, std::string> snapshot(const std::string& folder) {
  std::map<std::string, std::string> out;
  for (auto& e : fs::recursive_directory_iterator(folder)) {
    const std::string rel = fs::relative(e.path(), folder).string();
    if (e.is_symlink()) out[rel] = "<link to " + fs::read_symlink(e.path()).string() + ">";
    else if (e.is_regular_file()) {
      const std::string b = slurp(e.path().string());
      out[rel] = std::to_string(b.size()) + " bytes, hash " + std::to_string(std::hash<std::string>{}(b));
    }
    else if (e.is_directory()) out[rel] = "<folder>";
    else out[rel] = "<other>";
  }
  return out;
}

// Names of write_file_atomic's temporary files (".<name>.tmp.<pid>.<hex>") anywhere under `folder`.
std::vector<std::string> temp_files(const std::string& folder) {
  std::vector<std::string> out;
  for (auto& e : fs::recursive_directory_iterator(folder))
    if (e.path().filename().string().find(".tmp.") != std::string::npos) out.push_back(e.path().string());
  return out;
}

bool complete_png(const std::string& b) {
  static const std::string iend("\0\0\0\0IEND\xae\x42\x60\x82", 12);
  return b.size() > 20 && b.compare(0, 4, "\x89PNG") == 0 && b.compare(b.size() - 12, 12, iend) == 0;
}

bool one_line(const std::string& s) {
  return !s.empty() && s.find('\n') == s.size() - 1;
}

// Iterations that take seconds on the tiny data (about 2 s here, minutes with a checkpoint per
// epoch): a run that fails before training ends in milliseconds, one that trains first (as dlfs
// did) fails the exit-code and no-"data:"-line checks afterwards rather than hanging the test.
constexpr const char* kLongRun = "50000";

bool have_gnuplot() { return gnuplot_available(); }

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode : 0;
}

// A small tmpfs at `dir`, mounted in a mount namespace private to this test process, so it goes
// away with the process whatever happens. Returns why not when that is not permitted.
std::string mount_tmpfs(const std::string& dir, const std::string& options) {
  static bool unshared = false;
  if (!unshared) {
    if (::unshare(CLONE_NEWNS) != 0) return std::string("unshare -m (CLONE_NEWNS) not permitted: ") + std::strerror(errno);
    if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
      return std::string("cannot make / a private mount: ") + std::strerror(errno);
    unshared = true;
  }
  if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0)
    return "mount -t tmpfs -o " + options + " not permitted: " + std::strerror(errno);
  return "";
}

struct Unmount {
  std::string dir;
  ~Unmount() {
    if (!dir.empty()) ::umount2(dir.c_str(), MNT_DETACH);
  }
};

// Fills the file system holding `dir` (a tmpfs) so that exactly `free_bytes` (a page multiple)
// stay free, with the file `dir`/filler.
void leave_free(const std::string& dir, std::size_t free_bytes) {
  const std::string filler = dir + "/filler";
  int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  std::string page(4096, 'f');
  off_t size = 0;
  for (;;) {
    ssize_t n = ::write(fd, page.data(), page.size());
    if (n <= 0) break;
    size += n;
  }
  ASSERT_EQ(errno, ENOSPC);
  size = size / 4096 * 4096;
  ASSERT_GE(size, static_cast<off_t>(free_bytes));
  ASSERT_EQ(::ftruncate(fd, size - static_cast<off_t>(free_bytes)), 0);
  ::close(fd);
}

// ---- hole 2: a full disk ------------------------------------------------------------------------

TEST(HostileOutputs, FullDiskKeepsTheOldPlotsAndModelAndSaysNoSpaceLeft) {
  if (!have_gnuplot()) GTEST_SKIP() << "gnuplot not installed: the plots are what this test is about";
  Scratch s;
  const std::string disk = s.file("disk");
  fs::create_directories(disk);
  const std::string why = mount_tmpfs(disk, "size=1m");
  if (!why.empty()) GTEST_SKIP() << why;
  Unmount unmount{disk};
  const std::string out = disk + "/out", model = disk + "/model.npz", tmp = disk + "/tmp";
  fs::create_directories(tmp);

  CliRun good = run_dlfs(s.train({"--quiet", "--out", out, "--save", model, "--seed", "1"}), s.dir.path());
  ASSERT_EQ(good.exit_code, 0) << good.err;
  for (const char* png : {"accuracy.png", "loss.png", "misclassified.png"})
    ASSERT_TRUE(complete_png(slurp(out + "/" + png))) << png;
  auto before = snapshot(out);
  before.erase("history.csv");  // written first, it fits: it is either the old or a complete new one
  const std::string old_model = slurp(model);

  // 8 KiB free: room for the new history.csv (one page), not for a new accuracy.png.
  leave_free(disk, 8192);
  struct Case {
    const char* name;
    bool gnuplot_on_full_disk;  // TMPDIR on the full disk: gnuplot itself meets it
    bool save;
    const char* names_file;
  };
  for (const Case& c : {Case{"plot, gnuplot's folder elsewhere", false, false, "accuracy.png"},
                        Case{"plot, gnuplot's folder on the full disk", true, false, "accuracy.png"},
                        Case{"model", false, true, "model.npz"}}) {
    SCOPED_TRACE(c.name);
    if (c.gnuplot_on_full_disk) ::setenv("TMPDIR", tmp.c_str(), 1);
    std::vector<std::string> extra = {"--quiet", "--out", out, "--seed", "2"};
    if (c.save) extra.insert(extra.end(), {"--save", model});
    CliRun r = run_dlfs(s.train(extra), s.dir.path());
    ::unsetenv("TMPDIR");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("no space left on device"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.names_file), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    auto after = snapshot(out);
    after.erase("history.csv");
    EXPECT_EQ(after, before) << "an old output file was changed";
    const std::string csv = slurp(out + "/history.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4) << csv;
    EXPECT_EQ(slurp(model), old_model);
    EXPECT_EQ(temp_files(disk), std::vector<std::string>{});
    EXPECT_TRUE(fs::is_empty(tmp)) << "gnuplot's temporary folder was left behind";
  }
}

// ---- hole 3: targets that are not regular files -------------------------------------------------

bool make_socket(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (fd < 0 || path.size() >= sizeof a.sun_path) return false;
  std::strcpy(a.sun_path, path.c_str());
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

TEST(HostileOutputs, NonRegularTargetsAreRefusedBeforeTrainingAndLeftAsTheyWere) {
  Scratch s;
  struct Case {
    const char* name;
    std::string flag, file;  // file relative to the row's folder
    const char* kind;        // "fifo", "chardev", "socket", "folder", "link-to-fifo"
    const char* message;
  };
  const std::vector<Case> cases = {
      {"--save FIFO", "--save", "m.npz", "fifo", "is a FIFO, not a regular file"},
      {"--save character device", "--save", "m.npz", "chardev", "is a character device, not a regular file"},
      {"--save socket", "--save", "m.npz", "socket", "is a socket, not a regular file"},
      {"--save folder", "--save", "m.npz", "folder", "is a folder, not a regular file"},
      {"--save link to a FIFO", "--save", "m.npz", "link-to-fifo", "(a link to "},
      {"--out's accuracy.png a FIFO", "--out", "out/accuracy.png", "fifo", "is a FIFO, not a regular file"},
      {"--out's history.csv a folder", "--out", "out/history.csv", "folder", "is a folder, not a regular file"},
      {"--checkpoint FIFO", "--checkpoint", "ck.npz", "fifo", "is a FIFO, not a regular file"},
  };
  int row = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string dir = s.file("row" + std::to_string(row++));
    fs::create_directories(dir + "/out");
    const std::string target = dir + "/" + c.file;
    const std::string kind = c.kind;
    if (kind == "fifo") {
      ASSERT_EQ(::mkfifo(target.c_str(), 0644), 0);
    }
    if (kind == "socket") {
      ASSERT_TRUE(make_socket(target));
    }
    if (kind == "folder") fs::create_directories(target);
    if (kind == "link-to-fifo") {
      ASSERT_EQ(::mkfifo((dir + "/pipe").c_str(), 0644), 0);
      fs::create_symlink("pipe", target);
    }
    if (kind == "chardev" && ::mknod(target.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
      std::printf("[ skipped row ] %s: mknod not permitted (%s)\n", c.name, std::strerror(errno));
      continue;
    }
    const auto before = snapshot(dir);
    std::vector<std::string> extra = {"--out", dir + "/out"};
    if (c.flag != "--out") extra.insert(extra.end(), {c.flag, target});
    CliRun r = run_dlfs(s.train(extra, kLongRun), s.dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(c.flag), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_EQ(r.out.find("data:"), std::string::npos) << "it started training:\n" << r.out;
    auto after = snapshot(dir);
    after.erase("out/.dlfs.lock");
    EXPECT_EQ(after, before);
  }
}

TEST(HostileOutputs, SymlinkTargetsAreWrittenThroughAndTheLinksKept) {
  Scratch s;
  fs::create_directories(s.file("real"));
  fs::create_directories(s.file("out"));
  spit(s.file("real/old.npz"), "old model bytes");
  fs::create_symlink("real/old.npz", s.file("model.npz"));                     // existing target, relative link
  fs::create_symlink(s.file("real/history.csv"), s.file("out/history.csv"));  // dangling link, absolute
  fs::create_symlink("real/ck.npz", s.file("ck.npz"));
  ::chmod(s.file("real/old.npz").c_str(), 0600);
  CliRun r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "model.npz", "--checkpoint", "ck.npz"}),
                      s.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::read_symlink(s.file("model.npz")), "real/old.npz");
  EXPECT_EQ(fs::read_symlink(s.file("out/history.csv")), s.file("real/history.csv"));
  EXPECT_EQ(fs::read_symlink(s.file("ck.npz")), "real/ck.npz");
  EXPECT_EQ(slurp(s.file("real/old.npz")).substr(0, 2), "PK");
  EXPECT_EQ(mode_of(s.file("real/old.npz")) & 07777, 0600u);
  EXPECT_EQ(load_model<float>(s.file("model.npz"))->params().front()->value.size(), 784u * 8u);
  EXPECT_EQ(slurp(s.file("real/history.csv")).substr(0, 10), "iteration,");
  EXPECT_EQ(slurp(s.file("real/ck.npz")).substr(0, 2), "PK");
  EXPECT_EQ(temp_files(s.dir.path().string()), std::vector<std::string>{});
}

// ---- hole 4: bad output paths are found before training -----------------------------------------

TEST(HostileOutputs, BadOutputPathsFailBeforeTraining) {
  Scratch s;
  spit(s.file("plain.txt"), "a regular file");
  fs::create_directories(s.file("a_folder"));
  struct Case {
    const char* name;
    std::vector<std::string> extra;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"--save a folder", {"--out", "o1", "--save", "a_folder"}, "--save: a_folder is a folder, not a regular file"},
      {"--save under a file", {"--out", "o2", "--save", "plain.txt/m.npz"}, "--save plain.txt/m.npz: plain.txt is a file, not a folder"},
      {"--out under a file", {"--out", "plain.txt/out"}, "--out plain.txt/out: plain.txt is a file, not a folder"},
      {"--checkpoint under a file", {"--out", "o3", "--checkpoint", "plain.txt/ck.npz"}, "--checkpoint plain.txt/ck.npz: plain.txt is a file, not a folder"},
      {"--out a file", {"--out", "plain.txt"}, "--out plain.txt: plain.txt is a file, not a folder"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    // The scratch folder, less the run's own (new, empty) --out folders and run_dlfs's .stdout/.stderr.
    auto files = [&] {
      auto m = snapshot(s.dir.path().string());
      std::erase_if(m, [](const auto& kv) { return kv.first[0] == '.' || kv.first.rfind("o", 0) == 0; });
      return m;
    };
    const auto before = files();
    CliRun r = run_dlfs(s.train(c.extra, kLongRun), s.dir.path());
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_EQ(r.out.find("data:"), std::string::npos) << "it started training:\n" << r.out;
    EXPECT_EQ(files(), before);
    EXPECT_FALSE(fs::exists(s.file("o1/history.csv")) || fs::exists(s.file("o2/history.csv")) ||
                 fs::exists(s.file("o3/history.csv")));
  }
}

TEST(HostileOutputs, ReadOnlySaveFolderFailsBeforeTraining) {
  Scratch s;
  const std::string ro = s.file("ro");
  fs::create_directories(ro);
  std::string why;
  Unmount unmount;
  if (::geteuid() == 0) {  // permission bits do not stop root: a read-only file system does
    why = mount_tmpfs(ro, "size=64k");
    if (why.empty()) {
      unmount.dir = ro;
      ::mount(nullptr, ro.c_str(), nullptr, MS_REMOUNT | MS_RDONLY, nullptr);
    }
  } else {
    ::chmod(ro.c_str(), 0555);
  }
  if (!why.empty()) GTEST_SKIP() << why;
  CliRun r = run_dlfs(s.train({"--out", "out", "--save", "ro/m.npz"}, kLongRun), s.dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("--save ro/m.npz: cannot write in the folder ro: "), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("data:"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(s.file("out/history.csv")));
  ::chmod(ro.c_str(), 0755);
}

TEST(HostileOutputs, MissingSaveFolderIsCreated) {
  Scratch s;
  CliRun r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "new/deeper/m.npz"}), s.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(load_model<float>(s.file("new/deeper/m.npz"))->params().front()->value.size(), 784u * 8u);
}

TEST(HostileOutputs, AFailingPlotStillSavesTheModel) {
  Scratch s;
  // A gnuplot that answers --version (so dlfs thinks it is there) and fails on every script.
  const std::string fake = s.file("broken-gnuplot");
  spit(fake, "#!/bin/sh\n[ \"$1\" = --version ] && exit 0\necho 'broken plotter' >&2\nexit 3\n");
  ::chmod(fake.c_str(), 0755);
  ::setenv("DLFS_GNUPLOT", fake.c_str(), 1);
  CliRun r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "m.npz"}), s.dir.path());
  ::unsetenv("DLFS_GNUPLOT");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("gnuplot failed with status 3: broken plotter"), std::string::npos) << r.err;
  ASSERT_TRUE(fs::exists(s.file("m.npz")));
  EXPECT_EQ(load_model<float>(s.file("m.npz"))->params().front()->value.size(), 784u * 8u);
}

// ---- hole 5: two runs into one folder -----------------------------------------------------------

// Starts `dlfs args...` in `workdir` with extra environment variables; stdout/stderr go to
// workdir/.bg.out and .bg.err.
pid_t start_dlfs(const std::vector<std::string>& args, const std::string& workdir,
                 const std::vector<std::pair<std::string, std::string>>& env) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int in = ::open("/dev/null", O_RDONLY);
  int out = ::open((workdir + "/.bg.out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = ::open((workdir + "/.bg.err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0 || ::chdir(workdir.c_str()) != 0) ::_exit(127);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> argv{const_cast<char*>(DLFS_CLI)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(DLFS_CLI, argv.data());
  ::_exit(127);
}

std::string real_gnuplot() {
  for (const char* dir : {"/usr/bin", "/usr/local/bin", "/bin"})
    if (::access((std::string(dir) + "/gnuplot").c_str(), X_OK) == 0) return std::string(dir) + "/gnuplot";
  return "";
}

TEST(HostileOutputs, ASecondRunIntoTheSameFolderIsRefusedWhileTheFirstRuns) {
  const std::string gnuplot = real_gnuplot();
  if (gnuplot.empty()) GTEST_SKIP() << "no gnuplot in /usr/bin, /usr/local/bin or /bin";
  Scratch s;
  // The first run's gnuplot waits for GO before it does anything, so the first run is certainly
  // still running (and holding the folder) while the second one starts: no timing involved.
  const std::string gate = s.file("gated-gnuplot");
  spit(gate, "#!/bin/sh\ntouch '" + s.file("WAITING") + "'\nwhile [ ! -e '" + s.file("GO") +
                 "' ]; do sleep 0.05; done\nexec '" + gnuplot + "' \"$@\"\n");
  ::chmod(gate.c_str(), 0755);
  pid_t first = start_dlfs(s.train({"--quiet", "--out", "shared", "--save", "first.npz"}, "7"), s.dir.path().string(),
                           {{"DLFS_GNUPLOT", gate}});
  ASSERT_GT(first, 0);
  int status = 0;
  bool exited = false;
  for (int i = 0; i < 6000 && !fs::exists(s.file("WAITING")); ++i) {  // a hang guard, not a timing check
    if (::waitpid(first, &status, WNOHANG) == first) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!fs::exists(s.file("WAITING"))) {
    if (!exited) ::kill(first, SIGKILL), ::waitpid(first, &status, 0);
    FAIL() << "the first run never reached its plots: " << slurp(s.file(".bg.err"));
  }

  CliRun second = run_dlfs(s.train({"--quiet", "--out", "shared", "--save", "second.npz"}, "5"), s.dir.path());
  spit(s.file("GO"), "");
  ASSERT_EQ(::waitpid(first, &status, 0), first);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_NE(second.err.find("--out shared: another dlfs train is using this folder"), std::string::npos)
      << second.err;
  EXPECT_TRUE(one_line(second.err)) << second.err;
  EXPECT_FALSE(fs::exists(s.file("second.npz")));
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(s.file(".bg.err"));
  // The folder holds the first run's files only: 7 iterations in history.csv, complete plots.
  const std::string csv = slurp(s.file("shared/history.csv"));
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 8) << csv;
  for (const char* png : {"accuracy.png", "loss.png"}) EXPECT_TRUE(complete_png(slurp(s.file("shared/") + png)));
  EXPECT_TRUE(fs::exists(s.file("first.npz")));
  // The lock ends with its run: a later run into the folder is fine.
  CliRun third = run_dlfs(s.train({"--quiet", "--out", "shared"}, "5"), s.dir.path());
  EXPECT_EQ(third.exit_code, 0) << third.err;
}

// ---- hole 10: permissions and leftovers ---------------------------------------------------------

TEST(HostileOutputs, ReplacedFilesKeepTheirMode) {
  Scratch s;
  CliRun r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "m.npz", "--seed", "1"}), s.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string old_model = slurp(s.file("m.npz"));
  ASSERT_EQ(::chmod(s.file("m.npz").c_str(), 0600), 0);
  ASSERT_EQ(::chmod(s.file("out/history.csv").c_str(), 0640), 0);
  r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "m.npz", "--seed", "2"}), s.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(slurp(s.file("m.npz")), old_model) << "the model was not replaced";
  EXPECT_EQ(mode_of(s.file("m.npz")) & 07777, 0600u);
  EXPECT_EQ(mode_of(s.file("out/history.csv")) & 07777, 0640u);
}

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(HostileOutputs, StaleTempFilesOfDeadRunsAreRemovedAtStart) {
  Scratch s;
  for (const char* d : {"out", "models", "ck"}) fs::create_directories(s.file(d));
  const std::string dead = std::to_string(dead_pid()), live = std::to_string(::getpid());
  const std::vector<std::string> stale = {"out/.checkpoint.npz.tmp." + dead + ".1a2b3c4d5e",
                                          "out/.accuracy.png.tmp." + dead + ".ff",
                                          "models/.m.npz.tmp." + dead + ".0",
                                          "ck/.ck.npz.tmp." + dead + ".abc"};
  const std::vector<std::string> kept = {"out/.history.csv.tmp." + live + ".abc",  // its writer is alive
                                         "out/notes.tmp." + dead + ".abc",         // not hidden: not ours
                                         "out/.x.tmp." + dead + ".xyz",            // not hex: not ours
                                         "out/.y.tmp.notapid.ab",
                                         "data/.z.tmp." + dead + ".ab"};            // a folder dlfs does not write
  for (const auto& f : stale) spit(s.file(f), "half a file");
  for (const auto& f : kept) spit(s.file(f), "someone else's");
  CliRun r = run_dlfs(s.train({"--quiet", "--out", "out", "--save", "models/m.npz", "--checkpoint", "ck/ck.npz"}),
                      s.dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& f : stale) EXPECT_FALSE(fs::exists(s.file(f))) << f;
  for (const auto& f : kept) EXPECT_EQ(slurp(s.file(f)), "someone else's") << f;
}

}  // namespace

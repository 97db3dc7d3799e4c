// All-or-nothing outputs (verify/outputs.hpp).
#include "outputs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "exactformer/errors.hpp"

namespace exactformer {

namespace fs = std::filesystem;

namespace {

// Where a path leads: symlinks and "." resolved, trailing separators dropped.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  if (ec) p = fs::absolute(path).lexically_normal();
  if (p.filename().empty() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
  return p;
}

// The same file however it is spelled: the same resolved path (where this tool would write it), or the
// same device and inode (a hard link).
std::pair<std::string, std::string> identity(const std::string& path) {
  struct stat st {};
  const std::string inode = ::stat(resolved(path).c_str(), &st) == 0 ? std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) : "";
  return {resolved(path).string(), inode};
}

bool same_file(const std::pair<std::string, std::string>& a, const std::pair<std::string, std::string>& b) {
  return a.first == b.first || (!a.second.empty() && a.second == b.second);
}

bool inside(const fs::path& p, const fs::path& dir) {
  const std::string d = dir.string(), s = p.string();
  return s.size() > d.size() && s.compare(0, d.size(), d) == 0 && (d.back() == '/' || s[d.size()] == '/');
}

std::string described(const std::string& flag, const std::string& path) { return flag + " " + quote_input(path); }

}  // namespace

struct OutputFiles::Output {
  enum class Kind { file, directory } kind;
  enum class Action { write, keep, remove } action = Action::write;
  std::string flag, given;
  fs::path target;
  std::string temp;  // the temporary file, or the staging directory
  int fd = -1;
  bool existed = false;
};

OutputFiles::OutputFiles(bool writer) : writer_(writer) {
  std::signal(SIGXFSZ, SIG_IGN);  // a write beyond the file-size limit fails with EFBIG instead of killing the process
}

OutputFiles::~OutputFiles() {
  for (Output* o : outputs_) {
    if (o->fd >= 0) ::close(o->fd);
    if (!committed_ && !o->temp.empty()) {
      std::error_code ignored;
      if (o->kind == Output::Kind::file)
        ::unlink(o->temp.c_str());
      else
        fs::remove_all(o->temp, ignored);
    }
    delete o;
  }
}

void OutputFiles::claim(const std::string& path, const std::string& flag, bool is_output) {
  const auto id = identity(path);
  for (const auto& [other, other_flag] : claimed_)
    EXACTFORMER_REQUIRE(!same_file(other, id), described(flag, path) + (is_output ? " is the same file as " : " is also the output ") + other_flag);
  claimed_.emplace_back(id, flag);
}

void OutputFiles::input(const std::string& path, const std::string& flag) {
  const auto id = identity(path);
  for (const auto& [other, other_flag] : claimed_)
    EXACTFORMER_REQUIRE(!same_file(other, id), described(other_flag, path) + " would overwrite the input " + flag);
  claimed_.emplace_back(id, flag);
}

void OutputFiles::appended(const std::string& path, const std::string& flag) {
  EXACTFORMER_REQUIRE(!path.empty(), flag + " is empty");
  const fs::path target = resolved(path);
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  EXACTFORMER_REQUIRE(!fs::is_directory(st), described(flag, path) + " is a directory");
  EXACTFORMER_REQUIRE(!fs::exists(st) || fs::is_regular_file(st), described(flag, path) + " exists and is not a regular file");
  EXACTFORMER_REQUIRE(fs::is_directory(target.parent_path(), ec), described(flag, path) + ": no such directory");
  EXACTFORMER_REQUIRE(::access(target.parent_path().c_str(), W_OK) == 0 && (!fs::exists(st) || ::access(target.c_str(), R_OK | W_OK) == 0),
                      described(flag, path) + ": not writable");
  for (const auto& [dir, dir_flag] : directories_)
    EXACTFORMER_REQUIRE(!inside(target, dir), described(flag, path) + " is inside the directory " + dir_flag + " replaces");
  claim(path, flag, true);
}

void OutputFiles::file(const std::string& path, const std::string& flag) {
  EXACTFORMER_REQUIRE(!path.empty(), flag + " is empty");
  const fs::path target = resolved(path);
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  EXACTFORMER_REQUIRE(!fs::is_directory(st), described(flag, path) + " is a directory");
  EXACTFORMER_REQUIRE(!fs::exists(st) || fs::is_regular_file(st), described(flag, path) + " exists and is not a regular file");
  for (const auto& [dir, dir_flag] : directories_)
    EXACTFORMER_REQUIRE(!inside(target, dir), described(flag, path) + " is inside the directory " + dir_flag + " replaces");
  const fs::path parent = target.parent_path();
  EXACTFORMER_REQUIRE(fs::is_directory(parent, ec), described(flag, path) + ": no such directory " + quote_input(parent.string()));
  claim(path, flag, true);
  auto* o = new Output{Output::Kind::file};
  outputs_.push_back(o);
  o->flag = flag;
  o->given = path;
  o->target = target;
  o->existed = fs::exists(st);
  if (!writer_) {
    EXACTFORMER_REQUIRE(::access(parent.c_str(), W_OK) == 0, described(flag, path) + ": directory not writable");
    return;
  }
  std::string tmp = (parent / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  o->fd = ::mkstemp(tmp.data());
  EXACTFORMER_REQUIRE(o->fd >= 0, described(flag, path) + ": cannot create a file in " + quote_input(parent.string()) + " (" + std::strerror(errno) + ")");
  o->temp = tmp;
}

std::string OutputFiles::directory(const std::string& dir, const std::string& flag) {
  EXACTFORMER_REQUIRE(!dir.empty(), flag + " is empty");
  const fs::path target = resolved(dir);
  std::error_code ec;
  const fs::file_status st = fs::status(target, ec);
  EXACTFORMER_REQUIRE(!fs::exists(st) || fs::is_directory(st), described(flag, dir) + " exists and is not a directory");
  const fs::path cwd = fs::current_path(ec);
  EXACTFORMER_REQUIRE(ec || (cwd != target && !inside(cwd, target)),
                      described(flag, dir) + " holds the current directory, which cannot be replaced whole: name it from outside");
  const fs::path parent = target.parent_path();
  EXACTFORMER_REQUIRE(fs::is_directory(parent, ec), described(flag, dir) + ": no such directory " + quote_input(parent.string()));
  for (const Output* o : outputs_)
    EXACTFORMER_REQUIRE(!inside(o->target, target), described(o->flag, o->given) + " is inside the directory " + flag + " replaces");
  claim(dir, flag, true);
  directories_.emplace_back(target, flag);
  auto* o = new Output{Output::Kind::directory};
  outputs_.push_back(o);
  o->flag = flag;
  o->given = dir;
  o->target = target;
  o->existed = fs::exists(st);
  if (!writer_) {
    EXACTFORMER_REQUIRE(::access(parent.c_str(), W_OK) == 0, described(flag, dir) + ": its parent directory is not writable");
    return {};
  }
  const std::string prefix = "." + target.filename().string() + ".staging-";
  for (const auto& entry : fs::directory_iterator(parent, ec))  // a killed run's staging copy
    if (entry.is_directory(ec) && entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path(), ec);
  std::string staging = (parent / (prefix + "XXXXXX")).string();
  EXACTFORMER_REQUIRE(::mkdtemp(staging.data()) != nullptr,
                      described(flag, dir) + ": cannot create a staging directory in " + quote_input(parent.string()) + " (" + std::strerror(errno) + ")");
  o->temp = staging;
  const mode_t mask = ::umask(0);  // mkdtemp makes it 0700; a new tree gets the usual 0777 & ~umask
  ::umask(mask);
  ::chmod(staging.c_str(), 0777 & ~mask);
  if (o->existed) {
    fs::copy(target, staging, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    EXACTFORMER_REQUIRE(!ec, described(flag, dir) + ": cannot copy its tree to the staging directory (" + ec.message() + ")");
  }
  return staging;
}

OutputFiles::Output& OutputFiles::find(const std::string& path) {
  for (Output* o : outputs_)
    if (o->given == path && o->kind == Output::Kind::file) return *o;
  throw internal_error("output " + path + " was not declared");
}

const OutputFiles::Output& OutputFiles::find(const std::string& path) const { return const_cast<OutputFiles*>(this)->find(path); }

const std::string& OutputFiles::temporary(const std::string& path) const { return find(path).temp; }

void OutputFiles::write(const std::string& path, const std::string& content) {
  Output& o = find(path);
  EXACTFORMER_ASSERT(o.action == Output::Action::write, "output " + path + " was kept or removed");
  if (!writer_) return;
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t w = ::write(o.fd, content.data() + done, content.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw usage_error("cannot write " + described(o.flag, o.given) + " (" + std::strerror(w < 0 ? errno : ENOSPC) + ")");
    done += static_cast<std::size_t>(w);
  }
}

void OutputFiles::keep(const std::string& path) { find(path).action = Output::Action::keep; }

void OutputFiles::remove(const std::string& path) { find(path).action = Output::Action::remove; }

void OutputFiles::commit() {
  EXACTFORMER_ASSERT(!committed_, "outputs committed twice");
  if (!writer_) {
    committed_ = true;
    return;
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  // Every temporary complete on disk before any target changes.
  for (Output* o : outputs_) {
    if (o->kind != Output::Kind::file) continue;
    const bool ok = o->action != Output::Action::write || (::fchmod(o->fd, 0666 & ~mask) == 0 && ::fsync(o->fd) == 0);
    const int err = errno;
    const bool closed = ::close(o->fd) == 0;
    o->fd = -1;
    if (!ok || !closed) throw usage_error("cannot write " + described(o->flag, o->given) + " (" + std::strerror(ok ? errno : err) + ")");
  }
  for (Output* o : outputs_) {
    if (o->kind != Output::Kind::file) continue;
    if (o->action != Output::Action::write) {
      ::unlink(o->temp.c_str());
      o->temp.clear();
      if (o->action == Output::Action::remove && ::unlink(o->target.c_str()) != 0 && errno != ENOENT)
        throw usage_error("cannot remove " + described(o->flag, o->given) + " (" + std::strerror(errno) + ")");
      continue;
    }
    if (std::rename(o->temp.c_str(), o->target.c_str()) != 0)
      throw usage_error("cannot write " + described(o->flag, o->given) + " (" + std::strerror(errno) + ")");
    o->temp.clear();
  }
  for (Output* o : outputs_) {
    if (o->kind != Output::Kind::directory) continue;
    std::error_code ec;
    if (o->existed) {
      if (::renameat2(AT_FDCWD, o->temp.c_str(), AT_FDCWD, o->target.c_str(), RENAME_EXCHANGE) != 0)
        throw usage_error("cannot swap the new tree in at " + described(o->flag, o->given) + " (" + std::strerror(errno) + ")");
      fs::remove_all(o->temp, ec);  // now the old tree
    } else {
      fs::rename(o->temp, o->target, ec);
      if (ec) throw usage_error("cannot write " + described(o->flag, o->given) + " (" + ec.message() + ")");
    }
    o->temp.clear();
  }
  committed_ = true;
}

void write_file_atomically(const std::string& path, const std::string& content) {
  OutputFiles outputs;
  outputs.file(path, "output");
  outputs.write(path, content);
  outputs.commit();
}

void replace_directory_atomically(const std::string& dir, const std::function<void(const std::string& staging)>& write) {
  OutputFiles outputs;
  write(outputs.directory(dir, "output"));
  outputs.commit();
}

}  // namespace exactformer

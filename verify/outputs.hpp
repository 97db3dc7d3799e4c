// Every file and directory a command writes, all or nothing: each output's temporary is opened beside
// its target when the command declares it (before any work, so a target that cannot take one is refused
// up front), every output is written to its temporary, and commit() renames them all into place. A
// command that fails before commit leaves every target as it was and no temporary behind; it prints its
// verdict only after commit, so no verdict is printed for outputs that were not written.
//
//   OutputFiles outputs;
//   outputs.input(graph_file, "--graphs");      // inputs no output may alias
//   outputs.file(json, "--json");               // refused here: empty, a directory, a device, FIFO or
//                                               // /proc entry, a directory that takes no new file, an alias
//   ... the work ...
//   outputs.write(json, text);                  // into the temporary: EFBIG, ENOSPC -> usage_error
//   outputs.commit();                           // then print the verdict
//
// Two outputs, or an output and an input, are the same file when their resolved paths are (symlinks, "."
// and ".." resolved) or, for files that exist, their device and inode: `--answers X --json ./X` is refused.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace exactformer {

class OutputFiles {
 public:
  // writer false (an MPI worker rank): the same checks, nothing created and nothing written.
  explicit OutputFiles(bool writer = true);
  OutputFiles(const OutputFiles&) = delete;
  OutputFiles& operator=(const OutputFiles&) = delete;
  ~OutputFiles();  // not committed: every temporary and staging directory removed

  // An input of the command: no output may be the same file.
  void input(const std::string& path, const std::string& flag);
  // A file the command appends to as it runs (a state file): written in place, so no temporary; it must be a
  // regular file or absent in a writable directory, and no other input or output may be the same file.
  void appended(const std::string& path, const std::string& flag);
  // A file output: its temporary is created now, in the target's directory (a symlink's target is replaced,
  // not the link).
  void file(const std::string& path, const std::string& flag);
  // A directory output, replaced whole at commit: returns the staging directory beside it (a copy of the old
  // tree, so files other commands wrote stay; empty if there was none) that the command fills. Files declared
  // with file() inside the staging directory are committed before it is swapped in. The target must not be
  // the current directory or one that holds it (the process and the user's shell would be left in the old tree).
  std::string directory(const std::string& dir, const std::string& flag);

  // The declared file's temporary, for a program that writes the file itself (gnuplot).
  const std::string& temporary(const std::string& path) const;
  // Appends to the declared file's temporary; a write that fails (EFBIG, ENOSPC) is a usage_error naming it.
  void write(const std::string& path, const std::string& content);
  // At commit the declared file is left as it was (e.g. a plot gnuplot could not draw) ...
  void keep(const std::string& path);
  // ... or removed if it exists (an export's TransformerLens files when the new export has no such view).
  void remove(const std::string& path);

  // Renames every temporary into place (files first, then directories). After commit, the destructor
  // removes nothing.
  void commit();

 private:
  struct Output;
  Output& find(const std::string& path);
  const Output& find(const std::string& path) const;
  void claim(const std::string& path, const std::string& flag, bool is_output);  // the alias check

  bool writer_;
  bool committed_ = false;
  std::vector<Output*> outputs_;
  std::vector<std::pair<std::pair<std::string, std::string>, std::string>> claimed_;  // ((resolved path, inode), flag) of each
  std::vector<std::pair<std::string, std::string>> directories_;  // (canonical target, flag)
};

// One file through OutputFiles: a temporary in the same directory, renamed to `path`.
void write_file_atomically(const std::string& path, const std::string& content);
// One directory through OutputFiles: `write(staging)` fills the staging copy, which is then swapped in (one
// renameat2 RENAME_EXCHANGE) and the old tree removed. If `write` throws, `dir` is untouched.
void replace_directory_atomically(const std::string& dir, const std::function<void(const std::string& staging)>& write);

}  // namespace exactformer

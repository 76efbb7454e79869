#include "image/rootfs_manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "image/file_util.h"
#include "image/sha256_stream.h"

namespace cairn::image {
namespace {

std::string Join(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

Result<std::string> HashFileAt(int dir_fd, const std::string& name, const std::string& path) {
  int fd = openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open", path, errno);
  Sha256Stream hash;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return IoError("cannot read", path, err);
    }
    if (n == 0) break;
    hash.Update(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return hash.FinishDigest();
}

Status ScanDir(int dir_fd, const std::string& dir, std::vector<TreeEntry>* out) {
  int list_fd = dup(dir_fd);
  if (list_fd < 0) return IoError("cannot list", dir, errno);
  DIR* d = fdopendir(list_fd);
  if (!d) {
    int err = errno;
    close(list_fd);
    return IoError("cannot list", dir, err);
  }
  // The duplicate shares the descriptor's position, which an earlier listing may have left at
  // the end.
  rewinddir(d);
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  closedir(d);
  for (const std::string& name : names) {
    std::string path = Join(dir, name);
    struct stat st {};
    if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return IoError("cannot stat", path, errno);
    }
    TreeEntry entry{path, '?', static_cast<uint32_t>(st.st_mode & 07777), 0, "", ""};
    if (S_ISREG(st.st_mode)) {
      entry.type = 'f';
      entry.size = static_cast<uint64_t>(st.st_size);
      auto digest = HashFileAt(dir_fd, name, path);
      if (!digest.ok()) return digest.error();
      entry.digest = *digest;
    } else if (S_ISLNK(st.st_mode)) {
      entry.type = 'l';
      entry.mode = 0;  // Linux gives symlinks no mode of their own
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
      if (n < 0) return IoError("cannot read the link", path, errno);
      target.resize(static_cast<size_t>(n));
      entry.target = target;
    } else if (S_ISDIR(st.st_mode)) {
      entry.type = 'd';
    }
    out->push_back(entry);
    if (entry.type == 'd') {
      int child = openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) return IoError("cannot open", path, errno);
      Status s = ScanDir(child, path, out);
      close(child);
      if (!s.ok()) return s;
    }
  }
  return OkStatus();
}

std::string Octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

}  // namespace

Result<std::vector<TreeEntry>> ScanTree(int dir_fd) {
  struct stat st {};
  if (fstat(dir_fd, &st) != 0) return IoError("cannot stat", "", errno);
  std::vector<TreeEntry> out = {{"", 'd', static_cast<uint32_t>(st.st_mode & 07777), 0, "", ""}};
  if (Status s = ScanDir(dir_fd, "", &out); !s.ok()) return s.error();
  std::sort(out.begin(), out.end(),
            [](const TreeEntry& a, const TreeEntry& b) { return a.path < b.path; });
  return out;
}

std::string ManifestText(const std::vector<TreeEntry>& entries) {
  std::string out;
  for (const TreeEntry& e : entries) {
    nlohmann::json line = {{"path", e.path}, {"type", std::string(1, e.type)}, {"mode", e.mode}};
    if (e.type == 'f') {
      line["size"] = e.size;
      line["digest"] = e.digest;
    }
    if (e.type == 'l') line["target"] = e.target;
    out += line.dump() + "\n";
  }
  return out;
}

Result<std::vector<TreeEntry>> ParseManifest(const std::string& text) {
  std::vector<TreeEntry> out;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    try {
      if (j.is_discarded()) throw std::runtime_error("not JSON");
      TreeEntry e;
      e.path = j.at("path").get<std::string>();
      std::string type = j.at("type").get<std::string>();
      if (type.size() != 1) throw std::runtime_error("bad type");
      e.type = type[0];
      e.mode = j.at("mode").get<uint32_t>();
      e.size = j.value("size", uint64_t{0});
      e.digest = j.value("digest", "");
      e.target = j.value("target", "");
      out.push_back(std::move(e));
    } catch (const std::exception& error) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("rootfs manifest line is malformed: ") + error.what(),
                       "line " + std::to_string(number));
    }
  }
  return out;
}

std::vector<std::string> CompareTrees(const std::vector<TreeEntry>& expected,
                                      const std::vector<TreeEntry>& actual, size_t limit) {
  std::map<std::string, const TreeEntry*> want, have;
  for (const TreeEntry& e : expected) want[e.path] = &e;
  for (const TreeEntry& e : actual) have[e.path] = &e;
  std::vector<std::string> out;
  size_t total = 0;
  auto note = [&](std::string line) {
    if (out.size() < limit) out.push_back(std::move(line));
    ++total;
  };
  for (const auto& [path, w] : want) {
    auto it = have.find(path);
    std::string shown = "/" + path;
    if (it == have.end()) {
      note("removed " + shown);
      continue;
    }
    const TreeEntry& h = *it->second;
    if (w->type != h.type) {
      note("changed " + shown + " (was a " + std::string(1, w->type) + ", now a " +
           std::string(1, h.type) + ")");
    } else if (w->digest != h.digest || w->size != h.size) {
      note("changed " + shown + " (content)");
    } else if (w->target != h.target) {
      note("changed " + shown + " (link " + w->target + " -> " + h.target + ")");
    } else if (w->mode != h.mode) {
      note("changed " + shown + " (mode " + Octal(w->mode) + " -> " + Octal(h.mode) + ")");
    }
  }
  for (const auto& [path, h] : have) {
    if (!want.count(path)) note("added /" + path);
  }
  if (total > out.size()) out.push_back("... and " + std::to_string(total - out.size()) + " more");
  return out;
}

}  // namespace cairn::image

#include "control/host_scan.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "runtime/driver.h"

namespace cairn::control {

Result<int> AllocateLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return MakeError(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    return MakeError(ErrorCode::kUnavailable,
                     std::string("no free loopback port: ") + std::strerror(err));
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

std::vector<TaggedProcess> FindProcessesTaggedWith(const std::string& data_dir) {
  std::vector<TaggedProcess> out;
  DIR* proc = opendir("/proc");
  if (!proc) return out;
  const std::string want = "CAIRN_DATA_DIR=" + data_dir;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || pid <= 0 || pid == getpid()) continue;
    std::ifstream in(std::string("/proc/") + entry->d_name + "/environ", std::ios::binary);
    if (!in) continue;
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    bool ours = false;
    std::string instance;
    size_t pos = 0;
    while (pos < env.size()) {
      size_t nul = env.find('\0', pos);
      if (nul == std::string::npos) nul = env.size();
      std::string_view var(env.data() + pos, nul - pos);
      if (var == want) ours = true;
      if (var.starts_with("CAIRN_INSTANCE=")) instance = std::string(var.substr(15));
      pos = nul + 1;
    }
    if (ours && !instance.empty()) out.push_back({static_cast<int>(pid), instance});
  }
  closedir(proc);
  return out;
}

}  // namespace cairn::control

namespace cairn::control {

bool CommandIsExecutable(const std::string& command) {
  return runtime::ResolveExecutable(command, "").ok();
}

}  // namespace cairn::control

#include "runtime/proc.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace cairn::runtime {

Result<ProcStat> ParseProcStat(const std::string& text) {
  size_t close = text.rfind(')');
  if (close == std::string::npos) {
    return MakeError(ErrorCode::kInternal, "malformed /proc stat: no ')' after the command");
  }
  // Fields after the comm: 3 (state) 4 (ppid) ... 22 (starttime).
  std::istringstream in(text.substr(close + 1));
  std::string field;
  ProcStat stat;
  for (int index = 3; index <= 22; ++index) {
    if (!(in >> field)) {
      return MakeError(ErrorCode::kInternal, "malformed /proc stat: too few fields");
    }
    if (index == 3) {
      stat.state = field.empty() ? '\0' : field[0];
    }
  }
  errno = 0;
  char* end = nullptr;
  stat.start_ticks = std::strtoull(field.c_str(), &end, 10);
  if (errno != 0 || end == field.c_str() || *end != '\0') {
    return MakeError(ErrorCode::kInternal,
                     "malformed /proc stat: bad start time \"" + field + "\"");
  }
  return stat;
}

namespace {

Result<ProcStat> ReadProcStat(int pid) {
  if (pid <= 0) {
    return MakeError(ErrorCode::kNotFound, "no process " + std::to_string(pid));
  }
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!file || !std::getline(file, text)) {
    return MakeError(ErrorCode::kNotFound, "no process " + std::to_string(pid));
  }
  return ParseProcStat(text);
}

}  // namespace

Result<unsigned long long> ProcessStartTicks(int pid) {
  auto stat = ReadProcStat(pid);
  if (!stat.ok()) return stat.error();
  return stat->start_ticks;
}

char ProcessState(int pid) {
  auto stat = ReadProcStat(pid);
  return stat.ok() ? stat->state : '\0';
}

}  // namespace cairn::runtime

// proc: reads facts about a process from /proc. Linux only.
#pragma once

#include "core/result.h"

namespace cairn::runtime {

// The process's start time in clock ticks since boot (field 22 of /proc/PID/stat). Together
// with the pid it identifies a process for its whole life: a reused pid has a later start.
// kNotFound when there is no such process.
Result<unsigned long long> ProcessStartTicks(int pid);

// The state letter of /proc/PID/stat ('R', 'S', 'D', 'Z', 'T', ...), or '\0' when there is no
// such process.
char ProcessState(int pid);

// Parses the text of a /proc/PID/stat file. The comm field (2) is in parentheses and may hold
// spaces and ')', so fields are counted from the last ')'. Exposed for tests.
struct ProcStat {
  char state = '\0';
  unsigned long long start_ticks = 0;
};
Result<ProcStat> ParseProcStat(const std::string& text);

}  // namespace cairn::runtime

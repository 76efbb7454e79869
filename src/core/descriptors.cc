#include "core/descriptors.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace cairn {

DescriptorBudget PlanDescriptors(int64_t limit, const DescriptorOptions& options) {
  DescriptorBudget b;
  b.limit = limit;
  b.reserve = std::clamp<int64_t>(limit / 4, 64, 4096);
  int64_t available = std::max<int64_t>(limit - b.reserve, 2);
  b.api_connections =
      std::clamp<int64_t>(options.api_max_connections, 1, std::max<int64_t>(available / 8, 1));
  b.router_connections = std::max<int64_t>(available - b.api_connections, 1);
  int64_t half = std::max<int64_t>(b.router_connections / 2, 1);
  int64_t wanted = options.router_max_connections_per_listener;
  b.listener_connections = wanted <= 0 ? half : std::min(wanted, half);
  return b;
}

Result<int64_t> RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return MakeError(ErrorCode::kIo,
                     std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
  }
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  // RLIM_INFINITY is not a count of descriptors; the kernel's own cap (fs.nr_open) is below it.
  if (limit.rlim_cur == RLIM_INFINITY) return int64_t{1} << 20;
  return static_cast<int64_t>(limit.rlim_cur);
}

ConnectionSlot ConnectionSlot::Acquire(ConnectionLimit* first, ConnectionLimit* second) {
  if (!first->TryAcquire()) return ConnectionSlot();
  if (second != nullptr && !second->TryAcquire()) {
    first->Release();
    return ConnectionSlot();
  }
  return ConnectionSlot(first, second);
}

void ConnectionSlot::Reset() {
  if (first_ != nullptr) first_->Release();
  if (second_ != nullptr) second_->Release();
  first_ = second_ = nullptr;
}

bool AcceptOutOfResources(int error) {
  return error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM;
}

int64_t AcceptBackoff::NextDelayMs() {
  int64_t delay = int64_t{10} << std::min(failures_, 7);  // 10 ms .. 1,280 ms
  if (failures_ < 30) ++failures_;
  return std::min<int64_t>(delay, 1000);
}

}  // namespace cairn

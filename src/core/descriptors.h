// File descriptors as a budget. A server that accepts every connection it is offered runs out
// of descriptors under a flood of idle ones, and then nothing works: the router's other ports,
// the API, health probes (their sockets fail with EMFILE, so every instance looks unhealthy),
// the state store. cairn raises its soft limit to the hard one at start, then splits what it
// has: a reserve nobody may accept into (probes, the store, logs, instances' pipes, runc), a
// cap for the API, and the rest for the router, of which one listener may hold at most a part,
// so a flood on one port leaves room on the others.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "core/result.h"

namespace cairn {

struct DescriptorOptions {
  // API connections at once (the CLI, the dashboard, event streams, Prometheus); past it a new
  // connection is answered 503 and closed. 512 is far above what a team's tools open.
  int64_t api_max_connections = 512;
  // Client connections one router listener (a service port) holds at once; past it a new
  // connection is refused (an HTTP one with a 503). 0: half of the router's share, so one
  // flooded port cannot take every descriptor. HAProxy's frontends default to a few thousand;
  // 10,000 keeps a busy port's keep-alive clients and still bounds a flood.
  int64_t router_max_connections_per_listener = 10000;
};

struct DescriptorBudget {
  int64_t limit = 0;                 // the soft RLIMIT_NOFILE the split was made from
  int64_t reserve = 0;               // never accepted into
  int64_t api_connections = 0;       // the API's cap
  int64_t router_connections = 0;    // all router listeners together
  int64_t listener_connections = 0;  // one router listener
};

// Splits `limit` descriptors (pure). The reserve is a quarter of the limit, at least 64 and at
// most 4,096; the API gets its option but at most an eighth of the rest; a listener gets its
// option but at most half of the router's share. Every cap is at least 1.
DescriptorBudget PlanDescriptors(int64_t limit, const DescriptorOptions& options);

// Raises the soft RLIMIT_NOFILE to the hard one and returns the soft limit in force after.
Result<int64_t> RaiseDescriptorLimit();

// A count of open connections with a cap, shared by the threads that accept them (the router's
// workers accept on one listener each through SO_REUSEPORT). Lock-free; touched once per
// accepted connection and once when it closes, never per request.
class ConnectionLimit {
 public:
  explicit ConnectionLimit(int64_t max) : max_(max) {}
  ConnectionLimit(const ConnectionLimit&) = delete;
  ConnectionLimit& operator=(const ConnectionLimit&) = delete;

  // Takes a place when one is free.
  bool TryAcquire() {
    int64_t n = open_.load(std::memory_order_relaxed);
    while (n < max_) {
      if (open_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  // REQUIRES: a place taken with TryAcquire.
  void Release() { open_.fetch_sub(1, std::memory_order_relaxed); }
  int64_t open() const { return open_.load(std::memory_order_relaxed); }
  int64_t max() const { return max_; }

 private:
  const int64_t max_;
  std::atomic<int64_t> open_{0};
};

// A place in one or two ConnectionLimits, released when it goes (moved with the connection).
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionLimit* first, ConnectionLimit* second)
      : first_(first), second_(second) {}
  ConnectionSlot(ConnectionSlot&& other) noexcept
      : first_(std::exchange(other.first_, nullptr)),
        second_(std::exchange(other.second_, nullptr)) {}
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept {
    if (this != &other) {
      Reset();
      first_ = std::exchange(other.first_, nullptr);
      second_ = std::exchange(other.second_, nullptr);
    }
    return *this;
  }
  ~ConnectionSlot() { Reset(); }

  // Takes a place in `first` and, when given, in `second`; an empty slot when either is full.
  static ConnectionSlot Acquire(ConnectionLimit* first, ConnectionLimit* second = nullptr);
  bool held() const { return first_ != nullptr; }

 private:
  void Reset();
  ConnectionLimit* first_ = nullptr;
  ConnectionLimit* second_ = nullptr;
};

// Whether accept(2) failed with `error` (an errno value) for want of descriptors or memory:
// EMFILE, ENFILE, ENOBUFS, ENOMEM. Trying again at once would spin until something closes.
bool AcceptOutOfResources(int error);

// How long an accept loop waits after accept(2) failed for want of descriptors or memory
// (EMFILE, ENFILE, ENOBUFS, ENOMEM) before it tries again: 10 ms doubling to 1 s. Retrying at
// once spins a core and gains nothing until a descriptor is closed. Pure.
class AcceptBackoff {
 public:
  // The wait after one more failure in a row.
  int64_t NextDelayMs();
  // An accept succeeded.
  void Reset() { failures_ = 0; }

 private:
  int failures_ = 0;
};

}  // namespace cairn

// RouterStats: what the router measured, per service x version x instance, plus the count of
// each limit or timeout violation. Workers keep their own WorkerStats as plain integers written
// only by that worker's thread; Router::Stats() hands a copy request to each worker through its
// io_context and sums the copies. So the hot path has no atomics at all, and a read costs one
// round trip per worker (reads are rare: a scrape or an analysis step a second).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>

#include "core/clock.h"
#include "core/units.h"
#include "router/http_request.h"

namespace cairn::router {

// Fixed log-spaced latency buckets: ten per decade from 0.1 ms to 60 s; the last bucket holds
// everything slower. Merging is adding counts.
class LatencyHistogram {
 public:
  static constexpr int kBuckets = 59;  // upper bounds 0.1ms * 10^(i/10), i = 0..57; then +inf

  void Record(std::chrono::microseconds latency);
  void Merge(const LatencyHistogram& other);
  uint64_t Count() const { return count_; }
  // The sum of every recorded latency, for a Prometheus histogram's _sum (a mean, a rate).
  uint64_t SumMicros() const { return sum_us_; }
  // The latency below which a share `q` (0..1) of the requests fall, interpolated within the
  // bucket; zero when empty.
  std::chrono::microseconds Quantile(double q) const;
  // Upper bound of bucket `i` in microseconds (the last is "infinite": 60 s is reported).
  static double UpperBoundMicros(int i);
  const std::array<uint64_t, kBuckets>& buckets() const { return buckets_; }

 private:
  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_us_ = 0;
};

// Status classes; kError is an answer the router generated itself (502/503/504 on connect
// failure, timeout or a broken upstream).
enum class StatusClass { k1xx, k2xx, k3xx, k4xx, k5xx, kError, kCount };
StatusClass ClassOf(int status);
const char* StatusClassName(StatusClass c);

struct BackendStats {
  std::array<uint64_t, static_cast<int>(StatusClass::kCount)> requests{};
  LatencyHistogram latency;
  uint64_t bytes_in = 0;           // from clients, request heads and bodies
  uint64_t bytes_out = 0;          // to clients, response heads and bodies
  int64_t active_connections = 0;  // open upstream connections (HTTP) or sessions (TCP)
  uint64_t ejections = 0;          // outlier ejections this backend's failures caused
  uint64_t retries = 0;            // requests retried elsewhere after failing here
  // Worker bookkeeping, not a measurement (never merged): sessions holding this entry now.
  // WorkerStats::Retire keeps an entry while it is held (see StatsHold).
  int32_t holders = 0;

  uint64_t Requests(StatusClass c) const { return requests[static_cast<int>(c)]; }
  uint64_t TotalRequests() const;
  void Merge(const BackendStats& other);
};

struct BackendKey {
  std::string service;
  std::string version;
  std::string instance;
  auto operator<=>(const BackendKey&) const = default;
};

// kTunnelIdle: a TCP-listener connection closed after tcp_idle_timeout with nothing moving.
enum class TimeoutKind { kHeadRead, kClientIdle, kConnect, kFirstByte, kTunnelIdle, kCount };
const char* TimeoutKindName(TimeoutKind kind);

struct RouterStats {
  std::map<BackendKey, BackendStats> backends;
  // Violations by name: every HttpError name (client requests rejected), "timeout_<kind>",
  // "upstream_malformed" (a broken upstream response), "no_backend" (nothing to route to).
  std::map<std::string, uint64_t> violations;
  uint64_t connections_accepted = 0;
  int64_t active_client_connections = 0;

  uint64_t Violations(const std::string& name) const;
  // The sum over the instances of one version (or of every version when `version` is empty).
  BackendStats ForVersion(const std::string& service, const std::string& version) const;
};

// Keeps a worker's BackendStats entry alive while a session uses it across awaits (an
// upstream connect, an exchange, a tunnel): Retire never drops a held entry.
class StatsHold {
 public:
  explicit StatsHold(BackendStats& stats) : stats_(&stats) { ++stats_->holders; }
  ~StatsHold() { --stats_->holders; }
  StatsHold(const StatsHold&) = delete;
  StatsHold& operator=(const StatsHold&) = delete;

 private:
  BackendStats* stats_;
};

// One worker's counters. Worker thread only.
class WorkerStats {
 public:
  // The entry of one backend, created on first use. The reference stays valid until Retire
  // drops the entry, which it never does while a StatsHold holds it or connections are open.
  BackendStats& For(const std::string& service, const std::string& version,
                    const std::string& instance);
  // Drops the entries of backends whose version left the route table (`routed` false) at
  // least `retention` ago and that nothing uses (no holder, no open upstream connection), so
  // a long-lived router does not keep every instance it ever served. `now` dates when an
  // entry was first seen unrouted; one seen routed again starts over. Returns how many went.
  size_t Retire(const std::function<bool(const BackendKey&)>& routed, SteadyTime now,
                Duration retention);
  size_t size() const { return backends_.size(); }
  void CountError(HttpError e) { ++http_errors_[static_cast<int>(e)]; }
  void CountTimeout(TimeoutKind k) { ++timeouts_[static_cast<int>(k)]; }
  void CountUpstreamMalformed() { ++upstream_malformed_; }
  void CountNoBackend() { ++no_backend_; }
  // A connection refused because its listener or the router was at its cap.
  void CountConnectionLimit() { ++connection_limit_; }
  // accept(2) failed for want of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM).
  void CountAcceptOutOfResources() { ++accept_out_of_resources_; }
  void ClientOpened() { ++accepted_, ++active_clients_; }
  void ClientClosed() { --active_clients_; }
  void MergeInto(RouterStats* out) const;

 private:
  struct Entry {
    BackendKey key;
    BackendStats stats;
    SteadyTime unrouted_since{};  // when Retire first saw it out of the table; {}: routed
  };
  std::unordered_map<std::string, Entry> backends_;
  std::string scratch_key_;
  std::array<uint64_t, static_cast<int>(HttpError::kCount)> http_errors_{};
  std::array<uint64_t, static_cast<int>(TimeoutKind::kCount)> timeouts_{};
  uint64_t upstream_malformed_ = 0;
  uint64_t no_backend_ = 0;
  uint64_t connection_limit_ = 0;
  uint64_t accept_out_of_resources_ = 0;
  uint64_t accepted_ = 0;
  int64_t active_clients_ = 0;
};

}  // namespace cairn::router

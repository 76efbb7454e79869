#include "router/router_stats.h"

#include <algorithm>
#include <cmath>

namespace cairn::router {

double LatencyHistogram::UpperBoundMicros(int i) {
  if (i >= kBuckets - 1) return 60e6;
  return 100.0 * std::pow(10.0, i / 10.0);
}

void LatencyHistogram::Record(std::chrono::microseconds latency) {
  double us = static_cast<double>(latency.count());
  int i = 0;
  if (us > 100.0) i = static_cast<int>(std::ceil(10.0 * std::log10(us / 100.0) - 1e-9));
  if (i < 0) i = 0;
  if (i > kBuckets - 1) i = kBuckets - 1;
  ++buckets_[i];
  ++count_;
  sum_us_ += static_cast<uint64_t>(std::max<int64_t>(latency.count(), 0));
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (int i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_us_ += other.sum_us_;
}

std::chrono::microseconds LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return std::chrono::microseconds(0);
  double rank = q * static_cast<double>(count_);
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    if (buckets_[i] == 0) continue;
    if (static_cast<double>(seen + buckets_[i]) >= rank) {
      double lo = i == 0 ? 0.0 : UpperBoundMicros(i - 1);
      double hi = UpperBoundMicros(i);
      double frac = (rank - static_cast<double>(seen)) / static_cast<double>(buckets_[i]);
      if (frac < 0) frac = 0;
      // Geometric interpolation inside a log-spaced bucket (linear in the first).
      double v = i == 0 ? hi * frac : lo * std::pow(hi / lo, frac);
      return std::chrono::microseconds(static_cast<int64_t>(v));
    }
    seen += buckets_[i];
  }
  return std::chrono::microseconds(static_cast<int64_t>(UpperBoundMicros(kBuckets - 1)));
}

StatusClass ClassOf(int status) {
  if (status >= 100 && status < 600) return static_cast<StatusClass>(status / 100 - 1);
  return StatusClass::kError;
}

const char* StatusClassName(StatusClass c) {
  static constexpr const char* kNames[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
  return kNames[static_cast<int>(c)];
}

const char* TimeoutKindName(TimeoutKind kind) {
  switch (kind) {
    case TimeoutKind::kHeadRead:
      return "timeout_head_read";
    case TimeoutKind::kClientIdle:
      return "timeout_client_idle";
    case TimeoutKind::kConnect:
      return "timeout_connect";
    case TimeoutKind::kFirstByte:
      return "timeout_first_byte";
    case TimeoutKind::kTunnelIdle:
      return "timeout_tunnel_idle";
    case TimeoutKind::kCount:
      break;
  }
  return "timeout_unknown";
}

uint64_t BackendStats::TotalRequests() const {
  uint64_t n = 0;
  for (uint64_t r : requests) n += r;
  return n;
}

void BackendStats::Merge(const BackendStats& o) {
  for (size_t i = 0; i < requests.size(); ++i) requests[i] += o.requests[i];
  latency.Merge(o.latency);
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  active_connections += o.active_connections;
  ejections += o.ejections;
  retries += o.retries;
}

uint64_t RouterStats::Violations(const std::string& name) const {
  auto it = violations.find(name);
  return it == violations.end() ? 0 : it->second;
}

BackendStats RouterStats::ForVersion(const std::string& service, const std::string& version) const {
  BackendStats sum;
  for (const auto& [key, stats] : backends) {
    if (key.service == service && (version.empty() || key.version == version)) sum.Merge(stats);
  }
  return sum;
}

BackendStats& WorkerStats::For(const std::string& service, const std::string& version,
                               const std::string& instance) {
  scratch_key_.clear();
  scratch_key_.append(service).push_back('\x1f');
  scratch_key_.append(version).push_back('\x1f');
  scratch_key_.append(instance);
  auto it = backends_.find(scratch_key_);
  if (it == backends_.end()) {
    it = backends_.emplace(scratch_key_, Entry{BackendKey{service, version, instance}, {}}).first;
  }
  return it->second.stats;
}

size_t WorkerStats::Retire(const std::function<bool(const BackendKey&)>& routed, SteadyTime now,
                           Duration retention) {
  size_t dropped = 0;
  for (auto it = backends_.begin(); it != backends_.end();) {
    Entry& e = it->second;
    if (routed(e.key)) {
      e.unrouted_since = SteadyTime{};
    } else if (e.unrouted_since == SteadyTime{}) {
      e.unrouted_since = now;
    }
    bool expired = e.unrouted_since != SteadyTime{} && now - e.unrouted_since >= retention;
    if (expired && e.stats.holders == 0 && e.stats.active_connections == 0) {
      it = backends_.erase(it);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

void WorkerStats::MergeInto(RouterStats* out) const {
  for (const auto& [_, entry] : backends_) out->backends[entry.key].Merge(entry.stats);
  for (int i = 1; i < static_cast<int>(HttpError::kCount); ++i) {
    if (http_errors_[i])
      out->violations[HttpErrorName(static_cast<HttpError>(i))] += http_errors_[i];
  }
  for (int i = 0; i < static_cast<int>(TimeoutKind::kCount); ++i) {
    if (timeouts_[i]) out->violations[TimeoutKindName(static_cast<TimeoutKind>(i))] += timeouts_[i];
  }
  if (upstream_malformed_) out->violations["upstream_malformed"] += upstream_malformed_;
  if (no_backend_) out->violations["no_backend"] += no_backend_;
  if (connection_limit_) out->violations["connection_limit"] += connection_limit_;
  if (accept_out_of_resources_) {
    out->violations["accept_out_of_resources"] += accept_out_of_resources_;
  }
  out->connections_accepted += accepted_;
  out->active_client_connections += active_clients_;
}

}  // namespace cairn::router

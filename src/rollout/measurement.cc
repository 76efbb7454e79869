#include "rollout/measurement.h"

#include <cassert>
#include <cmath>

namespace cairn::rollout {
namespace {

constexpr int kRouterBuckets = 59;

// The histogram a window is measured with: `a`'s if it has buckets, else `b`'s.
const Histogram& Layout(const Histogram& a, const Histogram& b) { return a.counts.empty() ? b : a; }

uint64_t CountAt(const Histogram& h, size_t i) { return h.counts.empty() ? 0 : h.counts[i]; }

}  // namespace

uint64_t Histogram::Count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

std::vector<double> RouterLatencyBoundsMicros() {
  std::vector<double> bounds(kRouterBuckets);
  for (int i = 0; i < kRouterBuckets - 1; ++i) bounds[i] = 100.0 * std::pow(10.0, i / 10.0);
  bounds[kRouterBuckets - 1] = 60e6;
  return bounds;
}

Histogram EmptyRouterHistogram() {
  Histogram h;
  h.upper_bounds_us = RouterLatencyBoundsMicros();
  h.counts.assign(h.upper_bounds_us.size(), 0);
  return h;
}

uint64_t Window::Requests() const {
  return status_1xx + status_2xx + status_3xx + status_4xx + status_5xx + router_errors;
}

double Window::SuccessRate() const {
  assert(Requests() > 0);
  return 1.0 - static_cast<double>(Failures()) / static_cast<double>(Requests());
}

Window Delta(const Window& after, const Window& before) {
  const Histogram& layout = Layout(after.latency, before.latency);
  assert(after.latency.counts.empty() || before.latency.counts.empty() ||
         after.latency.upper_bounds_us == before.latency.upper_bounds_us);

  bool backwards = after.status_1xx < before.status_1xx || after.status_2xx < before.status_2xx ||
                   after.status_3xx < before.status_3xx || after.status_4xx < before.status_4xx ||
                   after.status_5xx < before.status_5xx ||
                   after.router_errors < before.router_errors;
  for (size_t i = 0; i < layout.counts.size() && !backwards; ++i) {
    backwards = CountAt(after.latency, i) < CountAt(before.latency, i);
  }
  if (backwards) {
    Window w = after;
    w.reset = true;
    return w;
  }

  Window w;
  w.status_1xx = after.status_1xx - before.status_1xx;
  w.status_2xx = after.status_2xx - before.status_2xx;
  w.status_3xx = after.status_3xx - before.status_3xx;
  w.status_4xx = after.status_4xx - before.status_4xx;
  w.status_5xx = after.status_5xx - before.status_5xx;
  w.router_errors = after.router_errors - before.router_errors;
  w.latency.upper_bounds_us = layout.upper_bounds_us;
  w.latency.counts.resize(layout.counts.size());
  for (size_t i = 0; i < layout.counts.size(); ++i) {
    w.latency.counts[i] = CountAt(after.latency, i) - CountAt(before.latency, i);
  }
  return w;
}

void Merge(Window* into, const Window& other) {
  into->status_1xx += other.status_1xx;
  into->status_2xx += other.status_2xx;
  into->status_3xx += other.status_3xx;
  into->status_4xx += other.status_4xx;
  into->status_5xx += other.status_5xx;
  into->router_errors += other.router_errors;
  into->reset = into->reset || other.reset;
  if (other.latency.counts.empty()) return;
  if (into->latency.counts.empty()) {
    into->latency = other.latency;
    return;
  }
  assert(into->latency.upper_bounds_us == other.latency.upper_bounds_us);
  for (size_t i = 0; i < into->latency.counts.size(); ++i) {
    into->latency.counts[i] += other.latency.counts[i];
  }
}

}  // namespace cairn::rollout

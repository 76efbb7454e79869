// The I/O half of cairn's Prometheus query provider (the pure half is prometheus_query.h):
// MetricSource is what the controller asks for a metric check's number when an analysis
// interval ends; PrometheusClient answers it over the Prometheus HTTP API.
//
// Threading: Query is called on the controller strand, and `done` runs there too, exactly
// once, within the request's timeout (an unreachable server, a slow query and a malformed
// answer all end in a MetricReading with the reason). Nothing blocks the strand meanwhile.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <string>

#include "core/units.h"
#include "rollout/judge.h"

namespace cairn::control {

struct MetricRequest {
  std::string name;     // the check's name: the reading answers to it
  std::string address;  // http://host[:port][/path] of the Prometheus server
  std::string query;    // PromQL, placeholders already filled in
  Duration timeout{5000};
};

class MetricSource {
 public:
  virtual ~MetricSource() = default;
  virtual void Query(const MetricRequest& request,
                     std::function<void(rollout::MetricReading)> done) = 0;
};

class PrometheusClient : public MetricSource {
 public:
  // Runs its requests on `io`, which must outlive every request in flight.
  explicit PrometheusClient(boost::asio::io_context& io) : io_(io) {}
  // An instant query (POST <address>/api/v1/query) at the server's current time.
  void Query(const MetricRequest& request,
             std::function<void(rollout::MetricReading)> done) override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace cairn::control

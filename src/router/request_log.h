// RequestLog: what one request's access line says, gathered by the HTTP connection as the
// exchange goes (http_proxy.cc) and handed to the worker's AccessLogBuffer at its end.
// Threading: one per connection, on its worker's thread.
#pragma once

#include <cstdint>
#include <string>

#include "core/clock.h"
#include "router/http_request.h"
#include "router/route_table.h"

namespace cairn::router {

// What one request's access line says, gathered as the exchange goes. Strings are copied only
// when the listener logs; they keep their capacity from one request to the next.
struct RequestLog {
  bool on = false;
  int status = 0;
  uint64_t bytes = 0;
  int minor_version = 1;
  SteadyTime end{};  // when the answer was complete; unset: when the exchange ended
  std::string method, target, service, version, instance;

  void Start(const HttpRequestHead& head, const std::string& service_name) {
    status = 0;
    bytes = 0;
    minor_version = head.minor_version;
    end = SteadyTime{};
    method.assign(head.method);
    target.assign(head.target);
    service.assign(service_name);
    version.clear();
    instance.clear();
  }
  // A request refused before a head could be trusted (400, 408, 414, 431): "-" for what was
  // not read.
  void Refused(const std::string& service_name) {
    status = 0;
    bytes = 0;
    minor_version = 1;
    end = SteadyTime{};
    method.assign("-");
    target.assign("-");
    service.assign(service_name);
    version.clear();
    instance.clear();
  }
  void Upstream(const VersionRoute& v, const Backend& b) {
    version.assign(v.version);
    instance.assign(b.instance_id);
  }
};

}  // namespace cairn::router

// RouterPublisher: the RoutePublisher a server uses — route tables go to cairn's built-in
// router as immutable snapshots, and in-flight counts come from the router's own counters.
#pragma once

#include "control/controller.h"
#include "router/router.h"

namespace cairn::control {

class RouterPublisher final : public RoutePublisher {
 public:
  // `router` is not owned and must outlive this publisher.
  explicit RouterPublisher(router::Router& router) : router_(router) {}

  Status Publish(router::RouteTable table) override;
  // Upstream connections the router holds to the instance, busy or pooled; pooled ones to an
  // instance that left the table are closed at once, so this reaches zero when its last
  // request is done.
  int InFlight(const std::string& instance_id) override;
  router::RouterStats Stats() override { return router_.Stats(); }

 private:
  router::Router& router_;
};

}  // namespace cairn::control

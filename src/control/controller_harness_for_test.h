// ControllerHarness: a real Controller on a real SQLite store in a fresh directory, with a
// FakeDriver and a FakeClock, on an io_context the test owns. Nothing happens between calls:
// a tick fires only when the test asks for one (Tick), and time moves only when it says so
// (Advance), so every step of a rollout is observed in order and without sleeping.
// Test-only; header-only so it never enters the library.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <string>

#include "control/controller.h"
#include "control/fake_driver_for_test.h"
#include "core/clock.h"
#include "state/state_store.h"
#include "state/temp_dir_for_test.h"

namespace cairn::control {

// A one-service environment file: `replicas` instances of `command args`, plus any `extra`
// lines (indented four spaces, under the service).
inline std::string ServiceYaml(const std::string& args, int replicas = 1,
                               const std::string& extra = "", const std::string& command = "sh",
                               const std::string& service = "web") {
  return "environment: test\n"
         "services:\n"
         "  " +
         service +
         ":\n"
         "    command: " +
         command +
         "\n"
         "    args: [-c, \"" +
         args +
         "\"]\n"
         "    replicas: " +
         std::to_string(replicas) + "\n" + extra;
}

class ControllerHarness {
 public:
  explicit ControllerHarness(ControllerOptions options = {}) : options_(std::move(options)) {
    options_.data_dir = dir_.path();
    // Short, so that one real-time wait for the timer is cheap; the fake clock decides.
    options_.tick = Duration(1);
    options_.echo_events = false;  // tests read events through Controller::events()
    Build(std::make_shared<FakeHost>());
  }
  ~ControllerHarness() { Shutdown(); }

  Status Start() { return controller_->Start(); }

  // Runs exactly one tick: when no probe runs, the tick timer is the only pending handler.
  void Tick() {
    io_.restart();
    ASSERT_EQ(io_.run_one_for(std::chrono::seconds(5)), 1u) << "no tick was pending";
  }
  void Ticks(int n) {
    for (int i = 0; i < n; ++i) Tick();
  }
  void Advance(Duration d) { clock_.Advance(d); }

  Result<ApplyResult> Apply(const std::string& yaml, std::optional<int64_t> expect = {}) {
    ApplyRequest request;
    request.yaml = yaml;
    request.file = "test.yaml";
    request.author = "tester";
    request.message = "test apply";
    request.expect_revision = expect;
    return controller_->Apply(request);
  }

  // Like a server restart: the controller lets go of its instances and store, and a new one
  // opens the same data dir with a new driver on the same host, so the processes live on.
  void RestartController() {
    std::shared_ptr<FakeHost> host = driver_->shared_host();
    Shutdown();
    Build(std::move(host));
  }

  // The service's entry in a fresh snapshot; an empty one when it has none.
  ServiceInfo Service(const std::string& name = "web") const {
    for (auto& s : controller_->Snapshot().services) {
      if (s.name == name) return s;
    }
    return ServiceInfo{};
  }

  Controller& controller() { return *controller_; }
  FakeDriver& driver() { return *driver_; }
  FakeClock& clock() { return clock_; }
  boost::asio::io_context& io() { return io_; }
  const std::string& data_dir() const { return dir_.path(); }

 private:
  void Build(std::shared_ptr<FakeHost> host) {
    auto store = state::OpenSqliteStore(dir_.path(), &clock_);
    if (!store.ok()) {
      ADD_FAILURE() << "cannot open the store: " << store.error().ToString();
      return;
    }
    auto driver = std::make_unique<FakeDriver>(std::move(host));
    driver_ = driver.get();
    controller_ =
        std::make_unique<Controller>(io_, options_, std::move(*store), std::move(driver), &clock_);
  }
  void Shutdown() {
    if (!controller_) return;
    controller_->Detach();
    io_.restart();
    io_.poll();  // lets the cancelled tick complete while the controller still exists
    controller_.reset();
    driver_ = nullptr;
  }

  state::TempDirForTest dir_;
  FakeClock clock_;
  boost::asio::io_context io_;
  ControllerOptions options_;
  FakeDriver* driver_ = nullptr;  // owned by controller_
  std::unique_ptr<Controller> controller_;
};

}  // namespace cairn::control

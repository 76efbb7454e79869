#include "runtime/driver_set.h"

#include <fstream>
#include <iterator>
#include <optional>

#include "runtime/oci_runc.h"
#include "runtime/proc.h"

namespace cairn::runtime {
namespace {

class DriverSet final : public Driver {
 public:
  DriverSet(std::unique_ptr<Driver> process, OciDriverOptions oci)
      : process_(std::move(process)), oci_options_(std::move(oci)) {}

  const char* Name() const override { return "process+oci"; }

  Result<InstanceHandle> Start(const InstanceConfig& config) override {
    if (config.oci.rootfs.empty()) return process_->Start(config);
    auto oci = Oci();
    if (!oci.ok()) return oci.error();
    auto handle = (*oci)->Start(config);
    if (handle.ok()) oci_pids_.insert(handle->pid);
    return handle;
  }
  Status Terminate(const InstanceHandle& handle) override { return For(handle).Terminate(handle); }
  Status Kill(const InstanceHandle& handle) override { return For(handle).Kill(handle); }
  InstanceStatus Inspect(const InstanceHandle& handle) override {
    Driver& driver = For(handle);
    InstanceStatus status = driver.Inspect(handle);
    if (status.state != InstanceState::kRunning && status.state != InstanceState::kStarting) {
      oci_pids_.erase(handle.pid);
    }
    return status;
  }

 private:
  // The oci driver, made once runc is known to work here.
  Result<Driver*> Oci() {
    if (!oci_checked_) {
      oci_checked_ = true;
      Status available = OciAvailable(oci_options_);
      if (available.ok()) {
        oci_ = NewOciDriver(oci_options_);
      } else {
        oci_error_ = MakeError(
            ErrorCode::kUnavailable,
            "this server cannot run image instances under runc: " + available.error().message);
      }
    }
    if (!oci_) return *oci_error_;
    return oci_.get();
  }

  // The driver a handle belongs to.
  Driver& For(const InstanceHandle& handle) {
    if (oci_pids_.count(handle.pid)) {
      if (auto oci = Oci(); oci.ok()) return **oci;
    }
    // A supervisor adopted from an earlier server: its command line names our state root.
    auto ticks = ProcessStartTicks(handle.pid);
    if (ticks.ok() && *ticks == handle.start_ticks) {
      std::ifstream in("/proc/" + std::to_string(handle.pid) + "/cmdline", std::ios::binary);
      std::string cmdline((std::istreambuf_iterator<char>(in)), {});
      if (ContainerIdFromCmdline(cmdline, oci_options_.state_root).ok()) {
        if (auto oci = Oci(); oci.ok()) {
          oci_pids_.insert(handle.pid);
          return **oci;
        }
      }
    }
    return *process_;
  }

  std::unique_ptr<Driver> process_;
  OciDriverOptions oci_options_;
  std::unique_ptr<Driver> oci_;
  bool oci_checked_ = false;
  std::optional<Error> oci_error_;
  std::set<int> oci_pids_;  // supervisors the oci driver started or adopted, not yet reaped
};

}  // namespace

std::unique_ptr<Driver> NewDriverSet(std::unique_ptr<Driver> process, OciDriverOptions oci) {
  return std::make_unique<DriverSet>(std::move(process), std::move(oci));
}

}  // namespace cairn::runtime

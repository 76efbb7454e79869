// DriverSet: the server's one Driver, choosing per instance. An instance whose config names a
// rootfs (InstanceConfig::oci.rootfs: a service that runs an image) goes to the oci driver;
// every other one to the process driver. The controller sees one driver and never asks which.
//
// Handles are routed back to the driver that started them: the set remembers the supervisors
// the oci driver started, and recognises adopted ones (a server restarted while they ran) by
// their command line (`runc --root <state_root> run ... <id>`). Everything else is the process
// driver's.
//
// The oci driver is made on the first image instance, after OciAvailable says runc can run
// here; when it cannot, that Start fails with the reason (and so does every later one), while
// the process driver carries on. Called on the controller strand only, like any Driver.
#pragma once

#include <memory>
#include <set>

#include "runtime/driver.h"
#include "runtime/oci_driver.h"

namespace cairn::runtime {

std::unique_ptr<Driver> NewDriverSet(std::unique_ptr<Driver> process, OciDriverOptions oci);

}  // namespace cairn::runtime

// DriftCheck: integrity drift of running instances. Every instance of an image runs on that
// image's one shared, read-only root; if anything in it changed since it was unpacked (someone
// with root wrote into it), what runs is no longer what was built. The check re-hashes the root
// of every image that has instances, against the manifest written when it was unpacked; a
// drifted root is set aside and every instance on it is replaced (Controller::ReplaceDrifted),
// which unpacks the image afresh from the store's digest-checked blobs.
//
// Threading: Check and Start are called on the controller strand; the hashing runs on the
// checker's own worker thread, and the replacement back on the strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/controller.h"
#include "control/image_provider.h"

namespace cairn::control {

struct ImageDrift {
  std::string digest;
  std::vector<std::string> differences;  // empty: intact
  std::string error;                     // the root could not be checked
  std::string quarantined;               // where a drifted root was set aside
  int replaced = 0;                      // instances being replaced
};

struct DriftReport {
  std::vector<ImageDrift> images;
  bool drifted() const {
    for (const auto& i : images) {
      if (!i.differences.empty()) return true;
    }
    return false;
  }
};

class DriftCheck {
 public:
  // `interval` between periodic checks; 0: only on request. Default in the server: 10 min, as
  // a check re-reads every byte of every running image.
  DriftCheck(boost::asio::io_context& io, Controller& controller, ImageProvider& images,
             Duration interval);
  ~DriftCheck();
  // Starts the periodic checks.
  void Start();
  // Checks now; `done` runs on the strand with the report.
  void Check(std::function<void(DriftReport)> done);

 private:
  void ScheduleNext();
  void Finish(DriftReport report, const std::function<void(DriftReport)>& done);

  boost::asio::io_context& io_;
  Controller& controller_;
  ImageProvider& images_;
  Duration interval_;
  boost::asio::steady_timer timer_;
  std::unique_ptr<boost::asio::thread_pool> worker_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace cairn::control

#include "control/drift_check.h"

#include <boost/asio/post.hpp>

namespace cairn::control {

DriftCheck::DriftCheck(boost::asio::io_context& io, Controller& controller, ImageProvider& images,
                       Duration interval)
    : io_(io),
      controller_(controller),
      images_(images),
      interval_(interval),
      timer_(io),
      worker_(std::make_unique<boost::asio::thread_pool>(1)) {}

DriftCheck::~DriftCheck() {
  *alive_ = false;
  timer_.cancel();
  worker_->join();  // a check in progress finishes its hashing; its result is dropped
}

void DriftCheck::Start() {
  if (interval_.count() > 0) ScheduleNext();
}

void DriftCheck::ScheduleNext() {
  timer_.expires_after(interval_);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    Check([this](const DriftReport&) { ScheduleNext(); });
  });
}

void DriftCheck::Check(std::function<void(DriftReport)> done) {
  std::vector<std::string> digests = controller_.RunningImageDigests();
  boost::asio::post(*worker_, [this, alive = alive_, digests, done = std::move(done)]() mutable {
    DriftReport report;
    for (const std::string& digest : digests) {
      ImageDrift image{digest, {}, "", "", 0};
      auto differences = images_.VerifyRoot(digest);
      if (differences.ok()) {
        image.differences = *differences;
      } else {
        image.error = differences.error().ToString();
      }
      report.images.push_back(std::move(image));
    }
    boost::asio::post(io_, [this, alive, report = std::move(report), done = std::move(done)]() {
      if (*alive) Finish(std::move(report), done);
    });
  });
}

void DriftCheck::Finish(DriftReport report, const std::function<void(DriftReport)>& done) {
  for (ImageDrift& image : report.images) {
    if (image.differences.empty()) continue;
    auto aside = images_.QuarantineRoot(image.digest);
    image.quarantined = aside.ok() ? *aside : "";
    image.replaced = controller_.ReplaceDrifted(image.digest, image.differences, image.quarantined);
  }
  done(std::move(report));
}

}  // namespace cairn::control

// Instances that cannot start (the program cannot be executed, the image cannot be unpacked)
// are tried again with a delay doubling to minutes, their failures reported coalesced, and the
// last error shown in the status. Fake driver and clock: ten minutes pass in 600 ticks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/controller.h"
#include "control/controller_harness_for_test.h"

namespace cairn::control {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<telemetry::Event> EventsOf(const Controller& controller, const std::string& type) {
  std::vector<telemetry::Event> out;
  for (const auto& e : controller.events().Since(0)) {
    if (e.type == type) out.push_back(e);
  }
  return out;
}

uint64_t StartFailures(const Controller& controller, const std::string& service = "web") {
  auto it = controller.counters().start_failures.find(service);
  return it == controller.counters().start_failures.end() ? 0 : it->second;
}

// `seconds` of ticks, one per second of fake time (every delay here is whole seconds).
void RunFor(ControllerHarness& h, int seconds) {
  for (int i = 0; i < seconds; ++i) {
    h.Advance(Duration(1000));
    h.Tick();
  }
}

TEST(ControllerStartBackoffTest, AProgramThatCannotStartIsTriedLessAndLessOften) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  h.driver().FailStartsOf("sh");
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 3)).ok());
  h.Tick();
  RunFor(h, 600);

  // Tries at 0, 1, 3, 7, 15, 31, 63, 127, 255 and 511 s (the next one at 811 s): ten in ten
  // minutes, where a fixed one-second delay made six hundred.
  EXPECT_EQ(StartFailures(h.controller()), 10u);
  EXPECT_EQ(h.driver().starts(), 0);
  // Reported at the 1st, 2nd, 4th and 8th failure.
  auto events = EventsOf(h.controller(), "instance.start_failed");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_THAT(events[0].message, HasSubstr("could not start an instance of web: "));
  EXPECT_THAT(events[0].message, HasSubstr("; next try in 1s"));
  EXPECT_THAT(events[3].message, HasSubstr("; failed 8 times; next try in 2m8s"));
  EXPECT_EQ(events[3].data["failures"], 8);
  EXPECT_EQ(events[3].data["retry_in_seconds"], 128.0);

  // The status says why nothing runs, and when cairn tries again.
  ServiceInfo web = h.Service();
  ASSERT_TRUE(web.start_failure.has_value());
  EXPECT_EQ(web.start_failure->failures, 10);
  EXPECT_FALSE(web.start_failure->error.empty());
  EXPECT_EQ(web.start_failure->next_try_in, Duration(211000));  // 811 s − 600 s
}

TEST(ControllerStartBackoffTest, TheDelayIsCappedAtFiveMinutes) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  h.driver().FailStartsOf("sh");
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  RunFor(h, 1200);  // tries at …, 511, 811 and 1111 s
  EXPECT_EQ(StartFailures(h.controller()), 12u);
  EXPECT_EQ(h.Service().start_failure->next_try_in, Duration(211000));
}

TEST(ControllerStartBackoffTest, AStartThatSucceedsClearsTheFailure) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  h.driver().FailStartsOf("sh");
  ASSERT_TRUE(h.Apply(ServiceYaml("v1", 2)).ok());
  h.Tick();
  RunFor(h, 20);  // tries at 0, 1, 3, 7 and 15 s; the next at 31 s
  ASSERT_EQ(StartFailures(h.controller()), 5u);

  h.driver().host().failing_commands.clear();
  RunFor(h, 10);
  EXPECT_EQ(h.driver().starts(), 0) << "tried before the backoff ended";
  RunFor(h, 2);
  EXPECT_EQ(h.driver().starts(), 2);
  EXPECT_FALSE(h.Service().start_failure.has_value());
}

TEST(ControllerStartBackoffTest, ANewTemplateIsTriedAtOnce) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  h.driver().FailStartsOf("sh");
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Tick();
  RunFor(h, 100);  // backing off: the next try at 127 s
  ASSERT_EQ(StartFailures(h.controller()), 7u);

  // The person fixes the cause and applies a new template: it does not wait out the old one's
  // backoff.
  h.driver().host().failing_commands.clear();
  ASSERT_TRUE(h.Apply(ServiceYaml("v2", 1)).ok());
  h.Tick();
  EXPECT_EQ(h.driver().starts(), 1);
}

TEST(ControllerStartBackoffTest, ARestartThatCannotStartBacksOffToo) {
  ControllerHarness h;
  ASSERT_TRUE(h.Start().ok());
  ASSERT_TRUE(h.Apply(ServiceYaml("v1")).ok());
  h.Ticks(2);
  ASSERT_EQ(h.driver().RunningPids().size(), 1u);
  int pid = h.driver().RunningPids().front();

  // The program exits and can no longer be executed (deleted, say).
  h.driver().FailStartsOf("sh");
  h.driver().CrashOnNextInspect(pid);
  RunFor(h, 600);
  // The crash's own 1 s backoff, then the start backoff: tries at 1, 2, 4, … 512 s.
  EXPECT_EQ(StartFailures(h.controller()), 10u);
  auto events = EventsOf(h.controller(), "instance.start_failed");
  ASSERT_EQ(events.size(), 4u);
  EXPECT_FALSE(events[0].instance.empty()) << "a restart's failure names its instance";
}

}  // namespace
}  // namespace cairn::control

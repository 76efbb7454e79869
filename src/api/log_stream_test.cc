#include "api/log_stream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/controller_harness_for_test.h"

namespace cairn::api {
namespace {

using control::ControllerHarness;
using control::ServiceYaml;

// The FakeDriver writes no logs; these tests write each instance's log file themselves, at the
// path the controller gave it.
class LogFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(h_.Start().ok());
    std::filesystem::create_directories(h_.data_dir() + "/logs");
  }

  // Applies `replicas` instances of web and returns their ids, oldest first by id.
  std::vector<std::string> StartWeb(int replicas) {
    EXPECT_TRUE(h_.Apply(ServiceYaml("v1", replicas)).ok());
    h_.Tick();
    std::vector<std::string> ids;
    for (const auto& inst : h_.Service().instances) ids.push_back(inst.id);
    return ids;
  }
  std::string LogPath(const std::string& id) { return h_.data_dir() + "/logs/" + id + ".log"; }
  void Append(const std::string& id, const std::string& text) {
    std::ofstream(LogPath(id), std::ios::app | std::ios::binary) << text;
  }
  void Truncate(const std::string& id, const std::string& text) {
    std::ofstream(LogPath(id), std::ios::trunc | std::ios::binary) << text;
  }

  ControllerHarness h_;
};

TEST_F(LogFollowerTest, StartReturnsTheLastLinesPrefixedByTheInstance) {
  std::string id = StartWeb(1).at(0);
  Append(id, "one\ntwo\nthree\n");
  LogFollower follower(h_.controller(), "web");
  EXPECT_EQ(follower.Start(2), id + " | two\n" + id + " | three\n");
  EXPECT_EQ(follower.Poll(), "") << "lines already shown are not shown again";

  Append(id, "four\n");
  EXPECT_EQ(follower.Poll(), id + " | four\n");
}

TEST_F(LogFollowerTest, TailZeroShowsOnlyWhatComesNext) {
  std::string id = StartWeb(1).at(0);
  Append(id, "old\n");
  LogFollower follower(h_.controller(), "web");
  EXPECT_EQ(follower.Start(0), "");
  Append(id, "new\n");
  EXPECT_EQ(follower.Poll(), id + " | new\n");
}

TEST_F(LogFollowerTest, HoldsPartialLinesUntilTheyComplete) {
  std::string id = StartWeb(1).at(0);
  Append(id, "done\npart");
  LogFollower follower(h_.controller(), "web");
  EXPECT_EQ(follower.Start(10), id + " | done\n");
  EXPECT_EQ(follower.Poll(), "");
  Append(id, "ial");
  EXPECT_EQ(follower.Poll(), "");
  Append(id, " line\nnext ");
  EXPECT_EQ(follower.Poll(), id + " | partial line\n");
  Append(id, "one\n");
  EXPECT_EQ(follower.Poll(), id + " | next one\n");
}

TEST_F(LogFollowerTest, SeveralLinesInOneReadAreEachPrefixed) {
  std::string id = StartWeb(1).at(0);
  LogFollower follower(h_.controller(), "web");
  EXPECT_EQ(follower.Start(10), "");
  Append(id, "a\nb\n\nc\n");
  EXPECT_EQ(follower.Poll(), id + " | a\n" + id + " | b\n" + id + " | \n" + id + " | c\n");
}

TEST_F(LogFollowerTest, RestartsFromTheTopAfterTruncation) {
  std::string id = StartWeb(1).at(0);
  Append(id, "a fairly long first line\nand a second one\n");
  LogFollower follower(h_.controller(), "web");
  follower.Start(10);
  Truncate(id, "");  // copytruncate
  EXPECT_EQ(follower.Poll(), "");
  Append(id, "after\n");
  EXPECT_EQ(follower.Poll(), id + " | after\n");

  // Truncated and rewritten between two polls, shorter than before: read from the top.
  Append(id, "more text to move the offset along\n");
  EXPECT_EQ(follower.Poll(), id + " | more text to move the offset along\n");
  Truncate(id, "fresh\n");
  EXPECT_EQ(follower.Poll(), id + " | fresh\n");
}

TEST_F(LogFollowerTest, FollowsEveryInstanceOfTheService) {
  std::vector<std::string> ids = StartWeb(2);
  ASSERT_EQ(ids.size(), 2u);
  Append(ids[0], "from zero\n");
  Append(ids[1], "from one\n");
  LogFollower follower(h_.controller(), "web");
  std::string first = follower.Start(10);
  EXPECT_THAT(first, ::testing::HasSubstr(ids[0] + " | from zero\n"));
  EXPECT_THAT(first, ::testing::HasSubstr(ids[1] + " | from one\n"));
}

TEST_F(LogFollowerTest, InstancesStartedLaterAreReadFromTheirFirstLine) {
  std::string first = StartWeb(1).at(0);
  LogFollower follower(h_.controller(), "web");
  follower.Start(10);

  ASSERT_TRUE(h_.Apply(ServiceYaml("v1", 2)).ok());  // scale up: a second instance
  h_.Tick();
  std::string second;
  for (const auto& inst : h_.Service().instances) {
    if (inst.id != first) second = inst.id;
  }
  ASSERT_FALSE(second.empty());
  Append(second, "hello\nworld\n");
  EXPECT_EQ(follower.Poll(), second + " | hello\n" + second + " | world\n");
}

TEST_F(LogFollowerTest, KnowsWhetherTheServiceExists) {
  StartWeb(1);
  EXPECT_TRUE(LogFollower(h_.controller(), "web").ServiceKnown());
  EXPECT_FALSE(LogFollower(h_.controller(), "nope").ServiceKnown());
}

TEST_F(LogFollowerTest, MissingLogFilesReadAsEmpty) {
  StartWeb(1);
  LogFollower follower(h_.controller(), "web");
  EXPECT_EQ(follower.Start(10), "");
  EXPECT_EQ(follower.Poll(), "");
}

}  // namespace
}  // namespace cairn::api

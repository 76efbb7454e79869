#include "api/sse_reader.h"

#include <gtest/gtest.h>

#include "api/event_stream.h"

namespace cairn::api {
namespace {

TEST(SseReaderTest, ReadsMessagesHoweverTheBytesAreSplit) {
  std::string stream =
      "retry: 1000\n\n: keepalive\n\nid: 7\nevent: rollout.verdict\ndata: {\"seq\":7}\n\n"
      "id: 8\r\nevent: instance.started\r\ndata: a\r\ndata: b\r\n\r\n";
  for (size_t piece = 1; piece <= stream.size(); ++piece) {
    SseReader reader;
    std::vector<SseMessage> all;
    for (size_t i = 0; i < stream.size(); i += piece) {
      for (auto& m : reader.Feed(std::string_view(stream).substr(i, piece))) all.push_back(m);
    }
    ASSERT_EQ(all.size(), 2u) << "piece size " << piece;
    EXPECT_EQ(all[0].id, "7");
    EXPECT_EQ(all[0].event, "rollout.verdict");
    EXPECT_EQ(all[0].data, "{\"seq\":7}");
    EXPECT_EQ(all[1].event, "instance.started");
    EXPECT_EQ(all[1].data, "a\nb");
  }
}

TEST(SseReaderTest, AFrameTheServerWritesReadsBackAsTheSameEvent) {
  telemetry::Event e;
  e.seq = 42;
  e.type = "rollout.verdict";
  e.service = "web";
  e.message = "line one\nline two";  // a newline in the message must not split the frame
  e.data = {{"success_rate", 0.95}};
  SseReader reader;
  std::vector<SseMessage> got = reader.Feed(SseFrame(e));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].id, "42");
  EXPECT_EQ(got[0].event, "rollout.verdict");
  auto json = nlohmann::json::parse(got[0].data);
  EXPECT_EQ(json["message"], "line one\nline two");
  EXPECT_EQ(json["data"]["success_rate"], 0.95);
}

}  // namespace
}  // namespace cairn::api

// The running server's side of a takeover, step by step: sockets first, the data dir only
// once the next server holds them, the drain only once it serves; a next server that goes
// away early changes nothing, one that goes away late leaves this one routing, released.
#include "cli/handover_machine.h"

#include <gtest/gtest.h>

#include "cli/handoff_protocol.h"

namespace cairn::cli {
namespace {

HandoffMessage Of(HandoffType type) {
  HandoffMessage m;
  m.type = type;
  m.pid = 77;
  m.version = "0.2.0";
  return m;
}

TEST(HandoverMachineTest, SocketsThenReleaseThenDrainInThatOrder) {
  HandoverMachine machine;
  HandoverAction offer = machine.OnMessage(Of(HandoffType::kTakeover));
  EXPECT_TRUE(offer.send_sockets);
  EXPECT_FALSE(offer.release) << "the data dir stays until the sockets are held";
  EXPECT_FALSE(offer.close);
  EXPECT_EQ(machine.phase(), HandoverPhase::kOffered);

  HandoverAction release = machine.OnMessage(Of(HandoffType::kReceived));
  EXPECT_TRUE(release.release);
  EXPECT_TRUE(release.send_released);
  EXPECT_FALSE(release.drain) << "this router keeps accepting until the next one serves";
  EXPECT_EQ(machine.phase(), HandoverPhase::kReleased);

  HandoverAction drain = machine.OnMessage(Of(HandoffType::kServing));
  EXPECT_TRUE(drain.drain);
  EXPECT_TRUE(drain.close);
  EXPECT_EQ(machine.phase(), HandoverPhase::kDraining);

  HandoverAction again = machine.OnMessage(Of(HandoffType::kTakeover));
  EXPECT_FALSE(again.send_sockets);
  EXPECT_NE(again.refuse.find("already handed over to pid 77"), std::string::npos);
}

TEST(HandoverMachineTest, ANextServerGoneBeforeItHeldTheSocketsChangesNothing) {
  HandoverMachine machine;
  machine.OnMessage(Of(HandoffType::kTakeover));
  HandoverAction gone = machine.OnPeerGone("no answer in time");
  EXPECT_FALSE(gone.release);
  EXPECT_TRUE(gone.close);
  EXPECT_EQ(machine.phase(), HandoverPhase::kRunning);
  EXPECT_NE(gone.log.find("carries on"), std::string::npos);
  // A later takeover starts from the beginning.
  EXPECT_TRUE(machine.OnMessage(Of(HandoffType::kTakeover)).send_sockets);
}

TEST(HandoverMachineTest, ANextServerGoneAfterTheReleaseLeavesThisOneReleasedForAnother) {
  HandoverMachine machine;
  machine.OnMessage(Of(HandoffType::kTakeover));
  machine.OnMessage(Of(HandoffType::kReceived));
  HandoverAction gone = machine.OnPeerGone("closed");
  EXPECT_FALSE(gone.drain) << "nothing else serves: keep routing";
  EXPECT_EQ(machine.phase(), HandoverPhase::kReleased);
  EXPECT_NE(gone.log.find("--takeover"), std::string::npos);

  EXPECT_TRUE(machine.OnMessage(Of(HandoffType::kTakeover)).send_sockets);
  HandoverAction second = machine.OnMessage(Of(HandoffType::kReceived));
  EXPECT_FALSE(second.release) << "released once";
  EXPECT_TRUE(second.send_released);
  EXPECT_TRUE(machine.OnMessage(Of(HandoffType::kServing)).drain);
}

TEST(HandoverMachineTest, RefusesAnotherProtocolAndMessagesOutOfOrder) {
  HandoverMachine machine;
  HandoffMessage old = Of(HandoffType::kTakeover);
  old.protocol = kHandoffProtocol + 1;
  HandoverAction refused = machine.OnMessage(old);
  EXPECT_FALSE(refused.send_sockets);
  EXPECT_NE(refused.refuse.find("protocol"), std::string::npos);
  EXPECT_EQ(machine.phase(), HandoverPhase::kRunning);

  HandoverAction early = machine.OnMessage(Of(HandoffType::kServing));
  EXPECT_FALSE(early.drain) << "`serving` before any release means nothing";
  EXPECT_TRUE(early.close);
  EXPECT_FALSE(machine.OnMessage(Of(HandoffType::kReceived)).release);
}

TEST(HandoverMachineTest, WaitsLongestForTheNextServerToOpenTheStore) {
  HandoverMachine machine;
  Duration request = machine.Patience();
  machine.OnMessage(Of(HandoffType::kTakeover));
  Duration received = machine.Patience();
  machine.OnMessage(Of(HandoffType::kReceived));
  EXPECT_GT(machine.Patience(), received);
  EXPECT_GE(received, request);
}

TEST(HandoffProtocolTest, EveryMessageRoundTripsAndAMalformedOneIsAnError) {
  HandoffMessage sockets = Of(HandoffType::kSockets);
  sockets.more = true;
  sockets.sockets = {{"api", "api", "127.0.0.1", 7400}, {"router", "web/http", "127.0.0.1", 8080}};
  auto back = DecodeHandoff(EncodeHandoff(sockets));
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->type, HandoffType::kSockets);
  EXPECT_EQ(back->pid, 77);
  EXPECT_TRUE(back->more);
  ASSERT_EQ(back->sockets.size(), 2u);
  EXPECT_EQ(back->sockets[1].name, "web/http");
  EXPECT_EQ(back->sockets[1].port, 8080);

  auto takeover = DecodeHandoff(EncodeHandoff(Of(HandoffType::kTakeover)));
  ASSERT_TRUE(takeover.ok());
  EXPECT_EQ(takeover->protocol, kHandoffProtocol);
  EXPECT_EQ(takeover->version, "0.2.0");
  HandoffMessage refused = Of(HandoffType::kRefused);
  refused.reason = "busy";
  EXPECT_EQ(DecodeHandoff(EncodeHandoff(refused))->reason, "busy");
  for (HandoffType t : {HandoffType::kReceived, HandoffType::kReleased, HandoffType::kServing}) {
    auto m = DecodeHandoff(EncodeHandoff(Of(t)));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->type, t);
  }

  EXPECT_FALSE(DecodeHandoff("garbage").ok());
  EXPECT_FALSE(DecodeHandoff(R"({"type":"launch"})").ok());
  EXPECT_FALSE(DecodeHandoff(R"({"type":"takeover","pid":1,"version":"x"})").ok());
  auto bad_port = DecodeHandoff(
      R"({"type":"sockets","pid":1,"version":"x","more":false,"sockets":[{"kind":"router","name":"a","host":"h","port":0}]})");
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().message.find("port"), std::string::npos);
}

}  // namespace
}  // namespace cairn::cli

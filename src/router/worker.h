// Worker: one router thread — its io_context, its acceptors (one per listener, SO_REUSEPORT),
// its RoutingState, upstream pool and counters. Everything here is touched by the worker's own
// thread only, except the methods marked "any thread", which post to it.
#pragma once

// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "core/descriptors.h"
#include "router/access_log.h"
#include "router/deadline_list.h"
#include "router/router.h"
#include "router/upstream_pool.h"

namespace cairn::router {

// The published route table: workers compare `generation` (one relaxed-cost acquire load per
// request) and reload `table` only when it moved.
struct TableSlot {
  std::atomic<uint64_t> generation{0};
  std::atomic<std::shared_ptr<const RouteTable>> table;
};

class Worker {
 public:
  Worker(int index, const RouterOptions& options, const Clock* clock, const TableSlot* slot);
  ~Worker();

  boost::asio::io_context& io() { return io_; }
  void Start();  // any thread: runs the loop on a new thread
  void Stop();   // any thread: stops the loop and joins; idempotent

  // Any thread (posted): start or stop accepting on a listener. Each accepted connection takes
  // a place in `limit` (this listener, on every worker) and `total` (every listener), both
  // owned by the Router and outliving the worker; one that finds either full is refused. A
  // worker may accept on several sockets of one listener (sockets inherited from an earlier
  // server with more workers); RemoveListener closes all of them.
  void AddListener(const std::string& name, ListenerProtocol protocol, std::string service,
                   std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor, ConnectionLimit* limit,
                   ConnectionLimit* total);
  void RemoveListener(const std::string& name);
  // Any thread (posted): closes every acceptor, closes the idle keep-alive connections and
  // has every other HTTP connection close after its response in progress (Router::Drain).
  void Drain();
  // Any thread (posted): pick up a new table now and prune the pool against it.
  void Refresh();
  // Any thread: a copy of the counters, taken on the worker's thread (or directly once
  // stopped). REQUIRES: not called on this worker's thread.
  void CollectStats(RouterStats* out);

  // Worker thread only.
  const RouteTableSnapshot& Table();
  // Set by Drain: no keep-alive past the response in progress.
  bool draining() const { return draining_; }
  // A keep-alive connection waiting for its next request registers its socket for the time of
  // the wait, so Drain can end the wait at once.
  void IdleBegin(boost::asio::ip::tcp::socket* socket) { idle_clients_.insert(socket); }
  void IdleEnd(boost::asio::ip::tcp::socket* socket) { idle_clients_.erase(socket); }
  RoutingState& routing() { return routing_; }
  UpstreamPool& pool() { return pool_; }
  WorkerStats& stats() { return stats_; }
  const RouterOptions& options() const { return options_; }
  const Clock* clock() const { return clock_; }
  // An access line for a finished request; written in batches (see access_log.h). Also called
  // while the stopped worker's io_context destroys the connections still open: then the timer
  // is gone and the buffer's destructor writes the line.
  void LogAccess(const AccessRecord& record) {
    if (access_log_.Append(record) && running_.load(std::memory_order_relaxed)) {
      ArmLogFlushTimer();
    }
  }
  // The deadline of one pending operation on `socket` (see DeadlineList): past `timeout` from
  // now the socket's operations are cancelled and entry.fired() turns true.
  void ArmDeadline(DeadlineList::Entry& entry, boost::asio::ip::tcp::socket& socket,
                   Duration timeout);

 private:
  struct Listener {
    std::string name;
    ListenerProtocol protocol;
    std::string service;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
    ConnectionLimit* limit;
    ConnectionLimit* total;
  };
  boost::asio::awaitable<void> AcceptLoop(std::shared_ptr<Listener> listener);
  void ArmPruneTimer();
  // Prunes the pool against the current table, then retires the counters of versions that
  // left it (RouterOptions::stats_retention).
  void Prune();
  void ArmSweepTimer();
  void ArmLogFlushTimer();

  const int index_;
  const RouterOptions& options_;
  const Clock* clock_;
  const TableSlot* slot_;
  RoutingState routing_;
  WorkerStats stats_;
  RouteTableSnapshot table_;
  uint64_t generation_ = ~uint64_t{0};
  DeadlineList deadlines_;
  std::unordered_set<boost::asio::ip::tcp::socket*> idle_clients_;  // see IdleBegin
  bool draining_ = false;
  AccessLogBuffer access_log_;  // flushed by log_timer_, when full, and on destruction
  const Duration sweep_period_;
  bool sweeping_ = false;
  // Declared after the state the connections use and before what holds sockets: destroying
  // the io_context destroys the suspended connections, which still reach routing_, stats_ and
  // deadlines_.
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  UpstreamPool pool_;
  boost::asio::steady_timer prune_timer_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer log_timer_;
  std::unordered_multimap<std::string, std::shared_ptr<Listener>> listeners_;
  std::thread thread_;
  std::atomic<bool> running_{false};
};

// One client connection each, spawned by the accept loop (http_proxy.cc, tcp_proxy.cc).
boost::asio::awaitable<void> HttpSession(Worker& worker, boost::asio::ip::tcp::socket client,
                                         std::string listener, std::string service);
boost::asio::awaitable<void> TcpSession(Worker& worker, boost::asio::ip::tcp::socket client,
                                        std::string listener, std::string service);

}  // namespace cairn::router

#include "router/worker.h"

// clang-format off
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format on
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <string_view>

namespace cairn::router {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto kPruneInterval = std::chrono::seconds(1);

// How often pending deadlines are checked: a sixteenth of the shortest timeout, so each fires
// at most ~6% late, between 5 ms (no busy ticking) and 250 ms.
Duration SweepPeriod(const RouterOptions& o) {
  Duration shortest =
      std::min({o.connect_timeout, o.first_byte_timeout, o.client_idle_timeout, o.head_timeout});
  return std::clamp(shortest / 16, Duration(5), Duration(250));
}
}  // namespace

Worker::Worker(int index, const RouterOptions& options, const Clock* clock, const TableSlot* slot)
    : index_(index),
      options_(options),
      clock_(clock),
      slot_(slot),
      routing_(options.routing, clock, options.seed + static_cast<uint64_t>(index)),
      access_log_(options.access_log),
      sweep_period_(SweepPeriod(options)),
      // One thread runs this context, so per-socket locking is pointless; posting from other
      // threads (Refresh, CollectStats, listeners) and registering sockets stay locked.
      io_(BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO),
      guard_(io_.get_executor()),
      pool_(options.upstream_idle_timeout, options.max_idle_per_backend),
      prune_timer_(io_),
      sweep_timer_(io_),
      log_timer_(io_) {}

Worker::~Worker() {
  Stop();
  listeners_.clear();
  pool_.Clear();
}

void Worker::Start() {
  running_ = true;
  ArmPruneTimer();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::Stop() {
  if (!thread_.joinable()) return;
  guard_.reset();
  io_.stop();
  thread_.join();
  running_ = false;
  access_log_.Flush();  // the loop is stopped: this thread owns the buffer now
}

void Worker::ArmPruneTimer() {
  prune_timer_.expires_after(kPruneInterval);
  prune_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    Prune();
    ArmPruneTimer();
  });
}

void Worker::Prune() {
  const RouteTable* table = Table().get();
  SteadyTime now = clock_->Now();
  pool_.Prune(table, now);  // first: pooled connections to gone backends hold their counters
  if (table == nullptr) return;
  stats_.Retire(
      [table](const BackendKey& key) {
        const ServiceRoute* service = table->FindService(key.service);
        if (service == nullptr) return false;
        for (const VersionRoute& v : service->versions) {
          if (v.version == key.version) return true;
        }
        return false;
      },
      now, options_.stats_retention);
}

void Worker::ArmDeadline(DeadlineList::Entry& entry, tcp::socket& socket, Duration timeout) {
  deadlines_.Link(entry, &socket, std::chrono::steady_clock::now() + timeout);
  if (!sweeping_) {
    sweeping_ = true;
    ArmSweepTimer();
  }
}

void Worker::ArmSweepTimer() {
  sweep_timer_.expires_after(sweep_period_);
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    deadlines_.Expire(std::chrono::steady_clock::now(), [](DeadlineList::Entry& e) {
      boost::system::error_code ignored;
      if (e.socket() != nullptr) e.socket()->cancel(ignored);
    });
    // Idle workers stop ticking; the next ArmDeadline starts again.
    if (deadlines_.empty()) {
      sweeping_ = false;
    } else {
      ArmSweepTimer();
    }
  });
}

// Armed by the first line of a batch only, so a busy worker sets one timer per flush_interval,
// not one per request.
void Worker::ArmLogFlushTimer() {
  log_timer_.expires_after(options_.access_log.flush_interval);
  log_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    access_log_.Flush();
  });
}

const RouteTableSnapshot& Worker::Table() {
  uint64_t g = slot_->generation.load(std::memory_order_acquire);
  if (g != generation_) {
    generation_ = g;
    table_ = slot_->table.load(std::memory_order_acquire);
  }
  return table_;
}

void Worker::Refresh() {
  asio::post(io_, [this] { Prune(); });
}

void Worker::AddListener(const std::string& name, ListenerProtocol protocol, std::string service,
                         std::unique_ptr<tcp::acceptor> acceptor, ConnectionLimit* limit,
                         ConnectionLimit* total) {
  auto l = std::make_shared<Listener>(
      Listener{name, protocol, std::move(service), std::move(acceptor), limit, total});
  asio::post(io_, [this, l] {
    if (draining_) return;  // the acceptor closes with `l`
    listeners_.emplace(l->name, l);
    asio::co_spawn(io_, AcceptLoop(l), asio::detached);
  });
}

void Worker::RemoveListener(const std::string& name) {
  asio::post(io_, [this, name] {
    auto [begin, end] = listeners_.equal_range(name);
    for (auto it = begin; it != end; ++it) {
      boost::system::error_code ec;
      it->second->acceptor->close(ec);
    }
    listeners_.erase(begin, end);
  });
}

void Worker::Drain() {
  asio::post(io_, [this] {
    draining_ = true;
    // Closing an acceptor closes this process's descriptor only: a socket that was handed to
    // a next server stays open there, and connections queued on it are accepted by it.
    for (auto& [name, l] : listeners_) {
      boost::system::error_code ec;
      l->acceptor->close(ec);
    }
    listeners_.clear();
    // The waits end with operation_aborted; each connection then closes unless its client's
    // next request has already arrived, which is served first.
    for (tcp::socket* socket : idle_clients_) {
      boost::system::error_code ec;
      socket->cancel(ec);
    }
  });
}

namespace {

// The answer to an HTTP connection past its cap, sent without waiting (the socket is new, so
// it fits) before the close.
constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
    "Connection: close\r\n\r\n503 too many connections\n";

// Runs `session` holding `slot`: the place is given back when the session's frame goes.
asio::awaitable<void> HoldingSlot(asio::awaitable<void> session,
                                  [[maybe_unused]] ConnectionSlot slot) {
  co_await std::move(session);
}

}  // namespace

asio::awaitable<void> Worker::AcceptLoop(std::shared_ptr<Listener> l) {
  AcceptBackoff backoff;
  asio::steady_timer pause(io_);
  for (;;) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await l->acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!l->acceptor->is_open() || ec == asio::error::operation_aborted) co_return;
      if (ec.category() == boost::system::system_category() && AcceptOutOfResources(ec.value())) {
        stats_.CountAcceptOutOfResources();
        pause.expires_after(std::chrono::milliseconds(backoff.NextDelayMs()));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (!l->acceptor->is_open()) co_return;
      }
      continue;
    }
    backoff.Reset();
    ConnectionSlot slot = ConnectionSlot::Acquire(l->limit, l->total);
    if (!slot.held()) {
      stats_.CountConnectionLimit();
      if (l->protocol == ListenerProtocol::kHttp) {
        ssize_t sent = ::send(socket.native_handle(), kTooManyConnections.data(),
                              kTooManyConnections.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)sent;  // best effort: the connection is refused either way
      }
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // WriteAll (io_util.h) writes at once first
    if (l->protocol == ListenerProtocol::kTcp) {
      asio::co_spawn(
          io_,
          HoldingSlot(TcpSession(*this, std::move(socket), l->name, l->service), std::move(slot)),
          asio::detached);
    } else {
      asio::co_spawn(
          io_,
          HoldingSlot(HttpSession(*this, std::move(socket), l->name, l->service), std::move(slot)),
          asio::detached);
    }
  }
}

void Worker::CollectStats(RouterStats* out) {
  if (!running_) {
    stats_.MergeInto(out);
    return;
  }
  std::promise<void> done;
  asio::post(io_, [&] {
    stats_.MergeInto(out);
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace cairn::router

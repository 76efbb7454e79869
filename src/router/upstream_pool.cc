#include "router/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>
#include <string_view>

namespace cairn::router {

UpstreamConn::UpstreamConn(boost::asio::ip::tcp::socket s, BackendStats* st)
    : socket(std::move(s)), stats(st) {
  ++stats->active_connections;
}

UpstreamConn::~UpstreamConn() { --stats->active_connections; }

namespace {
// True when the peer closed or reset the idle connection (or sent bytes nobody asked for).
bool Stale(boost::asio::ip::tcp::socket& s) {
  char byte;
  ssize_t n = recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}
}  // namespace

std::unique_ptr<UpstreamConn> UpstreamPool::Take(const Backend& backend, SteadyTime now,
                                                 bool retriable) {
  auto it = idle_.find(std::string_view(backend.instance_id));
  if (it == idle_.end()) return nullptr;
  auto& conns = it->second;
  while (!conns.empty()) {
    std::unique_ptr<UpstreamConn> conn = std::move(conns.back());
    conns.pop_back();
    if (conn->port != backend.port || conn->host != backend.host) continue;
    Duration idle = std::chrono::duration_cast<Duration>(now - conn->idle_since);
    if (idle >= idle_timeout_) continue;
    if ((retriable && idle < kFreshIdle) || !Stale(conn->socket)) return conn;
  }
  return nullptr;
}

void UpstreamPool::Put(const Backend& backend, std::unique_ptr<UpstreamConn> conn, SteadyTime now) {
  auto it = idle_.find(std::string_view(backend.instance_id));
  if (it == idle_.end()) it = idle_.emplace(backend.instance_id, decltype(it->second)()).first;
  auto& conns = it->second;
  if (conns.size() >= max_idle_) return;  // closes it
  conn->idle_since = now;
  conns.push_back(std::move(conn));
}

void UpstreamPool::Prune(const RouteTable* table, SteadyTime now) {
  // instance id -> its address in `table`.
  std::unordered_map<std::string_view, const Backend*> live;
  if (table) {
    for (const ServiceRoute& s : table->services) {
      for (const VersionRoute& v : s.versions) {
        for (const Backend& b : v.backends) live.emplace(b.instance_id, &b);
      }
    }
  }
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto found = live.find(std::string_view(it->first));
    if (found == live.end()) {
      it = idle_.erase(it);
      continue;
    }
    const Backend& b = *found->second;
    auto& conns = it->second;
    std::erase_if(conns, [&](const std::unique_ptr<UpstreamConn>& c) {
      return now - c->idle_since >= idle_timeout_ || c->port != b.port || c->host != b.host;
    });
    ++it;
  }
}

size_t UpstreamPool::IdleCount() const {
  size_t n = 0;
  for (const auto& [_, conns] : idle_) n += conns.size();
  return n;
}

}  // namespace cairn::router

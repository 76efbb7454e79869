#include "router/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>
#include <unordered_set>

namespace cairn::router {

UpstreamConn::UpstreamConn(boost::asio::ip::tcp::socket s, BackendStats* st)
    : socket(std::move(s)), stats(st) {
  ++stats->active_connections;
}

UpstreamConn::~UpstreamConn() { --stats->active_connections; }

std::string UpstreamPool::KeyOf(const Backend& backend) {
  return backend.instance_id + '@' + backend.host + ':' + std::to_string(backend.port);
}

namespace {
// True when the peer closed or reset the idle connection (or sent bytes nobody asked for).
bool Stale(boost::asio::ip::tcp::socket& s) {
  char byte;
  ssize_t n = recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}
}  // namespace

std::unique_ptr<UpstreamConn> UpstreamPool::Take(const std::string& key, SteadyTime now) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& conns = it->second;
  while (!conns.empty()) {
    std::unique_ptr<UpstreamConn> conn = std::move(conns.back());
    conns.pop_back();
    if (now - conn->idle_since < idle_timeout_ && !Stale(conn->socket)) return conn;
  }
  return nullptr;
}

void UpstreamPool::Put(const std::string& key, std::unique_ptr<UpstreamConn> conn, SteadyTime now) {
  auto& conns = idle_[key];
  if (conns.size() >= max_idle_) return;  // closes it
  conn->idle_since = now;
  conns.push_back(std::move(conn));
}

void UpstreamPool::Prune(const RouteTable* table, SteadyTime now) {
  std::unordered_set<std::string> live;
  if (table) {
    for (const ServiceRoute& s : table->services) {
      for (const VersionRoute& v : s.versions) {
        for (const Backend& b : v.backends) live.insert(KeyOf(b));
      }
    }
  }
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (!live.count(it->first)) {
      it = idle_.erase(it);
      continue;
    }
    auto& conns = it->second;
    std::erase_if(conns, [&](const std::unique_ptr<UpstreamConn>& c) {
      return now - c->idle_since >= idle_timeout_;
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

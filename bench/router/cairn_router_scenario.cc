// cairn_router_scenario: the router standalone, its route table driven by commands on stdin, for
// the use-case runs under load (bench/router/usecases). It does what cairn's controller does to
// the router during a rollout (publish new weights, switch versions, drop an instance from the
// table) at the moment the script chooses, while wrk keeps the router loaded, and reads back the
// router's own per-version and per-instance counters.
//
//   cairn_router_scenario --backend VERSION/INSTANCE=HOST:PORT... [--workers N]
//                         [--listen HOST:PORT]
//
// One HTTP service with the versions named by --backend, oldest first in the order given.
// Nothing listens until the first publish. Commands, one a line; each is answered by one line,
// "ok ..." or "error <why>":
//   publish v1=9000 v2=1000  weights in basis points (unnamed versions get 0; sum 10000);
//                            answers "ok generation=N port=P" and the counters (as stats) taken
//                            just before the swap, so a script can split the counts at the swap
//                            without the lag of a separate stats command
//   remove b1 [b2...]        publishes the current weights without these instances (a drain)
//   stats                    "ok generation=N key=value ..." counters since start, summed over
//                            the workers:
//                            VERSION.requests/.2xx/.non2xx, INSTANCE.requests/.non2xx/.active/
//                            .ejections/.retries, violation.NAME, clients.active
//   wait-idle b1 MS          until the router holds no upstream connection to b1 (what the
//                            controller waits for before stopping a drained instance)
//   wait-ejected b1 MS [N]   until b1's ejections reach N + the worker count (every worker
//                            ejected it once more); N defaults to the count when the command
//                            arrives, but a script about to kill b1 should pass the count it
//                            read before, so an ejection that beats this command still counts.
//                            Answers the milliseconds from the command's arrival
//   quit                     (also end of input)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "router/router.h"

namespace {

using namespace cairn::router;

constexpr char kService[] = "bench";
constexpr char kListener[] = "bench/http";

// Port 0 (any free port) only where `allow_zero`: a backend needs a real one.
bool SplitHostPort(const std::string& text, std::string* host, int* port, bool allow_zero = false) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  *host = text.substr(0, colon);
  *port = std::atoi(text.c_str() + colon + 1);
  return !host->empty() && (*port > 0 || (allow_zero && *port == 0)) && *port < 65536;
}

// The declared backends and the weights and removals published so far; builds each table.
class Scenario {
 public:
  // "v1/b1=127.0.0.1:9001"; false when malformed or the instance id repeats.
  bool Declare(const std::string& spec) {
    size_t slash = spec.find('/'), eq = spec.find('=');
    if (slash == std::string::npos || eq == std::string::npos || slash == 0 || eq < slash + 2) {
      return false;
    }
    std::string version = spec.substr(0, slash);
    Backend b;
    b.instance_id = spec.substr(slash + 1, eq - slash - 1);
    if (!SplitHostPort(spec.substr(eq + 1), &b.host, &b.port) || Find(b.instance_id)) return false;
    if (!weights_.count(version)) versions_.push_back(version);
    weights_[version] = versions_.size() == 1 ? 10000 : 0;
    backends_.push_back({version, b});
    return true;
  }

  const Backend* Find(const std::string& instance) const {
    for (const Declared& d : backends_) {
      if (d.backend.instance_id == instance) return &d.backend;
    }
    return nullptr;
  }

  // "v1=9000 v2=1000"; empty on success, else why not.
  std::string SetWeights(std::istringstream& args) {
    std::map<std::string, uint32_t> weights;
    for (const std::string& v : versions_) weights[v] = 0;
    uint32_t sum = 0;
    std::string item;
    while (args >> item) {
      size_t eq = item.find('=');
      std::string version = item.substr(0, eq);
      if (eq == std::string::npos || !weights.count(version)) return "bad weight " + item;
      weights[version] = static_cast<uint32_t>(std::strtoul(item.c_str() + eq + 1, nullptr, 10));
      sum += weights[version];
    }
    if (sum != 10000) return "weights sum to " + std::to_string(sum) + ", not 10000";
    weights_ = weights;
    return "";
  }

  void Remove(const std::string& instance) { removed_.insert(instance); }

  RouteTableSnapshot Build(const ListenerRoute& listener) {
    auto table = std::make_shared<RouteTable>();
    table->generation = ++generation_;
    table->listeners.push_back(listener);
    ServiceRoute service;
    service.service = kService;
    for (const std::string& v : versions_) {
      VersionRoute version;
      version.version = v;
      version.weight_bp = weights_[v];
      for (const Declared& d : backends_) {
        if (d.version == v && !removed_.count(d.backend.instance_id)) {
          version.backends.push_back(d.backend);
        }
      }
      service.versions.push_back(version);
    }
    table->services.push_back(service);
    return table;
  }

  uint64_t generation() const { return generation_; }
  const std::vector<std::string>& versions() const { return versions_; }
  std::vector<std::string> instances() const {
    std::vector<std::string> out;
    for (const Declared& d : backends_) out.push_back(d.backend.instance_id);
    return out;
  }

 private:
  struct Declared {
    std::string version;
    Backend backend;
  };
  std::vector<std::string> versions_;
  std::vector<Declared> backends_;
  std::map<std::string, uint32_t> weights_;
  std::set<std::string> removed_;
  uint64_t generation_ = 0;
};

// One instance's counters summed over its versions (an instance belongs to one).
BackendStats ForInstance(const RouterStats& stats, const std::string& instance) {
  BackendStats sum;
  for (const auto& [key, s] : stats.backends) {
    if (key.instance == instance) sum.Merge(s);
  }
  return sum;
}

// " key=value ..." for every counter the scripts read.
std::string Counters(const Router& router, const Scenario& scenario) {
  RouterStats stats = router.Stats();
  std::string out;
  auto add = [&out](const std::string& key, uint64_t value) {
    out += " " + key + "=" + std::to_string(value);
  };
  for (const std::string& v : scenario.versions()) {
    BackendStats s = stats.ForVersion(kService, v);
    add(v + ".requests", s.TotalRequests());
    add(v + ".2xx", s.Requests(StatusClass::k2xx));
    add(v + ".non2xx", s.TotalRequests() - s.Requests(StatusClass::k2xx));
  }
  for (const std::string& id : scenario.instances()) {
    BackendStats s = ForInstance(stats, id);
    add(id + ".requests", s.TotalRequests());
    add(id + ".non2xx", s.TotalRequests() - s.Requests(StatusClass::k2xx));
    add(id + ".active", static_cast<uint64_t>(std::max<int64_t>(s.active_connections, 0)));
    add(id + ".ejections", s.ejections);
    add(id + ".retries", s.retries);
  }
  for (const auto& [name, count] : stats.violations) {
    if (count) add("violation." + name, count);
  }
  add("clients.active",
      static_cast<uint64_t>(std::max<int64_t>(stats.active_client_connections, 0)));
  return out;
}

// Polls the router's counters (a round trip to each worker, cheap) until `done` holds or
// `timeout_ms` passes; answers the elapsed milliseconds, or -1 on timeout.
template <typename Done>
long long PollUntil(const Router& router, long long timeout_ms, Done done) {
  auto start = std::chrono::steady_clock::now();
  for (;;) {
    RouterStats stats = router.Stats();  // a round trip to every worker: time it too
    long long elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    if (done(stats)) return elapsed;
    if (elapsed >= timeout_ms) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

int Usage() {
  std::fprintf(stderr,
               "usage: cairn_router_scenario --backend VERSION/INSTANCE=HOST:PORT... "
               "[--workers N] [--listen HOST:PORT]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Scenario scenario;
  ListenerRoute listener;
  listener.name = kListener;
  listener.service = kService;
  RouterOptions options;
  options.workers = 2;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage();
    if (arg == "--backend") {
      if (!scenario.Declare(argv[++i])) return Usage();
    } else if (arg == "--workers") {
      options.workers = std::atoi(argv[++i]);
    } else if (arg == "--listen") {
      if (!SplitHostPort(argv[++i], &listener.host, &listener.port, /*allow_zero=*/true)) {
        return Usage();
      }
    } else {
      return Usage();
    }
  }
  if (scenario.versions().empty()) return Usage();

  Router router(options, cairn::SystemClock::Get());
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string command, arg;
    in >> command;
    std::string answer;
    if (command == "publish" || command == "remove") {
      std::string problem;
      if (command == "publish") {
        problem = scenario.SetWeights(in);
      } else {
        // Every instance named leaves in the one publish (a whole version drained at once).
        std::vector<std::string> ids;
        while (in >> arg) ids.push_back(arg);
        if (ids.empty()) problem = "usage: remove INSTANCE...";
        for (const std::string& id : ids) {
          if (!scenario.Find(id)) problem = "unknown instance " + id;
        }
        if (problem.empty()) {
          for (const std::string& id : ids) scenario.Remove(id);
        }
      }
      std::string before;
      cairn::Status st;
      if (problem.empty()) {
        before = Counters(router, scenario);
        st = router.Publish(scenario.Build(listener));
      }
      if (!problem.empty()) {
        answer = "error " + problem;
      } else if (!st.ok()) {
        answer = "error " + st.error().ToString();
      } else {
        answer = "ok generation=" + std::to_string(scenario.generation()) +
                 " port=" + std::to_string(router.ListenerPort(kListener)) + before;
      }
    } else if (command == "stats") {
      answer =
          "ok generation=" + std::to_string(scenario.generation()) + Counters(router, scenario);
    } else if (command == "wait-idle" || command == "wait-ejected") {
      long long timeout_ms = 0;
      if (!(in >> arg >> timeout_ms) || !scenario.Find(arg)) {
        answer = "error usage: " + command + " INSTANCE MS";
      } else if (command == "wait-idle") {
        long long ms = PollUntil(router, timeout_ms, [&](const RouterStats& s) {
          return ForInstance(s, arg).active_connections <= 0;
        });
        answer = ms < 0 ? "error still connected" : "ok ms=" + std::to_string(ms);
      } else {
        uint64_t before = 0;
        if (!(in >> before)) before = ForInstance(router.Stats(), arg).ejections;
        uint64_t target = before + static_cast<uint64_t>(router.worker_count());
        long long ms = PollUntil(router, timeout_ms, [&](const RouterStats& s) {
          return ForInstance(s, arg).ejections >= target;
        });
        answer = ms < 0 ? "error not ejected by every worker" : "ok ms=" + std::to_string(ms);
      }
    } else if (command == "quit") {
      break;
    } else if (!command.empty()) {
      answer = "error unknown command " + command;
    }
    if (!answer.empty()) {
      std::printf("%s\n", answer.c_str());
      std::fflush(stdout);
    }
  }
  router.Stop();
  return 0;
}

// The server configuration file (`cairn server --config FILE`, `cairn up --config FILE`):
// how this server runs, as opposed to the environment file, which says what it runs.
//
//   alerts:
//     receivers:
//       - name: pager                      # required, unique
//         url: http://127.0.0.1:9093/hook  # required, http:// only
//         format: alertmanager             # or json; default alertmanager
//         send_resolved: true              # default true
//   connections:
//     api: 512              # API connections at once; past it 503 (core/descriptors.h)
//     per_listener: 10000   # client connections on one service port; 0: half the router's
//                           # share of the descriptors
//
// Every problem is reported, each as "FILE:LINE:COL: field.path: what is wrong".
#pragma once

#include <string>
#include <vector>

#include "core/descriptors.h"
#include "core/result.h"
#include "telemetry/alert_notifier.h"

namespace cairn::cli {

struct ServerConfig {
  std::vector<telemetry::AlertReceiverConfig> alert_receivers;
  DescriptorOptions connections;
};

// `file` names the text in error messages.
Result<ServerConfig> ParseServerConfig(const std::string& text, const std::string& file);
Result<ServerConfig> LoadServerConfig(const std::string& path);

// `--alert-webhook URL`: a receiver in Alertmanager format named "webhook-N" (N from 1).
Result<telemetry::AlertReceiverConfig> ReceiverFromFlag(const std::string& url, int n);

}  // namespace cairn::cli

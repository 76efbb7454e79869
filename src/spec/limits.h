// The bounds an environment file must stay within, in one place: what execve accepts (checked
// when the file is applied, with file:line:col, instead of failing every start of an instance
// with "Argument list too long") and sizes and counts no real environment reaches but that stop
// a file from costing the server memory, disk and bandwidth in every revision it keeps.
// docs/environment-file.md lists them for users; change both together.
#pragma once

#include <cstddef>

namespace cairn::spec {

// The environment file itself, checked before YAML reads it. The largest real files are a
// few hundred KiB (many services, long queries); 4 MiB also stays inside the API's 8 MiB body
// once JSON-escaped.
inline constexpr size_t kMaxFileBytes = 4 << 20;

// yaml-cpp's own bound (DepthGuard in 0.7) on mappings and lists nested inside each other; a
// real environment file nests about 8 deep. Named here so the message can say it.
inline constexpr int kMaxYamlDepth = 500;

// Services in one environment.
inline constexpr int kMaxServices = 1000;
// Replicas of one service (a scale past this is a different system: many hosts).
inline constexpr int kMaxReplicas = 1000;
// Listen ports of one service.
inline constexpr int kMaxPorts = 64;
// Variables under one service's `env:`.
inline constexpr int kMaxEnvEntries = 1000;
// Bytes of a variable's name.
inline constexpr size_t kMaxEnvNameBytes = 256;
// Items of `args:` (the command's arguments).
inline constexpr int kMaxArgs = 4096;
// Items of a health check's exec `command:`.
inline constexpr int kMaxHealthCommandArgs = 256;
// Steps of a canary.
inline constexpr int kMaxCanarySteps = 100;
// Prometheus checks of one analysis.
inline constexpr int kMaxPrometheusChecks = 32;
// Bytes of a PromQL query.
inline constexpr size_t kMaxQueryBytes = 16 << 10;
// Bytes of any other single-line string: command, workdir, image, health path, addresses,
// cohort names. 4096 is PATH_MAX, the longest path the kernel takes.
inline constexpr size_t kMaxStringBytes = 4096;

// What execve accepts (Linux). One argument or one "KEY=value" string is at most
// MAX_ARG_STRLEN bytes including its NUL (32 pages of 4 KiB), whatever the stack limit.
inline constexpr size_t kMaxArgStringBytes = 32 * 4096 - 1;
// The whole argv and environment, counted as execve counts them (each string with its NUL, and
// one 8-byte pointer per string), must fit in ARG_MAX: a quarter of the stack limit, 2 MiB under
// the usual 8 MiB. The file may use half of that; the other half is left for what cairn adds
// at start (CAIRN_INSTANCE, CAIRN_SERVICE, CAIRN_REVISION, CAIRN_DATA_DIR, PORT, and PATH, HOME
// and LANG from the server's own environment) and, for image services, the image's Env, which
// is only known when the instance starts.
inline constexpr size_t kMaxExecBytes = 1 << 20;
// Bytes execve counts for one string of argv or the environment.
inline constexpr size_t kExecPointerBytes = 8;

}  // namespace cairn::spec

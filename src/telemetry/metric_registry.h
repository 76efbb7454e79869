// MetricRegistry: one scrape's worth of metric families. cairn's numbers already live where
// they are measured (the router's per-worker counters, the controller's plain structs), so
// nothing here is a live, shared counter: at scrape time each owner adds what it has to a fresh
// registry on its own thread, and prometheus_text.h writes the registry out. No locks, no
// atomics, and a scrape costs what it reads.
//
// Threading: a registry belongs to the one thread filling or writing it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "telemetry/metric_histogram.h"

namespace cairn::telemetry {

enum class MetricType { kCounter, kGauge, kHistogram };
const char* MetricTypeName(MetricType type);  // "counter", "gauge", "histogram"

struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

// One series: its labels and a value, or a histogram for a histogram family.
struct Sample {
  Labels labels;
  double value = 0;
  std::optional<Histogram> histogram;
};

struct MetricFamily {
  // The series name: counters end in _total (Prometheus's naming), which callers write out;
  // a histogram's _bucket, _sum and _count series are the writer's.
  std::string name;
  std::string help;
  MetricType type = MetricType::kGauge;
  std::vector<Sample> samples;
};

// [a-zA-Z_:][a-zA-Z0-9_:]* (the exposition format's metric names).
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself), not "le"
// (a histogram's bucket label).
bool IsValidLabelName(std::string_view name);

class MetricRegistry {
 public:
  // Declares a family (or returns the one already declared under `name`). A family with no
  // samples is still written (HELP and TYPE lines): a dashboard sees it exists.
  // REQUIRES: a valid name, and the same type as any earlier declaration (assert).
  MetricFamily& Family(const std::string& name, std::string help, MetricType type);

  // Adds a sample to a declared counter or gauge family. REQUIRES: declared, valid label names.
  void Add(const std::string& family, Labels labels, double value);
  // Adds a histogram sample to a declared histogram family.
  void AddHistogram(const std::string& family, Labels labels, Histogram histogram);

  // In the order declared.
  const std::vector<MetricFamily>& families() const { return families_; }
  const MetricFamily* Find(const std::string& name) const;

 private:
  MetricFamily& At(const std::string& name, MetricType type);
  std::vector<MetricFamily> families_;
  std::map<std::string, size_t> index_;
};

}  // namespace cairn::telemetry

#include "telemetry/metric_registry.h"

#include <cassert>

namespace cairn::telemetry {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

[[maybe_unused]] bool LabelsValid(const Labels& labels) {
  for (const Label& l : labels) {
    if (!IsValidLabelName(l.name)) return false;
  }
  return true;
}

}  // namespace

const char* MetricTypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__") || name == "le") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

MetricFamily& MetricRegistry::Family(const std::string& name, std::string help, MetricType type) {
  assert(IsValidMetricName(name));
  auto it = index_.find(name);
  if (it != index_.end()) {
    assert(families_[it->second].type == type);
    return families_[it->second];
  }
  index_[name] = families_.size();
  families_.push_back(MetricFamily{name, std::move(help), type, {}});
  return families_.back();
}

MetricFamily& MetricRegistry::At(const std::string& name, [[maybe_unused]] MetricType type) {
  auto it = index_.find(name);
  assert(it != index_.end());
  MetricFamily& f = families_[it->second];
  assert((type == MetricType::kHistogram) == (f.type == MetricType::kHistogram));
  return f;
}

void MetricRegistry::Add(const std::string& family, Labels labels, double value) {
  assert(LabelsValid(labels));
  At(family, MetricType::kGauge).samples.push_back(Sample{std::move(labels), value, {}});
}

void MetricRegistry::AddHistogram(const std::string& family, Labels labels, Histogram histogram) {
  assert(LabelsValid(labels));
  At(family, MetricType::kHistogram)
      .samples.push_back(Sample{std::move(labels), 0, std::move(histogram)});
}

const MetricFamily* MetricRegistry::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &families_[it->second];
}

}  // namespace cairn::telemetry

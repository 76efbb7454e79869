#include "telemetry/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace cairn::telemetry {
namespace {

// {a="x",b="y"} plus, for a bucket, le="B"; nothing when there is no label at all.
void AppendLabels(std::string* out, const Labels& labels, const std::string* le) {
  if (labels.empty() && !le) return;
  out->push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(l.name).append("=\"").append(EscapeLabelValue(l.value)).push_back('"');
  }
  if (le) {
    if (!first) out->push_back(',');
    out->append("le=\"").append(*le).push_back('"');
  }
  out->push_back('}');
}

void AppendLine(std::string* out, const std::string& name, const char* suffix, const Labels& labels,
                const std::string* le, const std::string& value) {
  out->append(name).append(suffix);
  AppendLabels(out, labels, le);
  out->push_back(' ');
  out->append(value).push_back('\n');
}

void AppendHistogram(std::string* out, const std::string& name, const Sample& s) {
  const Histogram& h = *s.histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    std::string le = FormatValue(h.bounds()[i]);
    AppendLine(out, name, "_bucket", s.labels, &le, std::to_string(cumulative));
  }
  cumulative += h.counts().back();
  std::string inf = "+Inf";
  AppendLine(out, name, "_bucket", s.labels, &inf, std::to_string(cumulative));
  AppendLine(out, name, "_sum", s.labels, nullptr, FormatValue(h.sum()));
  AppendLine(out, name, "_count", s.labels, nullptr, std::to_string(cumulative));
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '"') {
      out.append("\\\"");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::trunc(value) && std::fabs(value) <= 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(value));
  }
  // The shortest digits that read back exactly, written as %g would (fixed from 1e-4 up, an
  // exponent below): what Go's strconv, and so Prometheus's own clients, write, so the same
  // bound reads the same in every exporter ("0.0001", never "1e-04").
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::general);
  (void)ec;  // 64 bytes hold any double's shortest form
  return std::string(buf, end);
}

std::string WritePrometheusText(const MetricRegistry& registry) {
  std::string out;
  for (const MetricFamily& f : registry.families()) {
    out.append("# HELP ").append(f.name).push_back(' ');
    out.append(EscapeHelp(f.help)).push_back('\n');
    out.append("# TYPE ").append(f.name).push_back(' ');
    out.append(MetricTypeName(f.type)).push_back('\n');
    for (const Sample& s : f.samples) {
      if (f.type == MetricType::kHistogram) {
        if (s.histogram) AppendHistogram(&out, f.name, s);
        continue;
      }
      AppendLine(&out, f.name, "", s.labels, nullptr, FormatValue(s.value));
    }
  }
  return out;
}

}  // namespace cairn::telemetry

// Plans for people (terraform/nomad style text) and for programs (JSON).
#include <string>

#include "core/terminal_text.h"
#include "plan/plan.h"

namespace cairn::plan {
namespace {

using nlohmann::json;

constexpr const char* kGreen = "\x1b[32m";
constexpr const char* kYellow = "\x1b[33m";
constexpr const char* kRed = "\x1b[31m";
constexpr const char* kReset = "\x1b[0m";

std::string Paint(const std::string& text, const char* colour, bool color) {
  return color ? colour + text + kReset : text;
}

// Characters of a value a text plan shows: a 100 KiB env value would bury every other line of
// the plan (`-o json` holds it whole).
constexpr size_t kPlanValueChars = 160;

// JSON text of a value, cut after kPlanValueChars characters with its full size; bytes that are
// not UTF-8 become U+FFFD rather than throwing. JSON escapes C0 controls but not DEL, C1
// controls or bidirectional overrides: those are escaped for the terminal too.
std::string ValueText(const json& value) {
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  size_t cut = 0, chars = 0;
  while (cut < text.size() && chars < kPlanValueChars) {
    ++cut;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) ++cut;
    ++chars;
  }
  if (cut == text.size()) return EscapeForTerminal(text);
  return EscapeForTerminal(text.substr(0, cut)) + "… (" + std::to_string(text.size()) + " bytes)";
}

std::string FieldLine(const FieldChange& change, const std::string& indent, bool color) {
  if (change.old_value && change.new_value) {
    return indent + Paint("~", kYellow, color) + " " + change.path + ": " +
           ValueText(*change.old_value) + " -> " + ValueText(*change.new_value) + "\n";
  }
  if (change.new_value) {
    return indent + Paint("+", kGreen, color) + " " + change.path + ": " +
           ValueText(*change.new_value) + "\n";
  }
  std::string old_text = change.old_value ? ValueText(*change.old_value) : "null";
  return indent + Paint("-", kRed, color) + " " + change.path + ": " + old_text + "\n";
}

std::string FieldLines(const std::vector<FieldChange>& changes, const std::string& indent,
                       bool color) {
  std::string out;
  for (const FieldChange& change : changes) out += FieldLine(change, indent, color);
  return out;
}

std::string Replicas(int n) { return std::to_string(n) + (n == 1 ? " replica" : " replicas"); }

struct Counts {
  int create = 0;
  int replace = 0;
  int update = 0;
  int scale = 0;
  int destroy = 0;
};

Counts CountChanges(const Plan& plan) {
  Counts counts;
  for (const ServiceChange& change : plan.services) {
    switch (change.kind) {
      case ChangeKind::kCreate:
        ++counts.create;
        break;
      case ChangeKind::kReplace:
        ++counts.replace;
        break;
      case ChangeKind::kUpdate:
        ++counts.update;
        break;
      case ChangeKind::kScale:
        ++counts.scale;
        break;
      case ChangeKind::kDestroy:
        ++counts.destroy;
        break;
      case ChangeKind::kNoChange:
        break;
    }
  }
  return counts;
}

std::string ServiceLines(const ServiceChange& change, bool color) {
  switch (change.kind) {
    case ChangeKind::kCreate:
      return "  " + Paint("+ create", kGreen, color) + "  " + change.service + " (" +
             Replicas(change.new_replicas) + ")\n";
    case ChangeKind::kReplace:
      return "  " + Paint("-/+ replace", kYellow, color) + "  " + change.service + " (" +
             Replicas(change.new_replicas) + ")\n" + FieldLines(change.fields, "      ", color);
    case ChangeKind::kUpdate:
      return "  " + Paint("~ update", kYellow, color) + "  " + change.service + " (" +
             Replicas(change.new_replicas) + ", no instance replaced)\n" +
             FieldLines(change.fields, "      ", color);
    case ChangeKind::kScale:
      return "  " + Paint("~ scale", kYellow, color) + "  " + change.service + " " +
             std::to_string(change.old_replicas) + " -> " + std::to_string(change.new_replicas) +
             "\n";
    case ChangeKind::kDestroy:
      return "  " + Paint("- destroy", kRed, color) + "  " + change.service + " (" +
             Replicas(change.old_replicas) + ")\n";
    case ChangeKind::kNoChange:
      break;
  }
  return "";
}

}  // namespace

std::string RenderFieldChanges(const std::vector<FieldChange>& changes, bool color) {
  return FieldLines(changes, "  ", color);
}

std::string RenderPlanText(const Plan& plan, bool color) {
  if (!plan.HasChanges()) return "No changes. The environment matches the proposed spec.\n";
  std::string out = "cairn will perform the following actions:\n\n";
  // Grouped by action in the summary's order, by name within a group (plan order), so every
  // destroy sits together at the end where an operator looks for it.
  for (ChangeKind kind : {ChangeKind::kCreate, ChangeKind::kReplace, ChangeKind::kUpdate,
                          ChangeKind::kScale, ChangeKind::kDestroy}) {
    for (const ServiceChange& change : plan.services) {
      if (change.kind == kind) out += ServiceLines(change, color);
    }
  }
  Counts counts = CountChanges(plan);
  out += "\nPlan: " + std::to_string(counts.create) + " to create, " +
         std::to_string(counts.replace) + " to replace, " + std::to_string(counts.update) +
         " to update, " + std::to_string(counts.scale) + " to scale, " +
         std::to_string(counts.destroy) + " to destroy.\n";
  return out;
}

json PlanToJson(const Plan& plan) {
  Counts counts = CountChanges(plan);
  json services = json::array();
  for (const ServiceChange& change : plan.services) {
    json fields = json::array();
    for (const FieldChange& field : change.fields) {
      // A side where the field did not exist has no "old" / "new" key (JSON null is a value).
      json entry = {{"path", field.path}};
      if (field.old_value) entry["old"] = *field.old_value;
      if (field.new_value) entry["new"] = *field.new_value;
      fields.push_back(std::move(entry));
    }
    services.push_back({{"service", change.service},
                        {"action", ChangeKindName(change.kind)},
                        {"old_replicas", change.old_replicas},
                        {"new_replicas", change.new_replicas},
                        {"fields", std::move(fields)}});
  }
  return {{"environment", plan.new_environment},
          {"old_environment", plan.old_environment},
          {"has_changes", plan.HasChanges()},
          {"changes",
           {{"create", counts.create},
            {"replace", counts.replace},
            {"update", counts.update},
            {"scale", counts.scale},
            {"destroy", counts.destroy}}},
          {"services", std::move(services)}};
}

}  // namespace cairn::plan

#include "api/json_views.h"

#include "api/rollout_view.h"

namespace cairn::api {

using nlohmann::json;

json RevisionToJson(const state::Revision& rev, bool with_spec) {
  json j = {{"number", rev.number},
            {"hash", rev.hash},
            {"parent_hash", rev.parent_hash},
            {"author", rev.author},
            {"message", rev.message},
            {"created_at", FormatWallTime(rev.created_at)},
            {"spec_hash", rev.spec_hash},
            {"rollback_of", rev.rollback_of ? json(*rev.rollback_of) : json(nullptr)}};
  if (with_spec) j["spec"] = json::parse(rev.spec_json, nullptr, false);
  return j;
}

json StatusToJson(const control::StatusInfo& status) {
  json services = json::array();
  for (const auto& s : status.services) {
    json instances = json::array();
    for (const auto& i : s.instances) {
      instances.push_back({{"id", i.id},
                           {"revision", i.revision},
                           {"template_hash", i.template_hash},
                           {"pid", i.pid},
                           {"port", i.port},
                           {"state", control::InstancePhaseName(i.phase)},
                           {"health", i.health_detail},
                           {"restarts", i.restarts},
                           {"crash_looping", i.crash_looping},
                           {"started_at", FormatWallTime(i.started_at)},
                           {"log_path", i.log_path}});
    }
    services.push_back(
        {{"name", s.name},
         {"replicas", s.replicas},
         {"healthy", s.healthy},
         {"revision", s.revision},
         {"template_hash", s.template_hash},
         {"rollout", control::RolloutStateName(s.rollout)},
         {"rollout_reason", s.rollout_reason},
         {"instances", instances},
         {"drift_replaced", s.drift_replaced},
         {"start_failure", s.start_failure ? json{{"error", s.start_failure->error},
                                                  {"failures", s.start_failure->failures},
                                                  {"since", FormatWallTime(s.start_failure->since)},
                                                  {"next_try_in_seconds",
                                                   s.start_failure->next_try_in.count() / 1000.0}}
                                           : json(nullptr)},
         {"progressive", s.progressive ? RolloutToJson(*s.progressive) : json(nullptr)}});
  }
  return {{"environment", status.environment},
          {"head", status.head ? RevisionToJson(*status.head, false) : json(nullptr)},
          {"services", services}};
}

json AuditToJson(const state::AuditRecord& r) {
  return {{"id", r.id},         {"at", FormatWallTime(r.at)}, {"actor", r.actor},
          {"action", r.action}, {"target", r.target},         {"result", r.result}};
}

json ErrorToJson(const Error& error) {
  return {{"error",
           {{"code", ErrorCodeName(error.code)},
            {"message", error.message},
            {"context", error.context}}}};
}

json TrafficToJson(const router::RouterStats& stats) {
  json backends = json::array();
  for (const auto& [key, b] : stats.backends) {
    json requests = json::object();
    for (int c = 0; c < static_cast<int>(router::StatusClass::kCount); ++c) {
      auto cls = static_cast<router::StatusClass>(c);
      requests[router::StatusClassName(cls)] = b.Requests(cls);
    }
    auto ms = [&](double q) { return b.latency.Quantile(q).count() / 1000.0; };
    backends.push_back({{"service", key.service},
                        {"version", key.version},
                        {"instance", key.instance},
                        {"requests", requests},
                        {"total", b.TotalRequests()},
                        {"latency_ms", {{"p50", ms(0.5)}, {"p90", ms(0.9)}, {"p99", ms(0.99)}}},
                        {"bytes_in", b.bytes_in},
                        {"bytes_out", b.bytes_out},
                        {"active_connections", b.active_connections},
                        {"ejections", b.ejections},
                        {"retries", b.retries}});
  }
  return {{"connections_accepted", stats.connections_accepted},
          {"active_client_connections", stats.active_client_connections},
          {"violations", stats.violations},
          {"backends", backends}};
}

json PlanResponse(const plan::Plan& plan) {
  return {{"plan", plan::PlanToJson(plan)},
          {"changes", plan.HasChanges()},
          {"text", plan::RenderPlanText(plan, false)},
          {"text_color", plan::RenderPlanText(plan, true)}};
}

}  // namespace cairn::api

#include "state/revision.h"

#include "core/sha256.h"

namespace cairn::state {
namespace {

void AppendField(std::string* out, const char* name, const std::string& value) {
  out->append(name);
  out->append(" ");
  out->append(std::to_string(value.size()));
  out->append(":");
  out->append(value);
  out->append("\n");
}

}  // namespace

std::string RevisionHashInput(const Revision& rev) {
  std::string out = "cairn-revision-v1\n";
  AppendField(&out, "number", std::to_string(rev.number));
  AppendField(&out, "parent_hash", rev.parent_hash);
  AppendField(&out, "author", rev.author);
  AppendField(&out, "message", rev.message);
  AppendField(&out, "created_at_ms", std::to_string(ToUnixMillis(rev.created_at)));
  AppendField(&out, "spec_hash", rev.spec_hash);
  AppendField(&out, "spec_json", rev.spec_json);
  if (rev.rollback_of) {
    AppendField(&out, "rollback_of", std::to_string(*rev.rollback_of));
  } else {
    out.append("rollback_of -\n");
  }
  return out;
}

std::string ComputeRevisionHash(const Revision& rev) { return Sha256Hex(RevisionHashInput(rev)); }

}  // namespace cairn::state

#include "plan/plan.h"

namespace cairn::plan {

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kCreate:
      return "create";
    case ChangeKind::kReplace:
      return "replace";
    case ChangeKind::kUpdate:
      return "update";
    case ChangeKind::kDestroy:
      return "destroy";
    case ChangeKind::kScale:
      return "scale";
    case ChangeKind::kNoChange:
      return "no_change";
  }
  return "no_change";
}

}  // namespace cairn::plan

// Image references as a person types them: "web:1.4.2", "web" (= "web:latest"),
// "web@sha256:<hex>", "team/web:1.0", "registry.local:5000/web:2", or a bare "sha256:<hex>".
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace cairn::image {

struct Reference {
  std::string name;    // repository name; empty for a bare digest
  std::string tag;     // "latest" when neither tag nor digest was given; may be empty
  std::string digest;  // "sha256:<hex>" when pinned by digest; empty otherwise

  bool has_digest() const { return !digest.empty(); }
  // "name:tag": the org.opencontainers.image.ref.name a tag is stored under.
  // REQUIRES: !name.empty() && !tag.empty()
  std::string TagName() const { return name + ":" + tag; }
  // The canonical text form: "name:tag", "name@digest", "name:tag@digest" or "digest".
  std::string ToString() const;
};

// kInvalidArgument with the offending text as context and a message saying which part is wrong.
Result<Reference> ParseReference(std::string_view text);

// A reference that names a tag (not a digest), for tag and untag: "name[:tag]".
Result<Reference> ParseTagReference(std::string_view text);

}  // namespace cairn::image

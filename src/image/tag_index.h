// The tag half of the layout: index.json, whose manifest descriptors carry
// org.opencontainers.image.ref.name = "name:tag" (one descriptor per tag, so one tag names one
// manifest at a time), and cairn/tag-history.json, the order in which each tag moved.
//
// REQUIRES for every mutating function: the caller holds the store's lock exclusively; the files
// are replaced atomically (temp + rename) so lock-free readers see a whole old or new version.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "image/oci_types.h"

namespace cairn::image {

// index.json of `root`; an empty index when the file does not exist yet.
Result<Index> LoadIndex(const std::string& root);
Status SaveIndex(const std::string& root, const Index& index);

// The descriptor tagged `tag_name` ("name:tag"), if any.
std::optional<Descriptor> FindTag(const Index& index, const std::string& tag_name);
// Points `tag_name` at `manifest` (replacing any previous descriptor for that tag) and keeps the
// index sorted by tag so index.json is stable. Returns the digest it pointed at before, if any.
std::optional<std::string> SetTag(Index& index, const std::string& tag_name, Descriptor manifest);
// Removes the tag; returns the digest it pointed at, or nullopt when there was no such tag.
std::optional<std::string> RemoveTag(Index& index, const std::string& tag_name);

struct TagEvent {
  std::string digest;  // what the tag pointed at from `at` on; empty when the tag was removed
  std::string at;      // RFC 3339 UTC wall time
};

// History of every tag, oldest event first. Missing file = no history.
Result<std::vector<TagEvent>> LoadTagHistory(const std::string& history_path,
                                             const std::string& tag_name);
// Appends one event, keeping at most `max_events` per tag (the oldest are dropped).
Status AppendTagHistory(const std::string& history_path, const std::string& tag_name,
                        const TagEvent& event, size_t max_events);

}  // namespace cairn::image

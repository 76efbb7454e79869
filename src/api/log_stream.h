// LogFollower: the logs of one service's instances as one text stream, each line prefixed by
// its instance id ("hello-3f9a2c1b | listening on 127.0.0.1:40123"). Follows instances as they
// come and go and survives copytruncate rotation. Called on the controller strand only.
#pragma once

#include <map>
#include <string>

#include "control/controller.h"

namespace cairn::api {

class LogFollower {
 public:
  LogFollower(const control::Controller& controller, std::string service);
  // Up to `tail` last lines of each current instance's log; later reads continue from there.
  std::string Start(int tail);
  // Whatever complete lines were written since the last call.
  std::string Poll();
  // True when the service is in the status (it has a rollout or instances) or this stream
  // has already followed one of its instances.
  bool ServiceKnown() const;

 private:
  struct Cursor {
    std::string path;
    uint64_t offset = 0;
    std::string partial;  // bytes after the last newline, held until the line completes
  };
  std::string ReadNew(const std::string& id, Cursor& cursor);
  void TrackInstances(bool from_end, int tail, std::string* out);

  const control::Controller& controller_;
  std::string service_;
  std::map<std::string, Cursor> cursors_;
};

}  // namespace cairn::api

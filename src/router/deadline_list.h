// DeadlineList: the I/O deadlines pending on one worker, swept by a periodic tick.
//
// Why not one asio timer per operation: arming and cancelling a steady_timer around every read
// and write cost a heap insert, a heap removal and a cancelled handler run through the
// scheduler, about 2,700 instructions per proxied request (docs/benchmarks.md, Router, Profile).
// Here arming is a store and a list link, disarming a list unlink; a worker tick walks the
// list (only operations in flight are on it) and expires what is due. Precision is the tick
// period, which the worker derives from the shortest configured timeout.
//
// Worker thread only. Entries unlink themselves when destroyed.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "core/clock.h"

namespace cairn::router {

class DeadlineList {
 public:
  class Entry {
   public:
    Entry() = default;
    ~Entry() { Unlink(); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;

    bool linked() const { return list_ != nullptr; }
    // Whether the last armed deadline expired (reset by the next Link).
    bool fired() const { return fired_; }
    SteadyTime deadline() const { return deadline_; }
    boost::asio::ip::tcp::socket* socket() const { return socket_; }
    void Unlink();

   private:
    friend class DeadlineList;
    DeadlineList* list_ = nullptr;
    Entry* prev_ = nullptr;
    Entry* next_ = nullptr;
    SteadyTime deadline_{};
    boost::asio::ip::tcp::socket* socket_ = nullptr;
    bool fired_ = false;
  };

  DeadlineList() = default;
  ~DeadlineList();
  DeadlineList(const DeadlineList&) = delete;
  DeadlineList& operator=(const DeadlineList&) = delete;

  // (Re)arms `entry`: at `deadline` it expires for `socket` (which may be null in tests).
  void Link(Entry& entry, boost::asio::ip::tcp::socket* socket, SteadyTime deadline);

  // Unlinks every entry due at `now`, marks it fired and calls `expire(entry)` for it. The
  // callback may not destroy other entries (cancelling a socket only queues handlers).
  template <typename Fn>
  size_t Expire(SteadyTime now, Fn expire) {
    size_t n = 0;
    for (Entry* e = head_; e != nullptr;) {
      Entry* next = e->next_;
      if (e->deadline_ <= now) {
        e->Unlink();
        e->fired_ = true;
        expire(*e);
        ++n;
      }
      e = next;
    }
    return n;
  }

  bool empty() const { return head_ == nullptr; }
  size_t size() const { return size_; }

 private:
  Entry* head_ = nullptr;
  size_t size_ = 0;
};

}  // namespace cairn::router

#include "router/deadline_list.h"

namespace cairn::router {

void DeadlineList::Entry::Unlink() {
  if (list_ == nullptr) return;
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    list_->head_ = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
  --list_->size_;
  list_ = nullptr;
  prev_ = next_ = nullptr;
}

DeadlineList::~DeadlineList() {
  while (head_ != nullptr) head_->Unlink();
}

void DeadlineList::Link(Entry& entry, boost::asio::ip::tcp::socket* socket, SteadyTime deadline) {
  entry.deadline_ = deadline;
  entry.socket_ = socket;
  entry.fired_ = false;
  if (entry.list_ == this) return;  // already on the list: the new deadline is enough
  entry.Unlink();
  entry.list_ = this;
  entry.prev_ = nullptr;
  entry.next_ = head_;
  if (head_ != nullptr) head_->prev_ = &entry;
  head_ = &entry;
  ++size_;
}

}  // namespace cairn::router

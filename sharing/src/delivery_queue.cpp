// The in-memory delivery queue of a single node.
#include "samverka/sharing/delivery_queue.hpp"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>

namespace samverka::sharing {

namespace {

class memory_queue final : public delivery_queue {
 public:
  void notify(std::string_view slug) override {
    std::lock_guard lk(mu_);
    if (ready_set_.emplace(slug).second) ready_.emplace_back(slug);
    cv_.notify_one();
  }

  void notify_at(std::string_view slug, clock::time_point when) override {
    std::lock_guard lk(mu_);
    auto [it, inserted] = timed_.try_emplace(std::string(slug), when);
    if (!inserted && when < it->second) it->second = when;
    cv_.notify_one();
  }

  std::optional<std::string> next(std::chrono::milliseconds timeout) override {
    std::unique_lock lk(mu_);
    const auto deadline = clock::now() + timeout;
    for (;;) {
      if (closed_) return std::nullopt;
      // O(tenants with a pending retry) per wake-up; a heap is the road not taken until a node
      // carries thousands of failing sources at once.
      auto wake_at = deadline;
      const auto now = clock::now();
      for (auto it = timed_.begin(); it != timed_.end();) {
        if (it->second <= now) {
          if (ready_set_.insert(it->first).second) ready_.push_back(it->first);
          it = timed_.erase(it);
        } else {
          wake_at = std::min(wake_at, it->second);
          ++it;
        }
      }
      if (!ready_.empty()) {
        auto slug = std::move(ready_.front());
        ready_.pop_front();
        ready_set_.erase(slug);
        return slug;
      }
      if (now >= deadline) return std::nullopt;
      cv_.wait_until(lk, wake_at);
    }
  }

  void close() override {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> ready_;
  std::set<std::string, std::less<>> ready_set_;
  std::map<std::string, clock::time_point, std::less<>> timed_;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<delivery_queue> make_memory_queue() {
  return std::make_unique<memory_queue>();
}

}  // namespace samverka::sharing

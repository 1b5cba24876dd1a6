// Prometheus metrics of the gateway. Labels are bounded by construction: routes are templates
// from the routing table (never raw paths), methods are a fixed set, and there are no per-tenant
// labels (thousands of tenants would multiply every series).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace samverka::gateway {

class metrics {
 public:
  metrics();
  ~metrics();

  // Counts one finished request and observes its duration.
  void observe_request(std::string_view route, std::string_view method, int status, double seconds);
  void login_failed();
  // A request failed because a tenant database stayed locked past the SQLite busy timeout
  // (error code "store_busy"): the symptom operators act on; waits that succeed are not counted.
  void store_busy();
  void set_open_stores(std::size_t n);
  // Everything in the Prometheus text exposition format (version 0.0.4).
  std::string serialize() const;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

// The method label: one of a fixed set, "OTHER" for anything else a client invents.
std::string_view method_label(std::string_view method) noexcept;

}  // namespace samverka::gateway

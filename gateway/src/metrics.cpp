#include "metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace samverka::gateway {

namespace {

// Request durations from a cached read (~1 ms) to a slow argon2 login or a busy writer (seconds).
const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries b{
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

}  // namespace

struct metrics::impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("samverka_http_requests_total")
          .Help("HTTP requests by route template, method and status")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& durations =
      prometheus::BuildHistogram()
          .Name("samverka_http_request_duration_seconds")
          .Help("Time from a parsed request to its response, by route template")
          .Register(*registry);
  prometheus::Gauge& open_stores = prometheus::BuildGauge()
                                       .Name("samverka_open_tenant_stores")
                                       .Help("Tenant stores currently open in the pool")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Counter& login_failures = prometheus::BuildCounter()
                                            .Name("samverka_login_failures_total")
                                            .Help("Failed login attempts (all tenants)")
                                            .Register(*registry)
                                            .Add({});
  prometheus::Counter& store_busy =
      prometheus::BuildCounter()
          .Name("samverka_store_busy_total")
          .Help("Requests failed because a tenant database stayed locked past the busy timeout")
          .Register(*registry)
          .Add({});
};

metrics::metrics() : p_(std::make_unique<impl>()) {}
metrics::~metrics() = default;

void metrics::observe_request(std::string_view route, std::string_view method, int status,
                              double seconds) {
  const std::string r(route);
  p_->requests
      .Add({{"route", r},
            {"method", std::string(method_label(method))},
            {"status", std::to_string(status)}})
      .Increment();
  p_->durations.Add({{"route", r}}, duration_buckets()).Observe(seconds);
}

void metrics::login_failed() {
  p_->login_failures.Increment();
}

void metrics::store_busy() {
  p_->store_busy.Increment();
}

void metrics::set_open_stores(std::size_t n) {
  p_->open_stores.Set(static_cast<double>(n));
}

std::string metrics::serialize() const {
  return prometheus::TextSerializer().Serialize(p_->registry->Collect());
}

std::string_view method_label(std::string_view method) noexcept {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (method == m) return m;
  return "OTHER";
}

}  // namespace samverka::gateway

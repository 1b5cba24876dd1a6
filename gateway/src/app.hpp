// The application behind the HTTP server, free of Beast: resolves the tenant of each request
// once (tenant_resolution + the registry snapshot), routes it through one explicit table,
// authenticates, runs the handler, and turns every outcome - including exceptions - into a
// response with the contract's error shape. It also logs and counts every request.
//
// Request pipeline (app::handle):
//   1. platform endpoints (/healthz, /readyz, /metrics) on any host, without a /t/ prefix
//   2. tenant from /t/SLUG or Host -> 404 tenant_not_found / 503 tenant_suspended
//   3. route (method, template) -> 404 not_found / 405 + Allow
//   4. the tenant's store from the pool; credentials for member routes -> 401 / 403 not_a_member;
//      CSRF for cookie requests that change state -> 403 csrf_required
//   5. handler -> result<http_response>; failures mapped by errors.cpp
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth.hpp"
#include "http_types.hpp"
#include "metrics.hpp"
#include "query.hpp"
#include "router.hpp"
#include "samverka/core/error.hpp"
#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/model.hpp"
#include "samverka/tenant/pool.hpp"
#include "tenant_directory.hpp"
#include "tenant_resolution.hpp"
#include "throttle.hpp"

namespace samverka::gateway {

struct app_config {
  std::filesystem::path data_dir = "data";
  std::string base_domain = "localhost";
  std::size_t max_open_tenants = tenant::default_max_open_tenants;
};

// The caller of a member route: who they are here, and the credentials they came with.
struct principal {
  tenant::viewer viewer;
  credentials creds;
  session_token token;
};

// Everything a handler needs about one request.
struct request_context {
  const http_request& req;
  std::string request_id;
  tenant_address addr;
  std::shared_ptr<const tenant_snapshot> snap;
  const provisioning::tenant_info* tenant = nullptr;  // points into *snap
  std::shared_ptr<tenant::store> store;
  std::vector<std::string> params;  // values of the route template's placeholders
  query_params query;
  std::optional<principal> who;  // set for member routes
};

class app final : public request_handler {
 public:
  // Opens the registry in `cfg.data_dir` and loads the first tenant snapshot.
  static result<std::unique_ptr<app>> open(const app_config& cfg);
  ~app() override;

  http_response handle(const http_request& req) override;
  http_response reject(int status, std::string_view code, std::string_view message) override;
  void on_drain() override { draining_ = true; }

  // Starts / stops the registry poller (CLI changes become visible while serving).
  void start_background();
  void stop_background();
  tenant_directory& directory() noexcept { return directory_; }

 private:
  enum class access { anyone, member };
  using handler_fn = result<http_response> (app::*)(request_context&);
  struct action {
    handler_fn fn;
    access who;
  };

  app(const app_config& cfg, std::shared_ptr<provisioning::registry> reg);

  http_response dispatch(request_context& ctx, std::string& route);
  http_response platform(request_context& ctx, const std::string& path, std::string& route);
  result<principal> authenticate(request_context& ctx);
  http_response failure(const request_context& ctx, const error& e);

  // Handlers (handlers.cpp).
  result<http_response> home_page(request_context& ctx);
  result<http_response> login(request_context& ctx);
  result<http_response> logout(request_context& ctx);
  result<http_response> me(request_context& ctx);
  result<http_response> list_news(request_context& ctx);
  result<http_response> create_news(request_context& ctx);
  result<http_response> get_news(request_context& ctx);
  result<http_response> update_news(request_context& ctx);
  result<http_response> delete_news(request_context& ctx);
  result<http_response> list_units(request_context& ctx);
  result<http_response> list_users(request_context& ctx);

  app_config cfg_;
  std::shared_ptr<provisioning::registry> registry_;
  tenant::pool pool_;
  tenant_directory directory_;  // after pool_: its eviction callback uses the pool
  login_throttle throttle_;
  metrics metrics_;
  router<action> routes_;
  std::atomic<bool> draining_{false};
};

}  // namespace samverka::gateway

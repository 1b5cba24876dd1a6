// Which tenant a request addresses: host forms, ports, case, the /t/ prefix, base-domain
// mismatches.
#include "tenant_resolution.hpp"

#include <gtest/gtest.h>

namespace samverka::gateway {
namespace {

struct row {
  const char* host;
  const char* target;
  const char* base;
  const char* slug;
  const char* path;
  const char* query;
  const char* base_path;
};

void check(const row& r) {
  const auto got = resolve_tenant(r.host, r.target, r.base);
  EXPECT_EQ(got.slug, r.slug) << r.host << " " << r.target;
  EXPECT_EQ(got.path, r.path) << r.host << " " << r.target;
  EXPECT_EQ(got.query, r.query) << r.host << " " << r.target;
  EXPECT_EQ(got.base_path, r.base_path) << r.host << " " << r.target;
}

TEST(TenantResolution, Host) {
  for (const row& r : {
           row{"eksjo.localhost", "/api/v1/me", "localhost", "eksjo", "/api/v1/me", "", ""},
           row{"eksjo.localhost:8080", "/api/v1/me", "localhost", "eksjo", "/api/v1/me", "", ""},
           row{"EKSJO.LocalHost:8080", "/", "localhost", "eksjo", "/", "", ""},
           row{"eksjo.localhost.", "/", "localhost", "eksjo", "/", "", ""},
           row{"eksjo.intra.example.se", "/x", "intra.example.se", "eksjo", "/x", "", ""},
           row{"eksjo.intra.example.se", "/x", "Intra.Example.SE.", "eksjo", "/x", "", ""},
           row{"eksjo.localhost", "/api/v1/news?scope=all&limit=5", "localhost", "eksjo",
               "/api/v1/news", "scope=all&limit=5", ""},
       })
    check(r);
}

TEST(TenantResolution, NoTenantInHost) {
  for (const row& r : {
           row{"localhost", "/api/v1/me", "localhost", "", "/api/v1/me", "", ""},
           row{"localhost:8080", "/", "localhost", "", "/", "", ""},
           row{"127.0.0.1:8080", "/", "localhost", "", "/", "", ""},
           row{"[::1]:8080", "/", "localhost", "", "/", "", ""},
           row{"", "/", "localhost", "", "/", "", ""},
           row{"a.b.localhost", "/", "localhost", "", "/", "", ""},    // two labels
           row{"eksjo.otherhost", "/", "localhost", "", "/", "", ""},  // other base
           row{"eksjolocalhost", "/", "localhost", "", "/", "", ""},   // no dot
           row{".localhost", "/", "localhost", "", "/", "", ""},       // empty label
           row{"eksjo.localhost.evil.com", "/", "localhost", "", "/", "", ""},
           row{"eksjo.localhost", "/", "", "", "/", "", ""},  // no base domain
       })
    check(r);
}

TEST(TenantResolution, Prefix) {
  for (const row& r : {
           row{"localhost", "/t/eksjo/api/v1/me", "localhost", "eksjo", "/api/v1/me", "",
               "/t/eksjo"},
           row{"127.0.0.1:9", "/t/eksjo", "localhost", "eksjo", "/", "", "/t/eksjo"},
           row{"127.0.0.1:9", "/t/eksjo/", "localhost", "eksjo", "/", "", "/t/eksjo"},
           row{"127.0.0.1:9", "/t/eksjo?x=1", "localhost", "eksjo", "/", "x=1", "/t/eksjo"},
           row{"localhost", "/t/eksjo/api/v1/news?limit=2", "localhost", "eksjo", "/api/v1/news",
               "limit=2", "/t/eksjo"},
           // The prefix wins over the host.
           row{"vetlanda.localhost", "/t/eksjo/api/v1/me", "localhost", "eksjo", "/api/v1/me", "",
               "/t/eksjo"},
           // Not a prefix: "/t" alone, "/tx/".
           row{"localhost", "/t", "localhost", "", "/t", "", ""},
           row{"localhost", "/tx/eksjo", "localhost", "", "/tx/eksjo", "", ""},
       })
    check(r);
}

TEST(TenantResolution, NormalizeHost) {
  EXPECT_EQ(normalize_host("Eksjo.LOCALHOST:8080"), "eksjo.localhost");
  EXPECT_EQ(normalize_host("[::1]:8080"), "[::1]");
  EXPECT_EQ(normalize_host("[::1]"), "[::1]");
  EXPECT_EQ(normalize_host("example.se."), "example.se");
  EXPECT_EQ(normalize_host(""), "");
}

}  // namespace
}  // namespace samverka::gateway

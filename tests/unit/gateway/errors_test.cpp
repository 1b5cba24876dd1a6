// The one errc -> HTTP status table and the contract's error body.
#include "errors.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace samverka::gateway {
namespace {

TEST(Errors, StatusTable) {
  struct row {
    errc kind;
    int status;
  };
  for (auto [kind, status] :
       {row{errc::invalid_input, 400}, row{errc::unauthenticated, 401}, row{errc::forbidden, 403},
        row{errc::not_found, 404}, row{errc::conflict, 409}, row{errc::too_large, 413},
        row{errc::unprocessable, 422}, row{errc::throttled, 429}, row{errc::suspended, 503},
        row{errc::unavailable, 503}, row{errc::internal, 500}})
    EXPECT_EQ(http_status(kind), status) << to_string(kind);
}

TEST(Errors, SpecificCodes) {
  EXPECT_EQ(http_status(error(errc::invalid_input, "unsupported_media_type", "x")), 415);
  EXPECT_EQ(http_status(error(errc::unavailable, "not_implemented", "x")), 501);
  EXPECT_EQ(http_status(error(errc::invalid_input, "missing_field", "x")), 400);
}

TEST(Errors, Body) {
  const auto res = error_response(error(errc::not_found, "not_found", "no such news item"));
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.content_type, "application/json");
  const auto v = boost::json::parse(res.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), "not_found");
  EXPECT_EQ(v.at("error").at("message").as_string(), "no such news item");
  EXPECT_EQ(v.as_object().size(), 1u);
}

TEST(Errors, InternalDetailsStayInside) {
  const auto res = error_response(error(errc::internal, "sqlite", "disk I/O error at /data/x"));
  EXPECT_EQ(res.status, 500);
  EXPECT_EQ(res.body.find("/data/x"), std::string::npos);
  EXPECT_EQ(boost::json::parse(res.body).at("error").at("code").as_string(), "internal");
}

TEST(Errors, ThrottledHasRetryAfter) {
  auto header = [](const http_response& r, std::string_view name) -> std::string {
    for (const auto& [n, v] : r.headers)
      if (n == name) return v;
    return "";
  };
  const error e(errc::throttled, "too_many_attempts", "wait");
  EXPECT_EQ(header(error_response(e, std::chrono::seconds(42)), "Retry-After"), "42");
  EXPECT_EQ(header(error_response(e), "Retry-After"), "60");
  EXPECT_EQ(header(error_response(error(errc::unauthenticated, "x")), "WWW-Authenticate"),
            "Bearer");
}

}  // namespace
}  // namespace samverka::gateway

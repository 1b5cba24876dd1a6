// Query strings and path parameters of the API: decoding, and the strict parsing of list
// parameters (scope, limit, cursor) and numeric ids. Bad values are invalid_input with code
// "invalid_parameter" naming the parameter, never silently clamped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "samverka/core/error.hpp"
#include "samverka/tenant/model.hpp"

namespace samverka::gateway {

using query_params = std::map<std::string, std::string, std::less<>>;

// Percent- and '+'-decoded parameters of `query` (without '?'). A parameter given twice is
// refused: which one wins would otherwise differ between us and a proxy in front of us.
result<query_params> parse_query(std::string_view query);

// The value of `name`, if present.
std::optional<std::string_view> param(const query_params& q, std::string_view name);

// `limit`: absent -> tenant::limits::default_page; else decimal 1..max_page.
result<std::size_t> parse_limit(std::optional<std::string_view> text);

// `scope`: absent or "mine" -> mine; "all" -> all.
result<tenant::news_scope> parse_scope(std::optional<std::string_view> text);

// `cursor`: opaque; only its length and alphabet are checked here, the store decodes it.
result<std::optional<std::string>> parse_cursor(std::optional<std::string_view> text);

// A path id: a positive decimal that fits int64 ("12"); nullopt for anything else ("-1",
// "+1", "1e3", "abc"), which the API answers with 404 like an id that does not exist.
std::optional<std::int64_t> parse_id(std::string_view text) noexcept;

}  // namespace samverka::gateway

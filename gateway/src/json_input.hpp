// Strict JSON request bodies, one helper for every handler: the body must be
// `application/json`, well-formed, an object, and hold only the fields a handler declares,
// each of its declared type. Failures are 4xx with a code naming what was wrong:
//   415 unsupported_media_type, 400 malformed_json, 400 invalid_body (not an object),
//   400 unknown_field, 400 invalid_field (wrong type), 400 missing_field.
// Handlers then read fields with the getters below, which cannot fail after validation.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"
#include "samverka/core/error.hpp"

namespace samverka::gateway {

enum class json_type {
  string,
  boolean,
  integer,
  object,
  string_array,
  id_array,  // an array of positive integers (ids, e.g. attachments)
};

// One declared field. `fields` lists the members of a nested object (type object).
// `null` is never accepted: a field is either absent or of its type.
struct field_rule {
  std::string_view name;
  json_type type = json_type::string;
  bool required = false;
  std::span<const field_rule> fields = {};
};

// True for "application/json", with an optional charset=utf-8 parameter (any case).
bool is_json_media_type(std::string_view content_type);

// Checks `obj` against `rules`; `path` prefixes field names in messages ("audience.units").
result<void> check_fields(const boost::json::object& obj, std::span<const field_rule> rules,
                          std::string_view path = "");

// Parses and checks a request body (see the file comment). The error's message names the
// offending field; its kind is invalid_input (errors.cpp maps unsupported_media_type to 415).
result<boost::json::object> parse_json_body(const http_request& req,
                                            std::span<const field_rule> rules);

// Field getters for validated objects: nullopt/empty when the field is absent.
std::optional<std::string> get_string(const boost::json::object& obj, std::string_view name);
std::optional<bool> get_bool(const boost::json::object& obj, std::string_view name);
std::optional<std::vector<std::string>> get_strings(const boost::json::object& obj,
                                                    std::string_view name);
const boost::json::object* get_object(const boost::json::object& obj, std::string_view name);
// The ids of a validated id_array field, in order.
std::optional<std::vector<std::int64_t>> get_ids(const boost::json::object& obj,
                                                 std::string_view name);

}  // namespace samverka::gateway

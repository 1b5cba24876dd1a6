#include "json_input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include "samverka/core/slug.hpp"

namespace samverka::gateway {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view type_name(json_type t) {
  switch (t) {
    case json_type::string:
      return "a string";
    case json_type::boolean:
      return "a boolean";
    case json_type::integer:
      return "an integer";
    case json_type::object:
      return "an object";
    case json_type::string_array:
      return "an array of strings";
    case json_type::id_array:
      return "an array of positive integer ids";
  }
  return "?";
}

bool has_type(const boost::json::value& v, json_type t) {
  switch (t) {
    case json_type::string:
      return v.is_string();
    case json_type::boolean:
      return v.is_bool();
    case json_type::integer:
      return v.is_int64() || v.is_uint64();
    case json_type::object:
      return v.is_object();
    case json_type::string_array: {
      if (!v.is_array()) return false;
      const auto& a = v.get_array();
      return std::all_of(a.begin(), a.end(), [](const auto& e) { return e.is_string(); });
    }
    case json_type::id_array: {
      if (!v.is_array()) return false;
      const auto& a = v.get_array();
      return std::all_of(a.begin(), a.end(), [](const auto& e) {
        return (e.is_int64() && e.get_int64() > 0) ||
               (e.is_uint64() && e.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX) &&
                e.get_uint64() > 0);
      });
    }
  }
  return false;
}

std::string join_path(std::string_view path, std::string_view name) {
  return path.empty() ? std::string(name) : std::string(path) + "." + std::string(name);
}

}  // namespace

bool is_json_media_type(std::string_view content_type) {
  const auto semi = content_type.find(';');
  if (ascii_lower(trim(content_type.substr(0, semi))) != "application/json") return false;
  if (semi == std::string_view::npos) return true;
  // Only a charset parameter, and only UTF-8 (RFC 8259 §8.1: JSON is UTF-8).
  std::string param = ascii_lower(trim(content_type.substr(semi + 1)));
  if (param.empty()) return true;
  if (!param.starts_with("charset=")) return false;
  std::string_view value = std::string_view(param).substr(8);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  return value == "utf-8" || value == "utf8";
}

result<void> check_fields(const boost::json::object& obj, std::span<const field_rule> rules,
                          std::string_view path) {
  for (const auto& member : obj) {
    const std::string_view key = member.key();
    const auto rule = std::find_if(rules.begin(), rules.end(),
                                   [&](const field_rule& r) { return r.name == key; });
    const std::string name = join_path(path, key);
    if (rule == rules.end())
      return error(errc::invalid_input, "unknown_field", "unknown field \"" + name + "\"");
    if (!has_type(member.value(), rule->type))
      return error(errc::invalid_input, "invalid_field",
                   "field \"" + name + "\" must be " + std::string(type_name(rule->type)));
    if (rule->type == json_type::object)
      if (auto r = check_fields(member.value().get_object(), rule->fields, name); !r) return r;
  }
  for (const auto& rule : rules)
    if (rule.required && !obj.contains(rule.name))
      return error(errc::invalid_input, "missing_field",
                   "field \"" + join_path(path, rule.name) + "\" is required");
  return {};
}

result<boost::json::object> parse_json_body(const http_request& req,
                                            std::span<const field_rule> rules) {
  const auto ct = req.header("content-type");
  if (!ct || !is_json_media_type(*ct))
    return error(errc::invalid_input, "unsupported_media_type",
                 "the body must be sent as Content-Type: application/json");
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(req.body, ec);
  if (ec) return error(errc::invalid_input, "malformed_json", "the body is not valid JSON");
  if (!v.is_object())
    return error(errc::invalid_input, "invalid_body", "the body must be a JSON object");
  if (auto r = check_fields(v.get_object(), rules); !r) return r.err();
  return std::move(v.get_object());
}

std::optional<std::string> get_string(const boost::json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<bool> get_bool(const boost::json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (!v || !v->is_bool()) return std::nullopt;
  return v->get_bool();
}

std::optional<std::vector<std::string>> get_strings(const boost::json::object& obj,
                                                    std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (!v || !v->is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& e : v->get_array())
    if (e.is_string()) out.emplace_back(e.get_string());
  return out;
}

const boost::json::object* get_object(const boost::json::object& obj, std::string_view name) {
  const auto* v = obj.if_contains(name);
  return v && v->is_object() ? &v->get_object() : nullptr;
}

std::optional<std::vector<std::int64_t>> get_ids(const boost::json::object& obj,
                                                 std::string_view name) {
  const auto* v = obj.if_contains(name);
  if (!v || !v->is_array()) return std::nullopt;
  std::vector<std::int64_t> out;
  for (const auto& e : v->get_array())
    out.push_back(e.is_int64() ? e.get_int64() : static_cast<std::int64_t>(e.get_uint64()));
  return out;
}

}  // namespace samverka::gateway

#include "json_output.hpp"

#include <boost/json/serialize.hpp>

#include "samverka/core/clock.hpp"

namespace samverka::gateway {

namespace {

boost::json::array strings(const std::vector<std::string>& v, boost::json::storage_ptr sp = {}) {
  boost::json::array a(sp);
  a.reserve(v.size());
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

}  // namespace

namespace {
http_response json_body(int status, std::string body) {
  http_response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = std::move(body);
  return res;
}
}  // namespace

http_response json_response(int status, const boost::json::value& v) {
  return json_body(status, boost::json::serialize(v));
}
http_response json_response(int status, const boost::json::object& o) {
  return json_body(status, boost::json::serialize(o));
}
http_response json_response(int status, const boost::json::array& a) {
  return json_body(status, boost::json::serialize(a));
}

boost::json::object news_json(const tenant::news_item& n, boost::json::storage_ptr sp) {
  boost::json::object o(10, sp);  // the NEWS fields, without rehashing
  o["id"] = n.id;
  o["title"] = n.title;
  o["summary"] = n.summary;
  o["body"] = n.body;
  o["published_at"] = to_rfc3339(n.published_at_ms);
  o["updated_at"] = to_rfc3339(n.updated_at_ms ? n.updated_at_ms : n.published_at_ms);
  boost::json::object author(1, sp);
  author["name"] = n.author_name;
  o["author"] = std::move(author);
  boost::json::object audience(2, sp);
  audience["units"] = strings(n.target.units, sp);
  audience["roles"] = strings(n.target.roles, sp);
  o["audience"] = std::move(audience);
  if (n.source) {
    boost::json::object source(3, sp);
    source["slug"] = n.source->slug;
    source["name"] = n.source->name;
    source["news_id"] = n.source->news_id;
    o["source"] = std::move(source);
  } else {
    o["source"] = nullptr;
  }
  return o;
}

boost::json::object user_json(const tenant::user& u) {
  boost::json::object o;
  o["id"] = u.id;
  o["email"] = u.email;
  o["name"] = u.name;
  o["roles"] = strings(tenant::role_names(u.roles));
  o["units"] = strings(u.units);
  return o;
}

}  // namespace samverka::gateway

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
  boost::json::object o(12, sp);  // the NEWS fields, without rehashing
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
    // content2: a copy that stopped following its original says so (and when and why).
    source["following"] = !n.source_unlinked_at_ms.has_value();
    if (n.source_unlinked_at_ms) {
      source["unlinked_at"] = to_rfc3339(*n.source_unlinked_at_ms);
      source["unlink_reason"] = n.source_unlink_reason;
    } else {
      source["unlinked_at"] = nullptr;
    }
    o["source"] = std::move(source);
  } else {
    o["source"] = nullptr;
  }
  boost::json::array attachments(sp);  // content2: document ids of this tenant
  for (auto id : n.attachments) attachments.push_back(id);
  o["attachments"] = std::move(attachments);
  // Scheduling: readers only ever get published items; editors also see the others.
  const auto now = now_ms();
  o["status"] = n.published_at_ms > now                          ? "scheduled"
                : n.unpublish_at_ms && *n.unpublish_at_ms <= now ? "unpublished"
                                                                 : "published";
  if (n.unpublish_at_ms)
    o["unpublish_at"] = to_rfc3339(*n.unpublish_at_ms);
  else
    o["unpublish_at"] = nullptr;
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

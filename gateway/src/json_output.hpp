// JSON responses and the contract's shapes of domain values (NEWS, user).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "http_types.hpp"
#include "samverka/tenant/model.hpp"

namespace samverka::gateway {

// A response with `v` serialised as application/json.
http_response json_response(int status, const boost::json::value& v);
// Same for an object or array, serialised in place: converting them to a value would deep-copy
// every element first (a measurable share of the feed's cost).
http_response json_response(int status, const boost::json::object& o);
http_response json_response(int status, const boost::json::array& a);

// NEWS: {"id","title","summary","body","published_at","updated_at","author":{"name"},
//        "audience":{"units","roles"},"source":null|{"slug","name","news_id"}}.
// `sp` lets a list build all its items in one arena (boost::json::monotonic_resource).
boost::json::object news_json(const tenant::news_item& n, boost::json::storage_ptr sp = {});

// {"id","email","name","roles":[...],"units":[...]}.
boost::json::object user_json(const tenant::user& u);

}  // namespace samverka::gateway

// An explicit routing table: (method, path template) -> handler, written out in one place
// (app.cpp) rather than registered from all over. Templates are literal segments and `{name}`
// placeholders matching one non-empty segment: "/api/v1/news/{id}".
// Matching is linear in the table, which is a few dozen rows; no trie needed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace samverka::gateway {

// True when `path` fits `tmpl`; the placeholder values are appended to `params` in order.
bool match_template(std::string_view tmpl, std::string_view path, std::vector<std::string>& params);

template <class Handler>
class router {
 public:
  struct route {
    std::string method;
    std::string tmpl;
    Handler handler;
  };

  struct match {
    enum class outcome { found, method_not_allowed, not_found };
    outcome result = outcome::not_found;
    const route* found = nullptr;
    std::vector<std::string> params;
    std::string tmpl;   // the matched template (metrics and logs); empty when not_found
    std::string allow;  // for method_not_allowed: "GET, POST"
  };

  void add(std::string method, std::string tmpl, Handler handler) {
    routes_.push_back(route{std::move(method), std::move(tmpl), std::move(handler)});
  }

  // The route for (method, path), or why there is none.
  match find(std::string_view method, std::string_view path) const {
    match m;
    for (const auto& r : routes_) {
      std::vector<std::string> params;
      if (!match_template(r.tmpl, path, params)) continue;
      if (r.method == method) {
        m.result = match::outcome::found;
        m.found = &r;
        m.params = std::move(params);
        m.tmpl = r.tmpl;
        m.allow.clear();
        return m;
      }
      m.result = match::outcome::method_not_allowed;
      m.tmpl = r.tmpl;
      if (m.allow.find(r.method) == std::string::npos)
        m.allow += (m.allow.empty() ? "" : ", ") + r.method;
    }
    return m;
  }

 private:
  std::vector<route> routes_;
};

}  // namespace samverka::gateway

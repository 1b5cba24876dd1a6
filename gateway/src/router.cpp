#include "router.hpp"

namespace samverka::gateway {

bool match_template(std::string_view tmpl, std::string_view path,
                    std::vector<std::string>& params) {
  const std::size_t before = params.size();
  while (true) {
    if (tmpl.empty() || path.empty()) {
      if (tmpl.empty() && path.empty()) return true;
      params.resize(before);
      return false;
    }
    if (tmpl.front() != '/' || path.front() != '/') break;
    tmpl.remove_prefix(1);
    path.remove_prefix(1);
    const std::string_view t = tmpl.substr(0, tmpl.find('/'));
    const std::string_view p = path.substr(0, path.find('/'));
    if (t.size() >= 2 && t.front() == '{' && t.back() == '}') {
      if (p.empty()) break;
      params.emplace_back(p);
    } else if (t != p) {
      break;
    }
    tmpl.remove_prefix(t.size());
    path.remove_prefix(p.size());
  }
  params.resize(before);
  return false;
}

}  // namespace samverka::gateway

// Role names as the contract spells them, and the bit mask they map to.
#include "samverka/tenant/model.hpp"

#include <array>
#include <utility>

namespace samverka::tenant {

namespace {
// The fixed order role_names() reports roles in; also the only accepted spellings.
constexpr std::array<std::pair<role, std::string_view>, 4> role_table{{
    {role::employee, "employee"},
    {role::manager, "manager"},
    {role::editor, "editor"},
    {role::admin, "admin"},
}};
}  // namespace

std::optional<role> parse_role(std::string_view name) noexcept {
  for (const auto& [r, n] : role_table)
    if (n == name) return r;
  return std::nullopt;
}

std::string_view to_string(role r) noexcept {
  for (const auto& [rr, n] : role_table)
    if (rr == r) return n;
  return "unknown";
}

std::vector<std::string> role_names(role_mask mask) {
  std::vector<std::string> out;
  for (const auto& [r, n] : role_table)
    if (has(mask, r)) out.emplace_back(n);
  return out;
}

}  // namespace samverka::tenant

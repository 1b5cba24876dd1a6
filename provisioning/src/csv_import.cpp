// CSV parsing of HR exports (directory feature). See csv_import.hpp.
#include "csv_import.hpp"

#include <algorithm>
#include <map>

#include "samverka/core/slug.hpp"
#include "samverka/tenant/model.hpp"

namespace samverka::provisioning::csv {

namespace {

std::string trim(std::string_view s) {
  constexpr std::string_view ws = " \t";
  auto b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(ws) - b + 1));
}

}  // namespace

parsed split(std::string_view text) {
  parsed out;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::size_t line = 1, i = 0;
  while (i < text.size()) {
    record rec;
    rec.line = line;
    std::string field;
    bool bad = false, end_of_record = false;
    while (!end_of_record) {
      field.clear();
      if (i < text.size() && text[i] == '"') {
        const std::size_t start_line = line;
        ++i;
        bool closed = false;
        while (i < text.size()) {
          const char ch = text[i++];
          if (ch == '"') {
            if (i < text.size() && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            closed = true;
            break;
          }
          if (ch == '\n') ++line;
          field += ch;
        }
        if (!closed) {
          out.problems.push_back({start_line, "a quoted field is not closed"});
          return out;
        }
        // Only a separator or the line end may follow a closing quote.
        if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
          if (!bad) out.problems.push_back({rec.line, "text after a closing quote"});
          bad = true;
          while (i < text.size() && text[i] != ',' && text[i] != '\n') ++i;
        }
      } else {
        while (i < text.size() && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"' && !bad) {
            out.problems.push_back({rec.line, "a quote inside an unquoted field"});
            bad = true;
          }
          field += text[i++];
        }
        if (!field.empty() && field.back() == '\r') field.pop_back();
      }
      if (i < text.size() && text[i] == '\r') ++i;
      rec.fields.push_back(field);
      if (i >= text.size()) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
      } else if (text[i] == '\n') {
        ++i;
        ++line;
        end_of_record = true;
      }
    }
    const bool blank = rec.fields.size() == 1 && trim(rec.fields[0]).empty();
    if (!bad && !blank) out.records.push_back(std::move(rec));
  }
  return out;
}

rows read_people(std::string_view text) {
  rows out;
  auto p = split(text);
  out.problems = std::move(p.problems);
  if (p.records.empty()) {
    if (out.problems.empty()) out.problems.push_back({1, "no header row"});
    return out;
  }
  const auto& header = p.records.front();
  const std::vector<std::string> known{"email", "name",  "unit",         "roles",
                                       "title", "phone", "manager_email"};
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    const auto name = ascii_lower(trim(header.fields[i]));
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      out.problems.push_back({header.line, "unknown column '" + header.fields[i] +
                                               "' (known: email, name, unit, roles, title, "
                                               "phone, manager_email)"});
      continue;
    }
    if (!col.emplace(name, i).second)
      out.problems.push_back({header.line, "column '" + name + "' appears twice"});
  }
  for (const char* required : {"email", "name"})
    if (!col.contains(required))
      out.problems.push_back(
          {header.line, std::string("the header has no '") + required + "' column"});
  if (!out.problems.empty()) return out;
  for (std::size_t r = 1; r < p.records.size(); ++r) {
    const auto& rec = p.records[r];
    if (rec.fields.size() != header.fields.size()) {
      out.problems.push_back({rec.line, std::to_string(rec.fields.size()) +
                                            " fields, the header has " +
                                            std::to_string(header.fields.size())});
      continue;
    }
    auto get = [&](const char* name) -> std::string {
      auto it = col.find(name);
      return it == col.end() ? std::string() : trim(rec.fields[it->second]);
    };
    tenant::import_row row;
    row.line = rec.line;
    row.email = get("email");
    row.name = get("name");
    row.unit = get("unit");
    auto opt = [&](const char* name) -> std::optional<std::string> {
      if (!col.contains(name)) return std::nullopt;
      return get(name);
    };
    row.title = opt("title");
    row.phone = opt("phone");
    row.manager_email = opt("manager_email");
    const auto roles = get("roles");
    bool ok = true;
    if (!roles.empty()) {
      tenant::role_mask mask = tenant::bit(tenant::role::employee);
      std::string word;
      auto flush = [&] {
        if (word.empty()) return;
        if (auto role = tenant::parse_role(ascii_lower(word)))
          mask |= tenant::bit(*role);
        else {
          out.problems.push_back(
              {rec.line, "unknown role '" + word + "' (employee, manager, editor, admin)"});
          ok = false;
        }
        word.clear();
      };
      for (char ch : roles) {
        if (ch == ';' || ch == '|' || ch == ' ' || ch == ',')
          flush();
        else
          word += ch;
      }
      flush();
      row.roles = mask;
    }
    if (ok) out.rows.push_back(std::move(row));
  }
  return out;
}

}  // namespace samverka::provisioning::csv

// CSV import of an HR export (directory feature): `samverkactl user import SLUG --csv FILE`.
// Private to samverka_provisioning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "samverka/tenant/directory.hpp"

namespace samverka::provisioning::csv {

// Largest CSV file read: an HR export of a large municipality is a few MiB; the cap keeps a
// mistaken file (a database dump) from being read whole into memory.
inline constexpr std::size_t max_file_bytes = 64u << 20;

// One record of a CSV file and the line it starts on (1-based; quoted fields may span lines).
struct record {
  std::size_t line = 0;
  std::vector<std::string> fields;
};

// Splits RFC 4180 CSV text: comma-separated, fields optionally in double quotes with "" for a
// quote, CRLF or LF line ends, a UTF-8 BOM skipped, blank lines skipped. A quote left open is a
// problem on the line where its field starts.
struct parsed {
  std::vector<record> records;
  std::vector<tenant::import_problem> problems;
};
parsed split(std::string_view text);

// Rows of an HR export (header row: email,name,unit,roles,title,phone,manager_email in any order
// and letter case; only email and name are required). Problems name their line.
struct rows {
  std::vector<tenant::import_row> rows;
  std::vector<tenant::import_problem> problems;
};
rows read_people(std::string_view text);

}  // namespace samverka::provisioning::csv

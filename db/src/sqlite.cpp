#include "samverka/db/sqlite.hpp"

#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>

namespace samverka::db {

namespace {
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw sqlite_error(db ? sqlite3_extended_errcode(db) : rc, msg);
}
}  // namespace

struct connection::cache {
  std::map<std::string, std::unique_ptr<statement>, std::less<>> stmts;
};

connection::connection(const std::filesystem::path& file, mode m, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX;  // each connection is used by one thread at a time
  switch (m) {
    case mode::read_write:
      flags |= SQLITE_OPEN_READWRITE;
      break;
    case mode::read_write_create:
      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      break;
    case mode::read_only:
      flags |= SQLITE_OPEN_READONLY;
      break;
  }
  int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        "open " + file.string() + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    int ext = db_ ? sqlite3_extended_errcode(db_) : rc;
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw sqlite_error(ext, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  cache_ = new cache;
  if (m != mode::read_only) exec("PRAGMA journal_mode=WAL");
  // NORMAL is durable across application crashes in WAL mode; only power loss can drop the
  // last transactions, which the outbox design tolerates. FULL costs an fsync per commit.
  exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY");
}

connection::~connection() {
  delete cache_;  // statements must be finalized before the connection closes
  if (db_) sqlite3_close_v2(db_);
}

void connection::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sqlite_error(sqlite3_extended_errcode(db_), "exec: " + msg);
  }
}

statement connection::prepare(std::string_view sql) {
  return statement(db_, sql);
}

statement& connection::cached(std::string_view sql) {
  auto it = cache_->stmts.find(sql);
  if (it == cache_->stmts.end())
    it = cache_->stmts.emplace(std::string(sql), std::make_unique<statement>(db_, sql)).first;
  it->second->reset();
  return *it->second;
}

std::int64_t connection::last_insert_rowid() const noexcept {
  return sqlite3_last_insert_rowid(db_);
}
int connection::changes() const noexcept {
  return sqlite3_changes(db_);
}

int connection::user_version() {
  auto st = prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}
void connection::set_user_version(int v) {
  exec("PRAGMA user_version=" + std::to_string(v));
}

std::int64_t connection::data_version() {
  auto& st = cached("PRAGMA data_version");
  st.step();
  auto v = st.int64(0);
  st.reset();
  return v;
}

statement::statement(sqlite3* db, std::string_view sql) : db_(db) {
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db, rc, "prepare");
}
statement::~statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

statement& statement::bind(int i, std::int64_t v) {
  if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind(int i, std::string_view v) {
  if (int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      rc != SQLITE_OK)
    fail(db_, rc, "bind");
  return *this;
}
statement& statement::bind_null(int i) {
  if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) fail(db_, rc, "bind");
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int ext = sqlite3_extended_errcode(db_);
  std::string msg = std::string("step: ") + sqlite3_errmsg(db_);
  sqlite3_reset(stmt_);
  throw sqlite_error(ext, msg);
}
void statement::run() {
  while (step()) {
  }
  reset();
}
void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double statement::real(int col) const {
  return sqlite3_column_double(stmt_, col);
}
std::string statement::text(int col) const {
  auto p = sqlite3_column_text(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : "";
}
bool statement::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
std::optional<std::int64_t> statement::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}
std::optional<std::string> statement::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

write_txn::write_txn(connection& c) : c_(c) {
  c_.exec("BEGIN IMMEDIATE");
}
write_txn::~write_txn() {
  if (!done_) {
    try {
      c_.exec("ROLLBACK");
    } catch (...) {
      // The transaction may already be rolled back by SQLite after an error.
    }
  }
}
void write_txn::commit() {
  c_.exec("COMMIT");
  done_ = true;
}

read_txn::read_txn(connection& c) : c_(c) {
  c_.exec("BEGIN");
}
read_txn::~read_txn() {
  try {
    c_.exec("COMMIT");
  } catch (...) {
  }
}

}  // namespace samverka::db

// A thin RAII layer over the SQLite C API for tenant stores and the registry.
// Only tenant/ and provisioning/ link this library (PRIVATE), so nothing above them touches SQL.
//
// Failures: SQLite errors that are expected (constraint violations, busy) are thrown as
// db::sqlite_error carrying the extended result code; callers translate them into samverka::error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace samverka::db {

class sqlite_error : public std::runtime_error {
 public:
  sqlite_error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const noexcept { return code_; }                           // extended result code
  bool is_constraint() const noexcept { return (code_ & 0xff) == 19; }  // SQLITE_CONSTRAINT
  bool is_busy() const noexcept { return (code_ & 0xff) == 5 || (code_ & 0xff) == 6; }

 private:
  int code_;
};

class statement;

// One connection. Opened in WAL mode with a busy timeout and foreign keys on.
class connection {
 public:
  enum class mode { read_write, read_write_create, read_only };
  connection(const std::filesystem::path& file, mode m, int busy_timeout_ms);
  ~connection();
  connection(connection&& o) noexcept : db_(std::exchange(o.db_, nullptr)) {}
  connection& operator=(connection&&) = delete;
  connection(const connection&) = delete;

  // Runs one or more statements without results.
  void exec(std::string_view sql);
  statement prepare(std::string_view sql);
  // Cached prepared statement for hot paths (reset on each call).
  statement& cached(std::string_view sql);
  // Runs one cached statement without results (BEGIN, COMMIT, ...).
  void run_cached(std::string_view sql);
  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;
  // PRAGMA user_version.
  int user_version();
  void set_user_version(int v);
  // PRAGMA data_version: changes when another connection commits.
  std::int64_t data_version();
  sqlite3* raw() noexcept { return db_; }

 private:
  struct cache;
  sqlite3* db_ = nullptr;
  cache* cache_ = nullptr;
};

// A prepared statement. bind() is 1-based like SQLite; column() is 0-based.
class statement {
 public:
  statement(sqlite3* db, std::string_view sql);
  ~statement();
  statement(statement&& o) noexcept : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)) {}
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& bind(int i, std::int64_t v);
  statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
  statement& bind(int i, double v);
  statement& bind(int i, std::string_view v);
  statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  statement& bind_null(int i);
  template <class T>
  statement& bind(int i, const std::optional<T>& v) {
    return v ? bind(i, *v) : bind_null(i);
  }
  // Binds each argument to 1, 2, ...
  template <class... A>
  statement& bind_all(const A&... a) {
    int i = 0;
    (bind(++i, a), ...);
    return *this;
  }

  // Advances to the next row; false when done. Throws sqlite_error on failure.
  bool step();
  // Runs to completion (for INSERT/UPDATE/DELETE).
  void run();
  void reset();

  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back if not committed (exceptions included).
class write_txn {
 public:
  explicit write_txn(connection& c);
  ~write_txn();
  void commit();
  write_txn(const write_txn&) = delete;

 private:
  connection& c_;
  bool done_ = false;
};

// BEGIN (deferred) for a consistent multi-statement read.
class read_txn {
 public:
  explicit read_txn(connection& c);
  ~read_txn();
  read_txn(const read_txn&) = delete;

 private:
  connection& c_;
};

}  // namespace samverka::db

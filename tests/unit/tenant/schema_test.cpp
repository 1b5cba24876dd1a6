// Unit tests of the tenant store schema: creation, migration and version refusals.
#include "schema.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "samverka/db/sqlite.hpp"
#include "samverka/tenant/store.hpp"
#include "test_util.hpp"

namespace samverka::tenant {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::must;
using testing::temp_dir;

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Sets PRAGMA user_version by hand (the connection checkpoints the WAL when it closes).
void set_version(const fs::path& dir, int v) {
  db::connection c(schema::db_path(dir), db::connection::mode::read_write, 1000);
  c.set_user_version(v);
}

int read_version(const fs::path& dir) {
  db::connection c(schema::db_path(dir), db::connection::mode::read_write, 1000);
  return c.user_version();
}

TEST(Schema, CreateMakesFolderDatabaseAndCurrentVersion) {
  temp_dir tmp;
  const auto dir = tmp.path() / "tenants" / "eksjo";
  must(create_store(dir));
  EXPECT_TRUE(fs::is_directory(dir / "files"));
  EXPECT_TRUE(fs::is_regular_file(dir / "tenant.sqlite"));
  EXPECT_GE(current_schema_version(), 1);
  EXPECT_EQ(read_version(dir), current_schema_version());
  db::connection c(schema::db_path(dir), db::connection::mode::read_write, 1000);
  for (const char* table : {"units", "users", "user_units", "sessions", "news", "news_units"}) {
    auto st = c.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1");
    st.bind(1, table);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), 1) << table;
  }
}

TEST(Schema, CreateRefusesAnExistingDirectory) {
  temp_dir tmp;
  must(create_store(tmp.path() / "a"));
  expect_error(create_store(tmp.path() / "a"), errc::conflict, "store_exists");
  fs::create_directories(tmp.path() / "b");  // even empty: it might be someone's
  expect_error(create_store(tmp.path() / "b"), errc::conflict, "store_exists");
}

TEST(Schema, MigrateIsANoOpAtCurrentVersion) {
  temp_dir tmp;
  must(create_store(tmp.path() / "a"));
  EXPECT_EQ(must(migrate_store(tmp.path() / "a")), current_schema_version());
  EXPECT_EQ(read_version(tmp.path() / "a"), current_schema_version());
}

TEST(Schema, MigrateBringsAnEmptyDatabaseToCurrent) {
  temp_dir tmp;
  const auto dir = tmp.path() / "old";
  fs::create_directories(dir);
  { db::connection c(schema::db_path(dir), db::connection::mode::read_write_create, 1000); }
  expect_error(store::open("old", dir), errc::unavailable, "schema_outdated");
  EXPECT_NE(store::open("old", dir).err().message.find("samverkactl migrate"), std::string::npos);
  EXPECT_EQ(must(migrate_store(dir)), 0);
  EXPECT_TRUE(fs::is_directory(dir / "files"));
  auto s = must(store::open("old", dir));
  must(s->add_unit("Kommunledningen", std::nullopt));
}

TEST(Schema, NewerVersionIsRefusedAndLeftUntouched) {
  temp_dir tmp;
  const auto dir = tmp.path() / "future";
  must(create_store(dir));
  const int future = current_schema_version() + 7;
  set_version(dir, future);
  const auto before = file_bytes(schema::db_path(dir));

  auto m = migrate_store(dir);
  expect_error(m, errc::conflict, "schema_too_new");
  expect_error(store::open("future", dir), errc::unavailable, "schema_too_new");

  EXPECT_EQ(file_bytes(schema::db_path(dir)), before);
  EXPECT_EQ(read_version(dir), future);
}

TEST(Schema, MissingStoreIsNotFound) {
  temp_dir tmp;
  expect_error(migrate_store(tmp.path() / "nope"), errc::not_found, "store_missing");
  expect_error(store::open("nope", tmp.path() / "nope"), errc::not_found, "store_missing");
}

// The feed must walk the news_feed index in order (no sort of the whole table) for both scopes.
TEST(Schema, FeedQueriesWalkTheFeedIndex) {
  temp_dir tmp;
  must(create_store(tmp.path() / "a"));
  db::connection c(schema::db_path(tmp.path() / "a"), db::connection::mode::read_write, 1000);
  for (auto sql : {schema::feed_mine_sql, schema::feed_all_sql}) {
    auto st = c.prepare("EXPLAIN QUERY PLAN " + std::string(sql));
    std::string plan;
    while (st.step()) plan += st.text(3) + "\n";
    EXPECT_NE(plan.find("USING INDEX news_feed"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("SCAN n"), std::string::npos) << plan;
  }
}

}  // namespace
}  // namespace samverka::tenant

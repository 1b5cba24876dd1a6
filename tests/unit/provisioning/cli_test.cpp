// Tests of samverkactl as operators and scripts use it: the real binary, run as a process, with
// its exit codes (0 ok, 1 refused, 2 usage), one-line reasons on stderr and --json output.
#include "samverka/provisioning/cli.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "samverka/provisioning/registry.hpp"
#include "samverka/tenant/pool.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct outcome {
  int code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "samverka-cli-XXXXXX").string();
    ASSERT_TRUE(mkdtemp(tmpl.data()));
    root_ = tmpl;
    data_ = root_ / "data";
    signal(SIGPIPE, SIG_IGN);  // the CLI may exit before reading the password we send
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  // Runs samverkactl with `args` (and --data-dir unless `with_data_dir` is false), feeding
  // `input` on stdin. `env` entries ("K=V") replace the environment.
  outcome run(std::vector<std::string> args, const std::string& input = "",
              bool with_data_dir = true, std::vector<std::string> env = {}) {
    const std::string bin = std::string(SAMVERKA_BINARY_DIR) + "/samverkactl";
    std::vector<std::string> all{bin};
    if (with_data_dir) {
      all.push_back("--data-dir");
      all.push_back(data_.string());
    }
    all.insert(all.end(), args.begin(), args.end());
    auto out_file = root_ / "stdout", err_file = root_ / "stderr", in_file = root_ / "stdin";
    {
      std::ofstream in(in_file, std::ios::binary);
      in << input;
    }
    pid_t pid = fork();
    if (pid == 0) {
      int in = ::open(in_file.c_str(), O_RDONLY);
      int out = ::open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(in, 0);
      dup2(out, 1);
      dup2(err, 2);
      ::chdir(root_.c_str());
      std::vector<char*> argv;
      for (auto& a : all) argv.push_back(a.data());
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (auto& e : env) envp.push_back(e.data());
      envp.push_back(nullptr);
      ::execve(bin.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    outcome o;
    o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = slurp(out_file);
    o.err = slurp(err_file);
    return o;
  }

  // Expects success and returns stdout.
  std::string ok(std::vector<std::string> args, const std::string& input = "") {
    auto o = run(std::move(args), input);
    EXPECT_EQ(o.code, 0) << o.err;
    EXPECT_EQ(o.err, "");
    return o.out;
  }

  json::value ok_json(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "--json");
    auto text = ok(std::move(args), input);
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    EXPECT_FALSE(ec) << "not JSON: " << text;
    return v;
  }

  // Expects exit `code` with exactly one line "samverkactl: ..." on stderr; returns that line.
  std::string refused(int code, std::vector<std::string> args, const std::string& input = "") {
    auto o = run(std::move(args), input);
    EXPECT_EQ(o.code, code) << o.out << o.err;
    EXPECT_TRUE(o.err.starts_with("samverkactl: ")) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    return o.err;
  }

  fs::path root_, data_;
};

TEST_F(CliTest, HelpAndVersionExitZero) {
  auto help = run({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("tenant"), std::string::npos);
  auto sub = run({"tenant", "create", "--help"});
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--domain"), std::string::npos);
  auto version = run({"--version"});
  EXPECT_EQ(version.code, 0);
  EXPECT_TRUE(version.out.starts_with("samverkactl ")) << version.out;
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  refused(2, {});
  refused(2, {"frobnicate"});
  refused(2, {"tenant"});
  refused(2, {"tenant", "create", "eksjo"});  // --name missing
  refused(2, {"tenant", "create", "eksjo", "--name", "E", "--bogus"});
  refused(2, {"partner", "link", "eksjo"});
  EXPECT_FALSE(fs::exists(data_)) << "usage errors touch nothing";
}

TEST_F(CliTest, TenantLifecycle) {
  auto created = ok_json({"tenant", "create", "eksjo", "--name", "Eksjö kommun", "--domain",
                          "eksjo.se", "--domain", "Kommun.Eksjo.se"});
  const auto& t = created.as_object();
  EXPECT_EQ(t.at("slug"), "eksjo");
  EXPECT_EQ(t.at("name"), "Eksjö kommun");
  EXPECT_EQ(t.at("domains"), (json::array{"eksjo.se", "kommun.eksjo.se"}));
  EXPECT_EQ(t.at("state"), "active");
  EXPECT_GT(t.at("size_bytes").to_number<std::int64_t>(), 0);
  EXPECT_TRUE(t.at("created_at").is_string());

  EXPECT_NE(refused(1, {"tenant", "create", "eksjo", "--name", "Again"}).find("already taken"),
            std::string::npos);
  EXPECT_NE(refused(1, {"tenant", "create", "nassjo", "--name", "N", "--domain", "eksjo.se"})
                .find("eksjo.se"),
            std::string::npos);
  refused(1, {"tenant", "create", "Bad_Slug", "--name", "N"});
  ok({"tenant", "create", "nassjo", "--name", "Nässjö kommun"});

  // Global options are accepted after the command, too.
  auto list = json::parse(ok({"tenant", "list", "--json"}));
  ASSERT_EQ(list.as_array().size(), 2u);
  EXPECT_EQ(list.as_array()[0].at("slug"), "eksjo");
  EXPECT_EQ(list.as_array()[1].at("slug"), "nassjo");
  auto table = ok({"tenant", "list"});
  EXPECT_NE(table.find("SLUG"), std::string::npos);
  EXPECT_NE(table.find("Nässjö kommun"), std::string::npos);

  auto show = ok_json({"tenant", "show", "eksjo"});
  EXPECT_EQ(show.at("schema_version").to_number<int>(), tenant::current_schema_version());
  refused(1, {"tenant", "show", "nope"});

  EXPECT_EQ(ok_json({"tenant", "suspend", "eksjo"}).at("state"), "suspended");
  EXPECT_EQ(ok_json({"tenant", "suspend", "eksjo"}).at("state"), "suspended");
  EXPECT_EQ(ok_json({"tenant", "resume", "eksjo"}).at("state"), "active");

  EXPECT_NE(refused(2, {"tenant", "delete", "eksjo"}).find("--yes"), std::string::npos);
  EXPECT_TRUE(fs::exists(data_ / "tenants/eksjo"));
  ok({"tenant", "delete", "eksjo", "--yes"});
  EXPECT_FALSE(fs::exists(data_ / "tenants/eksjo"));
  refused(1, {"tenant", "show", "eksjo"});
  refused(1, {"tenant", "delete", "eksjo", "--yes"});
}

TEST_F(CliTest, UnitsAndUsersWithThePasswordRule) {
  ok({"tenant", "create", "eksjo", "--name", "Eksjö", "--domain", "eksjo.se"});
  ok({"tenant", "create", "nassjo", "--name", "Nässjö", "--domain", "nassjo.se"});
  ok({"unit", "add", "eksjo", "--name", "Kommunledning"});
  auto unit = ok_json({"unit", "add", "eksjo", "--name", "Skola", "--parent", "Kommunledning"});
  EXPECT_EQ(unit.at("parent"), "Kommunledning");
  refused(1, {"unit", "add", "eksjo", "--name", "X", "--parent", "Nope"});
  refused(1, {"unit", "add", "nope", "--name", "X"});
  auto units = ok_json({"unit", "list", "eksjo"});
  ASSERT_EQ(units.as_array().size(), 2u);

  auto anna =
      ok_json({"user", "add", "eksjo", "--email", "Anna@Eksjo.se", "--name", "Anna", "--role",
               "editor", "--role", "admin", "--unit", "Skola", "--password-stdin"},
              "hemligt lösenord\n");
  EXPECT_EQ(anna.at("email"), "anna@eksjo.se");
  EXPECT_EQ(anna.at("roles"), (json::array{"employee", "editor", "admin"}));
  EXPECT_EQ(anna.at("units"), (json::array{"Skola"}));
  EXPECT_EQ(anna.at("has_password"), true);

  // A Nässjö employee working for Eksjö too: a member here, but no password.
  auto why = refused(
      1, {"user", "add", "eksjo", "--email", "bo@nassjo.se", "--name", "Bo", "--password-stdin"},
      "hemligt lösenord\n");
  EXPECT_NE(why.find("nassjo"), std::string::npos) << why;
  auto bo = ok_json({"user", "add", "eksjo", "--email", "bo@nassjo.se", "--name", "Bo"});
  EXPECT_EQ(bo.at("has_password"), false);
  ok({"user", "add", "nassjo", "--email", "bo@nassjo.se", "--name", "Bo", "--password-stdin"},
     "hemligt lösenord\n");
  // A domain nobody owns may have a local password.
  ok({"user", "add", "eksjo", "--email", "konsult@gmail.com", "--name", "K", "--password-stdin"},
     "hemligt lösenord\r\n");

  refused(1,
          {"user", "add", "eksjo", "--email", "kort@eksjo.se", "--name", "K", "--password-stdin"},
          "kort\n");
  refused(1, {"user", "add", "eksjo", "--email", "tom@eksjo.se", "--name", "K", "--password-stdin"},
          "");
  refused(1, {"user", "add", "eksjo", "--email", "not-an-email", "--name", "K"});
  refused(1, {"user", "add", "eksjo", "--email", "anna@eksjo.se", "--name", "Dup"});
  refused(2, {"user", "add", "eksjo", "--email", "x@eksjo.se", "--name", "X", "--role", "boss"});

  auto users = ok_json({"user", "list", "eksjo"});
  ASSERT_EQ(users.as_array().size(), 3u);
  EXPECT_NE(ok({"user", "list", "eksjo"}).find("konsult@gmail.com"), std::string::npos);

  auto reg = registry::open(data_);
  ASSERT_TRUE(reg);
  EXPECT_EQ(*(*reg)->memberships("bo@nassjo.se"), (std::vector<std::string>{"eksjo", "nassjo"}));
  EXPECT_EQ(*(*reg)->memberships("anna@eksjo.se"), (std::vector<std::string>{"eksjo"}));
  auto store = tenant::store::open("eksjo", tenant::pool::tenant_dir(data_, "eksjo"));
  ASSERT_TRUE(store);
  EXPECT_TRUE((*store)->verify_password("anna@eksjo.se", "hemligt lösenord"));
  EXPECT_TRUE((*store)->verify_password("konsult@gmail.com", "hemligt lösenord"));
}

TEST_F(CliTest, Partners) {
  ok({"tenant", "create", "eksjo", "--name", "E"});
  ok({"tenant", "create", "nassjo", "--name", "N"});
  auto p = ok_json({"partner", "link", "nassjo", "eksjo"});
  EXPECT_EQ(p.at("a"), "eksjo");
  EXPECT_EQ(p.at("b"), "nassjo");
  ok({"partner", "link", "eksjo", "nassjo"});
  auto list = ok_json({"partner", "list"});
  ASSERT_EQ(list.as_array().size(), 1u);
  refused(1, {"partner", "link", "eksjo", "eksjo"});
  refused(1, {"partner", "link", "eksjo", "nope"});
  ok({"partner", "unlink", "eksjo", "nassjo"});
  refused(1, {"partner", "unlink", "eksjo", "nassjo"});
  EXPECT_TRUE(ok_json({"partner", "list"}).as_array().empty());
}

TEST_F(CliTest, ExportImportMigrateAndScim) {
  ok({"tenant", "create", "eksjo", "--name", "Eksjö", "--domain", "eksjo.se"});
  ok({"user", "add", "eksjo", "--email", "anna@eksjo.se", "--name", "Anna", "--password-stdin"},
     "hemligt lösenord\n");
  auto file = (root_ / "eksjo.tar.gz").string();
  auto m = ok_json({"tenant", "export", "eksjo", "--out", file});
  EXPECT_EQ(m.at("slug"), "eksjo");
  EXPECT_TRUE(fs::is_regular_file(file));

  EXPECT_NE(refused(1, {"tenant", "import", file}).find("taken"), std::string::npos);
  auto imported = ok_json({"tenant", "import", file, "--as", "kopia"});
  EXPECT_EQ(imported.at("tenant").at("slug"), "kopia");
  EXPECT_EQ(imported.at("skipped_domains"), (json::array{"eksjo.se"}));
  EXPECT_EQ(ok_json({"user", "list", "kopia"}).as_array().size(), 1u);
  refused(1, {"tenant", "import", (root_ / "absent.tar").string()});

  auto migrated = ok_json({"migrate"});
  ASSERT_EQ(migrated.as_array().size(), 2u);
  EXPECT_EQ(migrated.as_array()[0].at("to").to_number<int>(), tenant::current_schema_version());

  auto token = ok({"scim", "token", "create", "eksjo"});
  ASSERT_FALSE(token.empty());
  token.pop_back();  // newline
  auto reg = registry::open(data_);
  ASSERT_TRUE(reg);
  EXPECT_TRUE(*(*reg)->verify_scim_token("eksjo", token));
  EXPECT_FALSE(*(*reg)->verify_scim_token("kopia", token));
  EXPECT_TRUE(ok_json({"scim", "token", "create", "kopia"}).at("token").is_string());
  refused(1, {"scim", "token", "create", "nope"});
}

TEST_F(CliTest, DataDirComesFromTheEnvironmentElseDotData) {
  auto env_dir = root_ / "from-env";
  auto o = run({"tenant", "create", "eksjo", "--name", "E"}, "", false,
               {"SAMVERKA_DATA_DIR=" + env_dir.string()});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(env_dir / "tenants/eksjo"));
  o = run({"tenant", "create", "eksjo", "--name", "E"}, "", false, {});
  EXPECT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(fs::exists(root_ / "data/tenants/eksjo")) << "cwd is root_";
}

}  // namespace
}  // namespace samverka::provisioning

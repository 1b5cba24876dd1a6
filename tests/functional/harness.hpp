// Functional test harness: runs the real binaries (build/samverka, build/samverkactl) on a
// temporary data dir and speaks real HTTP to the server over loopback.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace samverka::testing {

// Output of one samverkactl run.
struct ctl_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// A fresh data dir under the system temp dir, removed on destruction.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs build/samverkactl --data-dir DIR ARGS..., feeding `input` on stdin.
ctl_result ctl(const std::filesystem::path& data_dir, const std::vector<std::string>& args,
               const std::string& input = "");

struct response {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names; repeated ones joined by "\n"
  std::string body;
  // The body parsed as JSON (throws if it is not JSON).
  boost::json::value json() const;
  // error.code of a JSON error body, or "" if there is none.
  std::string error_code() const;
};

struct request {
  std::string method = "GET";
  std::string target = "/";
  std::string host;  // default: 127.0.0.1:PORT
  std::map<std::string, std::string> headers;
  std::string body;
  std::string content_type = "application/json";
};

// A keep-alive connection for several requests in a row (drain and pipelining tests).
class connection {
 public:
  explicit connection(int port);
  ~connection();
  connection(const connection&) = delete;
  // Writes a request without waiting for the answer.
  void write(const request& r);
  // Reads one response.
  response read();
  response roundtrip(const request& r) {
    write(r);
    return read();
  }

 private:
  struct impl;
  impl* p_;
  int port_;
};

// A running `samverka serve` on an ephemeral loopback port.
class server {
 public:
  explicit server(const std::filesystem::path& data_dir, std::vector<std::string> extra = {});
  ~server();  // SIGKILL if still running
  server(const server&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  // Sends SIGTERM and waits; returns the exit status (or -1 on a signal / time-out).
  int terminate(std::chrono::seconds wait = std::chrono::seconds(20));
  // Everything the server wrote to stderr so far (its request log).
  std::string log() const;

  // One request over a new connection.
  response send(const request& r) const;
  response get(const std::string& target, const std::string& token = "") const;
  response post(const std::string& target, const std::string& body,
                const std::string& token = "") const;
  response patch(const std::string& target, const std::string& body,
                 const std::string& token = "") const;
  response del(const std::string& target, const std::string& token = "") const;

  // Logs in at tenant `slug` (via /t/SLUG) and returns the bearer token; fails the test otherwise.
  std::string login(const std::string& slug, const std::string& email,
                    const std::string& password) const;

  // Raw bytes to the server; returns what it answered before closing (or time-out).
  std::string raw(const std::string& bytes,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

 private:
  int pid_ = -1;
  int port_ = 0;
  std::filesystem::path log_path_;
};

// A platform with three partner municipalities and people in every role:
//   eksjo (eksjo.se), savsjo (savsjo.se), vetlanda (vetlanda.se), all linked as partners.
//   Each has units "Socialförvaltningen" > "Hemtjänst" and "Utbildningsförvaltningen" > "Skolan",
//   and people: editor@, admin@, chef@ (manager in Hemtjänst), anna@ (employee in Hemtjänst),
//   bo@ (employee in Skolan), all with password "lösenord-123".
//   pendlare@eksjo.se is also a member of savsjo (cross-employed, no password there).
void provision_demo(const std::filesystem::path& data_dir);
// Same, but provisions once per build into a template and copies it (argon2 makes it slow).
void copy_demo(const std::filesystem::path& data_dir);
// Builds a JSON request body from an initializer list, e.g. body({{"title","x"}}).
std::string body(boost::json::object o);
inline constexpr const char* demo_password = "lösenord-123";

}  // namespace samverka::testing

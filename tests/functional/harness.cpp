#include "harness.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace samverka::testing {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// fork/exec `argv` with stdin from `input`, stdout/stderr to the given files.
int spawn(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err,
          const std::string* input) {
  int in_pipe[2] = {-1, -1};
  if (input && pipe(in_pipe) != 0) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    if (input) {
      dup2(in_pipe[0], 0);
      close(in_pipe[0]);
      close(in_pipe[1]);
    } else {
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
    }
    int o = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1);
    dup2(e, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (input) {
    close(in_pipe[0]);
    std::size_t off = 0;
    while (off < input->size()) {
      ssize_t n = write(in_pipe[1], input->data() + off, input->size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    close(in_pipe[1]);
  }
  return pid;
}

fs::path binary(const char* name) {
  return fs::path(SAMVERKA_BINARY_DIR) / name;
}

}  // namespace

namespace {
void fill(http::request<http::string_body>& req, const request& r, int port);
response convert(http::response<http::string_body>& res);
}  // namespace

temp_dir::temp_dir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("samverka-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}
temp_dir::~temp_dir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

ctl_result ctl(const fs::path& data_dir, const std::vector<std::string>& args,
               const std::string& input) {
  temp_dir io;
  std::vector<std::string> argv{binary("samverkactl").string(), "--data-dir", data_dir.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  int pid = spawn(argv, io.path() / "out", io.path() / "err", &input);
  int status = 0;
  waitpid(pid, &status, 0);
  ctl_result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(io.path() / "out");
  r.err = read_file(io.path() / "err");
  return r;
}

boost::json::value response::json() const {
  return boost::json::parse(body);
}

std::string response::error_code() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return "";
  auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return "";
  auto* c = e->as_object().if_contains("code");
  return c && c->is_string() ? std::string(c->as_string()) : "";
}

server::server(const fs::path& data_dir, std::vector<std::string> extra) {
  log_path_ = data_dir / ("server-" + std::to_string(std::random_device{}()) + ".log");
  fs::path out = log_path_;
  out += ".out";
  std::vector<std::string> argv{binary("samverka").string(), "serve",    "--data-dir",
                                data_dir.string(),           "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  pid_ = spawn(argv, out, log_path_, nullptr);
  // The server prints "samverka listening on http://127.0.0.1:PORT" once it accepts connections.
  constexpr auto start_timeout = std::chrono::seconds(20);
  auto deadline = std::chrono::steady_clock::now() + start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::string text = read_file(out);
    auto pos = text.find("listening on http://");
    if (pos != std::string::npos) {
      auto colon = text.find(':', pos + 20);
      auto end = text.find_first_not_of("0123456789", colon + 1);
      if (colon != std::string::npos && end != std::string::npos) {
        port_ = std::stoi(text.substr(colon + 1, end - colon - 1));
        return;
      }
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("server exited at start: " + read_file(log_path_));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("server did not start: " + read_file(log_path_));
}

server::~server() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int server::terminate(std::chrono::seconds wait) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

std::string server::log() const {
  return read_file(log_path_);
}

response server::send(const request& r) const {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
  http::request<http::string_body> req;
  fill(req, r, port_);
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  http::read(stream, buffer, parser);
  response out = convert(parser.get());
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return out;
}

namespace {
void fill(http::request<http::string_body>& req, const request& r, int port) {
  req.method_string(r.method);
  req.target(r.target);
  req.version(11);
  req.set(http::field::host, r.host.empty() ? "127.0.0.1:" + std::to_string(port) : r.host);
  if (!r.body.empty() || r.method == "POST" || r.method == "PATCH") {
    req.set(http::field::content_type, r.content_type);
    req.body() = r.body;
    req.prepare_payload();
  }
  for (auto& [k, v] : r.headers) req.set(k, v);
}
response convert(http::response<http::string_body>& res) {
  response out;
  out.status = static_cast<int>(res.result_int());
  for (auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& slot = out.headers[name];
    if (!slot.empty()) slot += "\n";
    slot += std::string(f.value());
  }
  out.body = res.body();
  return out;
}
}  // namespace

struct connection::impl {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

connection::connection(int port) : p_(new impl), port_(port) {
  p_->stream.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
}
connection::~connection() {
  delete p_;
}
void connection::write(const request& r) {
  http::request<http::string_body> req;
  fill(req, r, port_);
  p_->stream.expires_after(std::chrono::seconds(30));
  http::write(p_->stream, req);
}
response connection::read() {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  p_->stream.expires_after(std::chrono::seconds(30));
  http::read(p_->stream, p_->buffer, parser);
  return convert(parser.get());
}

namespace {
request make(const std::string& method, const std::string& target, const std::string& body,
             const std::string& token) {
  request r;
  r.method = method;
  r.target = target;
  r.body = body;
  if (!token.empty()) r.headers["Authorization"] = "Bearer " + token;
  return r;
}
}  // namespace

response server::get(const std::string& t, const std::string& token) const {
  return send(make("GET", t, "", token));
}
response server::post(const std::string& t, const std::string& b, const std::string& token) const {
  return send(make("POST", t, b, token));
}
response server::patch(const std::string& t, const std::string& b, const std::string& token) const {
  return send(make("PATCH", t, b, token));
}
response server::del(const std::string& t, const std::string& token) const {
  return send(make("DELETE", t, "", token));
}

std::string server::login(const std::string& slug, const std::string& email,
                          const std::string& password) const {
  boost::json::object body{{"email", email}, {"password", password}};
  auto r = post("/t/" + slug + "/api/v1/auth/login", boost::json::serialize(body));
  EXPECT_EQ(r.status, 200) << slug << " " << email << ": " << r.body;
  if (r.status != 200) return "";
  return std::string(r.json().at("token").as_string());
}

std::string server::raw(const std::string& bytes, std::chrono::milliseconds timeout) const {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(
      tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)));
  stream.expires_after(timeout);
  beast::error_code ec;
  asio::write(stream.socket(), asio::buffer(bytes), ec);
  std::string got;
  char buf[4096];
  stream.socket().non_blocking(false);
  // Read until the server closes or the time-out passes.
  auto deadline = std::chrono::steady_clock::now() + timeout;
  stream.socket().non_blocking(true);
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t n = stream.socket().read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ec) break;
    got.append(buf, n);
  }
  return got;
}

void provision_demo(const fs::path& data) {
  auto must = [&](std::vector<std::string> args, const std::string& input = "") {
    auto r = ctl(data, args, input);
    ASSERT_EQ(r.exit_code, 0) << "samverkactl failed: " << r.err;
  };
  struct town {
    const char* slug;
    const char* name;
    const char* domain;
  };
  for (auto t :
       {town{"eksjo", "Eksjö kommun", "eksjo.se"}, town{"savsjo", "Sävsjö kommun", "savsjo.se"},
        town{"vetlanda", "Vetlanda kommun", "vetlanda.se"}}) {
    std::string s = t.slug, d = t.domain;
    must({"tenant", "create", s, "--name", t.name, "--domain", d});
    must({"unit", "add", s, "--name", "Socialförvaltningen"});
    must({"unit", "add", s, "--name", "Hemtjänst", "--parent", "Socialförvaltningen"});
    must({"unit", "add", s, "--name", "Utbildningsförvaltningen"});
    must({"unit", "add", s, "--name", "Skolan", "--parent", "Utbildningsförvaltningen"});
    std::string pw = std::string(demo_password) + "\n";
    must({"user", "add", s, "--email", "editor@" + d, "--name", "Eva Redaktör", "--role", "editor",
          "--unit", "Socialförvaltningen", "--password-stdin"},
         pw);
    must({"user", "add", s, "--email", "admin@" + d, "--name", "Adam Admin", "--role", "admin",
          "--password-stdin"},
         pw);
    must({"user", "add", s, "--email", "chef@" + d, "--name", "Cecilia Chef", "--role", "manager",
          "--unit", "Hemtjänst", "--password-stdin"},
         pw);
    must({"user", "add", s, "--email", "anna@" + d, "--name", "Anna Andersson", "--unit",
          "Hemtjänst", "--password-stdin"},
         pw);
    must({"user", "add", s, "--email", "bo@" + d, "--name", "Bo Berg", "--unit", "Skolan",
          "--password-stdin"},
         pw);
  }
  must({"user", "add", "eksjo", "--email", "pendlare@eksjo.se", "--name", "Per Pendlare", "--unit",
        "Hemtjänst", "--password-stdin"},
       std::string(demo_password) + "\n");
  must({"user", "add", "savsjo", "--email", "pendlare@eksjo.se", "--name", "Per Pendlare", "--role",
        "editor", "--unit", "Skolan"});
  must({"partner", "link", "eksjo", "savsjo"});
  must({"partner", "link", "eksjo", "vetlanda"});
  must({"partner", "link", "savsjo", "vetlanda"});
}

void copy_demo(const fs::path& data) {
  // One template per build dir; an exclusive lock keeps parallel test processes from racing.
  fs::path tmpl = fs::path(SAMVERKA_BINARY_DIR) / "test-demo-template";
  fs::path lock = fs::path(SAMVERKA_BINARY_DIR) / "test-demo-template.lock";
  int fd = open(lock.c_str(), O_RDWR | O_CREAT, 0644);
  flock(fd, LOCK_EX);
  auto stamp = tmpl / ".complete";
  // Rebuild the template when the CLI binary is newer than it.
  if (fs::exists(stamp) && fs::last_write_time(stamp) < fs::last_write_time(binary("samverkactl")))
    fs::remove_all(tmpl);
  if (!fs::exists(stamp)) {
    fs::remove_all(tmpl);
    fs::create_directories(tmpl);
    provision_demo(tmpl);
    if (!::testing::Test::HasFatalFailure()) std::ofstream(stamp) << "ok";
  }
  flock(fd, LOCK_UN);
  close(fd);
  ASSERT_TRUE(fs::exists(stamp)) << "demo provisioning failed";
  fs::copy(tmpl, data, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  fs::remove(data / ".complete");
}

std::string body(boost::json::object o) {
  return boost::json::serialize(o);
}

}  // namespace samverka::testing

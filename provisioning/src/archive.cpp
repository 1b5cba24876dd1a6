#include "archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "samverka/core/clock.hpp"
#include "samverka/core/slug.hpp"
#include "samverka/tenant/limits.hpp"
#include "samverka/tenant/store.hpp"

namespace samverka::provisioning::archive {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Chunk size for streaming file contents in and out of the archive.
constexpr std::size_t io_chunk = 64 * 1024;

struct archive_write_deleter {
  void operator()(struct archive* a) const noexcept { archive_write_free(a); }
};
struct archive_read_deleter {
  void operator()(struct archive* a) const noexcept { archive_read_free(a); }
};
struct entry_deleter {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using writer_ptr = std::unique_ptr<struct archive, archive_write_deleter>;
using reader_ptr = std::unique_ptr<struct archive, archive_read_deleter>;
using entry_ptr = std::unique_ptr<archive_entry, entry_deleter>;

// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

std::string archive_message(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

bool wants_gzip(const fs::path& out) {
  auto name = out.filename().string();
  auto ends_with = [&](std::string_view suffix) {
    return name.size() >= suffix.size() &&
           ascii_lower(name.substr(name.size() - suffix.size())) == suffix;
  };
  return ends_with(".gz") || ends_with(".tgz");
}

// --- Writing ----------------------------------------------------------------------------------

class export_writer {
 public:
  explicit export_writer(const fs::path& out, bool gzip) : a_(archive_write_new()) {
    if (!a_) throw std::bad_alloc();
    ok_ = archive_write_set_format_pax_restricted(a_.get()) == ARCHIVE_OK &&
          (!gzip || archive_write_add_filter_gzip(a_.get()) == ARCHIVE_OK) &&
          archive_write_open_filename(a_.get(), out.c_str()) == ARCHIVE_OK;
  }

  result<void> status() const {
    if (ok_) return {};
    return error(errc::internal, "export_failed", "writing archive: " + archive_message(a_.get()));
  }

  result<void> add_memory(const std::string& name, std::string_view data) {
    entry_ptr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(e.get(), now_ms() / 1000, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail();
    if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) < 0) return fail();
    return {};
  }

  result<void> add_directory(const std::string& name, const struct stat& st) {
    entry_ptr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFDIR);
    archive_entry_set_perm(e.get(), 0755);
    archive_entry_set_mtime(e.get(), st.st_mtime, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail();
    return {};
  }

  // Adds the regular file at `path`. A file that vanished since it was listed is skipped
  // (`skipped` set): the database snapshot is the consistent part of an export.
  result<void> add_file(const std::string& name, const fs::path& path, bool* skipped = nullptr) {
    fd_guard f{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    struct stat st {};
    if (f.fd < 0 || ::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      if (skipped) {
        *skipped = true;
        return {};
      }
      return error(errc::internal, "export_failed",
                   "reading " + path.string() + ": " + std::strerror(errno));
    }
    entry_ptr e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), 0644);
    archive_entry_set_size(e.get(), st.st_size);
    archive_entry_set_mtime(e.get(), st.st_mtime, 0);
    if (archive_write_header(a_.get(), e.get()) != ARCHIVE_OK) return fail();
    // Exactly the announced size goes out: a file growing meanwhile is cut at that size, and one
    // shrinking is padded by libarchive (files are written once and never edited in place).
    std::vector<char> buf(io_chunk);
    auto left = static_cast<std::uint64_t>(st.st_size);
    while (left > 0) {
      auto n = ::read(f.fd, buf.data(), std::min<std::uint64_t>(left, buf.size()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return error(errc::internal, "export_failed",
                     "reading " + path.string() + ": " + std::strerror(errno));
      if (n == 0) break;
      if (archive_write_data(a_.get(), buf.data(), static_cast<std::size_t>(n)) < 0) return fail();
      left -= static_cast<std::uint64_t>(n);
    }
    return {};
  }

  result<void> close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return fail();
    return {};
  }

 private:
  error fail() const {
    return error(errc::internal, "export_failed", "writing archive: " + archive_message(a_.get()));
  }

  writer_ptr a_;
  bool ok_ = false;
};

// Adds files_dir's tree below "files/", in a stable (sorted) order.
result<void> add_tree(export_writer& w, const fs::path& dir, const std::string& prefix) {
  std::vector<fs::directory_entry> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  if (ec)
    return error(errc::internal, "export_failed", "listing " + dir.string() + ": " + ec.message());
  std::sort(entries.begin(), entries.end(),
            [](const auto& x, const auto& y) { return x.path().filename() < y.path().filename(); });
  for (const auto& de : entries) {
    auto name = prefix + de.path().filename().string();
    struct stat st {};
    if (::lstat(de.path().c_str(), &st) != 0) continue;  // vanished meanwhile
    if (S_ISDIR(st.st_mode)) {
      if (auto r = w.add_directory(name + "/", st); !r) return r;
      if (auto r = add_tree(w, de.path(), name + "/"); !r) return r;
    } else if (S_ISREG(st.st_mode)) {
      bool skipped = false;
      if (auto r = w.add_file(name, de.path(), &skipped); !r) return r;
    }
    // Symbolic links and special files are never tenant content: skipped, so an export can
    // never carry anything from outside the tenant's folder.
  }
  return {};
}

// --- Reading ----------------------------------------------------------------------------------

error bad_archive(std::string msg) {
  return error(errc::invalid_input, "invalid_archive", std::move(msg));
}

// The entry's path with leading "./" removed, or nullopt if it is absolute or has an empty,
// "." or ".." component (a trailing '/' on directories is allowed).
std::optional<std::string> safe_entry_path(const char* raw, bool is_dir) {
  if (!raw) return std::nullopt;
  std::string_view p(raw);
  while (p.size() >= 2 && p.substr(0, 2) == "./") p.remove_prefix(2);
  if (is_dir && !p.empty() && p.back() == '/') p.remove_suffix(1);
  if (p.empty() || p.front() == '/') return std::nullopt;
  std::size_t start = 0;
  while (start <= p.size()) {
    auto end = p.find('/', start);
    if (end == std::string_view::npos) end = p.size();
    auto part = p.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") return std::nullopt;
    if (part.find('\0') != std::string_view::npos) return std::nullopt;
    start = end + 1;
  }
  return std::string(p);
}

class import_reader {
 public:
  import_reader(const fs::path& archive_path, const fs::path& into,
                const std::function<result<void>(const export_manifest&)>& on_manifest)
      : a_(archive_read_new()), into_(into), on_manifest_(on_manifest) {
    if (!a_) throw std::bad_alloc();
    // Only what write_export produces: tar, optionally gzip. No other filters or formats, so
    // the parsers reachable by a crafted file stay few.
    archive_read_support_filter_gzip(a_.get());
    archive_read_support_format_tar(a_.get());
    open_ok_ = archive_read_open_filename(a_.get(), archive_path.c_str(), io_chunk) == ARCHIVE_OK;
  }

  result<export_manifest> run() {
    if (!open_ok_)
      return bad_archive("not a readable export archive: " + archive_message(a_.get()));
    std::optional<export_manifest> manifest;
    bool have_db = false;
    for (;;) {
      archive_entry* e = nullptr;
      int rc = archive_read_next_header(a_.get(), &e);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) return bad_archive("corrupt archive: " + archive_message(a_.get()));
      if (++entries_ > max_import_entries)
        return error(
            errc::too_large, "archive_too_large",
            "the archive has more than " + std::to_string(max_import_entries) + " entries");
      const char* raw = archive_entry_pathname(e);
      std::string shown = raw ? raw : "(no name)";
      auto type = archive_entry_filetype(e);
      if (archive_entry_hardlink(e) || archive_entry_symlink(e) ||
          (type != AE_IFREG && type != AE_IFDIR))
        return bad_archive("refusing entry '" + shown + "': only regular files and directories");
      auto path = safe_entry_path(raw, type == AE_IFDIR);
      if (!path) return bad_archive("refusing entry '" + shown + "': unsafe path");

      if (*path == "manifest.json" && type == AE_IFREG) {
        if (manifest) return bad_archive("duplicate manifest.json");
        auto text = read_small(max_manifest_bytes);
        if (!text) return text.err();
        auto m = parse_manifest(*text);
        if (!m) return m.err();  // fails early, before a large database is extracted
        if (on_manifest_)
          if (auto r = on_manifest_(*m); !r) return r.err();
        manifest = std::move(*m);
      } else if (*path == "tenant.sqlite" && type == AE_IFREG) {
        if (have_db) return bad_archive("duplicate tenant.sqlite");
        if (auto r = extract_file(into_ / "tenant.sqlite"); !r) return r.err();
        have_db = true;
      } else if (*path == "files" && type == AE_IFDIR) {
        if (auto r = make_dir(into_ / "files"); !r) return r.err();
      } else if (path->starts_with("files/")) {
        auto target = into_ / fs::path(*path);
        if (type == AE_IFDIR) {
          if (auto r = make_dir(target); !r) return r.err();
        } else {
          if (auto r = make_dir(target.parent_path()); !r) return r.err();
          if (auto r = extract_file(target); !r) return r.err();
        }
      } else {
        return bad_archive("unexpected entry '" + shown + "' in a tenant export");
      }
    }
    if (!manifest) return bad_archive("the archive has no manifest.json");
    if (!have_db) return bad_archive("the archive has no tenant.sqlite");
    return std::move(*manifest);
  }

 private:
  result<std::uint64_t> count(std::uint64_t n) {
    total_ += n;
    if (total_ > max_import_bytes)
      return error(
          errc::too_large, "archive_too_large",
          "the archive expands to more than " + std::to_string(max_import_bytes >> 30) + " GiB");
    return total_;
  }

  result<std::string> read_small(std::size_t limit) {
    std::string out;
    std::vector<char> buf(io_chunk);
    for (;;) {
      auto n = archive_read_data(a_.get(), buf.data(), buf.size());
      if (n < 0) return bad_archive("corrupt archive: " + archive_message(a_.get()));
      if (n == 0) break;
      if (out.size() + static_cast<std::size_t>(n) > limit)
        return bad_archive("manifest.json is larger than " + std::to_string(limit) + " bytes");
      out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
  }

  // Creates `dir` and missing parents inside `into_`. Nothing on the way can be a symbolic link:
  // the archive cannot create one and `into_` is a fresh private directory.
  result<void> make_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(fs::symlink_status(dir)))
      return bad_archive("cannot create directory " + dir.lexically_relative(into_).string());
    return {};
  }

  // Streams the current entry's data into a new file (never replacing an existing one).
  result<void> extract_file(const fs::path& target) {
    fd_guard f{::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)};
    if (f.fd < 0) {
      if (errno == EEXIST)
        return bad_archive("duplicate entry " + target.lexically_relative(into_).string());
      return error(errc::internal, "import_failed",
                   "creating " + target.string() + ": " + std::strerror(errno));
    }
    std::vector<char> buf(io_chunk);
    for (;;) {
      auto n = archive_read_data(a_.get(), buf.data(), buf.size());
      if (n < 0) return bad_archive("corrupt archive: " + archive_message(a_.get()));
      if (n == 0) break;
      if (auto r = count(static_cast<std::uint64_t>(n)); !r) return r.err();
      for (la_ssize_t off = 0; off < n;) {
        auto w = ::write(f.fd, buf.data() + off, static_cast<std::size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0)
          return error(errc::internal, "import_failed",
                       "writing " + target.string() + ": " + std::strerror(errno));
        off += w;
      }
    }
    if (::fsync(f.fd) != 0)
      return error(errc::internal, "import_failed",
                   "writing " + target.string() + ": " + std::strerror(errno));
    return {};
  }

  reader_ptr a_;
  fs::path into_;
  const std::function<result<void>(const export_manifest&)>& on_manifest_;
  bool open_ok_ = false;
  std::size_t entries_ = 0;
  std::uint64_t total_ = 0;
};

}  // namespace

std::string manifest_json(const export_manifest& m) {
  json::array domains;
  for (const auto& d : m.domains) domains.emplace_back(d);
  json::object o;
  o["format"] = format_id;
  o["slug"] = m.slug;
  o["name"] = m.name;
  o["domains"] = std::move(domains);
  o["schema_version"] = m.schema_version;
  o["exported_at"] = to_rfc3339(m.exported_at_ms);
  return json::serialize(o);
}

result<export_manifest> parse_manifest(std::string_view text) {
  auto bad = [](std::string why) { return bad_archive("invalid manifest.json: " + why); };
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return bad("not a JSON object");
  const auto& o = v.as_object();
  auto str = [&](std::string_view key) -> const json::string* {
    auto* p = o.if_contains(key);
    return p ? p->if_string() : nullptr;
  };
  const auto* format = str("format");
  if (!format || *format != format_id)
    return bad("format is not \"" + std::string(format_id) + "\"");
  export_manifest m;
  const auto* slug = str("slug");
  if (!slug || !valid_slug(*slug)) return bad("missing or invalid slug");
  m.slug = std::string(*slug);
  const auto* name = str("name");
  if (!name || name->empty() || name->size() > tenant::limits::max_name)
    return bad("missing or invalid name");
  m.name = std::string(*name);
  const auto* domains = o.if_contains("domains");
  if (!domains || !domains->is_array()) return bad("domains is not an array");
  for (const auto& d : domains->as_array()) {
    if (!d.is_string() || !valid_domain(d.as_string())) return bad("invalid domain");
    m.domains.emplace_back(d.as_string());
  }
  const auto* schema = o.if_contains("schema_version");
  if (!schema || !schema->is_int64() || schema->as_int64() < 1 || schema->as_int64() > 1'000'000)
    return bad("missing or invalid schema_version");
  m.schema_version = static_cast<int>(schema->as_int64());
  const auto* exported = str("exported_at");
  auto at = exported ? parse_rfc3339(*exported) : std::nullopt;
  if (!at) return bad("missing or invalid exported_at");
  m.exported_at_ms = *at;
  if (m.schema_version > tenant::current_schema_version())
    return error(errc::conflict, "schema_too_new",
                 "the export has schema version " + std::to_string(m.schema_version) +
                     ", newer than this build's " +
                     std::to_string(tenant::current_schema_version()) + "; upgrade samverka first");
  return m;
}

result<void> write_export(const export_manifest& manifest, const fs::path& snapshot_db,
                          const fs::path& files_dir, const fs::path& out) {
  std::error_code ec;
  auto out_status = fs::symlink_status(out, ec);
  if (fs::exists(out_status) && !fs::is_regular_file(out_status))
    return error(errc::invalid_input, "invalid_output",
                 out.string() + " exists and is not a regular file");
  auto tmp = out;
  tmp += ".tmp";
  fs::remove(tmp, ec);
  auto fail = [&](error e) -> result<void> {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return e;
  };

  export_writer w(tmp, wants_gzip(out));
  if (auto r = w.status(); !r) return fail(r.err());
  if (auto r = w.add_memory("manifest.json", manifest_json(manifest)); !r) return fail(r.err());
  if (auto r = w.add_file("tenant.sqlite", snapshot_db); !r) return fail(r.err());
  struct stat st {};
  if (::lstat(files_dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    if (auto r = w.add_directory("files/", st); !r) return fail(r.err());
    if (auto r = add_tree(w, files_dir, "files/"); !r) return fail(r.err());
  }
  if (auto r = w.close(); !r) return fail(r.err());

  // Durable before it becomes visible under its final name.
  {
    fd_guard f{::open(tmp.c_str(), O_RDONLY | O_CLOEXEC)};
    if (f.fd < 0 || ::fsync(f.fd) != 0)
      return fail(error(errc::internal, "export_failed",
                        "syncing " + tmp.string() + ": " + std::strerror(errno)));
  }
  fs::rename(tmp, out, ec);
  if (ec)
    return fail(error(errc::internal, "export_failed",
                      "renaming to " + out.string() + ": " + ec.message()));
  return {};
}

result<export_manifest> read_export(
    const fs::path& archive_path, const fs::path& into,
    const std::function<result<void>(const export_manifest&)>& on_manifest) {
  std::error_code ec;
  auto st = fs::status(archive_path, ec);
  if (!fs::exists(st)) return error(errc::not_found, "no such file: " + archive_path.string());
  if (!fs::is_regular_file(st))
    return error(errc::invalid_input, "invalid_archive",
                 archive_path.string() + " is not a regular file");
  import_reader r(archive_path, into, on_manifest);
  return r.run();
}

}  // namespace samverka::provisioning::archive

// Helpers shared by the tenant tests: throw-away directories and result assertions.
#pragma once

#include <atomic>
#include <filesystem>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "samverka/core/error.hpp"

namespace samverka::tenant::testing {

// A fresh directory under the system temp dir, removed with everything in it at scope end.
class temp_dir {
 public:
  temp_dir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("samverka-tenant-test-" + std::to_string(rd()) + "-" + std::to_string(++counter));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// The value of `r`, failing the test with the error's code and message if there is none.
template <class T>
T must(result<T> r) {
  if (!r) ADD_FAILURE() << "unexpected error " << r.err().code << ": " << r.err().message;
  return std::move(r).value();
}
inline void must(result<void> r) {
  if (!r) ADD_FAILURE() << "unexpected error " << r.err().code << ": " << r.err().message;
}

// Expects `r` to be a failure of `kind` (and of `code` when given).
template <class R>
void expect_error(const R& r, errc kind, const std::string& code = {}) {
  ASSERT_FALSE(r) << "expected an error " << to_string(kind);
  EXPECT_EQ(r.err().kind, kind) << r.err().code << ": " << r.err().message;
  if (!code.empty()) {
    EXPECT_EQ(r.err().code, code) << r.err().message;
  }
}

}  // namespace samverka::tenant::testing

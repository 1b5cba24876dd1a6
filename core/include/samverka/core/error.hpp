// Expected failures of the domain, independent of HTTP: every component reports them as an
// `error` inside a `result<T>`; the gateway maps `errc` to a status in one table
// (gateway/src/errors.cpp). Exceptions are kept for bugs and broken invariants.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace samverka {

// When adding enumerators here, also add the mapping in gateway/src/errors.cpp and to_string().
enum class errc {
  invalid_input,    // malformed or wrong-typed input; nothing was changed
  unauthenticated,  // no valid credentials
  forbidden,        // authenticated, but not allowed here
  not_found,        // does not exist, or is not visible to the caller
  conflict,         // duplicate or state conflict (e.g. slug taken)
  too_large,        // body or file over its limit
  unprocessable,    // well-formed but refused by a rule (e.g. sharing with a non-partner)
  throttled,        // too many attempts; retry later
  suspended,        // the tenant is suspended by its operator
  unavailable,      // temporarily cannot serve (draining, store not ready)
  internal,         // a bug or an environment failure; details are logged, not returned
};

// The default snake_case code for a kind ("invalid_input", "not_found", ...).
std::string_view to_string(errc kind) noexcept;

// One expected failure: its kind, a stable snake_case code for clients, and a human message.
struct error {
  errc kind = errc::internal;
  std::string code;
  std::string message;

  error() = default;
  error(errc k, std::string msg) : kind(k), code(to_string(k)), message(std::move(msg)) {}
  error(errc k, std::string c, std::string msg)
      : kind(k), code(std::move(c)), message(std::move(msg)) {}
};

// Either a value or an expected failure. value() on a failure is a bug and throws std::logic_error.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  result(error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The failure; calling this on a success is a bug.
  const error& err() const { return std::get<1>(v_); }

 private:
  void check() const;
  std::variant<T, error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(error e) : e_(std::move(e)), failed_(true) {}
  bool has_value() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return !failed_; }
  const error& err() const { return e_; }

 private:
  error e_;
  bool failed_ = false;
};

// Throws std::logic_error describing `e`: reaching it means a caller ignored a failure.
[[noreturn]] void throw_unchecked(const error& e);

template <class T>
void result<T>::check() const {
  if (v_.index() != 0) throw_unchecked(std::get<1>(v_));
}

}  // namespace samverka

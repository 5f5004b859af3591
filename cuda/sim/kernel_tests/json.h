// A small JSON reader for the shared case table (lib/core/conformance/table.ts, exported to JSON by
// test/cuda-kernels.test.ts): objects, arrays, numbers, strings, booleans and null; no \u escapes
// beyond ASCII. A hand-written reader rather than a library so the kernel tests build from the
// Debian toolchain alone.
#pragma once
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kt {

class Json {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };

  // Throws std::runtime_error naming the offset of the first bad character.
  static Json parse(const std::string& text);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool has(const std::string& key) const { return kind_ == Kind::Object && object_.count(key) > 0; }
  // Members and elements; a missing key or a wrong kind throws naming `key`.
  const Json& operator[](const std::string& key) const;
  const Json& operator[](size_t i) const;
  size_t size() const { return kind_ == Kind::Array ? array_.size() : object_.size(); }
  const std::map<std::string, Json>& members() const { return object_; }

  double number() const;
  int64_t integer() const;
  bool boolean() const;
  const std::string& string() const;
  std::vector<int64_t> integers() const;  // an array of integers

 private:
  friend class JsonParser;
  Kind kind_ = Kind::Null;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<Json> array_;
  std::map<std::string, Json> object_;
};

}  // namespace kt

// The JSON reader of the case table (see json.h).
#include "json.h"

#include <cmath>
#include <cstdlib>

namespace kt {

class JsonParser {
 public:
  explicit JsonParser(const std::string& s) : s_(s) {}

  Json document() {
    Json v = value();
    skip_space();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("case table JSON: " + what + " at offset " + std::to_string(i_));
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\r' || s_[i_] == '\t')) ++i_;
  }
  char peek() {
    skip_space();
    if (i_ >= s_.size()) fail("unexpected end");
    return s_[i_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool literal(const char* word) {
    const std::string w(word);
    if (s_.compare(i_, w.size(), w) != 0) return false;
    i_ += w.size();
    return true;
  }

  Json value() {
    Json v;
    const char c = peek();
    if (c == '{' || c == '[') {
      v.kind_ = c == '{' ? Json::Kind::Object : Json::Kind::Array;
      const char close = c == '{' ? '}' : ']';
      ++i_;
      if (peek() == close) return ++i_, v;
      for (;;) {
        if (c == '{') {
          std::string key = str();
          expect(':');
          v.object_[key] = value();
        } else {
          v.array_.push_back(value());
        }
        if (peek() != ',') break;
        ++i_;
      }
      expect(close);
      return v;
    }
    if (c == '"') {
      v.kind_ = Json::Kind::String;
      v.string_ = str();
      return v;
    }
    if (literal("true") || literal("false")) {
      v.kind_ = Json::Kind::Bool;
      v.bool_ = s_[i_ - 1] == 'e' && s_[i_ - 2] == 'u';  // "true", not "false"
      return v;
    }
    if (literal("null")) return v;
    const char* begin = s_.c_str() + i_;
    char* end = nullptr;
    v.number_ = std::strtod(begin, &end);
    if (end == begin) fail("not a JSON value");
    v.kind_ = Json::Kind::Number;
    i_ += static_cast<size_t>(end - begin);
    return v;
  }

  std::string str() {
    expect('"');
    std::string o;
    while (i_ < s_.size() && s_[i_] != '"') {
      char c = s_[i_++];
      if (c == '\\') {
        if (i_ >= s_.size()) fail("unterminated escape");
        c = s_[i_++];
        c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
      }
      o += c;
    }
    if (i_ >= s_.size()) fail("unterminated string");
    ++i_;
    return o;
  }

  const std::string& s_;
  size_t i_ = 0;
};

Json Json::parse(const std::string& text) { return JsonParser(text).document(); }

const Json& Json::operator[](const std::string& key) const {
  auto it = object_.find(key);
  if (kind_ != Kind::Object || it == object_.end()) throw std::runtime_error("case table: no member '" + key + "'");
  return it->second;
}

const Json& Json::operator[](size_t i) const {
  if (kind_ != Kind::Array || i >= array_.size())
    throw std::runtime_error("case table: no element " + std::to_string(i));
  return array_[i];
}

double Json::number() const {
  if (kind_ != Kind::Number) throw std::runtime_error("case table: a number was expected");
  return number_;
}

int64_t Json::integer() const {
  const double v = number();
  if (v != std::floor(v)) throw std::runtime_error("case table: an integer was expected, got " + std::to_string(v));
  return static_cast<int64_t>(v);
}

bool Json::boolean() const {
  if (kind_ != Kind::Bool) throw std::runtime_error("case table: a boolean was expected");
  return bool_;
}

const std::string& Json::string() const {
  if (kind_ != Kind::String) throw std::runtime_error("case table: a string was expected");
  return string_;
}

std::vector<int64_t> Json::integers() const {
  if (kind_ != Kind::Array) throw std::runtime_error("case table: an array of integers was expected");
  std::vector<int64_t> v;
  for (const Json& e : array_) v.push_back(e.integer());
  return v;
}

}  // namespace kt

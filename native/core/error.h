// Typed errors raised by the native core. They never abort the process: the binding layer
// catches them and rethrows them in JavaScript as NnlabError subclasses carrying `code`.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace nn {

enum class ErrorCode {
  Shape,        // shapes do not match what the op needs
  DType,        // wrong element type
  Device,       // wrong or unavailable device
  Argument,     // a bad scalar argument (negative size, bad stride, unknown enum...)
  Index,        // an index out of range
  Value,        // a value that is not allowed (NaN/Inf where it matters)
  Disposed,     // use of a tensor after dispose()
  IO,           // file problems
  OutOfMemory,  // allocation failed
  Internal      // a bug in nnlab: should never reach users
};

// A switch, not a table (so its cases look like dtype_name's): -Wswitch flags a code added without its name.
inline const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::Shape:
      return "ERR_SHAPE";
    case ErrorCode::DType:
      return "ERR_DTYPE";
    case ErrorCode::Device:
      return "ERR_DEVICE";
    case ErrorCode::Argument:
      return "ERR_ARGUMENT";
    case ErrorCode::Index:
      return "ERR_INDEX";
    case ErrorCode::Value:
      return "ERR_VALUE";
    case ErrorCode::Disposed:
      return "ERR_DISPOSED";
    case ErrorCode::IO:
      return "ERR_IO";
    case ErrorCode::OutOfMemory:
      return "ERR_OUT_OF_MEMORY";
    case ErrorCode::Internal:
      return "ERR_INTERNAL";
  }
  return "ERR_INTERNAL";
}

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

// Builds the message from any streamable pieces: fail(ErrorCode::Shape, "conv2d: x ", shape, ...)
template <typename... Parts>
[[noreturn]] void fail(ErrorCode code, const Parts&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  throw Error(code, os.str());
}

#define NN_CHECK(cond, code, ...)               \
  do {                                          \
    if (!(cond)) ::nn::fail(code, __VA_ARGS__); \
  } while (0)

}  // namespace nn

// Inputs, buffers and the case table of the kernel unit tests (see harness.h).
#include "harness.h"

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace kt {
namespace {
uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

std::vector<float> uniform(size_t n, float lo, float hi, uint64_t seed) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x632BE59BD9B4E019ull + 1;
  for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(splitmix(s) >> 40) * (1.f / 16777216.f);
  return v;
}

std::vector<int32_t> ints(size_t n, int32_t lo, int32_t hi_exclusive, uint64_t seed) {
  std::vector<int32_t> v(n);
  uint64_t s = seed * 0x632BE59BD9B4E019ull + 7;
  const uint64_t span = static_cast<uint64_t>(hi_exclusive - lo);
  for (auto& x : v) x = lo + static_cast<int32_t>(splitmix(s) % span);
  return v;
}

Mem::~Mem() {
  for (auto& [p, bytes] : owned_) b_.free(p, bytes);
}

void* Mem::raw(size_t bytes) {
  size_t n = bytes ? bytes : 4;  // a zero-size tensor still has a (never read) pointer
  void* p = b_.alloc(n);
  owned_.emplace_back(p, n);
  return p;
}

void Mem::poison(void* p, size_t bytes) {
  if (!bytes) return;
  std::vector<unsigned char> ff(bytes, 0xFF);
  b_.copy_from_host(p, ff.data(), bytes);
}

int64_t Entry::numel(const std::string& k) const {
  int64_t n = 1;
  for (int64_t d : shape(k)) n *= d;
  return n;
}

std::vector<Case> load_cases(const std::string& path, const Runners& runners) {
  std::ifstream f(path);
  if (!f) throw std::runtime_error("cannot read the case table " + path + " (test/cuda-kernels.test.ts writes it)");
  std::stringstream text;
  text << f.rdbuf();
  const Json table = Json::parse(text.str());
  std::vector<Case> cases;
  for (size_t i = 0; i < table["cases"].size(); ++i) {
    const Json& c = table["cases"][i];
    if (c.has("only") && c["only"].string() != "kernels") continue;
    Entry e;
    e.op = c["op"].string(), e.name = c["name"].string();
    const Json& tol = table["tolerances"][c["tol"].string()];
    e.tol = {tol["rtol"].number(), tol["atol_scale"].number()};
    e.shapes = c["shapes"], e.params = c["params"];
    auto it = runners.find(e.op);
    if (it == runners.end()) throw std::runtime_error("case table: no runner for op '" + e.op + "' (" + e.name + ")");
    cases.push_back({e.op + "/" + e.name, e.tol, [run = it->second, e](Backend& b) { return run(b, e); }});
  }
  return cases;
}

}  // namespace kt

#include "memory_headroom.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace nn::cpu {
namespace {

// The first number in a file ("max" and unreadable files give SIZE_MAX).
size_t read_number(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s) || s == "max") return SIZE_MAX;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  return end == s.c_str() ? SIZE_MAX : static_cast<size_t>(v);
}

// The value of `key` in a "key value" file such as memory.stat (0 when absent).
size_t read_stat(const std::string& path, const char* key) {
  std::ifstream f(path);
  std::string k;
  unsigned long long v;
  while (f >> k >> v)
    if (k == key) return static_cast<size_t>(v);
  return 0;
}

size_t meminfo_available() {
  std::ifstream f("/proc/meminfo");
  if (!f) return SIZE_MAX;
  std::string line;
  size_t avail = SIZE_MAX, swap = 0;
  while (std::getline(f, line)) {
    unsigned long long kb;
    if (std::sscanf(line.c_str(), "MemAvailable: %llu kB", &kb) == 1) avail = static_cast<size_t>(kb) << 10;
    if (std::sscanf(line.c_str(), "SwapFree: %llu kB", &kb) == 1) swap = static_cast<size_t>(kb) << 10;
  }
  return avail == SIZE_MAX ? SIZE_MAX : avail + swap;
}

// limit - usage, with the reclaimable page cache counted as free, for one cgroup folder.
size_t cgroup_headroom(const std::string& dir, bool v2) {
  size_t limit = read_number(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"));
  if (limit == SIZE_MAX || limit >= (size_t(1) << 62)) return SIZE_MAX;  // v1 writes "no limit" as ~2^63
  size_t usage = read_number(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"));
  if (usage == SIZE_MAX) return SIZE_MAX;
  size_t cache = read_stat(dir + "/memory.stat", v2 ? "inactive_file" : "total_inactive_file");
  usage -= std::min(usage, cache);
  return limit > usage ? limit - usage : 0;
}

// The tightest headroom over the cgroup path and its ancestors. Inside a container the path in
// /proc/self/cgroup may be relative to a root the container does not see, so every ancestor
// that exists is tried.
size_t cgroups_headroom() {
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  size_t best = SIZE_MAX;
  while (std::getline(f, line)) {
    // "0::/path" (v2) or "4:memory:/path" (v1).
    size_t c1 = line.find(':'), c2 = c1 == std::string::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string::npos) continue;
    std::string controllers = line.substr(c1 + 1, c2 - c1 - 1), path = line.substr(c2 + 1);
    bool v2 = controllers.empty();
    bool v1_memory = false;
    std::stringstream cs(controllers);
    for (std::string c; std::getline(cs, c, ',');) v1_memory |= c == "memory";
    if (!v2 && !v1_memory) continue;
    std::string root = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
    for (;;) {
      best = std::min(best, cgroup_headroom(root + (path == "/" ? "" : path), v2));
      if (path.empty() || path == "/") break;
      size_t slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  return best;
}

}  // namespace

size_t memory_headroom() { return std::min(meminfo_available(), cgroups_headroom()); }

}  // namespace nn::cpu

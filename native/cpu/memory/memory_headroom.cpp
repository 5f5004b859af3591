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
size_t cgroup_headroom(const std::string& dir, bool v2, size_t* limit_out) {
  size_t limit = read_number(dir + (v2 ? "/memory.max" : "/memory.limit_in_bytes"));
  if (limit == SIZE_MAX || limit >= (size_t(1) << 62)) return SIZE_MAX;  // v1 writes "no limit" as ~2^63
  size_t usage = read_number(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"));
  if (usage == SIZE_MAX) return SIZE_MAX;
  size_t cache = read_stat(dir + "/memory.stat", v2 ? "inactive_file" : "total_inactive_file");
  usage -= std::min(usage, cache);
  *limit_out = limit;
  return limit > usage ? limit - usage : 0;
}

// Where the memory controller is mounted: the cgroup2 file system (pure v2 at /sys/fs/cgroup, or
// hybrid at /sys/fs/cgroup/unified) and the v1 hierarchy carrying "memory", each with the cgroup
// path its mount starts at (not "/" inside some containers). Read from /proc/self/mountinfo:
// "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE SOURCE SUPEROPTIONS".
struct CgroupMount {
  std::string root, point;
};
void cgroup_mounts(CgroupMount* v1, CgroupMount* v2) {
  std::ifstream f("/proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    std::istringstream ls(line);
    std::string id, parent, dev, root, point, word;
    ls >> id >> parent >> dev >> root >> point;
    while (ls >> word && word != "-") {
    }
    std::string fstype, source, options;
    ls >> fstype >> source >> options;
    bool memory = false;
    std::stringstream os(options);
    for (std::string o; std::getline(os, o, ',');) memory |= o == "memory";
    if (fstype == "cgroup2" && v2->point.empty()) *v2 = {root, point};
    if (fstype == "cgroup" && memory && v1->point.empty()) *v1 = {root, point};
  }
  if (v2->point.empty()) *v2 = {"/", "/sys/fs/cgroup"};
  if (v1->point.empty()) *v1 = {"/", "/sys/fs/cgroup/memory"};
}

// The tightest headroom over the cgroup path of this process and its ancestors, v1 and v2 alike.
// The path in /proc/self/cgroup is relative to the hierarchy's root; a mount of a sub-tree (its
// root in mountinfo) is subtracted, and where the path still does not fit (a container that sees
// a root it cannot name) every ancestor that exists is tried.
Headroom cgroups_headroom() {
  CgroupMount v1m, v2m;
  cgroup_mounts(&v1m, &v2m);
  std::ifstream f("/proc/self/cgroup");
  std::string line;
  Headroom best;
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
    const CgroupMount& m = v2 ? v2m : v1m;
    if (m.root != "/" && path.compare(0, m.root.size(), m.root) == 0 &&
        (path.size() == m.root.size() || path[m.root.size()] == '/'))
      path = path.size() == m.root.size() ? "/" : path.substr(m.root.size());
    for (;;) {
      std::string dir = m.point + (path == "/" ? "" : path);
      size_t limit = 0, h = cgroup_headroom(dir, v2, &limit);
      if (h < best.bytes) best = {h, dir, limit};
      if (path.empty() || path == "/") break;
      size_t slash = path.rfind('/');
      path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
  }
  return best;
}

}  // namespace

Headroom memory_headroom() {
  Headroom cg = cgroups_headroom();
  size_t ram = meminfo_available();
  return ram <= cg.bytes ? Headroom{ram, "", 0} : cg;
}

}  // namespace nn::cpu

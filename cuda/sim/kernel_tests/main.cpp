// The kernel unit test driver: runs every case on the CPU backend and on the simulated CUDA
// backend and prints one JSON line per case,
//   {"case": "gemm/trans_a", "ok": true, "tol": {...}, "kernels": {"gemm_kernel": 1},
//    "outputs": [{"name": "C", "n": 1073, "max_abs_err": 2.4e-7, "worst_ratio": 0.02}], "ms": 41}
// ("worst_ratio" is the largest |got - want| / allowed over the output: ok means <= 1), then a
// last line {"summary": true, "cases": N, "failed": F, "scheduler": "threads"|"fibers",
// "launched": {kernel: launches}} that test/cuda-kernels.test.ts checks for kernel coverage.
//   kernel_tests [--table cases.json] [--perturb CASE] [substring]
// runs the cases of the shared case table (default: the cases.json test/cuda-kernels.test.ts
// writes into the build folder) whose name contains the substring; --perturb shifts the first element of
// CASE's first CUDA output slightly after the run (a check that the comparison can fail).
// Exit status: 0 when every case agrees, 1 otherwise.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <string>

#include "../../../native/core/error.h"
#include "../../../native/core/thread_pool.h"
#include "../sim.h"
#include "harness.h"

namespace {

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o + "\"";
}

std::string json_num(double v) {
  if (std::isnan(v)) return "\"nan\"";
  if (std::isinf(v)) return v > 0 ? "\"inf\"" : "\"-inf\"";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

struct Verdict {
  bool ok = true;
  std::string json;  // one entry of "outputs"
};

// Floats: see kt::Tol. The first failing element is named in the verdict.
Verdict compare_floats(const std::string& name, const std::vector<float>& got, const std::vector<float>& want,
                       kt::Tol tol) {
  Verdict v;
  std::ostringstream os;
  os << "{\"name\":" << json_str(name) << ",\"n\":" << want.size();
  if (got.size() != want.size()) {
    v.ok = false;
    os << ",\"error\":" << json_str("cuda gave " + std::to_string(got.size()) + " elements") << "}";
    v.json = os.str();
    return v;
  }
  double scale = 0;
  for (float w : want)
    if (std::isfinite(w)) scale = std::max(scale, std::fabs(static_cast<double>(w)));
  double max_abs = 0, worst = 0;
  int64_t first_bad = -1;
  for (size_t i = 0; i < want.size(); ++i) {
    const double g = got[i], w = want[i];
    double ratio;
    if (std::isnan(w) || std::isnan(g) || std::isinf(w) || std::isinf(g)) {
      const bool same = (std::isnan(w) && std::isnan(g)) || g == w;
      ratio = same ? 0 : INFINITY;
    } else {
      const double err = std::fabs(g - w), allowed = tol.rtol * std::fabs(w) + tol.atol_scale * scale;
      max_abs = std::max(max_abs, err);
      ratio = err == 0 ? 0 : (allowed > 0 ? err / allowed : INFINITY);
    }
    worst = std::max(worst, ratio);
    if (ratio > 1 && first_bad < 0) first_bad = static_cast<int64_t>(i);
  }
  os << ",\"max_abs_err\":" << json_num(max_abs) << ",\"worst_ratio\":" << json_num(worst);
  if (first_bad >= 0) {
    v.ok = false;
    os << ",\"first_bad\":{\"index\":" << first_bad << ",\"got\":" << json_num(got[first_bad])
       << ",\"want\":" << json_num(want[first_bad]) << "}";
  }
  os << "}";
  v.json = os.str();
  return v;
}

Verdict compare_exact(const std::string& name, const std::vector<int64_t>& got, const std::vector<int64_t>& want) {
  Verdict v;
  std::ostringstream os;
  os << "{\"name\":" << json_str(name) << ",\"n\":" << want.size() << ",\"exact\":true";
  int64_t mismatches = 0, first_bad = -1;
  if (got.size() != want.size()) {
    os << ",\"error\":" << json_str("cuda gave " + std::to_string(got.size()) + " elements");
    v.ok = false;
  } else {
    for (size_t i = 0; i < want.size(); ++i)
      if (got[i] != want[i] && mismatches++ == 0) first_bad = static_cast<int64_t>(i);
    os << ",\"mismatches\":" << mismatches;
    if (first_bad >= 0) {
      v.ok = false;
      os << ",\"first_bad\":{\"index\":" << first_bad << ",\"got\":" << got[first_bad]
         << ",\"want\":" << want[first_bad] << "}";
    }
  }
  os << "}";
  v.json = os.str();
  return v;
}

// Kernels launched between two snapshots of nnsim::launch_counts().
std::map<std::string, uint64_t> launched_since(const std::map<std::string, uint64_t>& before) {
  std::map<std::string, uint64_t> d;
  for (auto& [k, n] : nnsim::launch_counts()) {
    auto it = before.find(k);
    uint64_t prev = it == before.end() ? 0 : it->second;
    if (n > prev) d[k] = n - prev;
  }
  return d;
}

std::string json_counts(const std::map<std::string, uint64_t>& m) {
  std::string o = "{";
  for (auto& [k, n] : m) o += (o.size() > 1 ? "," : "") + json_str(k) + ":" + std::to_string(n);
  return o + "}";
}

}  // namespace

int main(int argc, char** argv) {
  std::string filter, perturb, table = NNLAB_CASE_TABLE;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--perturb" && i + 1 < argc)
      perturb = argv[++i];
    else if (arg == "--table" && i + 1 < argc)
      table = argv[++i];
    else
      filter = arg;
  }
  kt::Runners runners;
  kt::add_memory_runners(runners);
  kt::add_linalg_runners(runners);
  kt::add_pool_norm_runners(runners);
  kt::add_elementwise_runners(runners);
  kt::add_reduce_runners(runners);
  kt::add_index_runners(runners);
  kt::add_knn_runners(runners);
  kt::add_spectral_runners(runners);
  std::vector<kt::Case> cases;
  try {
    cases = kt::load_cases(table, runners);
  } catch (const std::exception& e) {
    std::printf("{\"summary\":true,\"error\":%s}\n", json_str(e.what()).c_str());
    return 1;
  }

#if defined(NNLAB_SIM_THREADS)
  // The CPU reference is compiled without TSan instrumentation, so TSan cannot see its thread
  // pool's atomics and would report the pool's hand-offs as races: run it on one thread.
  nn::set_num_threads(1);
#endif
  nn::Backend& cpu = nn::cpu_backend();
  std::string why;
  nn::Backend* gpu = nn::cuda_backend(&why);
  if (!gpu) {
    std::printf("{\"summary\":true,\"error\":%s}\n", json_str("no CUDA backend: " + why).c_str());
    return 1;
  }

  // A kernel handed host memory must fail (a GPU would fault): every pointer argument of a
  // launch is checked against the device arena.
  if (filter == "--host-pointer") {
    std::vector<float> host(300);
    std::string msg;
    try {
      gpu->fill_f32(host.data(), static_cast<int64_t>(host.size()), 1.f);
    } catch (const nn::Error& e) {
      msg = std::string(nn::error_code_name(e.code())) + ": " + e.what();
    }
    std::printf("{\"case\":\"host_pointer\",\"ok\":%s,\"detail\":%s}\n", msg.empty() ? "false" : "true",
                json_str(msg.empty() ? "fill_f32 on host memory ran without an error" : msg).c_str());
    return msg.empty() ? 1 : 0;
  }

  int ran = 0, failed = 0;
  for (const kt::Case& c : cases) {
    if (!filter.empty() && c.name.find(filter) == std::string::npos) continue;
    ++ran;
    const auto before = nnsim::launch_counts();
    const uint64_t blocks_before = nnsim::stats().blocks;
    const auto t0 = std::chrono::steady_clock::now();
    kt::Outputs want, got;
    std::string error;
    try {
      want = c.run(cpu);
    } catch (const std::exception& e) {
      error = std::string("cpu backend threw: ") + e.what();
    }
    if (error.empty()) {
      try {
        got = c.run(*gpu);
      } catch (const std::exception& e) {
        error = std::string("cuda backend threw: ") + e.what();
      }
      if (c.name == perturb) {
        if (!got.floats.empty() && !got.floats[0].second.empty()) {
          float& v = got.floats[0].second[0];
          v += 1e-3f * (std::fabs(v) + 1.f);
        } else if (!got.exact.empty() && !got.exact[0].second.empty()) {
          got.exact[0].second[0] += 1;
        }
      }
    }
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    bool ok = error.empty();
    std::string outs;
    if (ok) {
      if (got.floats.size() != want.floats.size() || got.exact.size() != want.exact.size()) {
        ok = false;
        error = "the backends returned different output lists";
      } else {
        for (size_t i = 0; i < want.floats.size(); ++i) {
          Verdict v = compare_floats(want.floats[i].first, got.floats[i].second, want.floats[i].second, c.tol);
          ok = ok && v.ok;
          outs += (outs.empty() ? "" : ",") + v.json;
        }
        for (size_t i = 0; i < want.exact.size(); ++i) {
          Verdict v = compare_exact(want.exact[i].first, got.exact[i].second, want.exact[i].second);
          ok = ok && v.ok;
          outs += (outs.empty() ? "" : ",") + v.json;
        }
      }
    }
    if (!ok) ++failed;
    std::printf(
        "{\"case\":%s,\"ok\":%s,\"tol\":{\"rtol\":%s,\"atol_scale\":%s},\"kernels\":%s,\"outputs\":[%s],"
        "\"blocks\":%llu,\"ms\":%.1f%s}\n",
        json_str(c.name).c_str(), ok ? "true" : "false", json_num(c.tol.rtol).c_str(),
        json_num(c.tol.atol_scale).c_str(), json_counts(launched_since(before)).c_str(), outs.c_str(),
        static_cast<unsigned long long>(nnsim::stats().blocks - blocks_before), ms,
        error.empty() ? "" : (",\"error\":" + json_str(error)).c_str());
    std::fflush(stdout);
  }
#if defined(NNLAB_SIM_THREADS)
  const char* scheduler = "threads";
#else
  const char* scheduler = "fibers";
#endif
  std::printf("{\"summary\":true,\"cases\":%d,\"failed\":%d,\"scheduler\":\"%s\",\"launched\":%s}\n", ran, failed,
              scheduler, json_counts(nnsim::launch_counts()).c_str());
  return failed ? 1 : 0;
}

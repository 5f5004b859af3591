{
  "variables": {
    "nnlab_cflags": ["-O3", "-std=c++17", "-fno-math-errno", "-fno-trapping-math", "-fexceptions", "-fvisibility=hidden"]
  },
  "targets": [
    {
      "target_name": "nnlab",
      "sources": ["<!@(node scripts/list-sources.cjs base)", "native/no_cuda.cpp"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc": ["<@(nnlab_cflags)", "-pthread"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "ldflags": ["-pthread"],
      "conditions": [["target_arch=='x64' or target_arch=='ia32'", {"dependencies": ["nnlab_avx2", "nnlab_avx512"]}]]
    }
  ],
  "conditions": [
    [
      "target_arch=='x64' or target_arch=='ia32'",
      {
        "targets": [
          {
            "target_name": "nnlab_avx2",
            "type": "static_library",
            "sources": ["<!@(node scripts/list-sources.cjs avx2)"],
            "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
            "cflags_cc": ["<@(nnlab_cflags)", "-mavx2", "-mfma", "-fPIC"],
            "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"]
          },
          {
            "target_name": "nnlab_avx512",
            "type": "static_library",
            "sources": ["<!@(node scripts/list-sources.cjs avx512)"],
            "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
            "cflags_cc": ["<@(nnlab_cflags)", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl", "-mfma", "-fPIC"],
            "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"]
          }
        ]
      }
    ]
  ]
}

{
  "targets": [
    {
      "target_name": "sparrow_native",
      "sources": ["<!@(node -e \"console.log(require('fs').readdirSync('src').filter(f=>f.endsWith('.cc')).map(f=>'src/'+f).join(' '))\")"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-O2"],
      "cflags": ["-O3", "-fexceptions"],
      "cflags_cc": ["-O3", "-std=c++20", "-fexceptions", "-pthread", "-ffp-contract=off"],
      "conditions": [["target_arch=='x64'", {"cflags_cc": ["-march=x86-64-v2"]}]],
      "ldflags": ["-pthread"]
    }
  ]
}

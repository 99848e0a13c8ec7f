{
  # tsrtc's optional native accelerator (docs/native.md). Built by `npm run build:native`
  # (scripts/build-native.mjs), which points node-gyp at local Node headers and never downloads.
  # Nothing is linked: OpenSSL's symbols come from the Node binary that loads the addon.
  "targets": [
    {
      "target_name": "tsrtc_native",
      "sources": ["tsrtc_native.c", "udp_batch.c", "udp_recv.c"],
      "cflags": ["-std=c11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "OTHER_CFLAGS": ["-std=c11", "-O2", "-Wall", "-Wextra"],
        "OTHER_LDFLAGS": ["-undefined", "dynamic_lookup"]
      }
    }
  ]
}

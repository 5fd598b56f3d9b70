// The predictor's device profiles: the shipped ones list and check, a bad
// one is refused naming the field, and the host's is detected.
// RUN: kestrel-device-profile --list | FileCheck %s --check-prefix=LIST
// LIST: a100-80gb
// LIST-NEXT: h100-sxm
// LIST-NEXT: h200
// LIST-NEXT: l40s
// LIST-NEXT: rtx-4090

// RUN: kestrel-device-profile h100-sxm h200 | FileCheck %s --check-prefix=SHOW
// SHOW: h100-sxm: NVIDIA H100 SXM5 80GB
// SHOW-NEXT: cuda sm_90a, 132 SMs, 3350 GB/s, 50 MiB last-level cache
// SHOW-NEXT: peak TFLOP/s and ridge point (FLOP/byte): f32 66.9 (20.0) tf32 494.7 (147.7) bf16 989.4 (295.3) f16 989.4 (295.3) fp8 1979 (590.7)
// SHOW: h200: NVIDIA H200
// SHOW-NEXT: cuda sm_90a, 132 SMs, 4800 GB/s

// RUN: not kestrel-device-profile h300 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: kestrel-device-profile: error: h300: no such device profile (known: a100-80gb, h100-sxm, h200, l40s, rtx-4090; or a path to a .json profile)
// RUN: echo '{"name": "x", "kind": "cuda"}' > %t.json
// RUN: not kestrel-device-profile %t.json 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: {{.*}}.json: missing field 'arch'
// RUN: not kestrel-device-profile 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: name a profile (--list shows them), a .json file, or --host

// RUN: kestrel-device-profile --host -o %t.host.json
// RUN: kestrel-device-profile %t.host.json | FileCheck %s --check-prefix=HOST
// HOST: host:
// HOST-NEXT: cpu x86-64{{.*}}, {{[0-9]+}} cores, {{(128|256|512)}}-bit SIMD

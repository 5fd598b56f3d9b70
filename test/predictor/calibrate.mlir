// kestrel-calibrate times the reference kernels on this CPU and writes a
// calibration kestrelc reads; a sweep writes measured and predicted times.
// RUN: kestrel-calibrate -o %t.calib.json
// RUN: %python -c "import json; d=json.load(open('%t.calib.json')); print(d['kestrel_calibration'], len(d['samples']), sorted(d['fitted_scale'])[0], d['profile']['kind'], d['call_overhead_us'] > 0)" | FileCheck %s --check-prefix=FILE
// FILE: 1 12 attention cpu True
// RUN: kestrelc %S/explain.mlir --explain --calibration=%t.calib.json | FileCheck %s --check-prefix=USE
// USE: kernel selection for @main on cpu: host ({{.*}}), calibrated

// Errors: the CUDA target (no GPU calibration in this version), an unknown
// CPU level, no output.
// RUN: not kestrel-calibrate --target=cuda -o %t.x 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: kestrel-calibrate: error: --target=cuda: calibration on a GPU is not available in this version; CUDA predictions use the device profile alone
// RUN: not kestrel-calibrate --cpu=x86-64-v9 -o %t.x 2>&1 | FileCheck %s --check-prefix=LEVEL
// LEVEL: kestrel-calibrate: error: unknown --cpu 'x86-64-v9'
// RUN: not kestrel-calibrate --sweep --calibration=%t.missing -o %t.x 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: kestrel-calibrate: error: {{.*}}missing: cannot read

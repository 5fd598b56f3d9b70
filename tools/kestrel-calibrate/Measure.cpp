//===- Measure.cpp - Time CPU kernel calls for kestrel-calibrate ----------===//
//
// kestrel-measure-LEVEL: built once per CPU level against that level's
// kernel library, as kestrelc --cpu=LEVEL links a model, so the times are
// those of the code a model compiled for the level runs. kestrel-calibrate
// runs the one for the level it calibrates.
//
// Reads one kernel call per line from stdin:
//   NAME FAMILY CANDIDATE THREADS BATCH M N K GROUPS CAUSAL
// (THREADS 0: every core; the shape fields as in predictor/CostModel.h's
// KernelWork; GROUPS: a data_movement call transposes [M/GROUPS, GROUPS, N]
// to [GROUPS, M/GROUPS, N], 1 is a copy) and writes `NAME MICROSECONDS` per
// line: the fastest of 9 batches of calls, each at least 2 ms, after
// warm-up (with --rounds R, the fastest of R such measurements taken
// round-robin over all the calls). The special names overhead.call (one call of
// a one-element copy) and overhead.parallel (a thread-pool dispatch of empty
// tasks, one per thread) time the costs of starting a call. No LLVM here: plain
// C++ over the kernel library and the runtime's thread pool.
//
//===----------------------------------------------------------------------===//

#include "kernels/cpu/Kernels.h"
#include "runtime/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace kestrel;

namespace {

struct Call {
  std::string name, family, candidate;
  int threads = 0;
  int64_t batch = 1, m = 1, n = 1, k = 1, groups = 1;
  bool causal = false;
};

/// A tensor of f32 filled with normal values (never zeros: denormals or
/// all-zero inputs would time a different path).
struct Buffer {
  std::vector<float> data;
  Tensor tensor;
  Buffer(Shape shape, std::mt19937 &rng) {
    int64_t n = shape.numel();
    data.resize(static_cast<size_t>(std::max<int64_t>(n, 1)));
    std::normal_distribution<float> d(0.0f, 1.0f);
    for (float &x : data)
      x = d(rng);
    tensor.data = data.data();
    tensor.dtype = DType::F32;
    tensor.shape = shape;
  }
};

using Clock = std::chrono::steady_clock;

/// Microseconds per call of `fn`: the fastest of 9 batches of >= 2 ms.
template <typename Fn> double timeCalls(Fn &&fn) {
  for (int i = 0; i < 3; ++i)
    fn();
  // Size a batch to about 2 ms.
  auto start = Clock::now();
  int64_t probe = 0;
  do {
    fn();
    ++probe;
  } while (Clock::now() - start < std::chrono::milliseconds(2));
  double perCall =
      std::chrono::duration<double, std::micro>(Clock::now() - start).count() /
      double(probe);
  int64_t perBatch = std::max<int64_t>(int64_t(2000.0 / perCall), 1);
  std::vector<double> samples;
  for (int b = 0; b < 9; ++b) {
    auto t0 = Clock::now();
    for (int64_t i = 0; i < perBatch; ++i)
      fn();
    samples.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - t0).count() /
        double(perBatch));
  }
  // The fastest batch: on a shared machine the others are the same work
  // plus someone else's.
  return *std::min_element(samples.begin(), samples.end());
}

/// Times `call`; false with `error` set when the kernel refuses it.
bool measure(const Call &call, double &us, std::string &error) {
  int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  runtime::ThreadPool pool(call.threads > 0 ? call.threads : cores);
  cpu::Context ctx;
  ctx.numThreads = pool.size();
  if (pool.size() > 1)
    ctx.parallelFor = [&pool](int64_t n,
                              const std::function<void(int64_t)> &body) {
      pool.parallelFor(n, body);
    };
  else
    ctx.parallelFor = cpu::runSerially;
  std::mt19937 rng(1234);
  std::vector<std::unique_ptr<Buffer>> keep;
  auto buffer = [&](Shape shape) -> Tensor & {
    keep.push_back(std::make_unique<Buffer>(shape, rng));
    return keep.back()->tensor;
  };
  bool ok = true;
  std::function<void()> fn;
  const std::string &f = call.family;
  if (call.name == "overhead.call") {
    Tensor &x = buffer({1});
    Tensor &y = buffer({1});
    fn = [&] { ok &= cpu::copy(ctx, x, y); };
  } else if (call.name == "overhead.parallel") {
    int tasks = pool.size();
    fn = [&ctx, tasks] { ctx.parallelFor(tasks, [](int64_t) {}); };
  } else if (f == "gemm" || f == "gemv") {
    Tensor &a = buffer({call.batch, call.m, call.k});
    Tensor &b = buffer({call.k, call.n});
    Tensor &c = buffer({call.batch, call.m, call.n});
    if (call.candidate == "cpu.gemm.packed") {
      // B packed once, as the runtime does when a model opens.
      Tensor &packedData = buffer({cpu::packedMatmulRhsFloats(ctx, b, false)});
      auto packed = std::make_shared<cpu::PackedMatrix>();
      ok &= cpu::packMatmulRhs(ctx, b, false, packedData.as<float>(), *packed);
      fn = [&, packed] { ok &= cpu::matmulPacked(ctx, a, *packed, c); };
    } else {
      cpu::GemmPath path = call.candidate == "cpu.gemm.blocked"
                               ? cpu::GemmPath::Blocked
                               : cpu::GemmPath::Dot;
      fn = [&, path] {
        ok &= cpu::matmul(ctx, a, b, false, false, c, nullptr, path);
      };
    }
  } else if (f == "attention" || f == "attention_decode") {
    Tensor &q = buffer({1, call.batch, call.m, call.k});
    Tensor &kk = buffer({1, call.batch, call.n, call.k});
    Tensor &v = buffer({1, call.batch, call.n, call.k});
    Tensor &o = buffer({1, call.batch, call.m, call.k});
    fn = [&] {
      ok &= cpu::attention(ctx, q, kk, v, nullptr, 0.0f, call.causal,
                           call.batch, call.batch, o);
    };
  } else if (f == "norm") {
    Tensor &x = buffer({call.m, call.n});
    Tensor &w = buffer({call.n});
    Tensor &y = buffer({call.m, call.n});
    fn = [&] { ok &= cpu::rmsNorm(ctx, x, w, 1, 1e-5f, y); };
  } else if (f == "elementwise") {
    Tensor &a = buffer({call.m, call.n});
    Tensor &b = buffer({call.m, call.n});
    Tensor &y = buffer({call.m, call.n});
    // CANDIDATE's variant: unary exp (k == 1) or binary add.
    if (call.k == 1)
      fn = [&] { ok &= cpu::unary(ctx, UnaryOp::Exp, a, y); };
    else
      fn = [&] { ok &= cpu::binary(ctx, BinaryOp::Add, a, b, y); };
  } else if (f == "softmax") {
    Tensor &x = buffer({call.m, call.n});
    Tensor &y = buffer({call.m, call.n});
    fn = [&] { ok &= cpu::softmax(ctx, x, 1, false, y); };
  } else if (f == "reduce") {
    Tensor &x = buffer({call.m, call.n});
    Tensor &y = buffer({call.m, 1});
    static const int64_t axes[] = {1};
    fn = [&] { ok &= cpu::reduce(ctx, ReduceOp::Sum, x, axes, 1, true, y); };
  } else if (f == "data_movement") {
    int64_t g = std::max<int64_t>(call.groups, 1);
    Tensor &x = buffer({call.m / g, g, call.n});
    Tensor &y = buffer({g, call.m / g, call.n});
    static const int64_t perm[] = {1, 0, 2};
    fn = [&] { ok &= cpu::transpose(ctx, x, perm, y); };
  } else if (f == "rope") {
    // [1, heads = M / seq, seq, N] with seq = GROUPS.
    int64_t seq = std::max<int64_t>(call.groups, 1);
    Tensor &x = buffer({1, call.m / seq, seq, call.n});
    Tensor &c = buffer({seq, call.n / 2});
    Tensor &s = buffer({seq, call.n / 2});
    Tensor &y = buffer({1, call.m / seq, seq, call.n});
    fn = [&] { ok &= cpu::rope(ctx, x, c, s, false, 0, y); };
  } else {
    error = "unknown family '" + f + "'";
    return false;
  }
  fn();
  if (!ok) {
    error = ctx.error;
    return false;
  }
  us = timeCalls(fn);
  if (!ok) {
    error = ctx.error;
    return false;
  }
  return true;
}

} // namespace

int main(int argc, char **argv) {
  // --rounds R: time every call R times, round-robin, and keep the fastest
  // (a burst of someone else's work then spoils one round, not the result).
  int rounds = 1;
  if (argc == 3 && std::string(argv[1]) == "--rounds")
    rounds = std::max(1, std::atoi(argv[2]));
  else if (argc != 1) {
    std::fprintf(stderr, "usage: kestrel-measure-LEVEL [--rounds R] < calls\n");
    return 2;
  }
  std::vector<Call> calls;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty())
      continue;
    std::istringstream in(line);
    Call call;
    int causal = 0;
    if (!(in >> call.name >> call.family >> call.candidate >> call.threads >>
          call.batch >> call.m >> call.n >> call.k >> call.groups >> causal) ||
        call.batch < 1 || call.m < 1 || call.n < 1 || call.k < 1 ||
        call.groups < 1 || call.threads < 0) {
      std::fprintf(stderr, "kestrel-measure: malformed line: %s\n",
                   line.c_str());
      return 2;
    }
    call.causal = causal != 0;
    calls.push_back(call);
  }
  std::vector<double> best(calls.size(), 0);
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < calls.size(); ++i) {
      double us = 0;
      std::string error;
      if (!measure(calls[i], us, error)) {
        std::fprintf(stderr, "kestrel-measure: %s: %s\n", calls[i].name.c_str(),
                     error.c_str());
        return 1;
      }
      best[i] = round == 0 ? us : std::min(best[i], us);
    }
  }
  for (size_t i = 0; i < calls.size(); ++i)
    std::printf("%s %.4f\n", calls[i].name.c_str(), best[i]);
  return 0;
}

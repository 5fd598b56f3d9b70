// tiny_llama_threads - runs a Kestrel-compiled model from several threads,
// a session each, and checks the C API's errors.
//
//   tiny_llama_threads [threads]     (default 4)
//
// Each thread binds its own prompt (one of two, so threads share results),
// runs the model a few times and keeps the next-token predictions; every
// thread with the same prompt must agree. Then it exercises the errors an
// application meets: a wrong dtype, a dim outside the compiled range, an
// unknown input, a run before binding, a run after a failed set_input
// (which unbinds). Exit 0 when everything behaved.

#include "tiny_llama.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

bool ok(kestrel_status status, const char *what) {
  if (status == KESTREL_OK)
    return true;
  std::fprintf(stderr, "tiny_llama_threads: %s: %s: %s\n", what,
               kestrel_status_name(status), kestrel_last_error());
  return false;
}

/// `call` must fail with `expected`; prints the runtime's message.
bool fails(kestrel_status status, kestrel_status expected, const char *what) {
  if (status != expected) {
    std::fprintf(stderr, "tiny_llama_threads: %s: expected %s, got %s\n", what,
                 kestrel_status_name(expected), kestrel_status_name(status));
    return false;
  }
  std::printf("  %s -> %s: %s\n", what, kestrel_status_name(status),
              kestrel_last_error());
  return true;
}

std::vector<int64_t> prompt(int which, int64_t seq) {
  std::vector<int64_t> ids(seq);
  for (int64_t i = 0; i < seq; ++i)
    ids[i] = (i * (which ? 53 : 37) + 11) % 256;
  return ids;
}

/// Runs `runs` times on one session; the argmax token of each position.
bool generate(kestrel_model *model, int which, int runs,
              std::vector<int64_t> &next) {
  kestrel_session *session = nullptr;
  if (!ok(kestrel_session_create(model, &session), "session_create"))
    return false;
  const int64_t seq = 12;
  std::vector<int64_t> ids = prompt(which, seq);
  int64_t shape[TINY_LLAMA_INPUT_INPUT_IDS_RANK] = {1, seq};
  bool good =
      ok(kestrel_session_set_input(session, TINY_LLAMA_INPUT_INPUT_IDS,
                                   TINY_LLAMA_INPUT_INPUT_IDS_DTYPE, shape,
                                   TINY_LLAMA_INPUT_INPUT_IDS_RANK, ids.data(),
                                   ids.size() * sizeof(int64_t)),
         "set_input");
  for (int r = 0; good && r < runs; ++r) {
    good = ok(kestrel_session_run(session), "run");
    kestrel_dtype dtype;
    const int64_t *dims;
    size_t rank, bytes;
    const void *data;
    good = good &&
           ok(kestrel_session_get_output(session, TINY_LLAMA_OUTPUT_OUTPUT,
                                         &dtype, &dims, &rank, &data, &bytes),
              "get_output");
    if (!good)
      break;
    const float *logits = static_cast<const float *>(data);
    int64_t vocab = dims[rank - 1];
    next.assign(dims[1], 0);
    for (int64_t t = 0; t < dims[1]; ++t)
      for (int64_t v = 1; v < vocab; ++v)
        if (logits[t * vocab + v] > logits[t * vocab + next[t]])
          next[t] = v;
  }
  kestrel_session_release(session);
  return good;
}

bool checkErrors(kestrel_model *model) {
  kestrel_session *session = nullptr;
  if (!ok(kestrel_session_create(model, &session), "session_create"))
    return false;
  std::printf("errors:\n");
  bool good = fails(kestrel_session_run(session), KESTREL_ERROR_MISSING_INPUT,
                    "run before set_input");
  std::vector<int64_t> ids = prompt(0, 4);
  int64_t shape[2] = {1, 4};
  good &= ok(kestrel_session_set_input(session, TINY_LLAMA_INPUT_INPUT_IDS,
                                       KESTREL_I64, shape, 2, ids.data(),
                                       ids.size() * sizeof(int64_t)),
             "set_input");
  std::vector<float> floats(4);
  good &= fails(kestrel_session_set_input(session, TINY_LLAMA_INPUT_INPUT_IDS,
                                          KESTREL_F32, shape, 2, floats.data(),
                                          floats.size() * sizeof(float)),
                KESTREL_ERROR_DTYPE, "f32 ids");
  static_assert(TINY_LLAMA_DIM_SEQ_MAX < (1 << 20),
                "compile the model with --dim-range seq=1:512");
  std::vector<int64_t> tooLong(TINY_LLAMA_DIM_SEQ_MAX + 1);
  int64_t longShape[2] = {1, TINY_LLAMA_DIM_SEQ_MAX + 1};
  good &= fails(kestrel_session_set_input(
                    session, TINY_LLAMA_INPUT_INPUT_IDS, KESTREL_I64, longShape,
                    2, tooLong.data(), tooLong.size() * sizeof(int64_t)),
                KESTREL_ERROR_SHAPE, "seq past TINY_LLAMA_DIM_SEQ_MAX");
  good &=
      fails(kestrel_session_set_input(session, "tokens", KESTREL_I64, shape, 2,
                                      ids.data(), ids.size() * sizeof(int64_t)),
            KESTREL_ERROR_INVALID_ARGUMENT, "unknown input");
  // A failed set_input unbinds the input (a run never reads data the app
  // meant to replace): run fails until it is bound again.
  good &= fails(kestrel_session_run(session), KESTREL_ERROR_MISSING_INPUT,
                "run after a failed set_input");
  good &= ok(kestrel_session_set_input(session, TINY_LLAMA_INPUT_INPUT_IDS,
                                       KESTREL_I64, shape, 2, ids.data(),
                                       ids.size() * sizeof(int64_t)),
             "set_input again");
  good &= ok(kestrel_session_run(session), "run");
  kestrel_dtype dtype;
  const int64_t *dims;
  size_t rank, bytes;
  const void *data;
  good &= ok(kestrel_session_get_output(session, TINY_LLAMA_OUTPUT_OUTPUT,
                                        &dtype, &dims, &rank, &data, &bytes),
             "get_output") &&
          rank == TINY_LLAMA_OUTPUT_OUTPUT_RANK && dims[1] == 4;
  kestrel_session_release(session);
  return good;
}

} // namespace

int main(int argc, char **argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 4;
  if (threads < 1 || argc > 2) {
    std::fprintf(stderr, "usage: %s [threads]\n", argv[0]);
    return 2;
  }
  kestrel_options options;
  kestrel_options_init(&options);
  options.num_threads = 1; // the parallelism is the app's threads
  kestrel_model *model = nullptr;
  // NULL weights: tiny_llama.kweights beside libtiny_llama.so.
  if (!ok(kestrel_model_open(tiny_llama_model(), nullptr, &options, &model),
          "model_open"))
    return 1;
  std::printf("model '%s' (runtime API %d), %d threads\n",
              kestrel_model_name(model), TINY_LLAMA_RUNTIME_VERSION, threads);

  std::vector<std::vector<int64_t>> next(threads);
  std::vector<char> good(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back(
        [&, t] { good[t] = generate(model, t % 2, /*runs=*/3, next[t]); });
  for (std::thread &thread : pool)
    thread.join();
  bool allGood = true;
  for (int t = 0; t < threads; ++t) {
    allGood &= good[t] != 0;
    if (good[t] && next[t] != next[t % 2]) {
      std::fprintf(stderr, "thread %d disagrees with thread %d\n", t, t % 2);
      allGood = false;
    }
  }
  for (int t = 0; t < threads && t < 2; ++t) {
    std::printf("prompt %d next tokens:", t);
    for (int64_t token : next[t])
      std::printf(" %lld", static_cast<long long>(token));
    std::printf("\n");
  }
  allGood &= checkErrors(model);
  kestrel_model_release(model);
  std::printf(allGood ? "ok\n" : "FAILED\n");
  return allGood ? 0 : 1;
}

/* tiny_llama_app.c - a small application that links a Kestrel-compiled model.
 *
 * Build and run it against the bundled tiny Llama:
 *
 *   kestrelc test/models/fixtures/llama-opset17/model.onnx -o OUT \
 *       --name tiny_llama --dim-range batch=1:8 --dim-range seq=1:512
 *   cc examples/tiny_llama_app.c $(PKG_CONFIG_PATH=OUT pkg-config --cflags \
 *       --libs tiny_llama) -Wl,-rpath,OUT -o app
 *   ./app [MODEL.kweights|-] [seq_len] [threads]
 *
 * (or -I OUT -L OUT -ltiny_llama for the flags pkg-config prints). Without a
 * weights path, or with "-", the model opens tiny_llama.kweights beside
 * libtiny_llama.so. It opens the model through the public header, feeds a
 * deterministic prompt of token ids, runs it, prints the next-token
 * prediction of every position and the run time, and reports every error
 * the runtime returns.
 */

#define _POSIX_C_SOURCE 199309L

#include "tiny_llama.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int check(kestrel_status status, const char *what) {
  if (status == KESTREL_OK)
    return 0;
  fprintf(stderr, "tiny_llama_app: %s failed: %s: %s\n", what,
          kestrel_status_name(status), kestrel_last_error());
  return 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc > 4) {
    fprintf(stderr, "usage: %s [MODEL.kweights|-] [seq_len] [threads]\n",
            argv[0]);
    return 2;
  }
  /* NULL: tiny_llama.kweights beside the library. */
  const char *weights = argc > 1 && strcmp(argv[1], "-") != 0 ? argv[1] : NULL;
  int64_t seq = argc > 2 ? atoll(argv[2]) : 16;
  if (seq < TINY_LLAMA_DIM_SEQ_MIN || seq > TINY_LLAMA_DIM_SEQ_MAX) {
    fprintf(stderr,
            "tiny_llama_app: seq_len %lld is outside the range the "
            "model was compiled for, [%d, %d]\n",
            (long long)seq, TINY_LLAMA_DIM_SEQ_MIN, TINY_LLAMA_DIM_SEQ_MAX);
    return 2;
  }
  kestrel_options options;
  kestrel_options_init(&options);
  options.num_threads = argc > 3 ? atoi(argv[3]) : 0;

  kestrel_model *model = NULL;
  if (check(kestrel_model_open(tiny_llama_model(), weights, &options, &model),
            "kestrel_model_open"))
    return 1;

  kestrel_tensor_info input, output;
  if (check(kestrel_model_input_info(model, 0, &input), "input info") ||
      check(kestrel_model_output_info(model, 0, &output), "output info")) {
    kestrel_model_release(model);
    return 1;
  }
  printf("model '%s': input '%s' (%s, rank %zu), output '%s'\n",
         kestrel_model_name(model), input.name, kestrel_dtype_name(input.dtype),
         input.rank, output.name);

  kestrel_session *session = NULL;
  int failed = check(kestrel_session_create(model, &session), "session");
  int64_t *ids = calloc((size_t)(seq > 0 ? seq : 1), sizeof(int64_t));
  int64_t shape[2] = {1, seq};
  for (int64_t i = 0; i < seq; ++i)
    ids[i] = (i * 37 + 11) % 256; /* the tiny Llama's vocabulary is 256 */
  failed =
      failed ||
      check(kestrel_session_set_input(session, TINY_LLAMA_INPUT_INPUT_IDS,
                                      TINY_LLAMA_INPUT_INPUT_IDS_DTYPE, shape,
                                      2, ids, (size_t)seq * sizeof(int64_t)),
            "set_input");

  double start = now_ms();
  failed = failed || check(kestrel_session_run(session), "run");
  double elapsed = now_ms() - start;

  kestrel_dtype dtype;
  const int64_t *out_shape;
  size_t rank, bytes;
  const void *data;
  failed = failed ||
           check(kestrel_session_get_output(session, output.name, &dtype,
                                            &out_shape, &rank, &data, &bytes),
                 "get_output");
  if (!failed) {
    const float *logits = (const float *)data;
    int64_t vocab = out_shape[rank - 1];
    printf("logits [%lld, %lld, %lld] in %.2f ms; next-token argmax:",
           (long long)out_shape[0], (long long)out_shape[1], (long long)vocab,
           elapsed);
    for (int64_t t = 0; t < out_shape[1]; ++t) {
      const float *row = logits + t * vocab;
      int64_t best = 0;
      for (int64_t v = 1; v < vocab; ++v)
        if (row[v] > row[best])
          best = v;
      printf(" %lld", (long long)best);
    }
    printf("\n");
  }
  free(ids);
  kestrel_session_release(session);
  kestrel_model_release(model);
  return failed ? 1 : 0;
}

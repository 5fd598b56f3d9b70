/*===- kestrel/runtime.h - The Kestrel runtime C API ------------*- C -*-===*\
|*                                                                          *|
|* The only public header of the runtime. A compiled model is a library     *|
|* (libNAME.so, whose NAME.h declares NAME_model()) plus its weights file   *|
|* (NAME.kweights). Open the model once, create a session per thread of     *|
|* work, bind inputs, run, read outputs.                                    *|
|*                                                                          *|
|* Errors: every function that can fail returns a kestrel_status; anything  *|
|* other than KESTREL_OK comes with a message, read through                 *|
|* kestrel_last_error() on the same thread, that names what was wrong.      *|
|* Nothing aborts the host process.                                         *|
|*                                                                          *|
|* Ownership: handles returned through out_ parameters belong to the caller *|
|* and are released with the matching _release function (which accepts     *|
|* NULL). Strings and arrays returned by the API are owned by the handle    *|
|* they came from and stay valid while it lives (outputs: until the next    *|
|* run or release of the session).                                          *|
|*                                                                          *|
|* Thread safety: a kestrel_model is immutable once open and may be shared  *|
|* by any number of threads; sessions must outlive no model (release        *|
|* sessions first). A kestrel_session is used by one thread at a time;      *|
|* different sessions (of one model or several) run concurrently.           *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef KESTREL_RUNTIME_H
#define KESTREL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KESTREL_API __attribute__((visibility("default")))
#else
#define KESTREL_API
#endif

/** Version of this API; a compiled model records the version it was built
 *  for and opening it with another runtime fails with
 *  KESTREL_ERROR_VERSION_MISMATCH. */
#define KESTREL_RUNTIME_VERSION 1

typedef enum kestrel_status {
  KESTREL_OK = 0,
  KESTREL_ERROR_INVALID_ARGUMENT = 1, /**< null pointer, bad name or value */
  KESTREL_ERROR_SHAPE = 2,         /**< wrong rank, shape or dim out of range */
  KESTREL_ERROR_DTYPE = 3,         /**< wrong element type */
  KESTREL_ERROR_MISSING_INPUT = 4, /**< run before every input was bound */
  KESTREL_ERROR_IO = 5,            /**< a file could not be opened or read */
  KESTREL_ERROR_CORRUPT = 6,       /**< weights file truncated or corrupt */
  KESTREL_ERROR_VERSION_MISMATCH = 7, /**< format or API version differs */
  KESTREL_ERROR_MODEL_MISMATCH = 8,   /**< weights of another model */
  KESTREL_ERROR_OUT_OF_MEMORY = 9,
  KESTREL_ERROR_EXECUTION =
      10, /**< a kernel failed (e.g. index out of range) */
  KESTREL_ERROR_NO_DEVICE = 11, /**< GPU backend without a usable GPU */
  KESTREL_ERROR_INTERNAL = 12,
  /** The model's CPU code needs instructions this CPU lacks (it was
   *  compiled with kestrelc --cpu for a higher x86-64 level). */
  KESTREL_ERROR_UNSUPPORTED_CPU = 13,
} kestrel_status;

/** Element types (values are part of the ABI and the weights format). */
typedef enum kestrel_dtype {
  KESTREL_F32 = 1,
  KESTREL_F16 = 2,
  KESTREL_BF16 = 3,
  KESTREL_F8E4M3FN = 4,
  KESTREL_I64 = 5,
  KESTREL_I32 = 6,
  KESTREL_BOOL = 7, /**< one byte per element, 0 or 1 */
} kestrel_dtype;

/** Opaque handles. */
typedef struct kestrel_model kestrel_model;
typedef struct kestrel_session kestrel_session;
/** What NAME_model() returns: the compiled graph, consumed by
 *  kestrel_model_open. */
typedef struct kestrel_model_def kestrel_model_def;

/** Options for opening a model. Initialize with kestrel_options_init. */
typedef struct kestrel_options {
  uint32_t struct_size;    /**< sizeof(kestrel_options), set by init */
  int32_t num_threads;     /**< CPU threads per session; 0 = all cores */
  int32_t verify_checksum; /**< check the weights checksum at open (1) */
  int32_t device_id;       /**< CUDA models: the GPU to run on (0) */
  /** CUDA models: capture the whole forward into a CUDA graph and replay it
   *  while the input shapes stay the same (1, the default), or launch the
   *  kernels one by one on every run (0). */
  int32_t use_cuda_graph;
} kestrel_options;

/** Fills `options` with the defaults. */
KESTREL_API void kestrel_options_init(kestrel_options *options);

/** A graph input's or output's declared signature. Dims of -1 are symbolic:
 *  dim_names[i] names them and [dim_min[i], dim_max[i]] is their range. */
typedef struct kestrel_tensor_info {
  const char *name;
  kestrel_dtype dtype;
  size_t rank;
  const int64_t *dims;
  const char *const *dim_names; /**< "" for static dims */
  const int64_t *dim_min;
  const int64_t *dim_max;
} kestrel_tensor_info;

/** The message of the last failure on this thread ("" if none). */
KESTREL_API const char *kestrel_last_error(void);
/** "KESTREL_ERROR_SHAPE", ... */
KESTREL_API const char *kestrel_status_name(kestrel_status status);
/** "f32", "bool", ... ("unknown" otherwise). */
KESTREL_API const char *kestrel_dtype_name(kestrel_dtype dtype);
/** Bytes per element, 0 for an unknown dtype. */
KESTREL_API size_t kestrel_dtype_size(kestrel_dtype dtype);

/** Opens a compiled model: maps `weights_path` and checks its magic, format
 *  version, size, checksum and that it was written for this model.
 *  `weights_path` NULL or "" means NAME.kweights in the folder of the
 *  library that defines the model (libNAME.so, wherever it was loaded
 *  from). `options` may be NULL (defaults). */
KESTREL_API kestrel_status kestrel_model_open(const kestrel_model_def *def,
                                              const char *weights_path,
                                              const kestrel_options *options,
                                              kestrel_model **out_model);
/** Opens `dir`/libNAME.so with `dir`/NAME.kweights (dlopen); `name` may be
 *  NULL when the directory holds exactly one compiled model. For programs
 *  that load models by path at run time: every model library exports it,
 *  and so does the runtime archive libkestrel_rt.a of a Kestrel build
 *  (build/lib), which such a loader links when it links no model. */
KESTREL_API kestrel_status kestrel_model_open_dir(
    const char *dir, const char *name, const kestrel_options *options,
    kestrel_model **out_model);
KESTREL_API void kestrel_model_release(kestrel_model *model);

KESTREL_API const char *kestrel_model_name(const kestrel_model *model);
KESTREL_API size_t kestrel_model_num_inputs(const kestrel_model *model);
KESTREL_API size_t kestrel_model_num_outputs(const kestrel_model *model);
KESTREL_API kestrel_status kestrel_model_input_info(
    const kestrel_model *model, size_t index, kestrel_tensor_info *out_info);
KESTREL_API kestrel_status kestrel_model_output_info(
    const kestrel_model *model, size_t index, kestrel_tensor_info *out_info);

/** A session holds the inputs, outputs, scratch arena and CPU threads of one
 *  stream of runs. */
KESTREL_API kestrel_status
kestrel_session_create(kestrel_model *model, kestrel_session **out_session);
KESTREL_API void kestrel_session_release(kestrel_session *session);

/** Binds input `name` to `data` (`rank` dims in `shape`, row-major, `bytes`
 *  long). The data is borrowed, not copied: it must stay valid and
 *  unchanged until kestrel_session_run returns. (Binding an output of the
 *  same session's previous run is fine: the run copies it first.) Checks
 *  dtype, rank, static dims and symbolic dims' ranges here, and that dims
 *  sharing a name agree at run. A call that fails unbinds the input: until
 *  it is bound again, kestrel_session_run fails with
 *  KESTREL_ERROR_MISSING_INPUT rather than read the earlier data, which the
 *  caller may have meant to replace or may have freed. */
KESTREL_API kestrel_status kestrel_session_set_input(
    kestrel_session *session, const char *name, kestrel_dtype dtype,
    const int64_t *shape, size_t rank, const void *data, size_t bytes);

/** Runs the model on the bound inputs. */
KESTREL_API kestrel_status kestrel_session_run(kestrel_session *session);

/** The output `name` of the last successful run. The pointers stay valid
 *  until the next run or the session's release. */
KESTREL_API kestrel_status kestrel_session_get_output(
    kestrel_session *session, const char *name, kestrel_dtype *out_dtype,
    const int64_t **out_shape, size_t *out_rank, const void **out_data,
    size_t *out_bytes);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KESTREL_RUNTIME_H */

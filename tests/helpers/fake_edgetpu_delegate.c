/* A stand-in for libedgetpu, built by the tests with the machine's C compiler.
 *
 * It implements the TFLite external-delegate plugin ABI (what load_delegate() calls):
 *   TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n,
 *                                                 void (*report_error)(const char*));
 *   void tflite_plugin_destroy_delegate(TfLiteDelegate*);
 * Its Prepare claims no nodes, so a CPU model runs on the TFLite CPU kernels through the real
 * delegate load path, and an Edge-TPU-compiled model keeps its unresolved edgetpu-custom-op.
 *
 * Like libedgetpu it returns NULL for a device it does not know. Known devices: the comma-separated
 * list in $FAKE_EDGETPU_DEVICES (unset: any device). Each create call appends its options as one
 * line "key=value;key=value;" to the file named by $FAKE_EDGETPU_LOG (if set).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* TfLiteDelegate as laid out in tensorflow/lite/core/c/common.h (TFLite 2.13+, LiteRT 2.x).
 * TfLiteStatus is an int-sized enum (kTfLiteOk = 0); TfLiteBufferHandle is int. */
typedef struct TfLiteDelegate {
  void* data_;
  int (*Prepare)(void* context, struct TfLiteDelegate* delegate);
  int (*CopyFromBufferHandle)(void* context, struct TfLiteDelegate* delegate, int buffer_handle, void* tensor);
  int (*CopyToBufferHandle)(void* context, struct TfLiteDelegate* delegate, int buffer_handle, void* tensor);
  void (*FreeBufferHandle)(void* context, struct TfLiteDelegate* delegate, int* handle);
  int64_t flags;
  void* opaque_delegate_builder; /* must be NULL: Prepare above is used */
} TfLiteDelegate;

static int prepare_claims_nothing(void* context, TfLiteDelegate* delegate) {
  (void)context;
  (void)delegate;
  return 0; /* kTfLiteOk; no ReplaceNodeSubsetsWithDelegateKernels call */
}

static int device_known(const char* device) {
  const char* known = getenv("FAKE_EDGETPU_DEVICES");
  if (known == NULL) return 1;
  size_t len = strlen(device);
  const char* p = known;
  while (*p) {
    const char* end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == len && strncmp(p, device, n) == 0) return 1;
    if (!end) break;
    p = end + 1;
  }
  return 0;
}

TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n,
                                              void (*report_error)(const char*)) {
  const char* log = getenv("FAKE_EDGETPU_LOG");
  if (log != NULL) {
    FILE* f = fopen(log, "a");
    if (f != NULL) {
      for (size_t i = 0; i < n; i++) fprintf(f, "%s=%s;", keys[i], values[i]);
      fprintf(f, "\n");
      fclose(f);
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(keys[i], "device") == 0 && !device_known(values[i])) {
      if (report_error != NULL) report_error("fake delegate: unknown device");
      return NULL;
    }
  }
  TfLiteDelegate* delegate = (TfLiteDelegate*)calloc(1, sizeof(TfLiteDelegate));
  if (delegate == NULL) return NULL;
  delegate->Prepare = prepare_claims_nothing;
  return delegate;
}

void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) { free(delegate); }

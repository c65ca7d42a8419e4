/* An Edge TPU timing double: a stand-in for libedgetpu.so.1 that runs Edge-TPU-compiled models without an
 * Edge TPU, built by the tests and benchmarks with the machine's C compiler (tests/helpers/edgetpu_double.py).
 *
 * What it imitates (google-coral/libedgetpu, tflite/edgetpu_delegate_for_custom_op*.cc):
 *   - the TFLite external-delegate plugin ABI: tflite_plugin_create_delegate(keys, values, n, report_error)
 *     and tflite_plugin_destroy_delegate(delegate); NULL for a device it cannot open;
 *   - flags = kTfLiteDelegateFlagsAllowDynamicTensors, so TFLite applies it before preparing the graph's ops;
 *   - Prepare walks the execution plan and claims every node whose registration's custom_name is
 *     "edgetpu-custom-op", one ReplaceNodeSubsetsWithDelegateKernels call (one kernel) per node; the other ops
 *     (TFLite_Detection_PostProcess, ArgMax, ...) stay on the CPU kernels;
 *   - one device per device string, shared by every interpreter of the process that opens it (libedgetpu's
 *     shared ownership): invokes on one device run one at a time, two devices run at once.
 *
 * A kernel's invoke takes its device's lock, writes the node's outputs and holds the call until the node's
 * device time has passed since it got the device (clock_nanosleep on an absolute deadline: the host CPU is
 * free meanwhile, as with a real Edge TPU), then lets the device go.
 *
 * Options (delegate options, all strings; docs/contributing.md "Rehearse a multi-TPU deployment"):
 *   device       libedgetpu's grammar: "" | ":N" | "usb" | "usb:N" | "pci" | "pci:N"
 *   device_ms    device time of each claimed node, in ms (default 0: the node returns at once)
 *   model_ms     a table file: lines "<signature> <ms>" ('#' starts a comment); a node whose signature is
 *                listed is held for that time instead of device_ms. A signature is what the double sees of
 *                the node: its input shapes, "->", its output shapes, e.g. "1x128x128x3->1x1001",
 *                "1x300x300x3->1x19x19x576,1x10x10x1280,1x10x10x256".
 *   device_root  a (fake) root holding sys/class/apex/apex_N with dev/apex_N (PCIe) and sys/bus/usb/devices/<entry>
 *                with the Coral USB ids (1a6e:089a, 18d1:9302): the devices this double has, PCIe first, then
 *                USB by entry name (as coral_inference's discovery lists them). A device string naming none of
 *                them gives NULL, like libedgetpu. Unset: every well-formed device string is a device of its
 *                own ("usb" is "usb:0", "pci" is "pci:0", "" is ":0").
 *   log          a file: one line per delegate created, node claimed and delegate destroyed (with its device's
 *                invoke count and busy time), appended.
 *   Performance, Usb.AlwaysDfu, Usb.MaxBulkInQueueLength: libedgetpu's own options, accepted and ignored.
 * Any other key, or a value that is not what it should be, is reported and gives NULL.
 *
 * Output contents are deterministic: a fixed pattern per output tensor (integer types: 0..255 per element,
 * float32/float64: [0, 1), float16: zeros), rotated by a seed read from the node's first input (FNV-1a over 64 bytes sampled
 * evenly), so equal inputs give equal outputs and different inputs (almost always) different ones.
 * tests/helpers/edgetpu_double.py (expected_output) computes the same values.
 *
 * Struct layouts: tensorflow/lite/core/c/common.h (TFLite 2.x; google-ai-edge/LiteRT tflite/core/c/common.h,
 * which ai-edge-litert 2.x is built from). Fields are only ever appended there, so the prefixes used here hold;
 * TfLiteRegistration is passed by value to ReplaceNodeSubsetsWithDelegateKernels, so it is declared complete
 * (with inplace_operator, the newest field): a runtime with a shorter struct reads a prefix of it. Every tensor
 * the double touches is checked (dims, type, bytes agree) before use: a layout mismatch is an error message,
 * not a crash.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

/* ---- TFLite C API (tensorflow/lite/core/c/common.h, c_api_types.h) -------------------------------- */
typedef int TfLiteStatus; /* kTfLiteOk = 0, kTfLiteError = 1 */
enum { kTfLiteOk = 0, kTfLiteError = 1 };
enum { kTfLiteDelegateFlagsAllowDynamicTensors = 1 };
enum { kTfLiteBuiltinDelegate = 51 };

typedef struct TfLiteIntArray {
  int size;
  int data[];
} TfLiteIntArray;

typedef struct TfLiteQuantizationParams {
  float scale;
  int32_t zero_point;
} TfLiteQuantizationParams;

typedef struct TfLiteQuantization {
  int type;
  void* params;
} TfLiteQuantization;

struct TfLiteDelegate;
struct TfLiteContext;

typedef struct TfLiteTensor {
  int type; /* TfLiteType */
  void* data; /* TfLitePtrUnion */
  TfLiteIntArray* dims;
  TfLiteQuantizationParams params;
  int allocation_type;
  size_t bytes;
  const void* allocation;
  const char* name;
  struct TfLiteDelegate* delegate;
  int buffer_handle;
  bool data_is_stale;
  bool is_variable;
  TfLiteQuantization quantization;
  void* sparsity;
  const TfLiteIntArray* dims_signature;
} TfLiteTensor;

typedef struct TfLiteNode {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  TfLiteIntArray* intermediates;
  TfLiteIntArray* temporaries;
  void* user_data;
  void* builtin_data;
  const void* custom_initial_data;
  int custom_initial_data_size;
  struct TfLiteDelegate* delegate;
  bool might_have_side_effect;
} TfLiteNode;

typedef struct TfLiteRegistration {
  void* (*init)(struct TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(struct TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(struct TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(struct TfLiteContext* context, TfLiteNode* node);
  const char* (*profiling_string)(const struct TfLiteContext* context, const TfLiteNode* node);
  int32_t builtin_code;
  const char* custom_name;
  int version;
  void* registration_external;
  void* (*async_kernel)(struct TfLiteContext* context, TfLiteNode* node);
  uint64_t inplace_operator;
} TfLiteRegistration;

typedef struct TfLiteContext {
  size_t tensors_size;
  TfLiteStatus (*GetExecutionPlan)(struct TfLiteContext* context, TfLiteIntArray** execution_plan);
  TfLiteTensor* tensors;
  void* impl_;
  TfLiteStatus (*ResizeTensor)(struct TfLiteContext*, TfLiteTensor* tensor, TfLiteIntArray* new_size);
  void (*ReportError)(struct TfLiteContext*, const char* msg, ...);
  TfLiteStatus (*AddTensors)(struct TfLiteContext*, int tensors_to_add, int* first_new_tensor_index);
  TfLiteStatus (*GetNodeAndRegistration)(struct TfLiteContext*, int node_index, TfLiteNode** node,
                                         TfLiteRegistration** registration);
  TfLiteStatus (*ReplaceNodeSubsetsWithDelegateKernels)(struct TfLiteContext*, TfLiteRegistration registration,
                                                        const TfLiteIntArray* nodes_to_replace,
                                                        struct TfLiteDelegate* delegate);
  /* ... more fields follow; none is used here. */
} TfLiteContext;

typedef struct TfLiteDelegateParams {
  struct TfLiteDelegate* delegate;
  TfLiteIntArray* nodes_to_replace;
  TfLiteIntArray* input_tensors;
  TfLiteIntArray* output_tensors;
} TfLiteDelegateParams;

typedef struct TfLiteDelegate {
  void* data_;
  TfLiteStatus (*Prepare)(TfLiteContext* context, struct TfLiteDelegate* delegate);
  TfLiteStatus (*CopyFromBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate, int buffer_handle,
                                       TfLiteTensor* tensor);
  TfLiteStatus (*CopyToBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate, int buffer_handle,
                                     TfLiteTensor* tensor);
  void (*FreeBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate, int* handle);
  int64_t flags;
  void* opaque_delegate_builder; /* NULL: Prepare above is used */
} TfLiteDelegate;

/* ---- devices ------------------------------------------------------------------------------------------ */
#define MAX_DEVICES 64
#define NAME_LEN 32
#define TEXT_LEN 1024

typedef struct Device {
  char name[NAME_LEN]; /* "pci:0", "usb:1" (or ":0" without device_root) */
  pthread_mutex_t busy; /* held for an invoke's device time */
  int opened;           /* delegates using it */
  long invokes;         /* nodes run on it */
  double busy_ms;       /* time held */
  double late_ms;       /* how late the host wakes a hold, its median (asked that much earlier) */
} Device;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static Device devices[MAX_DEVICES];
static int device_count = 0;

static Device* device_named(const char* name) { /* registry_lock held */
  for (int i = 0; i < device_count; i++)
    if (strcmp(devices[i].name, name) == 0) return &devices[i];
  if (device_count == MAX_DEVICES) return NULL;
  Device* d = &devices[device_count++];
  snprintf(d->name, NAME_LEN, "%s", name);
  pthread_mutex_init(&d->busy, NULL);
  return d;
}

static int apex_number(const char* entry) {
  const char* digits = entry + strlen("apex_");
  char* end = NULL;
  long n = strtol(digits, &end, 10);
  return (*digits && end && *end == '\0' && n >= 0 && n < 1000000) ? (int)n : -1;
}

static int compare_ints(const void* a, const void* b) { return *(const int*)a - *(const int*)b; }
static int compare_names(const void* a, const void* b) { return strcmp((const char*)a, (const char*)b); }

static int read_word(const char* path, char* out, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return 0;
  int ok = fgets(out, (int)size, f) != NULL;
  fclose(f);
  if (ok) out[strcspn(out, " \r\n")] = '\0';
  return ok;
}

/* The Edge TPUs under root, as "pci:N" then "usb:N" names, in the order coral_inference's discovery lists
 * them (apex by number with its /dev node present; USB entries with a Coral id, by name). */
static int enumerate(const char* root, char names[][NAME_LEN], int max) {
  int count = 0;
  char path[TEXT_LEN];
  int apex[MAX_DEVICES];
  int n_apex = 0;
  snprintf(path, sizeof path, "%s/sys/class/apex", root);
  DIR* dir = opendir(path);
  if (dir != NULL) {
    struct dirent* e;
    while ((e = readdir(dir)) != NULL && n_apex < MAX_DEVICES)
      if (strncmp(e->d_name, "apex_", 5) == 0 && apex_number(e->d_name) >= 0) apex[n_apex++] = apex_number(e->d_name);
    closedir(dir);
  }
  qsort(apex, n_apex, sizeof apex[0], compare_ints);
  int pci = 0;
  for (int i = 0; i < n_apex && count < max; i++) {
    struct stat st;
    snprintf(path, sizeof path, "%s/dev/apex_%d", root, apex[i]);
    if (stat(path, &st) != 0) continue; /* no node: libedgetpu cannot open it */
    snprintf(names[count++], NAME_LEN, "pci:%d", pci++);
  }
  static char entries[MAX_DEVICES][256];
  int n_usb = 0;
  snprintf(path, sizeof path, "%s/sys/bus/usb/devices", root);
  dir = opendir(path);
  if (dir != NULL) {
    struct dirent* e;
    while ((e = readdir(dir)) != NULL && n_usb < MAX_DEVICES) {
      char vid[16] = "", pid[16] = "";
      char file[TEXT_LEN + 300];
      if (e->d_name[0] == '.') continue;
      snprintf(file, sizeof file, "%s/%s/idVendor", path, e->d_name);
      if (!read_word(file, vid, sizeof vid)) continue;
      snprintf(file, sizeof file, "%s/%s/idProduct", path, e->d_name);
      if (!read_word(file, pid, sizeof pid)) continue;
      if ((strcmp(vid, "1a6e") == 0 && strcmp(pid, "089a") == 0) || (strcmp(vid, "18d1") == 0 && strcmp(pid, "9302") == 0))
        snprintf(entries[n_usb++], sizeof entries[0], "%s", e->d_name);
    }
    closedir(dir);
  }
  qsort(entries, n_usb, sizeof entries[0], compare_names);
  for (int i = 0; i < n_usb && count < max; i++) snprintf(names[count++], NAME_LEN, "usb:%d", i);
  return count;
}

/* Parse libedgetpu's device grammar: kind "" / "usb" / "pci", index -1 when absent. 0 when malformed. */
static int parse_device(const char* s, char* kind, int* index) {
  const char* colon = strchr(s, ':');
  size_t kind_len = colon ? (size_t)(colon - s) : strlen(s);
  if (kind_len >= 4) return 0;
  memcpy(kind, s, kind_len);
  kind[kind_len] = '\0';
  if (kind_len && strcmp(kind, "usb") != 0 && strcmp(kind, "pci") != 0) return 0;
  *index = -1;
  if (colon) {
    char* end = NULL;
    if (!colon[1]) return 0;
    errno = 0;
    long n = strtol(colon + 1, &end, 10);
    if (errno || *end || n < 0 || n > 999 || colon[1] == '+' || colon[1] == '-') return 0;
    *index = (int)n;
  }
  return 1;
}

/* The device a device string opens (registry_lock held), or NULL with why in `why`. */
static Device* open_device(const char* spec, const char* root, char* why, size_t why_size) {
  char kind[4];
  int index;
  if (!parse_device(spec, kind, &index)) {
    snprintf(why, why_size, "device '%s' is not a device string (expected '', ':N', 'usb', 'usb:N', 'pci', 'pci:N')", spec);
    return NULL;
  }
  char name[NAME_LEN];
  if (root == NULL || !*root) {
    snprintf(name, sizeof name, "%s:%d", kind, index < 0 ? 0 : index);
    return device_named(name);
  }
  char names[MAX_DEVICES][NAME_LEN];
  int n = enumerate(root, names, MAX_DEVICES);
  if (index < 0) { /* unindexed: share an opened device of that kind (libedgetpu), else the first one */
    for (int i = 0; i < device_count; i++)
      if (devices[i].opened > 0 && (!*kind || strncmp(devices[i].name, kind, 3) == 0))
        for (int j = 0; j < n; j++)
          if (strcmp(names[j], devices[i].name) == 0) return &devices[i];
    for (int j = 0; j < n; j++)
      if (!*kind || strncmp(names[j], kind, 3) == 0) return device_named(names[j]);
  } else {
    int seen = 0;
    for (int j = 0; j < n; j++)
      if ((!*kind || strncmp(names[j], kind, 3) == 0) && seen++ == index) return device_named(names[j]);
  }
  snprintf(why, why_size, "no Edge TPU '%s' under device_root %s (it has %d: PCIe with a /dev/apex_N node, USB by Coral id)",
           spec, root, n);
  return NULL;
}

/* ---- the delegate and its options ---------------------------------------------------------------------- */
typedef struct TableEntry {
  char* signature;
  double ms;
} TableEntry;

typedef struct Double {
  TfLiteDelegate delegate; /* first: a TfLiteDelegate* is a Double* */
  Device* device;
  char device_option[NAME_LEN];
  double device_ms;
  TableEntry* table;
  int table_size;
  char log[TEXT_LEN];
} Double;

static void log_line(const Double* d, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const Double* d, const char* fmt, ...) {
  if (!d->log[0]) return;
  FILE* f = fopen(d->log, "a");
  if (f == NULL) return;
  va_list args;
  va_start(args, fmt);
  vfprintf(f, fmt, args);
  va_end(args);
  fputc('\n', f);
  fclose(f);
}

static int parse_ms(const char* text, double* out) {
  char* end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || *end || !(v >= 0.0) || v > 600000.0) return 0;
  *out = v;
  return 1;
}

static int load_table(Double* d, const char* path, char* why, size_t why_size) {
  FILE* f = fopen(path, "r");
  if (f == NULL) {
    snprintf(why, why_size, "model_ms: cannot read the table file %s (%s)", path, strerror(errno));
    return 0;
  }
  char line[8192];
  int number = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    number++;
    char* hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char signature[8192], ms_text[64], extra[8];
    int fields = sscanf(line, "%8191s %63s %7s", signature, ms_text, extra);
    if (fields <= 0) continue;
    double ms;
    if (fields != 2 || !parse_ms(ms_text, &ms) || strstr(signature, "->") == NULL) {
      snprintf(why, why_size, "model_ms: %s line %d is not '<signature> <ms>' (e.g. '1x128x128x3->1x1001 2.6')",
               path, number);
      fclose(f);
      return 0;
    }
    TableEntry* grown = realloc(d->table, sizeof(TableEntry) * (size_t)(d->table_size + 1));
    if (grown == NULL) break;
    d->table = grown;
    d->table[d->table_size].signature = strdup(signature);
    d->table[d->table_size].ms = ms;
    d->table_size++;
  }
  fclose(f);
  return 1;
}

static void free_double(Double* d) {
  for (int i = 0; i < d->table_size; i++) free(d->table[i].signature);
  free(d->table);
  free(d);
}

/* ---- kernels: one per claimed node --------------------------------------------------------------------- */
typedef struct Output {
  int tensor;
  size_t bytes;
  unsigned char* pattern; /* the output's fixed contents, rotated per invoke */
  size_t element;         /* bytes per element */
} Output;

typedef struct Kernel {
  Double* owner;
  double ms;
  int first_input; /* tensor index, -1 none */
  int n_outputs;
  Output* outputs;
} Kernel;

static size_t element_size(int type) {
  switch (type) {
    case 1: case 2: case 16: return 4;   /* float32, int32, uint32 */
    case 3: case 6: case 9: return 1;    /* uint8, bool, int8 */
    case 4: case 11: case 13: return 8;  /* int64, float64, uint64 */
    case 7: case 10: case 17: return 2;  /* int16, float16, uint16 */
    default: return 0;
  }
}

/* A tensor the double may read or write: in range, with dims, type and byte size that agree. */
static TfLiteTensor* checked_tensor(TfLiteContext* context, int index) {
  if (index < 0 || (size_t)index >= context->tensors_size) return NULL;
  TfLiteTensor* t = &context->tensors[index];
  if (t->dims == NULL || t->dims->size < 0 || t->dims->size > 16) return NULL;
  size_t count = 1;
  for (int i = 0; i < t->dims->size; i++) {
    if (t->dims->data[i] < 0) return NULL;
    count *= (size_t)t->dims->data[i];
  }
  size_t element = element_size(t->type);
  if (element == 0 || count * element != t->bytes) return NULL;
  return t;
}

static void append_shapes(char* out, size_t size, TfLiteContext* context, const TfLiteIntArray* tensors) {
  for (int i = 0; i < tensors->size; i++) {
    TfLiteTensor* t = checked_tensor(context, tensors->data[i]);
    size_t used = strlen(out);
    if (i) snprintf(out + used, size - used, ",");
    used = strlen(out);
    if (t == NULL) {
      snprintf(out + used, size - used, "?");
      continue;
    }
    for (int k = 0; k < t->dims->size; k++) {
      used = strlen(out);
      snprintf(out + used, size - used, k ? "x%d" : "%d", t->dims->data[k]);
    }
  }
}

/* "1x128x128x3->1x1001": the node's input shapes -> its output shapes. */
static void signature_of(char* out, size_t size, TfLiteContext* context, const TfLiteNode* node) {
  out[0] = '\0';
  append_shapes(out, size, context, node->inputs);
  size_t used = strlen(out);
  snprintf(out + used, size - used, "->");
  append_shapes(out, size, context, node->outputs);
}

static double node_ms(const Double* d, const char* signature) {
  for (int i = 0; i < d->table_size; i++)
    if (strcmp(d->table[i].signature, signature) == 0) return d->table[i].ms;
  return d->device_ms;
}

static uint32_t pattern_value(size_t element_index, int output_index) {
  return (uint32_t)(((uint64_t)element_index * 2654435761u + (uint64_t)output_index * 40503u) >> 8) & 0xffu;
}

static int make_pattern(Output* out, const TfLiteTensor* t, int output_index) {
  size_t count = t->bytes / out->element;
  out->pattern = malloc(t->bytes ? t->bytes : 1);
  if (out->pattern == NULL) return 0;
  for (size_t e = 0; e < count; e++) {
    uint32_t v = pattern_value(e, output_index);
    unsigned char* p = out->pattern + e * out->element;
    memset(p, 0, out->element);
    switch (t->type) {
      case 1: { float f = (float)v / 256.0f; memcpy(p, &f, 4); break; }
      case 11: { double f = (double)v / 256.0; memcpy(p, &f, 8); break; }
      case 10: break; /* float16: zeros */
      case 6: p[0] = (unsigned char)(v & 1u); break;
      default: p[0] = (unsigned char)v; break; /* little-endian: the element's value is v (0..255) */
    }
  }
  return 1;
}

static uint32_t input_seed(TfLiteContext* context, int tensor) {
  uint32_t h = 2166136261u;
  TfLiteTensor* t = tensor >= 0 ? checked_tensor(context, tensor) : NULL;
  if (t == NULL || t->data == NULL || t->bytes == 0) return h;
  const unsigned char* data = t->data;
  size_t samples = t->bytes < 64 ? t->bytes : 64;
  for (size_t i = 0; i < samples; i++) {
    h ^= data[i * t->bytes / samples];
    h *= 16777619u;
  }
  return h;
}

static void* kernel_init(TfLiteContext* context, const char* buffer, size_t length) {
  (void)length;
  const TfLiteDelegateParams* params = (const TfLiteDelegateParams*)buffer;
  if (params == NULL || params->nodes_to_replace == NULL || params->nodes_to_replace->size != 1) return NULL;
  TfLiteNode* node;
  TfLiteRegistration* registration;
  if (context->GetNodeAndRegistration(context, params->nodes_to_replace->data[0], &node, &registration) != kTfLiteOk)
    return NULL;
  Kernel* k = calloc(1, sizeof(Kernel));
  if (k == NULL) return NULL;
  k->owner = (Double*)params->delegate;
  char signature[8192];
  signature_of(signature, sizeof signature, context, node);
  k->ms = node_ms(k->owner, signature);
  k->first_input = node->inputs->size > 0 ? node->inputs->data[0] : -1;
  log_line(k->owner, "claim device=%s node=%d signature=%s ms=%g", k->owner->device->name,
           params->nodes_to_replace->data[0], signature, k->ms);
  return k;
}

static void kernel_free(TfLiteContext* context, void* buffer) {
  (void)context;
  Kernel* k = buffer;
  if (k == NULL) return;
  for (int i = 0; i < k->n_outputs; i++) free(k->outputs[i].pattern);
  free(k->outputs);
  free(k);
}

static TfLiteStatus kernel_prepare(TfLiteContext* context, TfLiteNode* node) {
  Kernel* k = node->user_data;
  if (k == NULL) {
    context->ReportError(context, "edgetpu double: the claimed node could not be initialised");
    return kTfLiteError;
  }
  for (int i = 0; i < k->n_outputs; i++) free(k->outputs[i].pattern);
  free(k->outputs);
  k->outputs = calloc((size_t)(node->outputs->size ? node->outputs->size : 1), sizeof(Output));
  k->n_outputs = 0;
  if (k->outputs == NULL) return kTfLiteError;
  for (int i = 0; i < node->outputs->size; i++) {
    TfLiteTensor* t = checked_tensor(context, node->outputs->data[i]);
    if (t == NULL) {
      context->ReportError(context,
                           "edgetpu double: output %d (tensor %d) has dims, type and byte size that disagree: the "
                           "TfLiteTensor layout compiled into the double does not match this TFLite runtime",
                           i, node->outputs->data[i]);
      return kTfLiteError;
    }
    Output* out = &k->outputs[k->n_outputs++];
    out->tensor = node->outputs->data[i];
    out->bytes = t->bytes;
    out->element = element_size(t->type);
    if (!make_pattern(out, t, i)) return kTfLiteError;
  }
  return kTfLiteOk;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void sleep_until(const struct timespec* deadline) {
  static __thread int slack_set = 0;
  if (!slack_set) { /* the calling thread's timer slack (default 50 us) would be added to every hold */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    slack_set = 1;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline, NULL) == EINTR) {
  }
}

static struct timespec at_ms(double ms) {
  struct timespec ts;
  ts.tv_sec = (time_t)(ms / 1000.0);
  ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000.0) * 1e6);
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* Hold the device for the kernel's time: write the outputs, then sleep to the end of the device time. The
 * host wakes a sleeper late (timer slack, scheduling: ~0.05-0.2 ms here); each device tracks the median of
 * that lateness and asks to be woken that much earlier, so that the typical hold is the device time (a late
 * outlier, host noise, is not paid back by shortening the next holds). */
#define LATE_STEP_MS 0.002
static TfLiteStatus kernel_invoke(TfLiteContext* context, TfLiteNode* node) {
  Kernel* k = node->user_data;
  Device* device = k->owner->device;
  uint32_t seed = input_seed(context, k->first_input);
  pthread_mutex_lock(&device->busy);
  double started = now_ms();
  for (int i = 0; i < k->n_outputs; i++) {
    Output* out = &k->outputs[i];
    TfLiteTensor* t = &context->tensors[out->tensor];
    if (t->data == NULL || t->bytes != out->bytes) continue;
    size_t count = out->bytes / out->element;
    size_t shift = count ? (size_t)(seed % count) * out->element : 0;
    memcpy(t->data, out->pattern + shift, out->bytes - shift);
    memcpy((unsigned char*)t->data + (out->bytes - shift), out->pattern, shift);
  }
  if (k->ms > 0) {
    double early = device->late_ms < k->ms / 2 ? device->late_ms : k->ms / 2;
    double wake = started + k->ms - early;
    if (now_ms() < wake) {
      struct timespec deadline = at_ms(wake);
      sleep_until(&deadline);
      double late = now_ms() - wake; /* track its median: a step up when later, down when earlier */
      device->late_ms += late > device->late_ms ? LATE_STEP_MS : -LATE_STEP_MS;
      if (device->late_ms < 0) device->late_ms = 0;
    }
  }
  device->invokes++;
  device->busy_ms += now_ms() - started;
  pthread_mutex_unlock(&device->busy);
  return kTfLiteOk;
}

static TfLiteStatus delegate_prepare(TfLiteContext* context, TfLiteDelegate* delegate) {
  TfLiteIntArray* plan;
  if (context->GetExecutionPlan(context, &plan) != kTfLiteOk) return kTfLiteError;
  int count = plan->size;
  int* claimed = malloc(sizeof(int) * (size_t)(count ? count : 1));
  if (claimed == NULL) return kTfLiteError;
  int n = 0;
  for (int i = 0; i < count; i++) {
    TfLiteNode* node;
    TfLiteRegistration* registration;
    if (context->GetNodeAndRegistration(context, plan->data[i], &node, &registration) != kTfLiteOk) {
      free(claimed);
      return kTfLiteError;
    }
    if (registration->custom_name && strcmp(registration->custom_name, "edgetpu-custom-op") == 0)
      claimed[n++] = plan->data[i];
  }
  TfLiteRegistration registration;
  memset(&registration, 0, sizeof registration);
  registration.init = kernel_init;
  registration.free = kernel_free;
  registration.prepare = kernel_prepare;
  registration.invoke = kernel_invoke;
  registration.builtin_code = kTfLiteBuiltinDelegate;
  registration.custom_name = "EdgeTpuTimingDouble";
  registration.version = 1;
  struct {
    int size;
    int data[1];
  } one;
  TfLiteStatus status = kTfLiteOk;
  for (int i = 0; i < n && status == kTfLiteOk; i++) { /* one kernel per node, as libedgetpu */
    one.size = 1;
    one.data[0] = claimed[i];
    status = context->ReplaceNodeSubsetsWithDelegateKernels(context, registration, (const TfLiteIntArray*)&one,
                                                            delegate);
  }
  free(claimed);
  return status;
}

/* ---- the plugin ABI ------------------------------------------------------------------------------------- */
static const char* const IGNORED[] = {"Performance", "Usb.AlwaysDfu", "Usb.MaxBulkInQueueLength"};

static TfLiteDelegate* fail(Double* d, void (*report_error)(const char*), const char* why) {
  if (report_error != NULL) {
    char message[TEXT_LEN + 64];
    snprintf(message, sizeof message, "edgetpu double: %s", why);
    report_error(message);
  }
  if (d != NULL) free_double(d);
  return NULL;
}

TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t n, void (*report_error)(const char*)) {
  Double* d = calloc(1, sizeof(Double));
  char why[TEXT_LEN + 512];
  if (d == NULL) return NULL;
  const char* device = "";
  const char* root = NULL;
  for (size_t i = 0; i < n; i++) {
    const char* key = keys[i];
    const char* value = values[i] ? values[i] : "";
    if (strcmp(key, "device") == 0) {
      device = value;
    } else if (strcmp(key, "device_ms") == 0) {
      if (!parse_ms(value, &d->device_ms)) {
        snprintf(why, sizeof why, "device_ms '%s' is not a number of milliseconds in [0, 600000]", value);
        return fail(d, report_error, why);
      }
    } else if (strcmp(key, "model_ms") == 0) {
      if (!load_table(d, value, why, sizeof why)) return fail(d, report_error, why);
    } else if (strcmp(key, "device_root") == 0) {
      root = value;
    } else if (strcmp(key, "log") == 0) {
      snprintf(d->log, sizeof d->log, "%s", value);
    } else {
      int known = 0;
      for (size_t k = 0; k < sizeof IGNORED / sizeof IGNORED[0]; k++) known |= strcmp(key, IGNORED[k]) == 0;
      if (!known) {
        snprintf(why, sizeof why, "unknown option '%.200s' (known: device, device_ms, model_ms, device_root, log; "
                                  "libedgetpu's Performance, Usb.AlwaysDfu, Usb.MaxBulkInQueueLength)", key);
        return fail(d, report_error, why);
      }
    }
  }
  pthread_mutex_lock(&registry_lock);
  d->device = open_device(device, root, why, sizeof why);
  if (d->device != NULL) d->device->opened++;
  pthread_mutex_unlock(&registry_lock);
  if (d->device == NULL) return fail(d, report_error, why);
  snprintf(d->device_option, sizeof d->device_option, "%s", device);
  d->delegate.data_ = d;
  d->delegate.Prepare = delegate_prepare;
  d->delegate.flags = kTfLiteDelegateFlagsAllowDynamicTensors;
  log_line(d, "create device=%s option=%s device_ms=%g table=%d", d->device->name, device, d->device_ms, d->table_size);
  return &d->delegate;
}

void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {
  Double* d = (Double*)delegate;
  if (d == NULL) return;
  pthread_mutex_lock(&registry_lock);
  d->device->opened--;
  pthread_mutex_unlock(&registry_lock);
  pthread_mutex_lock(&d->device->busy);
  long invokes = d->device->invokes;
  double busy = d->device->busy_ms;
  pthread_mutex_unlock(&d->device->busy);
  log_line(d, "destroy device=%s invokes=%ld busy_ms=%.3f", d->device->name, invokes, busy);
  free_double(d);
}

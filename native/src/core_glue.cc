// N-API glue for the core module: threads, Bitmap, ForwardIndex, InvertedIndex.
#include "bitmap_glue.h"
#include "glue.h"
#include "glue_util.h"
#include "index_glue.h"
#include "simd_kernels.h"

namespace sparrow {

namespace {

// setSearchThreads(n: integer in [1, 1024])
void SetSearchThreads(const Napi::CallbackInfo& info) {
  Guarded(info.Env(), [&] {
    size_t n = static_cast<size_t>(IntegerArg(info[0], "n", 1, 1024));
    ThreadPool::Global().SetThreads(n);  // may throw std::system_error (no threads left)
  });
}

Napi::Value GetSearchThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ThreadPool::Global().Threads()));
}

// lowerThreadPriority(): the calling thread at the build threads' priority (nice +10 on Linux; best
// effort, a no-op elsewhere). For a worker thread that runs background jobs in JS.
void LowerThreadPriorityJs(const Napi::CallbackInfo&) { LowerThreadPriority(); }

}  // namespace

void InitCore(Napi::Env env, Napi::Object exports) {
  // Every env using the addon counts as a user of the pool; the last one to go joins the threads,
  // so a process (or worker) with an open index exits by itself.
  ThreadPool::Global().AddUser();
  env.AddCleanupHook([] { ThreadPool::Global().RemoveUser(); });
  exports.Set("setSearchThreads", Napi::Function::New<SetSearchThreads>(env, "setSearchThreads"));
  exports.Set("getSearchThreads", Napi::Function::New<GetSearchThreads>(env, "getSearchThreads"));
  exports.Set("lowerThreadPriority", Napi::Function::New<LowerThreadPriorityJs>(env, "lowerThreadPriority"));
  exports.Set("simdKernel", Napi::String::New(env, SimdKernelName()));
  InitBitmap(env, exports);
  InitIndexes(env, exports);
}

}  // namespace sparrow

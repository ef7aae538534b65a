// N-API helpers shared by every *_glue.cc file: argument checks, error mapping, async Promises.
//
// The pattern for a native search method (see core_glue.cc for the real thing):
//   Napi::Value Search(const Napi::CallbackInfo& info) {
//     return Guarded(info.Env(), [&] {
//       // 1. Validate cheaply and copy what the async work needs (queries are copied; bitmaps are
//       //    immutable snapshots); never keep a pointer into a JS buffer past this call.
//       SearchRequest req = SearchRequestArg(info, 0, 1);   // TypeError naming a bad argument
//       // 2. Pin the index: the lambda holds a shared_ptr to an immutable native-owned object, so
//       //    close() or GC during the search cannot free what the threads read.
//       std::shared_ptr<const MyIndex> index = index_;
//       // 3. Work off the event loop, one query per pool task; resolves {offsets, docnos, scores, stats?}.
//       return SearchAsync(info.Env(), std::move(req),
//           [index](const CsrView& q, size_t i, const QueryContext& ctx, QueryStats* stats) {
//             return index->Search(q, i, ctx.k, ctx.threshold, ctx.filter, stats);
//           });
//     });
//   }
// Long jobs (builds, saves): RunInBackground(env, work, finish) on a low-priority thread.
// Errors: every C++ exception becomes a JS error (Guarded for sync code; async work rejects):
//   CorruptFileError -> Error with code INDEX_FILE_CORRUPT; std::invalid_argument -> TypeError;
//   std::system_error -> Error with code IO_ERROR (and errno in .errno); std::bad_alloc -> code
//   OUT_OF_MEMORY; anything else -> code INTERNAL. src/index/native.ts maps codes to AppError.
#pragma once

#include <napi.h>

#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bitmap.h"
#include "row_bitmap.h"
#include "common.h"
#include "thread_pool.h"

namespace sparrow {

inline constexpr size_t kMaxK = 10000;

// ---- per-env class registry (instance data is set once, by InitCore) ----
// Keeps constructors of ObjectWrap classes so C++ can create instances (e.g. Bitmap::snapshot).
void RegisterClass(Napi::Env env, const std::string& name, Napi::Function ctor);
Napi::Function ClassOf(Napi::Env env, const std::string& name);

// ---- errors ----
Napi::Error ToJsError(Napi::Env env, std::exception_ptr err);
[[noreturn]] void ThrowTypeError(Napi::Env env, const std::string& message);

// Runs body(); any C++ exception other than Napi::Error is converted with ToJsError and thrown.
template <typename F>
auto Guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw ToJsError(env, std::current_exception());
  }
}

// ---- arguments ----
template <typename T>
struct ArrayArg {
  const T* data;
  size_t size;
};
// A Uint32Array (T = uint32_t), Float32Array (float) or Float64Array (double); TypeError naming it
// otherwise. The pointer is valid during the current call only.
template <typename T>
ArrayArg<T> TypedArrayArg(Napi::Value v, const std::string& name);

// A finite number (TypeError naming it otherwise); `fallback` when undefined and fallback given.
double NumberArg(Napi::Value v, const std::string& name, std::optional<double> fallback = std::nullopt);
// An integer in [lo, hi].
int64_t IntegerArg(Napi::Value v, const std::string& name, int64_t lo, int64_t hi, std::optional<int64_t> fallback = std::nullopt);
// d as an integer in [lo, hi]; TypeError "<name()> must be an integer in [lo, hi]" otherwise (the
// name is made only then: a hot path builds no string). IntegerArg's check, for a number in hand.
template <typename Name>
int64_t IntegerIn(Napi::Env env, double d, int64_t lo, int64_t hi, Name&& name) {
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)) || std::floor(d) != d) {
    ThrowTypeError(env, name() + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(d);
}
std::string StringArg(Napi::Value v, const std::string& name);

struct CsrArrays {
  std::vector<uint32_t> indptr;
  std::vector<TermId> indices;
  std::vector<float> values;
  CsrView View() const { return CsrView{indptr.data(), indices.data(), values.data(), indptr.size() - 1}; }
};
// Validates {indptr, indices, values}: indptr starts at 0, never decreases and ends at
// indices.length == values.length; term ids strictly increasing per row; weights finite and >= 0.
// The view points into JS memory: use it during the current call only (or copy it).
CsrView CsrArg(Napi::Value v, const std::string& name);
// The same over the three arrays given apart (names: name.indptr, name.indices, name.values).
CsrView CsrArg(Napi::Value indptr, Napi::Value indices, Napi::Value values, const std::string& name);
CsrArrays CopyCsr(const CsrView& view);

// The immutable snapshot of a Bitmap object (bitmap_glue.cc); nullptr for undefined or null.
std::shared_ptr<const BitmapWords> BitmapSnapshotArg(Napi::Value v, const std::string& name);
// The bits of a RowBitmap argument now (undefined/null: nullptr); TypeError naming `name` otherwise
// (multi_search_glue.cc). A bitmap unchanged since its last snapshot gives that snapshot again.
RowBitmap::Snapshot RowBitmapSnapshotArg(Napi::Value v, const std::string& name);

// What every search method takes: (queries: CsrBatch, options: {k, tombstones?, allow?, threshold?, stats?}).
struct SearchRequest {
  CsrArrays queries;  // copied
  size_t k = 10;
  float threshold = -std::numeric_limits<float>::infinity();
  bool stats = false;
  std::shared_ptr<const BitmapWords> tombstones;  // snapshots taken now
  std::shared_ptr<const BitmapWords> allow;
};
SearchRequest SearchRequestArg(const Napi::CallbackInfo& info, size_t queries_at, size_t options_at);

// ---- async ----
// What one query's search sees.
struct QueryContext {
  size_t k;
  float threshold;  // TopK floor
  DocFilter filter;
  bool stats;
};
using QueryFn = std::function<std::vector<Hit>(const CsrView& queries, size_t q, const QueryContext& ctx, QueryStats* stats)>;

// A batch's hits as three arrays: query q's hits (in rank order) are [offsets[q], offsets[q + 1]).
struct HitArrays {
  Napi::Uint32Array offsets, docnos;
  Napi::Float32Array scores;
};
HitArrays HitsToArrays(Napi::Env env, const std::vector<std::vector<Hit>>& hits);
// {offsets, docnos, scores, stats?} of a batch's hits (query q's hits in rank order); stats when given.
Napi::Value HitsToJs(Napi::Env env, const std::vector<std::vector<Hit>>& hits, const std::vector<QueryStats>* stats);
// One {listsVisited, blocksScored, blocksSkipped, docsScored, postingsTotal, micros} per query.
Napi::Array StatsArrayToJs(Napi::Env env, const std::vector<QueryStats>& stats);

// Runs fn for every query of the batch on the search pool; resolves {offsets, docnos, scores, stats?}.
Napi::Promise SearchAsync(Napi::Env env, SearchRequest request, QueryFn fn);
// The same batch on the calling thread (it blocks): for one small query where a thread hop would
// cost more than the search, and for single-thread latency measurements.
Napi::Value SearchSync(Napi::Env env, SearchRequest request, const QueryFn& fn);

// Settles a Promise from any thread: Settle(make) runs make on the JS thread; its value resolves
// the promise, a thrown exception rejects it (converted by ToJsError). Construct on the JS thread;
// call Settle exactly once. Every Settler of an env goes through one threadsafe function (a
// function per promise opened and closed a libuv handle per search), which keeps the event loop
// alive while a promise is pending.
class Settler {
 public:
  explicit Settler(Napi::Env env);
  Napi::Promise Promise() const { return promise_; }
  void Settle(std::function<Napi::Value(Napi::Env)> make);

 private:
  napi_deferred deferred_ = nullptr;
  napi_threadsafe_function tsfn_ = nullptr;
  Napi::Promise promise_;
};

// Runs work() on a low-priority background thread, then resolves with finish(env, result).
template <typename R>
Napi::Promise RunInBackground(Napi::Env env, std::function<R()> work, std::function<Napi::Value(Napi::Env, R&)> finish) {
  auto settler = std::make_shared<Settler>(env);
  Napi::Promise promise = settler->Promise();
  ThreadPool::Global().RunBackground([settler, work = std::move(work), finish = std::move(finish)] {
    auto result = std::make_shared<std::optional<R>>();
    std::exception_ptr err;
    try {
      result->emplace(work());
    } catch (...) {
      err = std::current_exception();
    }
    settler->Settle([result, err, finish](Napi::Env env) -> Napi::Value {
      if (err) std::rethrow_exception(err);
      return finish(env, **result);
    });
  });
  return promise;
}

}  // namespace sparrow

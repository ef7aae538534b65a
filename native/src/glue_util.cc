// N-API helpers shared by the glue files (see glue_util.h).
#include "glue_util.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <new>
#include <stdexcept>
#include <system_error>

#include "file_format.h"

namespace sparrow {

// ---- class registry ----

namespace {
// The env's shared threadsafe function for Settler (created on first use).
struct SettleChannel {
  napi_threadsafe_function tsfn = nullptr;
  size_t pending = 0;  // promises not settled yet (JS thread only): referenced while > 0
};

struct AddonData {
  std::map<std::string, Napi::FunctionReference> classes;
  SettleChannel settle;
};

AddonData& DataOf(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) {
    data = new AddonData();
    env.SetInstanceData(data);  // deleted by N-API when the env goes away
  }
  return *data;
}
}  // namespace

void RegisterClass(Napi::Env env, const std::string& name, Napi::Function ctor) {
  DataOf(env).classes[name] = Napi::Persistent(ctor);
}

Napi::Function ClassOf(Napi::Env env, const std::string& name) {
  auto& classes = DataOf(env).classes;
  auto it = classes.find(name);
  if (it == classes.end()) throw std::logic_error("native class " + name + " is not registered");
  return it->second.Value();
}

// ---- errors ----

namespace {
Napi::Error WithCode(Napi::Error err, const char* code) {
  err.Set("code", Napi::String::New(err.Env(), code));
  return err;
}
}  // namespace

Napi::Error ToJsError(Napi::Env env, std::exception_ptr err) {
  try {
    std::rethrow_exception(err);
  } catch (const Napi::Error& e) {
    return e;
  } catch (const CorruptFileError& e) {
    return WithCode(Napi::Error::New(env, e.what()), "INDEX_FILE_CORRUPT");
  } catch (const std::invalid_argument& e) {
    return Napi::TypeError::New(env, e.what());
  } catch (const std::system_error& e) {
    Napi::Error js = WithCode(Napi::Error::New(env, e.what()), "IO_ERROR");
    js.Set("errno", Napi::Number::New(env, e.code().value()));
    return js;
  } catch (const std::bad_alloc&) {
    return WithCode(Napi::Error::New(env, "native code ran out of memory"), "OUT_OF_MEMORY");
  } catch (const std::exception& e) {
    return WithCode(Napi::Error::New(env, std::string("native error: ") + e.what()), "INTERNAL");
  } catch (...) {
    return WithCode(Napi::Error::New(env, "unknown native error"), "INTERNAL");
  }
}

void ThrowTypeError(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }

// ---- arguments ----

namespace {
template <typename T>
constexpr napi_typedarray_type TypedArrayTypeOf();
template <>
constexpr napi_typedarray_type TypedArrayTypeOf<uint32_t>() { return napi_uint32_array; }
template <>
constexpr napi_typedarray_type TypedArrayTypeOf<float>() { return napi_float32_array; }
template <>
constexpr napi_typedarray_type TypedArrayTypeOf<double>() { return napi_float64_array; }

template <typename T>
const char* TypedArrayName() {
  if constexpr (std::is_same_v<T, uint32_t>) return "Uint32Array";
  if constexpr (std::is_same_v<T, float>) return "Float32Array";
  return "Float64Array";
}
}  // namespace

template <typename T>
ArrayArg<T> TypedArrayArg(Napi::Value v, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != TypedArrayTypeOf<T>()) {
    ThrowTypeError(v.Env(), name + " must be a " + TypedArrayName<T>());
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  return ArrayArg<T>{arr.Data(), arr.ElementLength()};
}
template ArrayArg<uint32_t> TypedArrayArg<uint32_t>(Napi::Value, const std::string&);
template ArrayArg<float> TypedArrayArg<float>(Napi::Value, const std::string&);
template ArrayArg<double> TypedArrayArg<double>(Napi::Value, const std::string&);

double NumberArg(Napi::Value v, const std::string& name, std::optional<double> fallback) {
  if (v.IsUndefined() && fallback) return *fallback;
  if (!v.IsNumber()) ThrowTypeError(v.Env(), name + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) ThrowTypeError(v.Env(), name + " must be finite");
  return d;
}

int64_t IntegerArg(Napi::Value v, const std::string& name, int64_t lo, int64_t hi, std::optional<int64_t> fallback) {
  if (v.IsUndefined() && fallback) return *fallback;
  if (!v.IsNumber()) ThrowTypeError(v.Env(), name + " must be an integer");
  return IntegerIn(v.Env(), v.As<Napi::Number>().DoubleValue(), lo, hi, [&] { return name; });
}

std::string StringArg(Napi::Value v, const std::string& name) {
  if (!v.IsString()) ThrowTypeError(v.Env(), name + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

CsrView CsrArg(Napi::Value v, const std::string& name) {
  if (!v.IsObject()) ThrowTypeError(v.Env(), name + " must be an object {indptr, indices, values}");
  Napi::Object o = v.As<Napi::Object>();
  return CsrArg(o.Get("indptr"), o.Get("indices"), o.Get("values"), name);
}

CsrView CsrArg(Napi::Value indptr_v, Napi::Value indices_v, Napi::Value values_v, const std::string& name) {
  Napi::Env env = indptr_v.Env();
  auto indptr = TypedArrayArg<uint32_t>(indptr_v, name + ".indptr");
  auto indices = TypedArrayArg<uint32_t>(indices_v, name + ".indices");
  auto values = TypedArrayArg<float>(values_v, name + ".values");
  if (indptr.size == 0 || indptr.data[0] != 0) ThrowTypeError(env, name + ".indptr must start with 0");
  if (indices.size != values.size) ThrowTypeError(env, name + ".indices and " + name + ".values must have the same length");
  if (indptr.data[indptr.size - 1] != indices.size) ThrowTypeError(env, name + ".indptr must end at indices.length");
  for (size_t r = 0; r + 1 < indptr.size; ++r) {
    uint32_t begin = indptr.data[r], end = indptr.data[r + 1];
    if (end < begin || end > indices.size) ThrowTypeError(env, name + ".indptr must never decrease (row " + std::to_string(r) + ")");
    for (uint32_t j = begin; j < end; ++j) {
      if (j > begin && indices.data[j] <= indices.data[j - 1]) {
        ThrowTypeError(env, name + ".indices must be strictly increasing within a row (row " + std::to_string(r) + ")");
      }
      float w = values.data[j];
      if (!std::isfinite(w) || w < 0) {
        ThrowTypeError(env, name + ".values must be finite and >= 0 (row " + std::to_string(r) + ")");
      }
    }
  }
  return CsrView{indptr.data, indices.data, values.data, indptr.size - 1};
}

CsrArrays CopyCsr(const CsrView& view) {
  CsrArrays out;
  out.indptr.assign(view.indptr, view.indptr + view.rows + 1);
  size_t nnz = view.indptr[view.rows];
  out.indices.assign(view.indices, view.indices + nnz);
  out.values.assign(view.values, view.values + nnz);
  return out;
}

SearchRequest SearchRequestArg(const Napi::CallbackInfo& info, size_t queries_at, size_t options_at) {
  Napi::Env env = info.Env();
  SearchRequest req;
  req.queries = CopyCsr(CsrArg(info[queries_at], "queries"));
  if (!info[options_at].IsObject()) ThrowTypeError(env, "options must be an object");
  Napi::Object o = info[options_at].As<Napi::Object>();
  req.k = static_cast<size_t>(IntegerArg(o.Get("k"), "options.k", 1, kMaxK));
  Napi::Value threshold = o.Get("threshold");
  if (!threshold.IsUndefined() && !threshold.IsNull()) {
    req.threshold = static_cast<float>(NumberArg(threshold, "options.threshold"));
  }
  req.stats = o.Get("stats").ToBoolean();
  req.tombstones = BitmapSnapshotArg(o.Get("tombstones"), "options.tombstones");
  req.allow = BitmapSnapshotArg(o.Get("allow"), "options.allow");
  return req;
}

// ---- async ----

namespace {
struct SettleCall {
  napi_deferred deferred;
  std::function<Napi::Value(Napi::Env)> make;
};

// Runs on the JS thread (env == nullptr when the env is being torn down: then only free; the
// channel may be gone already).
void CallJs(napi_env raw_env, napi_value, void* context, void* data) {
  std::unique_ptr<SettleCall> call(static_cast<SettleCall*>(data));
  if (raw_env == nullptr) return;
  auto* channel = static_cast<SettleChannel*>(context);
  if (--channel->pending == 0) napi_unref_threadsafe_function(raw_env, channel->tsfn);
  Napi::Env env(raw_env);
  Napi::HandleScope scope(env);
  napi_value value;
  bool ok;
  try {
    value = call->make(env);
    ok = true;
  } catch (...) {
    value = ToJsError(env, std::current_exception()).Value();
    ok = false;
  }
  if (ok) {
    napi_resolve_deferred(raw_env, call->deferred, value);
  } else {
    napi_reject_deferred(raw_env, call->deferred, value);
  }
}

// The env's channel, created on first use. Its own thread (the initial one) is released when the
// env is torn down; each Settler holds another until it has settled, so the function outlives
// every promise in flight.
SettleChannel& ChannelOf(Napi::Env env) {
  SettleChannel& channel = DataOf(env).settle;
  if (channel.tsfn != nullptr) return channel;
  napi_value name = Napi::String::New(env, "sparrow-native");
  // No JS function: CallJs settles the promise.
  NAPI_THROW_IF_FAILED(env, napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, &channel,
                                                            CallJs, &channel.tsfn),
                       channel);
  NAPI_THROW_IF_FAILED(env, napi_unref_threadsafe_function(env, channel.tsfn), channel);
  napi_threadsafe_function tsfn = channel.tsfn;
  env.AddCleanupHook([tsfn] { napi_release_threadsafe_function(tsfn, napi_tsfn_abort); });
  return channel;
}
}  // namespace

Settler::Settler(Napi::Env env) : promise_() {
  SettleChannel& channel = ChannelOf(env);
  napi_value promise;
  NAPI_THROW_IF_FAILED_VOID(env, napi_create_promise(env, &deferred_, &promise));
  promise_ = Napi::Promise(env, promise);
  NAPI_THROW_IF_FAILED_VOID(env, napi_acquire_threadsafe_function(channel.tsfn));
  tsfn_ = channel.tsfn;
  if (channel.pending++ == 0) napi_ref_threadsafe_function(env, channel.tsfn);  // the loop waits for the answer
}

void Settler::Settle(std::function<Napi::Value(Napi::Env)> make) {
  auto* call = new SettleCall{deferred_, std::move(make)};
  if (napi_call_threadsafe_function(tsfn_, call, napi_tsfn_blocking) != napi_ok) delete call;  // env closing
  napi_release_threadsafe_function(tsfn_, napi_tsfn_release);
}

namespace {
Napi::Object StatsToJs(Napi::Env env, const QueryStats& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("listsVisited", Napi::Number::New(env, static_cast<double>(s.lists_visited)));
  o.Set("blocksScored", Napi::Number::New(env, static_cast<double>(s.blocks_scored)));
  o.Set("blocksSkipped", Napi::Number::New(env, static_cast<double>(s.blocks_skipped)));
  o.Set("docsScored", Napi::Number::New(env, static_cast<double>(s.docs_scored)));
  o.Set("postingsTotal", Napi::Number::New(env, static_cast<double>(s.postings_total)));
  o.Set("micros", Napi::Number::New(env, s.micros));
  return o;
}

struct BatchJob {
  SearchRequest request;
  BitmapView tombstones, allow;
  QueryContext ctx;
  std::vector<std::vector<Hit>> hits;
  std::vector<QueryStats> stats;
};

Napi::Value BatchToJs(Napi::Env env, BatchJob& job) {
  return HitsToJs(env, job.hits, job.request.stats ? &job.stats : nullptr);
}
}  // namespace

HitArrays HitsToArrays(Napi::Env env, const std::vector<std::vector<Hit>>& hits) {
  size_t nq = hits.size();
  size_t total = 0;
  for (const auto& h : hits) total += h.size();
  HitArrays out{Napi::Uint32Array::New(env, nq + 1), Napi::Uint32Array::New(env, total), Napi::Float32Array::New(env, total)};
  size_t at = 0;
  for (size_t q = 0; q < nq; ++q) {
    out.offsets[q] = static_cast<uint32_t>(at);
    for (const Hit& h : hits[q]) {
      out.docnos[at] = h.docno;
      out.scores[at] = h.score;
      ++at;
    }
  }
  out.offsets[nq] = static_cast<uint32_t>(at);
  return out;
}

Napi::Value HitsToJs(Napi::Env env, const std::vector<std::vector<Hit>>& hits, const std::vector<QueryStats>* stats) {
  HitArrays arrays = HitsToArrays(env, hits);
  Napi::Object out = Napi::Object::New(env);
  out.Set("offsets", arrays.offsets);
  out.Set("docnos", arrays.docnos);
  out.Set("scores", arrays.scores);
  if (stats) out.Set("stats", StatsArrayToJs(env, *stats));
  return out;
}

Napi::Array StatsArrayToJs(Napi::Env env, const std::vector<QueryStats>& stats) {
  Napi::Array arr = Napi::Array::New(env, stats.size());
  for (size_t q = 0; q < stats.size(); ++q) arr.Set(static_cast<uint32_t>(q), StatsToJs(env, stats[q]));
  return arr;
}

namespace {

std::shared_ptr<BatchJob> MakeJob(SearchRequest request) {
  auto job = std::make_shared<BatchJob>();
  job->request = std::move(request);
  const SearchRequest& req = job->request;
  if (req.tombstones) job->tombstones = ViewOf(*req.tombstones);
  if (req.allow) job->allow = ViewOf(*req.allow);
  job->ctx = QueryContext{req.k, req.threshold, DocFilter{req.tombstones ? &job->tombstones : nullptr, req.allow ? &job->allow : nullptr},
                          req.stats};
  size_t nq = req.queries.indptr.size() - 1;
  job->hits.resize(nq);
  job->stats.resize(nq);
  return job;
}

void RunQuery(BatchJob& job, const QueryFn& fn, size_t q) {
  QueryStats* stats = job.request.stats ? &job.stats[q] : nullptr;
  auto t0 = std::chrono::steady_clock::now();
  job.hits[q] = fn(job.request.queries.View(), q, job.ctx, stats);
  if (stats) stats->micros = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Napi::Value SearchSync(Napi::Env env, SearchRequest request, const QueryFn& fn) {
  std::shared_ptr<BatchJob> job = MakeJob(std::move(request));
  for (size_t q = 0; q < job->hits.size(); q++) RunQuery(*job, fn, q);
  return BatchToJs(env, *job);
}

Napi::Promise SearchAsync(Napi::Env env, SearchRequest request, QueryFn fn) {
  std::shared_ptr<BatchJob> job = MakeJob(std::move(request));
  size_t nq = job->hits.size();
  auto settler = std::make_shared<Settler>(env);
  Napi::Promise promise = settler->Promise();
  ThreadPool::Global().ForEachAsync(
      nq,
      [job, fn = std::move(fn)](size_t q) { RunQuery(*job, fn, q); },
      [job, settler](std::exception_ptr err) {
        settler->Settle([job, err](Napi::Env env) -> Napi::Value {
          if (err) std::rethrow_exception(err);
          return BatchToJs(env, *job);
        });
      });
  return promise;
}

}  // namespace sparrow

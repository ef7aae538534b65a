// N-API glue for the exact dense index (dense.h): class DenseIndex.
//
//   new DenseIndex(dims, metric: "dot" | "cosine")
//   add(docnos: Uint32Array, vectors: Float32Array)            sync, all-or-nothing
//   search(queries: Float32Array, options: {k, tombstones?: RowBitmap (by docno), allow?: RowBitmap (by docno), threshold?})
//     -> Promise<{offsets, docnos, scores}>                     rows split over the search pool
//   score(query: Float32Array, docnos: Uint32Array, filter?: {tombstones?: RowBitmap, allow?: RowBitmap})
//     -> Float32Array   NaN where a docno has no vector, is tombstoned or is not allowed
//   get(docno) -> Float32Array | undefined;  has(docno) -> boolean;  docnos() -> Uint32Array (row order)
//   rows, dims, bytes, metric (getters);  close()
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dense.h"
#include "glue.h"
#include "glue_util.h"

namespace sparrow {
namespace {

// Rows per pool task: large enough that a task's setup is negligible, small enough that two
// threads share the work evenly at 100k rows.
constexpr size_t kRowsPerTask = 16384;

// A dense search's docno filter from an options object ({tombstones?, allow?}: RowBitmaps by docno):
// their snapshots (chunks shared, never copied) held while the search runs, and the DocFilter over
// them. The filter points into this object, which therefore stays where it was made.
struct DocnoFilter {
  RowBitmap::Snapshot removed, allow;
  RowBitsView removed_view, allow_view;
  DocFilter filter;
  DocnoFilter() = default;
  DocnoFilter(const DocnoFilter&) = delete;
  DocnoFilter& operator=(const DocnoFilter&) = delete;
  void Read(const Napi::Object& o, const std::string& what) {
    removed = RowBitmapSnapshotArg(o.Get("tombstones"), what + ".tombstones");
    allow = RowBitmapSnapshotArg(o.Get("allow"), what + ".allow");
    if (removed) removed_view = removed->View();
    if (allow) allow_view = allow->View();
    filter.removed_docs = removed ? &removed_view : nullptr;
    filter.allow_docs = allow ? &allow_view : nullptr;
  }
  bool Any() const { return removed || allow; }
};

struct DenseJob {
  std::shared_ptr<const DenseSnapshot> snap;
  std::vector<float> queries;  // prepared (normalised for cosine), nq × dims
  size_t nq = 0;
  size_t k = 10;
  float threshold = 0;
  DocnoFilter filter;
  size_t tasks = 0;
  std::vector<std::vector<std::vector<Hit>>> parts;  // [q][task]
};

Napi::Value HitsToJs(Napi::Env env, DenseJob& job) {
  std::vector<std::vector<Hit>> hits(job.nq);
  size_t total = 0;
  for (size_t q = 0; q < job.nq; q++) {
    hits[q] = MergeTopK(job.parts[q], job.k);
    total += hits[q].size();
  }
  auto offsets = Napi::Uint32Array::New(env, job.nq + 1);
  auto docnos = Napi::Uint32Array::New(env, total);
  auto scores = Napi::Float32Array::New(env, total);
  size_t at = 0;
  for (size_t q = 0; q < job.nq; q++) {
    offsets[q] = static_cast<uint32_t>(at);
    for (const Hit& h : hits[q]) {
      docnos[at] = h.docno;
      scores[at] = h.score;
      at++;
    }
  }
  offsets[job.nq] = static_cast<uint32_t>(at);
  Napi::Object out = Napi::Object::New(env);
  out.Set("offsets", offsets);
  out.Set("docnos", docnos);
  out.Set("scores", scores);
  return out;
}

class DenseIndexWrap : public Napi::ObjectWrap<DenseIndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "DenseIndex",
                       {InstanceMethod<&DenseIndexWrap::Add>("add"), InstanceMethod<&DenseIndexWrap::Search>("search"),
                        InstanceMethod<&DenseIndexWrap::Score>("score"), InstanceMethod<&DenseIndexWrap::Get>("get"),
                        InstanceMethod<&DenseIndexWrap::Has>("has"), InstanceMethod<&DenseIndexWrap::Docnos>("docnos"),
                        InstanceMethod<&DenseIndexWrap::Close>("close"),
                        InstanceAccessor<&DenseIndexWrap::RowsGetter>("rows"), InstanceAccessor<&DenseIndexWrap::DimsGetter>("dims"),
                        InstanceAccessor<&DenseIndexWrap::BytesGetter>("bytes"),
                        InstanceAccessor<&DenseIndexWrap::MetricGetter>("metric")});
  }

  explicit DenseIndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DenseIndexWrap>(info) {
    Guarded(info.Env(), [&] {
      size_t dims = static_cast<size_t>(IntegerArg(info[0], "dims", 1, kDenseMaxDims));
      std::string metric = StringArg(info[1], "metric");
      if (metric != "dot" && metric != "cosine") ThrowTypeError(info.Env(), "metric must be \"dot\" or \"cosine\"");
      store_ = std::make_unique<DenseStore>(dims, metric == "dot" ? DenseMetric::kDot : DenseMetric::kCosine);
    });
  }

 private:
  DenseStore& Open(Napi::Env env) {
    if (!store_) ThrowTypeError(env, "DenseIndex is closed");
    return *store_;
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      DenseStore& store = Open(info.Env());
      auto docnos = TypedArrayArg<uint32_t>(info[0], "docnos");
      auto vectors = TypedArrayArg<float>(info[1], "vectors");
      if (vectors.size != docnos.size * store.Dims()) {
        ThrowTypeError(info.Env(), "vectors must hold docnos.length × dims = " + std::to_string(docnos.size * store.Dims()) +
                                       " floats; got " + std::to_string(vectors.size));
      }
      store.Append(vectors.data, docnos.data, docnos.size);
      return info.Env().Undefined();
    });
  }

  Napi::Value Search(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      Napi::Env env = info.Env();
      DenseStore& store = Open(env);
      auto job = std::make_shared<DenseJob>();
      auto queries = TypedArrayArg<float>(info[0], "queries");
      size_t dims = store.Dims();
      if (queries.size == 0 || queries.size % dims != 0) {
        ThrowTypeError(env, "queries must hold a positive multiple of dims = " + std::to_string(dims) + " floats; got " + std::to_string(queries.size));
      }
      job->nq = queries.size / dims;
      for (size_t i = 0; i < queries.size; i++) {
        if (!std::isfinite(queries.data[i])) ThrowTypeError(env, "queries[" + std::to_string(i) + "] is not finite");
      }
      for (size_t q = 0; q < job->nq; q++) {
        auto p = PrepareQuery(queries.data + q * dims, dims, store.Metric());
        job->queries.insert(job->queries.end(), p.begin(), p.end());
      }
      if (!info[1].IsObject()) ThrowTypeError(env, "options must be an object");
      Napi::Object o = info[1].As<Napi::Object>();
      job->k = static_cast<size_t>(IntegerArg(o.Get("k"), "options.k", 1, kMaxK));
      job->threshold = static_cast<float>(NumberArg(o.Get("threshold"), "options.threshold", -std::numeric_limits<double>::infinity()));
      job->filter.Read(o, "options");
      job->snap = store.Snapshot();
      size_t rows = job->snap->rows;
      job->tasks = std::max<size_t>(1, (rows + kRowsPerTask - 1) / kRowsPerTask);
      job->parts.assign(job->nq, std::vector<std::vector<Hit>>(job->tasks));

      auto settler = std::make_shared<Settler>(env);
      Napi::Promise promise = settler->Promise();
      ThreadPool::Global().ForEachAsync(
          job->tasks,
          [job, rows](size_t t) {
            size_t begin = t * kRowsPerTask, end = std::min(rows, begin + kRowsPerTask);
            std::vector<TopK> tops(job->nq, TopK(job->k, job->threshold));
            ScanRange(*job->snap, job->queries.data(), job->nq, begin, end, job->filter.filter, tops);
            for (size_t q = 0; q < job->nq; q++) job->parts[q][t] = tops[q].Take();
          },
          [job, settler](std::exception_ptr err) {
            settler->Settle([job, err](Napi::Env env) -> Napi::Value {
              if (err) std::rethrow_exception(err);
              return HitsToJs(env, *job);
            });
          });
      return promise;
    });
  }

  Napi::Value Score(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      DenseStore& store = Open(info.Env());
      auto query = TypedArrayArg<float>(info[0], "query");
      if (query.size != store.Dims()) ThrowTypeError(info.Env(), "query must hold dims = " + std::to_string(store.Dims()) + " floats; got " + std::to_string(query.size));
      for (size_t i = 0; i < query.size; i++) {
        if (!std::isfinite(query.data[i])) ThrowTypeError(info.Env(), "query[" + std::to_string(i) + "] is not finite");
      }
      auto docnos = TypedArrayArg<uint32_t>(info[1], "docnos");
      DocnoFilter filter;
      if (!info[2].IsUndefined()) {
        if (!info[2].IsObject()) ThrowTypeError(info.Env(), "filter must be an object");
        filter.Read(info[2].As<Napi::Object>(), "filter");
      }
      auto out = Napi::Float32Array::New(info.Env(), docnos.size);
      store.Score(query.data, docnos.data, docnos.size, out.Data());
      if (filter.Any()) {
        for (size_t i = 0; i < docnos.size; i++)
          if (!filter.filter.Accept(docnos.data[i])) out[i] = std::numeric_limits<float>::quiet_NaN();
      }
      return out;
    });
  }

  Napi::Value Get(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      DenseStore& store = Open(info.Env());
      auto d = static_cast<DocNo>(IntegerArg(info[0], "docno", 0, 0xFFFFFFFFll));
      if (!store.Has(d)) return info.Env().Undefined();
      auto out = Napi::Float32Array::New(info.Env(), store.Dims());
      store.Get(d, out.Data());
      return out;
    });
  }

  Napi::Value Has(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      DenseStore& store = Open(info.Env());
      auto d = static_cast<DocNo>(IntegerArg(info[0], "docno", 0, 0xFFFFFFFFll));
      return Napi::Boolean::New(info.Env(), store.Has(d));
    });
  }

  Napi::Value Docnos(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      std::vector<DocNo> d = Open(info.Env()).Docnos();
      auto out = Napi::Uint32Array::New(info.Env(), d.size());
      std::copy(d.begin(), d.end(), out.Data());
      return out;
    });
  }

  // Frees the store; running searches keep the chunks of their snapshot alive until they finish.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    store_.reset();
    return info.Env().Undefined();
  }

  Napi::Value RowsGetter(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), store_ ? double(store_->Rows()) : 0); }
  Napi::Value DimsGetter(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), store_ ? double(store_->Dims()) : 0); }
  Napi::Value BytesGetter(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), store_ ? double(store_->Bytes()) : 0); }
  Napi::Value MetricGetter(const Napi::CallbackInfo& info) {
    if (!store_) return info.Env().Undefined();
    return Napi::String::New(info.Env(), store_->Metric() == DenseMetric::kDot ? "dot" : "cosine");
  }

  std::unique_ptr<DenseStore> store_;
};

}  // namespace

// checkDenseVectors(vectors: Float32Array, dims, metric): the stored-vector rule (CheckDenseRows);
// TypeError naming the first bad row.
Napi::Value CheckDenseVectorsJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    auto vectors = TypedArrayArg<float>(info[0], "vectors");
    size_t dims = static_cast<size_t>(IntegerArg(info[1], "dims", 1, kDenseMaxDims));
    std::string metric = StringArg(info[2], "metric");
    if (metric != "dot" && metric != "cosine") ThrowTypeError(info.Env(), "metric must be \"dot\" or \"cosine\"");
    if (vectors.size % dims != 0) ThrowTypeError(info.Env(), "vectors must hold a multiple of dims floats");
    CheckDenseRows(vectors.data, vectors.size / dims, dims, metric == "dot" ? DenseMetric::kDot : DenseMetric::kCosine);
    return info.Env().Undefined();
  });
}

void InitDense(Napi::Env env, Napi::Object exports) {
  exports.Set("DenseIndex", DenseIndexWrap::Define(env));
  exports.Set("checkDenseVectors", Napi::Function::New(env, CheckDenseVectorsJs, "checkDenseVectors"));
}

}  // namespace sparrow

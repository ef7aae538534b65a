// N-API glue of the read path over sealed segments: the RowBitmap class (a segment's deleted rows,
// row_bitmap.h) and searchSegments (every sealed segment in one call, multi_search.h).
#include <bit>
#include <cmath>
#include <cstring>
#include <thread>

#include "glue.h"
#include "glue_util.h"
#include "multi_search.h"
#include "row_bitmap.h"
#include "seismic_glue.h"

namespace sparrow {
namespace {

constexpr napi_type_tag kRowBitmapTag = {0x7e21c4a9d03b5f18ULL, 0x2b6f9e0c13a8d475ULL};

// new RowBitmap(rows): a mutable row bitmap; snapshot() gives a read-only one (the same class).
// grow(rows) and setWords(words, base) serve the dense field's docno-indexed filter sets.
class RowBitmapWrap : public Napi::ObjectWrap<RowBitmapWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "RowBitmap",
                       {InstanceAccessor<&RowBitmapWrap::Rows>("rows"), InstanceAccessor<&RowBitmapWrap::Count>("count"),
                        InstanceAccessor<&RowBitmapWrap::CopiedChunks>("copiedChunks"),
                        InstanceAccessor<&RowBitmapWrap::Frozen>("frozen"), InstanceMethod<&RowBitmapWrap::Set>("set"),
                        InstanceMethod<&RowBitmapWrap::SetMany>("setMany"), InstanceMethod<&RowBitmapWrap::SetWords>("setWords"),
                        InstanceMethod<&RowBitmapWrap::Grow>("grow"), InstanceMethod<&RowBitmapWrap::Clear>("clear"),
                        InstanceMethod<&RowBitmapWrap::Has>("has"), InstanceMethod<&RowBitmapWrap::Snapshot>("snapshot")});
  }

  explicit RowBitmapWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RowBitmapWrap>(info) {
    Guarded(info.Env(), [&] {
      info.This().As<Napi::Object>().TypeTag(&kRowBitmapTag);
      if (info[0].IsUndefined()) return;  // snapshot(): frozen_ is set right after
      bitmap_ = std::make_shared<RowBitmap>(static_cast<size_t>(IntegerArg(info[0], "rows", 0, 0xFFFFFFFFLL)));
    });
  }

  static RowBitmapWrap* From(Napi::Value v, const std::string& name) {
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kRowBitmapTag)) ThrowTypeError(v.Env(), name + " must be a RowBitmap");
    return Unwrap(v.As<Napi::Object>());
  }

  // The bits now: the mutable bitmap's snapshot, or the frozen one.
  RowBitmap::Snapshot Snap() { return bitmap_ ? bitmap_->Snap() : frozen_; }

 private:
  RowBitmap& Writable(Napi::Env env) {
    if (!bitmap_) ThrowTypeError(env, "this RowBitmap is a snapshot (read-only)");
    return *bitmap_;
  }
  size_t RowArg(const Napi::CallbackInfo& info) {
    size_t rows = bitmap_ ? bitmap_->Rows() : frozen_->Rows();
    if (rows == 0) ThrowTypeError(info.Env(), "row: the bitmap has no rows");
    return static_cast<size_t>(IntegerArg(info[0], "row", 0, int64_t(rows) - 1));
  }
  Napi::Value Rows(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(bitmap_ ? bitmap_->Rows() : frozen_->Rows()));
  }
  Napi::Value Count(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(bitmap_ ? bitmap_->Count() : frozen_->Count()));
  }
  Napi::Value CopiedChunks(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(bitmap_ ? bitmap_->CopiedChunks() : 0));
  }
  Napi::Value Frozen(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !bitmap_); }
  Napi::Value Set(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return Napi::Boolean::New(info.Env(), Writable(info.Env()).Set(RowArg(info))); });
  }
  Napi::Value Clear(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] { return Napi::Boolean::New(info.Env(), Writable(info.Env()).Clear(RowArg(info))); });
  }
  // setMany(rows: Uint32Array): sets every row (validated first: nothing changes on a bad row);
  // returns how many bits changed.
  Napi::Value SetMany(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      RowBitmap& b = Writable(info.Env());
      auto rows = TypedArrayArg<uint32_t>(info[0], "rows");
      for (size_t i = 0; i < rows.size; i++)
        if (rows.data[i] >= b.Rows()) ThrowTypeError(info.Env(), "rows[" + std::to_string(i) + "] is past the bitmap's " + std::to_string(b.Rows()) + " rows");
      size_t changed = 0;
      for (size_t i = 0; i < rows.size; i++) changed += b.Set(rows.data[i]) ? 1 : 0;
      return Napi::Number::New(info.Env(), double(changed));
    });
  }
  // setWords(words: Uint32Array, base: number): sets row base + i for every set bit i of the words
  // (validated first: nothing changes when a set bit lies past the rows); returns how many bits changed.
  Napi::Value SetWords(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      RowBitmap& b = Writable(info.Env());
      auto words = TypedArrayArg<uint32_t>(info[0], "words");
      size_t base = static_cast<size_t>(IntegerArg(info[1], "base", 0, 0xFFFFFFFFLL));
      size_t last = words.size;  // one past the last word with a set bit
      while (last > 0 && words.data[last - 1] == 0) last--;
      if (last > 0 && base + last * 32 - 1 - static_cast<size_t>(std::countl_zero(words.data[last - 1])) >= b.Rows())
        ThrowTypeError(info.Env(), "words: a set bit lies past the bitmap's " + std::to_string(b.Rows()) + " rows");
      size_t changed = 0;
      for (size_t i = 0; i < last; i++)
        for (uint32_t w = words.data[i]; w != 0; w &= w - 1) changed += b.Set(base + i * 32 + static_cast<size_t>(std::countr_zero(w))) ? 1 : 0;
      return Napi::Number::New(info.Env(), double(changed));
    });
  }
  // grow(rows): at least `rows` rows from now on (the new ones 0); fewer rows than now is an error.
  void Grow(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      RowBitmap& b = Writable(info.Env());
      b.Grow(static_cast<size_t>(IntegerArg(info[0], "rows", static_cast<int64_t>(b.Rows()), 0xFFFFFFFFLL)));
    });
  }
  Napi::Value Has(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      size_t r = RowArg(info);
      bool has = bitmap_ ? bitmap_->Has(r) : frozen_->View().Test(static_cast<uint32_t>(r));
      return Napi::Boolean::New(info.Env(), has);
    });
  }
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      Napi::Object copy = ClassOf(info.Env(), "RowBitmap").New({});
      Unwrap(copy)->frozen_ = Snap();
      return copy;
    });
  }

  std::shared_ptr<RowBitmap> bitmap_;  // mutable, or null for a snapshot
  RowBitmap::Snapshot frozen_;
};

}  // namespace

RowBitmap::Snapshot RowBitmapSnapshotArg(Napi::Value v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  return RowBitmapWrap::From(v, name)->Snap();
}

namespace {

struct MultiJob {
  CsrArrays queries;
  std::vector<SegmentQuery> parts;
  // The parts' allow arrays, read in place by the search threads: held until the search has
  // settled, and released on the JS thread (ReleasePins, or the destructor there); a job that
  // ends elsewhere without settling (the environment going away) leaks them rather than deleting
  // a reference off the JS thread.
  std::vector<Napi::Reference<Napi::Uint32Array>> pins;
  std::thread::id js_thread = std::this_thread::get_id();
  MultiSearchOptions opts;
  std::vector<float> floors;  // per query: the k-th best score found elsewhere
  bool stats = false;
  std::vector<std::vector<Hit>> hits;
  std::vector<QueryStats> qstats;
  std::unique_ptr<MergedTopK> shared;  // one query, segments in parallel
  const char* ran = "inline";
  double estimate = std::numeric_limits<double>::quiet_NaN();  // one query: EstimateWork
  void ReleasePins() { pins.clear(); }  // on the JS thread only
  ~MultiJob() {
    if (std::this_thread::get_id() != js_thread)
      for (auto& p : pins) p.SuppressDestruct();
  }
};

void Finish(MultiJob& job, size_t q, MergedTopK& merged) {
  job.hits[q] = merged.Take();
  job.qstats[q] = merged.Stats();
}

void RunSequential(MultiJob& job, size_t q) {
  MergedTopK merged(job.opts.k, job.floors[q]);
  for (const SegmentQuery& p : job.parts) SearchSegmentInto(p, job.queries.View(), q, job.opts, merged);
  Finish(job, q, merged);
}

Napi::Value JobToJs(Napi::Env env, MultiJob& job) {
  Napi::Object out = HitsToJs(env, job.hits, job.stats ? &job.qstats : nullptr).As<Napi::Object>();
  out.Set("ran", Napi::String::New(env, job.ran));
  if (!std::isnan(job.estimate)) out.Set("estimate", Napi::Number::New(env, job.estimate));
  return out;
}

std::shared_ptr<MultiJob> JobArg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<MultiJob>();
  if (!info[0].IsArray()) ThrowTypeError(env, "parts must be an array");
  Napi::Array parts = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < parts.Length(); i++) {
    std::string name = "parts[" + std::to_string(i) + "]";
    Napi::Value v = parts.Get(i);
    if (!v.IsObject()) ThrowTypeError(env, name + " must be an object");
    Napi::Object o = v.As<Napi::Object>();
    SegmentQuery p;
    p.segment = SeismicSegmentArg(o.Get("segment"), name + ".segment");
    // No fallbacks: the TS side passes each segment's setting (src/index/native.ts, defaults in src/config.ts).
    p.query_cut = static_cast<size_t>(IntegerArg(o.Get("queryCut"), name + ".queryCut", 0, 1 << 20));
    p.heap_factor = static_cast<float>(NumberArg(o.Get("heapFactor"), name + ".heapFactor"));
    if (!(p.heap_factor > 0.0f && p.heap_factor <= 1.0f)) ThrowTypeError(env, name + ".heapFactor must be in (0, 1]");
    p.n_knn = static_cast<size_t>(IntegerArg(o.Get("nKnn"), name + ".nKnn", 0, 256, 0));
    p.exact = o.Get("exact").ToBoolean();
    Napi::Value deleted = o.Get("deleted");
    if (!deleted.IsUndefined() && !deleted.IsNull()) {
      RowBitmap::Snapshot snap = RowBitmapWrap::From(deleted, name + ".deleted")->Snap();
      if (snap->Rows() != p.segment->NumRows()) ThrowTypeError(env, name + ".deleted must have one row per segment row");
      p.SetDeleted(std::move(snap));
    }
    Napi::Value allow = o.Get("allow");
    if (!allow.IsUndefined() && !allow.IsNull()) {
      // Row-indexed words of this segment's allowed rows: read in place (zero-copy), pinned.
      auto words = TypedArrayArg<uint32_t>(allow, name + ".allow");
      if (words.size != (p.segment->NumRows() + 31) / 32)
        ThrowTypeError(env, name + ".allow must hold one bit per segment row: " + std::to_string((p.segment->NumRows() + 31) / 32) + " words");
      p.allow_view = RowWordsView{words.data, words.size};
      p.has_allow = true;
      job->pins.push_back(Napi::Persistent(allow.As<Napi::Uint32Array>()));
    }
    job->parts.push_back(std::move(p));
  }
  OrderLargestFirst(job->parts);
  job->queries = CopyCsr(CsrArg(info[1], "queries"));
  if (!info[2].IsObject()) ThrowTypeError(env, "options must be an object");
  Napi::Object o = info[2].As<Napi::Object>();
  job->opts.k = static_cast<size_t>(IntegerArg(o.Get("k"), "options.k", 1, kMaxK));
  job->opts.exact = o.Get("exact").ToBoolean();
  job->stats = o.Get("stats").ToBoolean();
  Napi::Value avgdl = o.Get("avgdl");
  if (!avgdl.IsUndefined() && !avgdl.IsNull()) {
    job->opts.avgdl = NumberArg(avgdl, "options.avgdl");
    if (!(std::isfinite(job->opts.avgdl) && job->opts.avgdl >= 0.0)) ThrowTypeError(env, "options.avgdl must be a finite number >= 0");
  }
  if (!o.Get("allow").IsUndefined()) ThrowTypeError(env, "options.allow: give each part its own allowed rows (parts[i].allow)");
  size_t nq = job->queries.indptr.size() - 1;
  job->floors.assign(nq, -std::numeric_limits<float>::infinity());
  Napi::Value threshold = o.Get("threshold");
  Napi::Value thresholds = o.Get("thresholds");
  if (!threshold.IsUndefined() && !threshold.IsNull()) {
    job->floors.assign(nq, static_cast<float>(NumberArg(threshold, "options.threshold")));
  } else if (!thresholds.IsUndefined() && !thresholds.IsNull()) {
    auto t = TypedArrayArg<float>(thresholds, "options.thresholds");
    if (t.size != nq) ThrowTypeError(env, "options.thresholds must hold one number per query");
    for (size_t q = 0; q < nq; q++)
      if (!std::isnan(t.data[q])) job->floors[q] = t.data[q];  // NaN: no floor
  }
  job->hits.resize(nq);
  job->qstats.resize(nq);
  return job;
}

// searchSegments(parts: [{segment, deleted?, allow?: Uint32Array (bit r = row r may be returned,
//   ceil(rows / 32) words, read in place: unchanged until the promise settles), queryCut, heapFactor,
//   nKnn?, exact?}], queries: CsrBatch,
//   options: {k, exact?, avgdl? (live BM25 average length; 0 or absent: each segment's own),
//             threshold? | thresholds?: Float32Array (per query, NaN = none), stats?,
//             inlinePostings, parallelPostings, mode?})
// -> Promise<{offsets, docnos, scores, stats?, ran: "inline" | "pool" | "parallel", estimate? (one query)}>.
// Where it runs (mode "auto"): one query whose estimated work (EstimateWork, in term-at-a-time
// postings) is <= inlinePostings runs on the calling thread (no thread hop); one query of >=
// parallelPostings over several segments is spread over the search pool a segment per task;
// otherwise one pool task per query, segments in turn.
Napi::Value SearchSegments(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::shared_ptr<MultiJob> job = JobArg(info);
    Napi::Object o = info[2].As<Napi::Object>();
    std::string mode = o.Get("mode").IsUndefined() ? "auto" : StringArg(o.Get("mode"), "options.mode");
    if (mode != "auto" && mode != "inline" && mode != "pool" && mode != "parallel")
      ThrowTypeError(env, "options.mode must be \"auto\", \"inline\", \"pool\" or \"parallel\"");
    double inline_postings = NumberArg(o.Get("inlinePostings"), "options.inlinePostings");
    double parallel_postings = NumberArg(o.Get("parallelPostings"), "options.parallelPostings");
    size_t nq = job->hits.size();
    if (nq == 1) job->estimate = static_cast<double>(EstimateWork(job->parts, job->queries.View(), 0, job->opts.exact));
    if (mode == "auto") {
      if (nq != 1) {
        mode = "pool";
      } else {
        double est = job->estimate;
        mode = est <= inline_postings ? "inline" : job->parts.size() > 1 && est >= parallel_postings ? "parallel" : "pool";
      }
    }
    if (mode == "inline") {
      for (size_t q = 0; q < nq; q++) RunSequential(*job, q);
      job->ReleasePins();
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Resolve(JobToJs(env, *job));
      return deferred.Promise();
    }
    auto settler = std::make_shared<Settler>(env);
    Napi::Promise promise = settler->Promise();
    auto done = [job, settler](std::exception_ptr err) {
      settler->Settle([job, err](Napi::Env env) -> Napi::Value {
        job->ReleasePins();
        if (err) std::rethrow_exception(err);
        return JobToJs(env, *job);
      });
    };
    if (mode == "parallel" && nq == 1) {
      job->ran = "parallel";
      job->shared = std::make_unique<MergedTopK>(job->opts.k, job->floors[0]);
      ThreadPool::Global().ForEachAsync(
          job->parts.size(),
          [job](size_t i) { SearchSegmentInto(job->parts[i], job->queries.View(), 0, job->opts, *job->shared); },
          [job, done](std::exception_ptr err) {
            if (!err) Finish(*job, 0, *job->shared);
            done(err);
          });
    } else {
      job->ran = "pool";
      ThreadPool::Global().ForEachAsync(nq, [job](size_t q) { RunSequential(*job, q); }, done);
    }
    return promise;
  });
}

}  // namespace

void InitSearch(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = RowBitmapWrap::Define(env);
  RegisterClass(env, "RowBitmap", ctor);
  exports.Set("RowBitmap", ctor);
  exports.Set("searchSegments", Napi::Function::New(env, SearchSegments, "searchSegments"));
}

}  // namespace sparrow

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

enum : int { kRanInline, kRanPool, kRanParallel };

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
  int ran = kRanInline;  // JobToJs's ran
  double inline_postings = 0.0, parallel_postings = 0.0;  // mode auto's limits
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

// The result as an array, [offsets, docnos, scores, stats | undefined, ran, estimate] (ran: 0 inline,
// 1 pool, 2 parallel; estimate NaN unless one query), made into MultiSearchResult by
// src/index/native.ts: elements, not named properties (no property-name lookups per search).
Napi::Value JobToJs(Napi::Env env, MultiJob& job) {
  HitArrays arrays = HitsToArrays(env, job.hits);
  Napi::Array out = Napi::Array::New(env, 6);
  out.Set(uint32_t{0}, arrays.offsets);
  out.Set(uint32_t{1}, arrays.docnos);
  out.Set(uint32_t{2}, arrays.scores);
  if (job.stats) out.Set(uint32_t{3}, StatsArrayToJs(env, job.qstats));
  out.Set(uint32_t{4}, Napi::Number::New(env, job.ran));
  out.Set(uint32_t{5}, Napi::Number::New(env, job.estimate));
  return out;
}

// The layout of searchSegments' numbers (src/index/native.ts SEARCH_NUMBERS mirrors it): the
// options, then kPartNumbers per part.
enum : size_t { kK, kExact, kStats, kAvgdl, kThreshold, kInlinePostings, kParallelPostings, kMode, kOptionNumbers };
enum : size_t { kQueryCut, kHeapFactor, kNKnn, kPartExact, kPartNumbers };
enum : int { kAuto, kInline, kPool, kParallel };

// An element of an optional array argument (undefined when the array is).
Napi::Value ElementOf(Napi::Value array, uint32_t i) {
  return array.IsArray() ? array.As<Napi::Array>().Get(i) : array.Env().Undefined();
}

std::shared_ptr<MultiJob> JobArg(const Napi::CallbackInfo& info, int& mode) {
  Napi::Env env = info.Env();
  auto job = std::make_shared<MultiJob>();
  if (!info[0].IsArray()) ThrowTypeError(env, "segments must be an array");
  Napi::Array segments = info[0].As<Napi::Array>();
  uint32_t n = segments.Length();
  for (size_t a : {1, 2})
    if (!info[a].IsUndefined() && !(info[a].IsArray() && info[a].As<Napi::Array>().Length() == n))
      ThrowTypeError(env, std::string(a == 1 ? "deleted" : "allow") + " must be undefined or an array of one entry per segment");
  auto numbers = TypedArrayArg<double>(info[3], "numbers");
  if (numbers.size != kOptionNumbers + kPartNumbers * size_t{n})
    ThrowTypeError(env, "numbers must hold " + std::to_string(kOptionNumbers) + " options and " + std::to_string(kPartNumbers) + " per segment");
  for (uint32_t i = 0; i < n; i++) {
    const size_t at = kOptionNumbers + kPartNumbers * i;
    auto field = [i](const char* f) { return "parts[" + std::to_string(i) + "]." + f; };  // made only for an error
    SegmentQuery p;
    p.segment = SeismicSegmentArg(segments.Get(i), "segments[" + std::to_string(i) + "]");
    // No fallbacks: the TS side passes each segment's setting (src/index/native.ts, defaults in src/config.ts).
    p.query_cut = static_cast<size_t>(IntegerIn(env, numbers.data[at + kQueryCut], 0, 1 << 20, [&] { return field("queryCut"); }));
    p.heap_factor = static_cast<float>(numbers.data[at + kHeapFactor]);
    if (!(p.heap_factor > 0.0f && p.heap_factor <= 1.0f)) ThrowTypeError(env, field("heapFactor") + " must be in (0, 1]");
    p.n_knn = static_cast<size_t>(IntegerIn(env, numbers.data[at + kNKnn], 0, 256, [&] { return field("nKnn"); }));
    p.exact = numbers.data[at + kPartExact] != 0.0;
    Napi::Value deleted = ElementOf(info[1], i);
    if (!deleted.IsUndefined() && !deleted.IsNull()) {
      RowBitmap::Snapshot snap = RowBitmapWrap::From(deleted, field("deleted"))->Snap();
      if (snap->Rows() != p.segment->NumRows()) ThrowTypeError(env, field("deleted") + " must have one row per segment row");
      p.SetDeleted(std::move(snap));
    }
    Napi::Value allow = ElementOf(info[2], i);
    if (!allow.IsUndefined() && !allow.IsNull()) {
      // Row-indexed words of this segment's allowed rows: read in place (zero-copy), pinned.
      auto words = TypedArrayArg<uint32_t>(allow, field("allow"));
      if (words.size != (p.segment->NumRows() + 31) / 32)
        ThrowTypeError(env, field("allow") + " must hold one bit per segment row: " + std::to_string((p.segment->NumRows() + 31) / 32) + " words");
      p.allow_view = RowWordsView{words.data, words.size};
      p.has_allow = true;
      job->pins.push_back(Napi::Persistent(allow.As<Napi::Uint32Array>()));
    }
    job->parts.push_back(std::move(p));
  }
  OrderLargestFirst(job->parts);
  job->queries = CopyCsr(CsrArg(info[4], info[5], info[6], "queries"));
  job->opts.k = static_cast<size_t>(IntegerIn(env, numbers.data[kK], 1, kMaxK, [] { return std::string("options.k"); }));
  job->opts.exact = numbers.data[kExact] != 0.0;
  job->stats = numbers.data[kStats] != 0.0;
  double avgdl = numbers.data[kAvgdl];
  if (!std::isnan(avgdl)) {
    if (!(std::isfinite(avgdl) && avgdl >= 0.0)) ThrowTypeError(env, "options.avgdl must be a finite number >= 0");
    job->opts.avgdl = avgdl;
  }
  size_t nq = job->queries.indptr.size() - 1;
  job->floors.assign(nq, -std::numeric_limits<float>::infinity());
  double threshold = numbers.data[kThreshold];
  if (!std::isnan(threshold)) {
    if (!std::isfinite(threshold)) ThrowTypeError(env, "options.threshold must be finite");
    job->floors.assign(nq, static_cast<float>(threshold));
  } else if (!info[7].IsUndefined() && !info[7].IsNull()) {
    auto t = TypedArrayArg<float>(info[7], "options.thresholds");
    if (t.size != nq) ThrowTypeError(env, "options.thresholds must hold one number per query");
    for (size_t q = 0; q < nq; q++)
      if (!std::isnan(t.data[q])) job->floors[q] = t.data[q];  // NaN: no floor
  }
  mode = static_cast<int>(IntegerIn(env, numbers.data[kMode], kAuto, kParallel, [] { return std::string("options.mode"); }));
  job->inline_postings = numbers.data[kInlinePostings];
  job->parallel_postings = numbers.data[kParallelPostings];
  if (mode == kAuto && !(std::isfinite(job->inline_postings) && std::isfinite(job->parallel_postings)))
    ThrowTypeError(env, "options.inlinePostings and options.parallelPostings must be finite");
  job->hits.resize(nq);
  job->qstats.resize(nq);
  return job;
}

// searchSegments(segments: SeismicIndex[], deleted: (RowBitmap | undefined)[] | undefined,
//   allow: (Uint32Array | undefined)[] | undefined, numbers: Float64Array, indptr: Uint32Array,
//   indices: Uint32Array, values: Float32Array, thresholds?: Float32Array)
//   -> Promise<[offsets, docnos, scores, stats?, ran, estimate]> (JobToJs).
// Positional, with the numbers in one Float64Array (layout above), so a search makes no
// property-name lookups: src/index/native.ts searchSegments turns its {parts, queries, options}
// into these arguments. allow[i]: bit r = row r may be returned, ceil(rows / 32) words, read in
// place (unchanged until the promise settles); deleted[i] is snapshotted at the call; avgdl NaN:
// each segment's own; threshold NaN: thresholds per query (NaN = none) or none.
// Where it runs (mode auto): one query whose estimated work (EstimateWork, in term-at-a-time
// postings) is <= inlinePostings runs on the calling thread (no thread hop); one query of >=
// parallelPostings over several segments is spread over the search pool a segment per task;
// otherwise one pool task per query, segments in turn.
Napi::Value SearchSegments(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    int mode = kAuto;
    std::shared_ptr<MultiJob> job = JobArg(info, mode);
    size_t nq = job->hits.size();
    if (nq == 1) job->estimate = static_cast<double>(EstimateWork(job->parts, job->queries.View(), 0, job->opts.exact));
    if (mode == kAuto) {
      if (nq != 1) {
        mode = kPool;
      } else {
        double est = job->estimate;
        mode = est <= job->inline_postings ? kInline : job->parts.size() > 1 && est >= job->parallel_postings ? kParallel : kPool;
      }
    }
    if (mode == kInline) {
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
    if (mode == kParallel && nq == 1) {
      job->ran = kRanParallel;
      job->shared = std::make_unique<MergedTopK>(job->opts.k, job->floors[0]);
      ThreadPool::Global().ForEachAsync(
          job->parts.size(),
          [job](size_t i) { SearchSegmentInto(job->parts[i], job->queries.View(), 0, job->opts, *job->shared); },
          [job, done](std::exception_ptr err) {
            if (!err) Finish(*job, 0, *job->shared);
            done(err);
          });
    } else {
      job->ran = kRanPool;
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

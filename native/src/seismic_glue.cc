// N-API glue for Seismic segments: buildSeismic (Promise, background threads), loadSeismic (mmap),
// and the SeismicSegment class (search / searchExact / save / close and read-only properties).
#include <atomic>
#include <cmath>

#include "glue.h"
#include "glue_util.h"
#include "half.h"
#include "seismic_glue.h"
#include "seismic_segment.h"

namespace sparrow {
namespace {

constexpr napi_type_tag kSeismicTag = {0x3f0a7d915c2e48b6ULL, 0xa41e6c0d29b75f83ULL};

SeismicParams ParamsArg(Napi::Value v) {
  if (!v.IsObject()) ThrowTypeError(v.Env(), "params must be an object");
  Napi::Object o = v.As<Napi::Object>();
  SeismicParams p{};
  p.n_postings = NumberArg(o.Get("nPostings"), "params.nPostings");
  p.max_fraction = NumberArg(o.Get("maxFraction"), "params.maxFraction");
  p.centroid_fraction = NumberArg(o.Get("centroidFraction"), "params.centroidFraction");
  p.summary_energy = NumberArg(o.Get("summaryEnergy"), "params.summaryEnergy");
  p.summary_cap = NumberArg(o.Get("summaryCap"), "params.summaryCap");
  p.doc_cut = static_cast<uint32_t>(IntegerArg(o.Get("docCut"), "params.docCut", 1, 255));
  p.n_knn = static_cast<uint32_t>(IntegerArg(o.Get("nKnn"), "params.nKnn", 0, 256));
  p.seed = static_cast<uint64_t>(IntegerArg(o.Get("seed"), "params.seed", 0, (int64_t{1} << 53) - 1));
  p.exhaustive_below = static_cast<uint64_t>(IntegerArg(o.Get("exhaustiveBelow"), "params.exhaustiveBelow", 0, int64_t{1} << 53));
  p.pruning_disabled = o.Get("pruningDisabled").ToBoolean() ? 1 : 0;
  p.threads = 1;
  if (p.pruning_disabled) {  // the definition of "pruning disabled": complete summaries
    p.summary_energy = 1.0;
    p.summary_cap = 1e6;
  }
  ValidateSeismicParams(p);
  return p;
}

Napi::Object ParamsToJs(Napi::Env env, const SeismicParams& p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("nPostings", p.n_postings);
  o.Set("maxFraction", p.max_fraction);
  o.Set("centroidFraction", p.centroid_fraction);
  o.Set("summaryEnergy", p.summary_energy);
  o.Set("summaryCap", p.summary_cap);
  o.Set("docCut", p.doc_cut);
  o.Set("nKnn", p.n_knn);
  o.Set("seed", static_cast<double>(p.seed));
  o.Set("exhaustiveBelow", static_cast<double>(p.exhaustive_below));
  o.Set("pruningDisabled", p.pruning_disabled != 0);
  return o;
}

// options.avgdl: the live BM25 average length a BM25 segment scores with (absent or 0: its own).
double AvgdlOption(const Napi::Object& o) {
  Napi::Value v = o.Get("avgdl");
  if (v.IsUndefined() || v.IsNull()) return 0.0;
  double avgdl = NumberArg(v, "options.avgdl");
  if (!(std::isfinite(avgdl) && avgdl >= 0.0)) ThrowTypeError(o.Env(), "options.avgdl must be a finite number >= 0");
  return avgdl;
}

class SeismicWrap : public Napi::ObjectWrap<SeismicWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SeismicSegment",
                       {InstanceAccessor<&SeismicWrap::NumDocs>("numDocs"), InstanceAccessor<&SeismicWrap::Nnz>("nnz"),
                        InstanceAccessor<&SeismicWrap::IndexBytes>("indexBytes"),
                        InstanceAccessor<&SeismicWrap::ForwardBytes>("forwardBytes"),
                        InstanceAccessor<&SeismicWrap::Params>("params"), InstanceAccessor<&SeismicWrap::Postings>("postings"),
                        InstanceAccessor<&SeismicWrap::Blocks>("blocks"), InstanceMethod<&SeismicWrap::Docnos>("docnos"),
                        InstanceMethod<&SeismicWrap::Row>("row"), InstanceMethod<&SeismicWrap::Search>("search"),
                        InstanceMethod<&SeismicWrap::SearchSync>("searchSync"),
                        InstanceMethod<&SeismicWrap::SearchExact>("searchExact"), InstanceMethod<&SeismicWrap::Save>("save"),
                        InstanceAccessor<&SeismicWrap::Calibration>("calibration"),
                        InstanceAccessor<&SeismicWrap::Layout>("layout"),
                        InstanceAccessor<&SeismicWrap::Bm25>("bm25"),
                        InstanceAccessor<&SeismicWrap::Sections>("sections"),
                        InstanceMethod<&SeismicWrap::SetCalibration>("setCalibration"),
                        InstanceMethod<&SeismicWrap::Close>("close")});
  }

  explicit SeismicWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SeismicWrap>(info) {
    info.This().As<Napi::Object>().TypeTag(&kSeismicTag);
  }

  static std::shared_ptr<const SeismicSegment> From(Napi::Value v, const std::string& name) {
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kSeismicTag)) ThrowTypeError(v.Env(), name + " must be a SeismicSegment");
    return Unwrap(v.As<Napi::Object>())->Get(v.Env());
  }

  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<const SeismicSegment> seg) {
    Napi::Object obj = ClassOf(env, "SeismicSegment").New({});
    SeismicWrap* w = Unwrap(obj);
    w->calibration_ = std::string(seg->Calibration());
    w->seg_ = std::move(seg);
    return obj;
  }

 private:
  std::shared_ptr<const SeismicSegment> Get(Napi::Env env) const {
    if (!seg_) throw Napi::Error::New(env, "the Seismic segment is closed");
    return seg_;
  }
  Napi::Value NumDocs(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(Get(info.Env())->NumRows())); }
  Napi::Value Nnz(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(Get(info.Env())->Nnz())); }
  Napi::Value IndexBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Get(info.Env())->IndexBytes()));
  }
  Napi::Value ForwardBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Get(info.Env())->ForwardBytes()));
  }
  Napi::Value Postings(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Get(info.Env())->Index().NumPostings()));
  }
  Napi::Value Blocks(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), double(Get(info.Env())->Index().NumBlocks()));
  }
  // Bytes by section: forward term ids, forward weights, the rest of the forward rows (offsets,
  // docnos, dictionary), postings, blocks (offsets, summary min/scale, list offsets and terms),
  // summary entries (term ids and codes), kNN graph.
  Napi::Value Sections(const Napi::CallbackInfo& info) {
    auto seg = Get(info.Env());
    const ForwardView& f = seg->Forward();
    const SeismicView& ix = seg->Index();
    size_t term_bytes = f.IsNarrow() ? 2 : 4;
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("forwardIds", double(seg->Nnz() * term_bytes));
    o.Set("forwardValues", double(seg->Nnz() * sizeof(Half)));
    o.Set("forwardOther", double(seg->ForwardBytes() - seg->Nnz() * (term_bytes + sizeof(Half))));
    o.Set("postings", double(ix.postings.size_bytes()));
    o.Set("blocks", double(ix.list_terms.size_bytes() + ix.list_blocks.size_bytes() + ix.block_postings.size_bytes() +
                           ix.block_summary.size_bytes() + ix.summary_min.size_bytes() + ix.summary_scale.size_bytes()));
    o.Set("summaries", double(ix.summary_terms16.size_bytes() + ix.summary_terms32.size_bytes() + ix.summary_codes.size_bytes()));
    o.Set("knn", double(ix.knn.size_bytes()));
    return o;
  }
  Napi::Value Layout(const Napi::CallbackInfo& info) {
    bool exhaustive = Get(info.Env())->Index().layout == SeismicLayout::kExhaustive;
    return Napi::String::New(info.Env(), exhaustive ? "exhaustive" : "blocked");
  }
  // {avgdl, k1, b} of a BM25 segment (the average length its summaries were built for), else null.
  Napi::Value Bm25(const Napi::CallbackInfo& info) {
    const ForwardView& f = Get(info.Env())->Forward();
    if (!f.IsBm25()) return info.Env().Null();
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("avgdl", f.bm25.avgdl);
    o.Set("k1", double(f.bm25.k1));
    o.Set("b", double(f.bm25.b));
    return o;
  }
  Napi::Value Params(const Napi::CallbackInfo& info) { return ParamsToJs(info.Env(), Get(info.Env())->Index().params); }

  Napi::Value Docnos(const Napi::CallbackInfo& info) {
    auto seg = Get(info.Env());
    auto out = Napi::Uint32Array::New(info.Env(), seg->NumRows());
    std::copy(seg->Forward().docnos, seg->Forward().docnos + seg->NumRows(), out.Data());
    return out;
  }

  Napi::Value Row(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      auto seg = Get(info.Env());
      if (seg->NumRows() == 0) ThrowTypeError(info.Env(), "row: the segment has no rows");
      size_t r = static_cast<size_t>(IntegerArg(info[0], "row", 0, int64_t(seg->NumRows()) - 1));
      const ForwardView& fwd = seg->Forward();
      size_t begin = fwd.Indptr()[r], n = fwd.Indptr()[r + 1] - begin;
      auto indices = Napi::Uint32Array::New(info.Env(), n);
      auto values = Napi::Float32Array::New(info.Env(), n);
      fwd.Visit([&](const auto& rows) {
        // Collection term ids and weights, as the rows were given (weights rounded to binary16).
        for (size_t i = 0; i < n; i++) {
          indices.Data()[i] = fwd.terms[rows.indices[begin + i]];
          bool tf_row = fwd.IsBm25() && fwd.lengths[r] != kNoLength;
          values.Data()[i] = tf_row ? HalfToFloat(rows.values[begin + i]) : std::ldexp(HalfToFloat(rows.values[begin + i]), fwd.value_exp);
        }
      });
      Napi::Object o = Napi::Object::New(info.Env());
      o.Set("indices", indices);
      o.Set("values", values);
      if (fwd.IsBm25() && fwd.lengths[r] != kNoLength) o.Set("length", double(fwd.lengths[r]));
      return o;
    });
  }

  // search(queries, {k, tombstones?, allow?, threshold?, stats?, queryCut?, heapFactor?, nKnn?})
  Napi::Value Search(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      SearchRequest req = SearchRequestArg(info, 0, 1);
      return SearchAsync(info.Env(), std::move(req), QueryFnOf(info));
    });
  }

  // searchSync(queries, options): the same search on the calling thread.
  Napi::Value SearchSync(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      SearchRequest req = SearchRequestArg(info, 0, 1);
      return sparrow::SearchSync(info.Env(), std::move(req), QueryFnOf(info));
    });
  }

  // The Seismic options of a search call (after SearchRequestArg checked the common ones).
  QueryFn QueryFnOf(const Napi::CallbackInfo& info) {
    auto seg = Get(info.Env());
    Napi::Object o = info[1].As<Napi::Object>();
    SeismicQueryOptions base;
    // No fallbacks here: src/index/native.ts fills what a caller leaves out (DEFAULT_SEISMIC_QUERY).
    base.query_cut = static_cast<size_t>(IntegerArg(o.Get("queryCut"), "options.queryCut", 0, 1 << 20));
    base.heap_factor = static_cast<float>(NumberArg(o.Get("heapFactor"), "options.heapFactor"));
    if (!(base.heap_factor > 0.0f && base.heap_factor <= 1.0f)) ThrowTypeError(info.Env(), "options.heapFactor must be in (0, 1]");
    base.n_knn = static_cast<size_t>(IntegerArg(o.Get("nKnn"), "options.nKnn", 0, 256, 0));
    base.scoring = seg->Scoring(AvgdlOption(o));
    return [seg, base](const CsrView& q, size_t i, const QueryContext& ctx, QueryStats* stats) {
      SeismicQueryOptions opts = base;
      opts.k = ctx.k;
      opts.threshold = ctx.threshold;
      opts.filter = ctx.filter;
      return seg->Search(q, i, opts, stats);
    };
  }

  Napi::Value SearchExact(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      auto seg = Get(info.Env());
      SearchRequest req = SearchRequestArg(info, 0, 1);
      double avgdl = AvgdlOption(info[1].As<Napi::Object>());
      return SearchAsync(info.Env(), std::move(req),
                         [seg, avgdl](const CsrView& q, size_t i, const QueryContext& ctx, QueryStats* stats) {
                           return seg->SearchExact(q, i, ctx.k, ctx.threshold, ctx.filter, stats, avgdl);
                         });
    });
  }

  // calibration: the blob the next save() writes; a loaded segment starts with its file's blob.
  Napi::Value Calibration(const Napi::CallbackInfo& info) {
    Get(info.Env());
    return Napi::String::New(info.Env(), calibration_);
  }
  void SetCalibration(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] {
      Get(info.Env());
      std::string blob = StringArg(info[0], "calibration");
      if (blob.size() > kMaxCalibrationBytes) ThrowTypeError(info.Env(), "calibration must be at most 1 MiB of UTF-8");
      calibration_ = std::move(blob);
    });
  }

  Napi::Value Save(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&]() -> Napi::Value {
      auto seg = Get(info.Env());
      std::string path = StringArg(info[0], "path");
      return RunInBackground<bool>(
          info.Env(), [seg, path, calibration = calibration_] { return seg->Save(path, calibration), true; },
          [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
    });
  }

  // close(): Promise<void>. Running searches hold their own reference. The last one usually goes
  // here: unmapping and freeing a large segment (27 ms measured for a 199 MiB file whose pages were
  // mapped) runs on a background thread, not on the event loop; the promise settles once it has
  // run, so a caller that awaits it knows the file is no longer mapped (unless a search still runs).
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!seg_) {
      auto done = Napi::Promise::Deferred::New(info.Env());
      done.Resolve(info.Env().Undefined());
      return done.Promise();
    }
    auto held = std::make_shared<std::shared_ptr<const SeismicSegment>>(std::move(seg_));
    return RunInBackground<bool>(
        info.Env(), [held] { return held->reset(), true; },
        [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
  }

  std::shared_ptr<const SeismicSegment> seg_;
  std::string calibration_;
};

// buildSeismic(rows: CsrBatch, docnos: Uint32Array, params, threads: number,
//              bm25?: {lengths: Uint32Array, avgdl, k1, b}): Promise<SeismicSegment>
// With bm25, rows of a length other than 0xffffffff hold term frequencies (a lexical segment).
Napi::Value BuildSeismicJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    CsrArrays rows = CopyCsr(CsrArg(info[0], "rows"));
    auto docnos = TypedArrayArg<uint32_t>(info[1], "docnos");
    if (docnos.size != rows.indptr.size() - 1) ThrowTypeError(info.Env(), "docnos must hold one docno per row");
    SeismicParams params = ParamsArg(info[2]);
    params.threads = static_cast<uint32_t>(IntegerArg(info[3], "threads", 1, 256, 1));
    std::vector<DocNo> ids(docnos.data, docnos.data + docnos.size);
    std::optional<Bm25Build> bm25;
    if (!info[4].IsUndefined() && !info[4].IsNull()) {
      if (!info[4].IsObject()) ThrowTypeError(info.Env(), "bm25 must be an object");
      Napi::Object b = info[4].As<Napi::Object>();
      auto lengths = TypedArrayArg<uint32_t>(b.Get("lengths"), "bm25.lengths");
      if (lengths.size != ids.size()) ThrowTypeError(info.Env(), "bm25.lengths must hold one length per row");
      bm25.emplace();
      bm25->lengths.assign(lengths.data, lengths.data + lengths.size);
      bm25->stats.avgdl = NumberArg(b.Get("avgdl"), "bm25.avgdl");
      bm25->stats.k1 = static_cast<float>(NumberArg(b.Get("k1"), "bm25.k1"));
      bm25->stats.b = static_cast<float>(NumberArg(b.Get("b"), "bm25.b"));
      if (!(std::isfinite(bm25->stats.avgdl) && bm25->stats.avgdl > 0.0)) ThrowTypeError(info.Env(), "bm25.avgdl must be a positive number");
      if (!(std::isfinite(bm25->stats.k1) && bm25->stats.k1 > 0.0f)) ThrowTypeError(info.Env(), "bm25.k1 must be a positive number");
      if (!(bm25->stats.b >= 0.0f && bm25->stats.b <= 1.0f)) ThrowTypeError(info.Env(), "bm25.b must be in [0, 1]");
    }
    auto shared = std::make_shared<CsrArrays>(std::move(rows));
    auto ids_shared = std::make_shared<std::vector<DocNo>>(std::move(ids));
    return RunInBackground<std::shared_ptr<const SeismicSegment>>(
        info.Env(),
        [shared, ids_shared, params, bm25 = std::make_shared<std::optional<Bm25Build>>(std::move(bm25))] {
          return SeismicSegment::Build(std::move(shared->indptr), std::move(shared->indices), std::move(shared->values),
                                       std::move(*ids_shared), params,
                                       [] { return ThreadPool::Global().StopRequested(); }, std::move(*bm25));
        },
        [](Napi::Env env, std::shared_ptr<const SeismicSegment>& seg) -> Napi::Value { return SeismicWrap::Wrap(env, seg); });
  });
}

// checkSeismicParams(params): the build's own parameter check (ParamsArg), so an accepted config
// always builds; TypeError naming the first bad field.
Napi::Value CheckSeismicParamsJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    ParamsArg(info[0]);
    return info.Env().Undefined();
  });
}

Napi::Value LoadSeismicJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    return SeismicWrap::Wrap(info.Env(), SeismicSegment::Load(StringArg(info[0], "path")));
  });
}

// loadSeismicAsync(path): Promise<SeismicSegment>: the same load (mmap, every check, the CRC over
// the whole file) on a background thread, so a large segment never stalls the event loop.
Napi::Value LoadSeismicAsyncJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    std::string path = StringArg(info[0], "path");
    return RunInBackground<std::shared_ptr<const SeismicSegment>>(
        info.Env(), [path] { return SeismicSegment::Load(path); },
        [](Napi::Env env, std::shared_ptr<const SeismicSegment>& seg) -> Napi::Value { return SeismicWrap::Wrap(env, seg); });
  });
}

}  // namespace

std::shared_ptr<const SeismicSegment> SeismicSegmentArg(Napi::Value v, const std::string& name) {
  return SeismicWrap::From(v, name);
}

void InitSeismic(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, "SeismicSegment", SeismicWrap::Define(env));
  exports.Set("buildSeismic", Napi::Function::New(env, BuildSeismicJs, "buildSeismic"));
  exports.Set("loadSeismic", Napi::Function::New(env, LoadSeismicJs, "loadSeismic"));
  exports.Set("loadSeismicAsync", Napi::Function::New(env, LoadSeismicAsyncJs, "loadSeismicAsync"));
  exports.Set("checkSeismicParams", Napi::Function::New(env, CheckSeismicParamsJs, "checkSeismicParams"));
}

}  // namespace sparrow

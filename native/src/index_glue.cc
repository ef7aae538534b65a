// N-API glue of ForwardIndex (exact search) and InvertedIndex (exhaustive search).
#include "index_glue.h"

#include <cstring>
#include <vector>

#include "exact_reference.h"
#include "exact_search.h"
#include "glue_util.h"
#include "inverted_index.h"

namespace sparrow {

namespace {

constexpr napi_type_tag kForwardTag = {0x2f6c1e9a5d3b4c70ULL, 0x8a1f7e2d6c5b4a39ULL};
constexpr napi_type_tag kInvertedTag = {0x7d3e5a1c9b2f4e86ULL, 0x1c4b8e7f2a6d3950ULL};

// A JS object owning a shared_ptr to an immutable native index. close() drops the reference;
// searches in flight hold their own, so memory (or the mapping) is freed when the last one ends.
template <typename Wrap, typename Index>
class IndexWrap : public Napi::ObjectWrap<Wrap> {
 public:
  explicit IndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Wrap>(info) {}
  std::shared_ptr<const Index> index_;

 protected:
  using Base = Napi::ObjectWrap<Wrap>;
  // numDocs, bytes, save(path), close(): shared by both classes.
  static std::vector<typename Base::PropertyDescriptor> CommonProperties() {
    using Getter = typename Base::InstanceGetterCallback;
    using Method = typename Base::InstanceMethodCallback;
    using VoidMethod = typename Base::InstanceVoidMethodCallback;
    return {Base::InstanceAccessor("numDocs", static_cast<Getter>(&IndexWrap::NumDocs), nullptr),
            Base::InstanceAccessor("bytes", static_cast<Getter>(&IndexWrap::Bytes), nullptr),
            Base::InstanceMethod("save", static_cast<Method>(&IndexWrap::Save)),
            Base::InstanceMethod("close", static_cast<VoidMethod>(&IndexWrap::Close))};
  }
  const std::shared_ptr<const Index>& Open(Napi::Env env) const {
    if (!index_) throw Napi::Error::New(env, "index is closed");
    return index_;
  }
  void Close(const Napi::CallbackInfo&) { index_.reset(); }
  Napi::Value Save(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      std::string path = StringArg(info[0], "path");
      std::shared_ptr<const Index> index = Open(info.Env());
      return RunInBackground<bool>(
          info.Env(), [index, path] { return index->Save(path), true; },
          [](Napi::Env env, bool&) -> Napi::Value { return env.Undefined(); });
    });
  }
  Napi::Value NumDocs(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env())->NumDocs()));
  }
  Napi::Value Bytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env())->Bytes()));
  }
};

class ForwardWrap : public IndexWrap<ForwardWrap, ForwardIndex> {
 public:
  using IndexWrap::IndexWrap;
  static Napi::Function Define(Napi::Env env) {
    auto props = CommonProperties();
    props.insert(props.end(), {InstanceAccessor<&ForwardWrap::Nnz>("nnz"), InstanceAccessor<&ForwardWrap::VocabSize>("vocabSize"),
                               InstanceMethod<&ForwardWrap::Docnos>("docnos"), InstanceMethod<&ForwardWrap::Row>("row"),
                               InstanceMethod<&ForwardWrap::SearchExact>("searchExact")});
    return DefineClass(env, "ForwardIndex", props);
  }

 private:
  Napi::Value Nnz(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env())->Nnz()));
  }
  Napi::Value VocabSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(Open(info.Env())->VocabSize()));
  }
  Napi::Value Docnos(const Napi::CallbackInfo& info) {
    auto docnos = Open(info.Env())->docnos();
    auto out = Napi::Uint32Array::New(info.Env(), docnos.size());
    if (!docnos.empty()) std::memcpy(out.Data(), docnos.data(), docnos.size_bytes());
    return out;
  }
  // row(r) -> {indices (global term ids), values}
  Napi::Value Row(const Napi::CallbackInfo& info) {
    const ForwardIndex& f = *Open(info.Env());
    int64_t r = IntegerArg(info[0], "r", 0, static_cast<int64_t>(f.NumDocs()) - 1);
    uint64_t begin = f.indptr()[r], end = f.indptr()[r + 1];
    auto indices = Napi::Uint32Array::New(info.Env(), end - begin);
    auto values = Napi::Float32Array::New(info.Env(), end - begin);
    for (uint64_t j = begin; j < end; ++j) {
      indices[j - begin] = f.vocab()[f.terms()[j]];
      values[j - begin] = f.values()[j];
    }
    Napi::Object out = Napi::Object::New(info.Env());
    out.Set("indices", indices);
    out.Set("values", values);
    return out;
  }
  Napi::Value SearchExact(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      SearchRequest req = SearchRequestArg(info, 0, 1);
      std::shared_ptr<const ForwardIndex> index = Open(info.Env());
      return SearchAsync(info.Env(), std::move(req),
                         [index](const CsrView& queries, size_t q, const QueryContext& ctx, QueryStats* stats) {
                           return ExactSearch(*index, index->MapQuery(queries, q), ctx.k, ctx.threshold, ctx.filter, stats);
                         });
    });
  }
};

class InvertedWrap : public IndexWrap<InvertedWrap, InvertedIndex> {
 public:
  using IndexWrap::IndexWrap;
  static Napi::Function Define(Napi::Env env) {
    auto props = CommonProperties();
    props.push_back(InstanceMethod<&InvertedWrap::Search>("search"));
    return DefineClass(env, "InvertedIndex", props);
  }

 private:
  Napi::Value Search(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      SearchRequest req = SearchRequestArg(info, 0, 1);
      std::shared_ptr<const InvertedIndex> index = Open(info.Env());
      return SearchAsync(info.Env(), std::move(req),
                         [index](const CsrView& queries, size_t q, const QueryContext& ctx, QueryStats* stats) {
                           return index->Search(queries, q, ctx.k, ctx.threshold, ctx.filter, stats);
                         });
    });
  }
};

template <typename Wrap, typename Index>
Napi::Object NewWrap(Napi::Env env, const char* cls, const napi_type_tag* tag, std::shared_ptr<const Index> index) {
  Napi::Object obj = ClassOf(env, cls).New({});
  obj.TypeTag(tag);
  Wrap::Unwrap(obj)->index_ = std::move(index);
  return obj;
}

// createForwardIndex(rows: CsrBatch, docnos: Uint32Array)
Napi::Value CreateForwardIndex(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    CsrView rows = CsrArg(info[0], "rows");
    auto docnos = TypedArrayArg<uint32_t>(info[1], "docnos");
    if (docnos.size != rows.rows) ThrowTypeError(info.Env(), "docnos must have one entry per row");
    return WrapForwardIndex(info.Env(), ForwardIndex::Build(rows, docnos.data));
  });
}

Napi::Value LoadForwardIndex(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] { return WrapForwardIndex(info.Env(), ForwardIndex::Load(StringArg(info[0], "path"))); });
}

// exactReference(docs, docnos, queries, k, roundHalf): calibration's exact top-k (exact_reference.h),
// on the calling thread and the search pool's thread count (a build worker calls it, never the
// server's event loop).
Napi::Value ExactReferenceJs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    CsrView docs = CsrArg(info[0], "docs");
    auto docnos = TypedArrayArg<uint32_t>(info[1], "docnos");
    if (docnos.size != docs.rows) ThrowTypeError(info.Env(), "docnos must have one entry per row");
    CsrView queries = CsrArg(info[2], "queries");
    size_t k = static_cast<size_t>(IntegerArg(info[3], "k", 1, static_cast<int64_t>(kMaxK)));
    if (!info[4].IsBoolean()) ThrowTypeError(info.Env(), "roundHalf must be a boolean");
    auto hits = ExactReference(docs, docnos.data, queries, k, info[4].As<Napi::Boolean>().Value(), ThreadPool::Global().Threads());
    return HitsToJs(info.Env(), hits, nullptr);
  });
}

// buildInvertedIndex(forward: ForwardIndex)
Napi::Value BuildInvertedIndex(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    auto inv = InvertedIndex::Build(ForwardIndexArg(info[0], "forward"));
    return NewWrap<InvertedWrap>(info.Env(), "InvertedIndex", &kInvertedTag, std::move(inv));
  });
}

// createForwardIndexAsync(rows, docnos): validated and copied now, built on a background thread.
Napi::Value CreateForwardIndexAsync(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    CsrView view = CsrArg(info[0], "rows");
    auto docnos_arg = TypedArrayArg<uint32_t>(info[1], "docnos");
    if (docnos_arg.size != view.rows) ThrowTypeError(info.Env(), "docnos must have one entry per row");
    auto rows = std::make_shared<CsrArrays>(CopyCsr(view));
    auto docnos = std::make_shared<std::vector<DocNo>>(docnos_arg.data, docnos_arg.data + docnos_arg.size);
    return RunInBackground<std::shared_ptr<const ForwardIndex>>(
        info.Env(), [rows, docnos] { return ForwardIndex::Build(rows->View(), docnos->data()); },
        [](Napi::Env env, std::shared_ptr<const ForwardIndex>& index) -> Napi::Value { return WrapForwardIndex(env, index); });
  });
}

// buildInvertedIndexAsync(forward): the lists are built on a background thread.
Napi::Value BuildInvertedIndexAsync(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    std::shared_ptr<const ForwardIndex> forward = ForwardIndexArg(info[0], "forward");
    return RunInBackground<std::shared_ptr<const InvertedIndex>>(
        info.Env(), [forward] { return InvertedIndex::Build(forward); },
        [](Napi::Env env, std::shared_ptr<const InvertedIndex>& inv) -> Napi::Value {
          return NewWrap<InvertedWrap>(env, "InvertedIndex", &kInvertedTag, inv);
        });
  });
}

Napi::Value LoadInvertedIndex(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&] {
    auto inv = InvertedIndex::Load(StringArg(info[0], "path"));
    return NewWrap<InvertedWrap>(info.Env(), "InvertedIndex", &kInvertedTag, std::move(inv));
  });
}

}  // namespace

std::shared_ptr<const ForwardIndex> ForwardIndexArg(Napi::Value v, const std::string& name) {
  if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kForwardTag)) ThrowTypeError(v.Env(), name + " must be a ForwardIndex");
  auto index = ForwardWrap::Unwrap(v.As<Napi::Object>())->index_;
  if (!index) throw Napi::Error::New(v.Env(), name + " is closed");
  return index;
}

Napi::Object WrapForwardIndex(Napi::Env env, std::shared_ptr<const ForwardIndex> index) {
  return NewWrap<ForwardWrap>(env, "ForwardIndex", &kForwardTag, std::move(index));
}

void InitIndexes(Napi::Env env, Napi::Object exports) {
  RegisterClass(env, "ForwardIndex", ForwardWrap::Define(env));
  RegisterClass(env, "InvertedIndex", InvertedWrap::Define(env));
  exports.Set("createForwardIndex", Napi::Function::New<CreateForwardIndex>(env, "createForwardIndex"));
  exports.Set("loadForwardIndex", Napi::Function::New<LoadForwardIndex>(env, "loadForwardIndex"));
  exports.Set("buildInvertedIndex", Napi::Function::New<BuildInvertedIndex>(env, "buildInvertedIndex"));
  exports.Set("loadInvertedIndex", Napi::Function::New<LoadInvertedIndex>(env, "loadInvertedIndex"));
  exports.Set("createForwardIndexAsync", Napi::Function::New<CreateForwardIndexAsync>(env, "createForwardIndexAsync"));
 exports.Set("exactReference", Napi::Function::New<ExactReferenceJs>(env, "exactReference"));
  exports.Set("buildInvertedIndexAsync", Napi::Function::New<BuildInvertedIndexAsync>(env, "buildInvertedIndexAsync"));
}

}  // namespace sparrow

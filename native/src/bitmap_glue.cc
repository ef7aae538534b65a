// N-API glue of Bitmap: a JS class over the native copy-on-write bitmap (see bitmap.h).
#include "bitmap_glue.h"

#include <cstring>

#include "glue_util.h"

namespace sparrow {

namespace {

constexpr napi_type_tag kBitmapTag = {0x5b1d0c3e6a7f4e21ULL, 0x9c8d2f4b1e3a7c55ULL};
constexpr int64_t kMaxDocNo = 0xFFFFFFFFLL;

class BitmapWrap : public Napi::ObjectWrap<BitmapWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Bitmap",
                       {InstanceAccessor<&BitmapWrap::Capacity>("capacity"), InstanceMethod<&BitmapWrap::Set>("set"),
                        InstanceMethod<&BitmapWrap::Clear>("clear"), InstanceMethod<&BitmapWrap::Has>("has"),
                        InstanceMethod<&BitmapWrap::Count>("count"), InstanceMethod<&BitmapWrap::Snapshot>("snapshot"),
                        InstanceMethod<&BitmapWrap::Or>("or"), InstanceMethod<&BitmapWrap::And>("and"),
                        InstanceMethod<&BitmapWrap::AndNot>("andNot"), InstanceMethod<&BitmapWrap::ToArray>("toArray")});
  }

  // new Bitmap(capacity?: number)
  explicit BitmapWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<BitmapWrap>(info) {
    Guarded(info.Env(), [&] {
      info.This().As<Napi::Object>().TypeTag(&kBitmapTag);
      int64_t capacity = IntegerArg(info[0], "capacity", 0, kMaxDocNo + 1, 0);
      bitmap_ = Bitmap(static_cast<size_t>(capacity));
    });
  }

  static BitmapWrap* From(Napi::Value v, const std::string& name) {
    if (!v.IsObject() || !v.As<Napi::Object>().CheckTypeTag(&kBitmapTag)) ThrowTypeError(v.Env(), name + " must be a Bitmap");
    return Unwrap(v.As<Napi::Object>());
  }

  Bitmap bitmap_;

 private:
  static DocNo DocNoArg(const Napi::CallbackInfo& info) {
    return static_cast<DocNo>(IntegerArg(info[0], "docno", 0, kMaxDocNo));
  }
  Napi::Value Capacity(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(bitmap_.Capacity()));
  }
  void Set(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] { bitmap_.Set(DocNoArg(info)); });
  }
  void Clear(const Napi::CallbackInfo& info) { bitmap_.Clear(DocNoArg(info)); }
  Napi::Value Has(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), bitmap_.Has(DocNoArg(info))); }
  Napi::Value Count(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(bitmap_.Count()));
  }
  Napi::Value Snapshot(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      Napi::Object copy = ClassOf(info.Env(), "Bitmap").New({});
      Unwrap(copy)->bitmap_ = Bitmap(bitmap_.Snapshot());
      return copy;
    });
  }
  void Or(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] { bitmap_.Or(From(info[0], "other")->bitmap_); });
  }
  void And(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] { bitmap_.And(From(info[0], "other")->bitmap_); });
  }
  void AndNot(const Napi::CallbackInfo& info) {
    Guarded(info.Env(), [&] { bitmap_.AndNot(From(info[0], "other")->bitmap_); });
  }
  Napi::Value ToArray(const Napi::CallbackInfo& info) {
    return Guarded(info.Env(), [&] {
      std::vector<DocNo> docnos = bitmap_.ToArray();
      auto out = Napi::Uint32Array::New(info.Env(), docnos.size());
      if (!docnos.empty()) std::memcpy(out.Data(), docnos.data(), docnos.size() * sizeof(DocNo));
      return out;
    });
  }
};

}  // namespace

std::shared_ptr<const BitmapWords> BitmapSnapshotArg(Napi::Value v, const std::string& name) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  return BitmapWrap::From(v, name)->bitmap_.Snapshot();
}

void InitBitmap(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = BitmapWrap::Define(env);
  RegisterClass(env, "Bitmap", ctor);
  exports.Set("Bitmap", ctor);
}

}  // namespace sparrow

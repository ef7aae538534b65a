// The versioned binary container every native index file uses (pure C++, POSIX I/O).
//
// Layout (little-endian):
//   FileHeader (64 bytes) | params block | section table (SectionEntry × num_sections) |
//   sections, each starting on a 64-byte boundary (zero padding between)
// The CRC32C in the header covers the whole file with the checksum field read as zero.
//
// How to use:
//   FileWriter w(kMyMagic, kMyVersion);
//   w.SetParams(&params, sizeof params);               // a POD struct of the file kind
//   w.AddSection(kDocnos, docnos.data(), docnos.size() * 4);   // not copied: keep alive until Write
//   w.Write(path);   // temp name, fsync, rename, fsync dir; throws std::system_error on I/O failure
//
//   auto file = MappedFile::Open(path, kMyMagic, kMyVersion);  // mmap + every check + CRC
//   auto params = file->Params<MyParams>();                    // size must match exactly
//   std::span<const uint32_t> docnos = file->Section<uint32_t>(kDocnos);
// Any damage (truncation, a flipped byte, another magic or version, a section out of bounds or of
// the wrong size) throws CorruptFileError, which the glue maps to the INDEX_FILE_CORRUPT code.
// Readers must still check the *contents* they index with (offsets, ids) before use.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace sparrow {

// Version of the container layout itself; each file kind also carries its own version.
inline constexpr uint32_t FORMAT_VERSION = 1;

using Magic = std::array<char, 8>;

class CorruptFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct FileHeader {
  Magic magic;
  uint32_t format_version;
  uint32_t kind_version;
  uint64_t file_size;
  uint32_t params_bytes;
  uint32_t num_sections;
  uint64_t checksum;  // CRC32C in the low 32 bits
  uint8_t reserved[24];
};
static_assert(sizeof(FileHeader) == 64);

struct SectionEntry {
  uint32_t id;
  uint32_t reserved;
  uint64_t offset;  // bytes from the start of the file, a multiple of 64
  uint64_t length;  // bytes
};
static_assert(sizeof(SectionEntry) == 24);

uint32_t Crc32c(uint32_t crc, const void* data, size_t n);

class FileWriter {
 public:
  FileWriter(Magic magic, uint32_t kind_version) : magic_(magic), kind_version_(kind_version) {}
  void SetParams(const void* data, size_t bytes);
  void AddSection(uint32_t id, const void* data, size_t bytes);
  void Write(const std::string& path) const;

 private:
  Magic magic_;
  uint32_t kind_version_;
  std::vector<uint8_t> params_;
  struct Pending {
    uint32_t id;
    const void* data;
    size_t bytes;
  };
  std::vector<Pending> sections_;
};

class MappedFile {
 public:
  // Maps and fully verifies a file; throws CorruptFileError (damage) or std::system_error (I/O).
  static std::shared_ptr<const MappedFile> Open(const std::string& path, Magic magic, uint32_t kind_version);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  size_t size() const { return size_; }
  const FileHeader& header() const { return *reinterpret_cast<const FileHeader*>(base_); }

  template <typename P>
  P Params() const {
    if (header().params_bytes != sizeof(P)) Corrupt("parameter block has the wrong size");
    P p;
    std::memcpy(&p, base_ + sizeof(FileHeader), sizeof(P));
    return p;
  }

  bool HasSection(uint32_t id) const;
  // The section's bytes as T elements; its length must be a multiple of sizeof(T).
  template <typename T>
  std::span<const T> Section(uint32_t id) const {
    std::span<const uint8_t> raw = RawSection(id);
    if (raw.size() % sizeof(T) != 0) Corrupt("section " + std::to_string(id) + " has a partial element");
    return {reinterpret_cast<const T*>(raw.data()), raw.size() / sizeof(T)};
  }
  std::span<const uint8_t> RawSection(uint32_t id) const;

  [[noreturn]] void Corrupt(const std::string& what) const;

 private:
  MappedFile() = default;
  SectionEntry EntryAt(uint32_t i) const;  // i < num_sections, table bounds checked in Open
  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
};

// Throws CorruptFileError naming the file unless cond holds; for content checks by readers.
inline void CheckFile(bool cond, const MappedFile& file, const char* what) {
  if (!cond) file.Corrupt(what);
}

}  // namespace sparrow

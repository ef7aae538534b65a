// Versioned container files: atomic write, mmap + verified read (see file_format.h).
#include "file_format.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <system_error>

#if defined(__SSE4_2__)
#include <nmmintrin.h>
#endif

namespace sparrow {

namespace {

constexpr size_t kAlign = 64;

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

[[noreturn]] void ThrowErrno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

struct Crc32cTable {
  uint32_t t[256];
  Crc32cTable() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
  }
};

// Closes the fd on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

void WriteAll(int fd, const void* data, size_t n, const std::string& path) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write " + path);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

uint32_t Crc32c(uint32_t crc, const void* data, size_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
#if defined(__SSE4_2__)
  uint64_t c = crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = _mm_crc32_u64(c, v);
    p += 8;
    n -= 8;
  }
  crc = static_cast<uint32_t>(c);
  while (n-- > 0) crc = _mm_crc32_u8(crc, *p++);
#else
  static const Crc32cTable table;
  while (n-- > 0) crc = table.t[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
#endif
  return ~crc;
}

void FileWriter::SetParams(const void* data, size_t bytes) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  params_.assign(p, p + bytes);
}

void FileWriter::AddSection(uint32_t id, const void* data, size_t bytes) { sections_.push_back({id, data, bytes}); }

void FileWriter::Write(const std::string& path) const {
  // Header, params and section table, then the sections, each padded to 64 bytes.
  size_t table_at = sizeof(FileHeader) + params_.size();
  size_t offset = AlignUp(table_at + sections_.size() * sizeof(SectionEntry));
  std::vector<SectionEntry> table;
  for (const Pending& s : sections_) {
    table.push_back(SectionEntry{s.id, 0, offset, s.bytes});
    offset = AlignUp(offset + s.bytes);
  }
  FileHeader header{};
  header.magic = magic_;
  header.format_version = FORMAT_VERSION;
  header.kind_version = kind_version_;
  header.file_size = offset;
  header.params_bytes = static_cast<uint32_t>(params_.size());
  header.num_sections = static_cast<uint32_t>(sections_.size());

  std::vector<uint8_t> head(AlignUp(table_at + table.size() * sizeof(SectionEntry)), 0);
  std::memcpy(head.data(), &header, sizeof header);
  if (!params_.empty()) std::memcpy(head.data() + sizeof header, params_.data(), params_.size());
  if (!table.empty()) std::memcpy(head.data() + table_at, table.data(), table.size() * sizeof(SectionEntry));
  static const uint8_t zeros[kAlign] = {};
  uint32_t crc = Crc32c(0, head.data(), head.size());
  for (const Pending& s : sections_) {
    crc = Crc32c(crc, s.data, s.bytes);
    crc = Crc32c(crc, zeros, AlignUp(s.bytes) - s.bytes);
  }
  header.checksum = crc;
  std::memcpy(head.data(), &header, sizeof header);

  std::random_device rd;
  std::string tmp = path + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(rd());
  {
    Fd f;
    f.fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f.fd < 0) ThrowErrno("create " + tmp);
    try {
      WriteAll(f.fd, head.data(), head.size(), tmp);
      for (const Pending& s : sections_) {
        WriteAll(f.fd, s.data, s.bytes, tmp);
        WriteAll(f.fd, zeros, AlignUp(s.bytes) - s.bytes, tmp);
      }
      if (fsync(f.fd) != 0) ThrowErrno("fsync " + tmp);
    } catch (...) {
      unlink(tmp.c_str());
      throw;
    }
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    unlink(tmp.c_str());
    errno = saved;
    ThrowErrno("rename " + tmp + " to " + path);
  }
  Fd dir;
  dir.fd = open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir.fd < 0 || fsync(dir.fd) != 0) ThrowErrno("fsync directory of " + path);
}

MappedFile::~MappedFile() {
  if (base_ != nullptr && size_ > 0) munmap(const_cast<uint8_t*>(base_), size_);
}

void MappedFile::Corrupt(const std::string& what) const {
  throw CorruptFileError("index file " + path_ + " is damaged or foreign: " + what);
}

std::shared_ptr<const MappedFile> MappedFile::Open(const std::string& path, Magic magic, uint32_t kind_version) {
  std::shared_ptr<MappedFile> file(new MappedFile());
  file->path_ = path;
  Fd f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) ThrowErrno("open " + path);
  struct stat st;
  if (fstat(f.fd, &st) != 0) ThrowErrno("stat " + path);
  size_t size = static_cast<size_t>(st.st_size);
  if (size < sizeof(FileHeader)) file->Corrupt("shorter than its header (" + std::to_string(size) + " bytes)");
  void* base = mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
  if (base == MAP_FAILED) ThrowErrno("mmap " + path);
  file->base_ = static_cast<const uint8_t*>(base);
  file->size_ = size;

  const FileHeader& h = file->header();
  if (h.magic != magic) file->Corrupt("wrong magic (another kind of file)");
  if (h.format_version != FORMAT_VERSION) {
    file->Corrupt("container version " + std::to_string(h.format_version) + ", expected " + std::to_string(FORMAT_VERSION));
  }
  if (h.kind_version != kind_version) {
    file->Corrupt("format version " + std::to_string(h.kind_version) + ", expected " + std::to_string(kind_version));
  }
  if (h.file_size != size) {
    file->Corrupt("size " + std::to_string(size) + " bytes, header says " + std::to_string(h.file_size) + " (truncated?)");
  }
  uint64_t table_end = uint64_t{sizeof(FileHeader)} + h.params_bytes + uint64_t{h.num_sections} * sizeof(SectionEntry);
  if (table_end > size) file->Corrupt("section table past the end of the file");

  FileHeader zeroed = h;
  zeroed.checksum = 0;
  uint32_t crc = Crc32c(0, &zeroed, sizeof zeroed);
  crc = Crc32c(crc, file->base_ + sizeof(FileHeader), size - sizeof(FileHeader));
  if (crc != h.checksum) file->Corrupt("checksum mismatch");

  for (uint32_t i = 0; i < h.num_sections; ++i) {
    SectionEntry e = file->EntryAt(i);
    if (e.offset % kAlign != 0 || e.offset < table_end || e.offset > size || e.length > size - e.offset) {
      file->Corrupt("section " + std::to_string(e.id) + " out of bounds");
    }
  }
  return file;
}

SectionEntry MappedFile::EntryAt(uint32_t i) const {
  SectionEntry e;
  std::memcpy(&e, base_ + sizeof(FileHeader) + header().params_bytes + i * sizeof(SectionEntry), sizeof e);
  return e;
}

std::span<const uint8_t> MappedFile::RawSection(uint32_t id) const {
  const FileHeader& h = header();
  for (uint32_t i = 0; i < h.num_sections; ++i) {
    SectionEntry e = EntryAt(i);
    if (e.id == id) return {base_ + e.offset, static_cast<size_t>(e.length)};  // bounds checked in Open
  }
  Corrupt("section " + std::to_string(id) + " missing");
}

bool MappedFile::HasSection(uint32_t id) const {
  const FileHeader& h = header();
  for (uint32_t i = 0; i < h.num_sections; ++i) {
    SectionEntry e = EntryAt(i);
    if (e.id == id) return true;
  }
  return false;
}

}  // namespace sparrow

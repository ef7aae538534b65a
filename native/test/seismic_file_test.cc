// Damaged segment files under AddressSanitizer: a saved segment has single bytes changed (with the
// checksum recomputed, so only the content checks stand between the damage and the search code) or is
// cut short. Each must either be refused with CorruptFileError or load into a segment whose searches
// read only inside the mapping (ASan fails the run on any stray read).
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "test_params.h"
#include "check.h"
#include "file_format.h"
#include "seismic_segment.h"

using namespace sparrow;

static std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

static void WriteAll(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The container checksum as MappedFile::Open computes it: header with a zero checksum, then the rest.
static void Reseal(std::vector<uint8_t>& bytes) {
  FileHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  h.checksum = 0;
  uint32_t crc = Crc32c(0, &h, sizeof h);
  crc = Crc32c(crc, bytes.data() + sizeof h, bytes.size() - sizeof h);
  h.checksum = crc;
  std::memcpy(bytes.data(), &h, sizeof h);
}

int main() {
  std::mt19937 rng(11);
  // Two segments: term ids < 65536 (16-bit rows and summaries) and wide ids (32-bit), with kNN.
  for (uint32_t stride : {1u, 100000u}) {
    std::vector<uint32_t> indptr{0};
    std::vector<TermId> indices;
    std::vector<float> values;
    std::vector<DocNo> docnos;
    for (size_t r = 0; r < 120; r++) {
      std::map<TermId, float> row;
      while (row.size() < 12) row[static_cast<TermId>(rng() % 300) * stride] = 0.1f + static_cast<float>(rng() % 100) / 10.0f;
      for (auto [t, v] : row) indices.push_back(t), values.push_back(v);
      indptr.push_back(static_cast<uint32_t>(indices.size()));
      docnos.push_back(static_cast<DocNo>(r * 3));
    }
    SeismicParams params = TestParams();
    params.n_knn = 3;
    auto seg = SeismicSegment::Build(indptr, indices, values, docnos, params);
    std::string path = "/tmp/sparrow-seismic-file-test-" + std::to_string(getpid()) + ".seg";
    seg->Save(path, "{\"test\": 1}");
    const std::vector<uint8_t> good = ReadAll(path);
    std::vector<uint32_t> q_indptr{0, 4};
    std::vector<TermId> q_terms{1 * stride, 7 * stride, 50 * stride, 299 * stride};
    std::vector<float> q_values{1.0f, 2.0f, 0.5f, 3.0f};
    CsrView query{q_indptr.data(), q_terms.data(), q_values.data(), 1};

    size_t refused = 0, loaded = 0;
    auto attempt = [&](const std::vector<uint8_t>& bytes) {
      WriteAll(path, bytes);
      std::shared_ptr<const SeismicSegment> s;
      try {
        s = SeismicSegment::Load(path);
      } catch (const CorruptFileError&) {
        refused++;
        return;
      }
      loaded++;
      SeismicQueryOptions opts;
      opts.k = 5;
      opts.n_knn = 3;
      s->Search(query, 0, opts, nullptr);
      s->SearchExact(query, 0, 5, -1.0f, DocFilter{}, nullptr);
    };
    attempt(good);
    CHECK(loaded == 1, "the undamaged file loads");
    for (int i = 0; i < 400; i++) {
      std::vector<uint8_t> bad = good;
      size_t at = sizeof(FileHeader) + rng() % (bad.size() - sizeof(FileHeader));
      bad[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
      if (i % 2 == 0) bad[at] = static_cast<uint8_t>(rng() % 4 == 0 ? 0xff : rng());
      Reseal(bad);
      attempt(bad);
    }
    for (size_t cut : {size_t{0}, size_t{10}, sizeof(FileHeader), good.size() / 2, good.size() - 1}) {
      std::vector<uint8_t> bad(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
      size_t before = refused;
      attempt(bad);
      CHECK(refused == before + 1, "a file cut to %zu bytes is refused", cut);
    }
    std::printf("stride %u: %zu damaged files refused, %zu loaded and searched\n", stride, refused, loaded);
    unlink(path.c_str());
  }
  return sparrow_test::Finish("seismic_file_test");
}

// What every native test program uses: CHECK(cond, printf-style message...) counts a failure and
// goes on; `return Finish("name");` at the end of main prints the verdict and gives the exit status.
// See native/test/Makefile for how tests are found, built and run.
#pragma once

#include <cstdio>

namespace sparrow_test {
inline int failures = 0;
inline void Detail() {}
template <typename... Args>
void Detail(const char* format, Args... args) {
  std::printf(format, args...);
}
inline int Finish(const char* name) {
  if (failures) std::printf("%s: FAILED %d\n", name, failures);
  else std::printf("%s: ok\n", name);
  return failures ? 1 : 0;
}
}  // namespace sparrow_test

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);          \
      sparrow_test::Detail(__VA_ARGS__);                                   \
      std::printf("\n");                                                   \
      sparrow_test::failures++;                                            \
    }                                                                      \
  } while (0)

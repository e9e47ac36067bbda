// A tiny assertion kit: every failed CHECK prints file:line and is counted;
// the test binary exits non-zero when any failed (pytest reports the output).
#pragma once
#include <stdio.h>
#include <string.h>
#include <string>

extern int g_failures;
extern int g_checks;

#define CHECK(cond)                                                      \
  do {                                                                   \
    g_checks++;                                                          \
    if (!(cond)) {                                                       \
      g_failures++;                                                      \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)

#define CHECK_EQ_STR(actual, expected)                                   \
  do {                                                                   \
    g_checks++;                                                          \
    std::string a_ = (actual), e_ = (expected);                          \
    if (a_ != e_) {                                                      \
      g_failures++;                                                      \
      fprintf(stderr, "%s:%d: expected\n  %s\ngot\n  %s\n", __FILE__, __LINE__, \
              e_.c_str(), a_.c_str());                                   \
    }                                                                    \
  } while (0)

#define CHECK_EQ_INT(actual, expected)                                   \
  do {                                                                   \
    g_checks++;                                                          \
    long long a_ = (long long)(actual), e_ = (long long)(expected);      \
    if (a_ != e_) {                                                      \
      g_failures++;                                                      \
      fprintf(stderr, "%s:%d: %s: expected %lld, got %lld\n", __FILE__, __LINE__, \
              #actual, e_, a_);                                          \
    }                                                                    \
  } while (0)

typedef void (*test_fn)();
void register_test(const char* name, test_fn fn);
struct TestRegistrar {
  TestRegistrar(const char* name, test_fn fn) { register_test(name, fn); }
};
#define TEST(name)                                         \
  static void name();                                      \
  static TestRegistrar registrar_##name(#name, name);      \
  static void name()

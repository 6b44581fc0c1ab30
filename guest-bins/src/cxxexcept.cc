// C++ exceptions: throws across many frames, rethrow, nested try blocks, destructors run
// during unwinding, a throw through C code (glibc's qsort calling a comparator that throws),
// std::exception_ptr, and (with the argument "uncaught") an exception that nobody catches:
// std::terminate prints its message on stderr and aborts (SIGABRT).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <stdexcept>
#include <string>

static int live = 0;  // Guards alive; every one must be destroyed by the unwinder.

struct Guard {
  const char *name;
  int depth;
  Guard(const char *n, int d) : name(n), depth(d) { live++; }
  ~Guard() {
    live--;
    if (depth % 16 == 0) printf("  ~Guard %s %d\n", name, depth);
  }
};

struct DeepError : std::runtime_error {
  int depth;
  DeepError(const std::string &m, int d) : std::runtime_error(m), depth(d) {}
};

// noinline so that every level is a real frame the unwinder walks.
__attribute__((noinline)) static int dive(int depth, int limit) {
  Guard g("dive", depth);
  if (depth == limit) throw DeepError("bottom reached", depth);
  return dive(depth + 1, limit) + 1;
}

static void many_frames() {
  try {
    dive(0, 64);
    printf("not reached\n");
  } catch (const DeepError &e) {
    printf("caught DeepError '%s' from depth %d, live guards %d\n", e.what(), e.depth, live);
  }
}

__attribute__((noinline)) static void thrower(int kind) {
  Guard g("thrower", 0);
  switch (kind) {
    case 0: throw 42;
    case 1: throw std::string("a string");
    case 2: throw std::out_of_range("index 7");
    default: throw 3.5;
  }
}

static void kinds() {
  for (int k = 0; k < 4; k++) {
    try {
      thrower(k);
    } catch (int i) {
      printf("int %d\n", i);
    } catch (const std::string &s) {
      printf("string %s\n", s.c_str());
    } catch (const std::logic_error &e) {
      printf("logic_error %s\n", e.what());
    } catch (...) {
      printf("something else\n");
    }
  }
}

static void rethrow_and_nest() {
  try {
    try {
      try {
        Guard g("inner", 0);
        throw std::runtime_error("first");
      } catch (const std::runtime_error &e) {
        printf("inner caught %s, rethrowing\n", e.what());
        throw;
      }
    } catch (const std::exception &e) {
      printf("middle caught %s, throwing a new one\n", e.what());
      try {
        throw std::logic_error("nested while handling");
      } catch (const std::logic_error &n) {
        printf("nested handler caught %s\n", n.what());
      }
      throw std::runtime_error(std::string("second after ") + e.what());
    }
  } catch (const std::runtime_error &e) {
    printf("outer caught %s\n", e.what());
  }
}

static int compare_calls = 0;
extern "C" int throwing_compare(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  if (++compare_calls == 10) throw std::runtime_error("thrown from a qsort comparator");
  return (x > y) - (x < y);
}

static void through_c() {
  int v[64];
  for (int i = 0; i < 64; i++) v[i] = (i * 37) % 64;
  try {
    qsort(v, 64, sizeof v[0], throwing_compare);
    printf("qsort returned\n");
  } catch (const std::exception &e) {
    printf("caught through qsort: %s after %d comparisons\n", e.what(), compare_calls);
  }
}

static void exception_ptrs() {
  std::exception_ptr saved;
  try {
    dive(0, 5);
  } catch (...) {
    saved = std::current_exception();
  }
  printf("saved an exception: %s\n", saved ? "yes" : "no");
  try {
    std::rethrow_exception(saved);
  } catch (const DeepError &e) {
    printf("rethrown from exception_ptr: %s (depth %d)\n", e.what(), e.depth);
  }
  auto made = std::make_exception_ptr(std::invalid_argument("made"));
  try {
    std::rethrow_exception(made);
  } catch (const std::invalid_argument &e) {
    printf("make_exception_ptr: %s\n", e.what());
  }
  try {
    try {
      throw std::runtime_error("cause");
    } catch (...) {
      std::throw_with_nested(std::logic_error("wrapper"));
    }
  } catch (const std::logic_error &e) {
    printf("nested exception: %s\n", e.what());
    try {
      std::rethrow_if_nested(e);
    } catch (const std::runtime_error &c) {
      printf("  caused by: %s\n", c.what());
    }
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "uncaught") == 0) {
    printf("throwing with no handler\n");
    fflush(stdout);
    Guard g("main", 0);
    throw std::runtime_error("nobody catches this");
  }
  many_frames();
  kinds();
  rethrow_and_nest();
  through_c();
  exception_ptrs();
  printf("live guards at the end: %d\n", live);
  return 0;
}

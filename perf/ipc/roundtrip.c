/* Round trips between two processes, three ways: an exojit fast call (libos_fast_call to a
 * server answering with libos_reply_receive), a pair of pipes (write a word, read the answer),
 * and a futex handoff in a shared page (the token passed with FUTEX_WAKE/FUTEX_WAIT). Prints
 * the mean time of one round trip in nanoseconds (CLOCK_MONOTONIC over N round trips).
 * Usage: roundtrip fastcall|pipe|futex N */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../../firmware/include/exojit.h"

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void futex_wait_for(int *w, int v) {
  while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != v) syscall(SYS_futex, w, FUTEX_WAIT, !v, NULL, NULL, 0);
}

static void futex_give(int *w, int v) {
  __atomic_store_n(w, v, __ATOMIC_RELEASE);
  syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  const char *how = argv[1];
  int n = atoi(argv[2]);
  double t0 = 0, t1 = 0;
  if (strcmp(how, "fastcall") == 0) {
    int ep = libos_endpoint();
    if (ep < 0) {
      perror("libos_endpoint");
      return 1;
    }
    pid_t s = fork();
    if (s == 0) {
      struct exo_msg m, r;
      int have = 0;
      for (;;) {
        if (libos_reply_receive(ep, have ? &r : NULL, &m) != 0) _exit(1);
        have = 1;
        r.w[0] = m.w[0] + 1;
        if (m.w[0] == 0xffffffffu) {
          libos_reply(&r);
          _exit(0);
        }
      }
    }
    struct exo_msg m = {{0}};
    t0 = now_ns();
    for (int i = 0; i < n; i++) {
      m.w[0] = (unsigned)i;
      libos_fast_call(ep, &m);
    }
    t1 = now_ns();
    m.w[0] = 0xffffffffu;
    libos_fast_call(ep, &m);
    waitpid(s, NULL, 0);
  } else if (strcmp(how, "pipe") == 0) {
    int to[2], from[2];
    pipe(to);
    pipe(from);
    pid_t s = fork();
    if (s == 0) {
      int v;
      close(to[1]);
      close(from[0]);
      while (read(to[0], &v, sizeof v) == sizeof v) {
        v++;
        write(from[1], &v, sizeof v);
      }
      _exit(0);
    }
    close(to[0]);
    close(from[1]);
    t0 = now_ns();
    for (int i = 0; i < n; i++) {
      int v = i;
      write(to[1], &v, sizeof v);
      read(from[0], &v, sizeof v);
    }
    t1 = now_ns();
    close(to[1]);
    waitpid(s, NULL, 0);
  } else if (strcmp(how, "futex") == 0) {
    int *turn = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *turn = 0;
    pid_t s = fork();
    if (s == 0) {
      for (int i = 0; i < n; i++) {
        futex_wait_for(turn, 1);
        futex_give(turn, 0);
      }
      _exit(0);
    }
    t0 = now_ns();
    for (int i = 0; i < n; i++) {
      futex_give(turn, 1);
      futex_wait_for(turn, 0);
    }
    t1 = now_ns();
    waitpid(s, NULL, 0);
  } else {
    return 2;
  }
  printf("%s %d %.0f\n", how, n, (t1 - t0) / n);
  return 0;
}

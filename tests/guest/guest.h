/* Helpers shared by the differential guest programs: a deterministic PRNG and a checksum, so
 * programs print compact, address-free results that must match natively and under exojit. */
#ifndef EXOJIT_GUEST_H
#define EXOJIT_GUEST_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* xorshift32: deterministic, never returns 0 for a nonzero state. */
static inline uint32_t rng_next(uint32_t *s) {
  uint32_t x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

/* FNV-1a over bytes, continuing from h (start with FNV_INIT). */
#define FNV_INIT 2166136261u
static inline uint32_t fnv(uint32_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

/* Mixes one 32-bit value into h. */
static inline uint32_t mix(uint32_t h, uint32_t v) {
  return fnv(h, &v, sizeof v);
}

/* Sign of a comparison result: library routines may return any negative/positive value, and
 * glibc picks its string functions by CPUID, so only the sign is portable. */
static inline int sgn(int v) { return (v > 0) - (v < 0); }

/* Takes capability `cap` out of the effective and permitted sets; returns capset's result. A
 * differential test's root may lack a capability on the host (CAP_SYS_RESOURCE in a sandbox):
 * dropping it first makes both runs start alike. */
static inline long drop_capability(int cap) {
  struct { unsigned version; int pid; } h = {0x20080522, 0};
  struct { unsigned eff, prm, inh; } d[2];
  if (syscall(SYS_capget, &h, d) != 0) return -1;
  d[cap >> 5].eff &= ~(1u << (cap & 31));
  d[cap >> 5].prm &= ~(1u << (cap & 31));
  return syscall(SYS_capset, &h, d);
}

/* Runs a call and prints "label: result", with errno's message when it returned -1 (errno is
 * read right after the call, before printf can change it). */
#define TRY(label, expr)                                                   \
  do {                                                                     \
    errno = 0;                                                             \
    long r_ = (long)(expr);                                                \
    int e_ = errno;                                                        \
    printf("%s: %ld%s%s\n", label, r_, r_ == -1 ? " " : "", r_ == -1 ? strerror(e_) : ""); \
  } while (0)

#endif

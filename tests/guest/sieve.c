/* A CPU-bound integer workload: a sieve of Eratosthenes, then a checksum loop mixing 32- and
 * 64-bit multiplication, division (libgcc's __udivdi3/__divdi3), shifts, rotates and byte swaps.
 * The sanity check that long-running loops (the JIT's territory) compute what the CPU does. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define LIMIT 300000
static unsigned char composite[LIMIT + 1];

static uint32_t rotl(uint32_t x, unsigned k) { return (x << k) | (x >> (-k & 31)); }

int main(void) {
  memset(composite, 0, sizeof composite);
  for (uint32_t i = 2; i * i <= LIMIT; i++)
    if (!composite[i])
      for (uint32_t j = i * i; j <= LIMIT; j += i) composite[j] = 1;
  uint32_t count = 0, sum = 0, last = 0;
  for (uint32_t i = 2; i <= LIMIT; i++)
    if (!composite[i]) {
      count++;
      sum = sum * 31 + i;
      last = i;
    }
  printf("primes <= %d: %u, last %u, hash %08x\n", LIMIT, count, last, sum);

  uint64_t a = 0x0123456789abcdefULL, b = 0xfedcba9876543210ULL;
  int64_t s = -1234567890123LL;
  uint32_t x = 1;
  for (uint32_t i = 1; i <= 20000; i++) {
    a = a * 6364136223846793005ULL + 1442695040888963407ULL;
    b ^= a >> (i & 31);
    b += a / (uint64_t)(i | 1);
    s = s / 3 + (int64_t)(a % 1000003) - (int64_t)(b % 77);
    x = rotl(x * 2654435761u, i & 31) ^ __builtin_bswap32((uint32_t)a) ^ (uint32_t)(x / (i | 1));
    x += (uint32_t)((int32_t)x >> 7) + ((uint32_t)(s >> 40));
  }
  printf("mix: a %016llx b %016llx s %lld x %08x\n", (unsigned long long)a, (unsigned long long)b, (long long)s, x);
  return 0;
}

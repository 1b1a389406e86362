/* oracle: portable: its x86-64 build runs the same x87/SIMD instructions, so on a host without
 * i386 the host CPU is still the oracle (tests/helpers/oracle.ts). */
/* SSE2/SSSE3/SSE4.1/SSE4.2 intrinsics in the shapes real code uses them: an image filter
 * (saturating averages, shuffles, packs), checksums (Adler-32 with SAD/madd, CRC-32C with the
 * crc32 instruction), byte searches (pcmpeqb + pmovmskb, pcmpistri/pcmpestri), a float kernel
 * with packed single/double arithmetic, min/max, compares and conversions, popcount, and an
 * unmasked SIMD exception reaching a SIGFPE handler with its si_code. */
#include <nmmintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define W 96
#define H 64
static uint8_t img[H][W], out[H][W];
static uint8_t data[65536 + 64];

static uint32_t adler_sse(const uint8_t *p, size_t n) {
  uint32_t a = 1, b = 0;
  while (n >= 16) {
    size_t chunk = n < 5552 ? n & ~15u : 5552;
    n -= chunk;
    __m128i va = _mm_setzero_si128(), vb = _mm_setzero_si128();
    const __m128i w = _mm_setr_epi8(16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1), zero = _mm_setzero_si128();
    uint32_t a0 = a;
    for (size_t k = 0; k < chunk; k += 16, p += 16) {
      __m128i v = _mm_loadu_si128((const __m128i *)p);
      vb = _mm_add_epi32(vb, _mm_slli_epi32(va, 4));
      va = _mm_add_epi32(va, _mm_sad_epu8(v, zero));
      vb = _mm_add_epi32(vb, _mm_madd_epi16(_mm_maddubs_epi16(v, w), _mm_set1_epi16(1)));
    }
    uint32_t sa[4], sb[4];
    _mm_storeu_si128((__m128i *)sa, va);
    _mm_storeu_si128((__m128i *)sb, vb);
    uint64_t A = (uint64_t)sa[0] + sa[2], B = (uint64_t)sb[0] + sb[1] + sb[2] + sb[3];
    b = (uint32_t)((b + (uint64_t)a0 * chunk + B) % 65521);
    a = (uint32_t)((a + A) % 65521);
  }
  while (n--) { a = (a + *p++) % 65521; b = (b + a) % 65521; }
  return b << 16 | a;
}

static uint32_t adler_ref(const uint8_t *p, size_t n) {
  uint32_t a = 1, b = 0;
  while (n--) { a = (a + *p++) % 65521; b = (b + a) % 65521; }
  return b << 16 | a;
}

static uint32_t crc32c(const uint8_t *p, size_t n) {
  uint32_t c = ~0u;
  while (n >= 4) { uint32_t v; memcpy(&v, p, 4); c = _mm_crc32_u32(c, v); p += 4; n -= 4; }
  while (n--) c = _mm_crc32_u8(c, *p++);
  return ~c;
}

static void blur(void) {
  for (int y = 1; y < H - 1; y++) {
    for (int x = 0; x < W; x += 16) {
      __m128i up = _mm_loadu_si128((const __m128i *)&img[y - 1][x]), mid = _mm_loadu_si128((const __m128i *)&img[y][x]);
      __m128i dn = _mm_loadu_si128((const __m128i *)&img[y + 1][x]);
      __m128i v = _mm_avg_epu8(_mm_avg_epu8(up, dn), mid);
      __m128i lo = _mm_unpacklo_epi8(v, _mm_setzero_si128()), hi = _mm_unpackhi_epi8(v, _mm_setzero_si128());
      lo = _mm_srai_epi16(_mm_mullo_epi16(lo, _mm_set1_epi16(3)), 1);
      hi = _mm_sub_epi16(_mm_slli_epi16(hi, 1), _mm_set1_epi16(40));
      __m128i r = _mm_packus_epi16(lo, hi);
      r = _mm_shuffle_epi8(r, _mm_setr_epi8(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
      r = _mm_max_epu8(_mm_subs_epu8(r, _mm_set1_epi8(3)), _mm_adds_epu8(_mm_set1_epi8(1), _mm_alignr_epi8(r, mid, 5)));
      _mm_storeu_si128((__m128i *)&out[y][x], r);
    }
  }
}

static const char *find_byte(const char *s, size_t n, char c) {
  __m128i needle = _mm_set1_epi8(c);
  size_t k = 0;
  for (; k + 16 <= n; k += 16) {
    int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + k)), needle));
    if (m) return s + k + __builtin_ctz(m);
  }
  for (; k < n; k++) if (s[k] == c) return s + k;
  return NULL;
}

static sigjmp_buf jb;
static void onfpe(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  printf("SIGFPE %d code %d\n", sig, si->si_code);
  siglongjmp(jb, 1);
}

int main(void) {
  uint32_t seed = 12345;
  for (size_t k = 0; k < sizeof data; k++) { seed = seed * 1103515245u + 12345u; data[k] = (uint8_t)(seed >> 16); }
  for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) img[y][x] = data[y * W + x];

  for (size_t off = 0; off < 5; off++) printf("adler %zu %08x %08x\n", off, adler_sse(data + off, 65536 - off * 7), adler_ref(data + off, 65536 - off * 7));
  printf("crc32c %08x %08x\n", crc32c(data, 65536), crc32c(data + 3, 1001));
  blur();
  uint32_t h = 0;
  for (int y = 0; y < H; y++) for (int x = 0; x < W; x++) h = h * 31 + out[y][x];
  printf("blur %08x\n", h);

  char text[300];
  for (int k = 0; k < 299; k++) text[k] = (char)('a' + (data[k] % 26));
  text[299] = 0;
  for (char c = 'a'; c <= 'z'; c += 5) {
    const char *p = find_byte(text, 299, c);
    printf("find %c %d\n", c, p ? (int)(p - text) : -1);
  }
  const __m128i set = _mm_loadu_si128((const __m128i *)"aeiou\0\0\0\0\0\0\0\0\0\0\0");
  int vowels = 0;
  for (int k = 0; k + 16 <= 299; k += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(text + k));
    vowels += __builtin_popcount(_mm_cvtsi128_si32(_mm_cmpistrm(set, v, _SIDD_UBYTE_OPS | _SIDD_CMP_EQUAL_ANY | _SIDD_BIT_MASK)));
    if (k < 64) printf("cmpistri %d %d %d\n", _mm_cmpistri(set, v, _SIDD_CMP_EQUAL_ANY), _mm_cmpestri(set, 3, v, 10, _SIDD_CMP_EQUAL_ANY | _SIDD_MOST_SIGNIFICANT), _mm_cmpistrc(set, v, _SIDD_CMP_EQUAL_ANY));
  }
  printf("vowels %d popcnt %d %d\n", vowels, _mm_popcnt_u32(0xf0f01234u), _mm_popcnt_u32(h));

  float fx[8] = {1.5f, -2.25f, 3.0f, 0.1f, -0.0f, 1e-40f, 3.4e38f, -7.75f};
  __m128 a = _mm_loadu_ps(fx), b = _mm_loadu_ps(fx + 4);
  __m128 r1 = _mm_add_ps(_mm_mul_ps(a, b), _mm_div_ps(a, _mm_set1_ps(3.0f)));
  __m128 r2 = _mm_max_ps(_mm_min_ps(a, b), _mm_sqrt_ps(_mm_andnot_ps(_mm_set1_ps(-0.0f), a)));
  __m128i c1 = _mm_cvtps_epi32(r1), c2 = _mm_cvttps_epi32(_mm_mul_ps(r2, _mm_set1_ps(1000.0f)));
  __m128d d = _mm_cvtps_pd(r1), e = _mm_hadd_pd(d, _mm_set_pd(1.0 / 3.0, 2.0 / 3.0));
  __m128 f = _mm_dp_ps(a, b, 0xf1), g = _mm_round_ps(r1, _MM_FROUND_TO_NEG_INF);
  uint32_t o[4];
  int mask = _mm_movemask_ps(_mm_cmplt_ps(a, b)) | _mm_movemask_pd(_mm_cmpeq_pd(d, d)) << 4;
  _mm_storeu_si128((__m128i *)o, _mm_xor_si128(_mm_castps_si128(r1), _mm_castps_si128(r2)));
  printf("floats %08x %08x %08x %08x mask %x\n", o[0], o[1], o[2], o[3], mask);
  _mm_storeu_si128((__m128i *)o, _mm_add_epi32(c1, c2));
  printf("cvt %08x %08x %08x %08x\n", o[0], o[1], o[2], o[3]);
  double de[2];
  _mm_storeu_pd(de, e);
  float ff[4], gg[4];
  _mm_storeu_ps(ff, f);
  _mm_storeu_ps(gg, g);
  printf("hadd %a %a dp %a round %a %a mxcsr %x\n", de[0], de[1], (double)ff[0], (double)gg[0], (double)gg[3], _mm_getcsr());

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = onfpe;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigaction(SIGFPE, &sa, NULL);
  const unsigned masks[] = {_MM_MASK_DIV_ZERO, _MM_MASK_INVALID, _MM_MASK_OVERFLOW, _MM_MASK_INEXACT};
  for (int k = 0; k < 4; k++) {
    _mm_setcsr(0x1f80 & ~masks[k]);
    if (sigsetjmp(jb, 1) == 0) {
      volatile __m128 z = _mm_setzero_ps(), one = _mm_set1_ps(1.0f), big = _mm_set1_ps(3e38f);
      __m128 r = k == 0 ? _mm_div_ps(one, z) : k == 1 ? _mm_div_ps(z, z) : k == 2 ? _mm_mul_ps(big, big) : _mm_div_ps(one, _mm_set1_ps(3.0f));
      volatile float sink = _mm_cvtss_f32(r);
      printf("no exception %g\n", (double)sink);
    }
    printf("mxcsr after %x\n", _mm_getcsr() & 0xffff);
    _mm_setcsr(0x1f80);
  }
  return 0;
}

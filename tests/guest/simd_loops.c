/* Hot loops of packed integer SSE code, for exojit's wasm tier (src/jit/wasm): each kernel runs
 * long enough to be compiled, and prints a checksum of what it computed. The image rows start
 * off 16-byte alignment and cross pages, so unaligned loads span two pages; the last kernel reads
 * towards an unmapped page and takes the SIGSEGV at the exact iteration. */
#include <emmintrin.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define W 512
#define H 64

static uint8_t img_buf[W * H + 64], tmp_buf[W * H + 64];

static uint32_t checksum(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t k = 0; k < n; k++) h = (h ^ p[k]) * 16777619u;
  return h;
}

/* A 3x3 box blur of the inner columns: bytes widened to words, summed, scaled by 1/9. */
static void blur(uint8_t *dst, const uint8_t *src) {
  const __m128i zero = _mm_setzero_si128(), ninth = _mm_set1_epi16(7282);
  for (int y = 1; y < H - 1; y++) {
    for (int x = 16; x < W - 16; x += 16) {
      __m128i lo = zero, hi = zero;
      for (int dy = -1; dy <= 1; dy++) {
        for (int dx = -1; dx <= 1; dx++) {
          __m128i v = _mm_loadu_si128((const __m128i *)(src + (y + dy) * W + x + dx));
          lo = _mm_add_epi16(lo, _mm_unpacklo_epi8(v, zero));
          hi = _mm_add_epi16(hi, _mm_unpackhi_epi8(v, zero));
        }
      }
      lo = _mm_mulhi_epu16(lo, ninth);
      hi = _mm_mulhi_epu16(hi, ninth);
      _mm_storeu_si128((__m128i *)(dst + y * W + x), _mm_packus_epi16(lo, hi));
    }
  }
}

/* Brightness and contrast with saturation, and a sum of absolute differences. */
static uint64_t levels(uint8_t *p, size_t n, int round) {
  const __m128i add = _mm_set1_epi8((char)(round * 7)), sub = _mm_set1_epi8(13), floor = _mm_set1_epi8(20), ceil = _mm_set1_epi8((char)230);
  __m128i sad = _mm_setzero_si128();
  for (size_t k = 0; k + 16 <= n; k += 16) {
    __m128i v = _mm_loadu_si128((__m128i *)(p + k));
    __m128i w = _mm_subs_epu8(_mm_adds_epu8(v, add), sub);
    w = _mm_min_epu8(_mm_max_epu8(w, floor), ceil);
    _mm_storeu_si128((__m128i *)(p + k), w);
    sad = _mm_add_epi64(sad, _mm_sad_epu8(w, v));
  }
  return (uint64_t)_mm_cvtsi128_si32(sad) + (uint64_t)_mm_cvtsi128_si32(_mm_srli_si128(sad, 8));
}

/* Word arithmetic: multiplies, shifts, averages, compares and logic. */
static uint32_t words(const uint8_t *p, size_t n) {
  __m128i acc = _mm_set1_epi32(0x12345678), mask = _mm_set1_epi16(0x0ff0);
  for (size_t k = 0; k + 16 <= n; k += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(p + k));
    __m128i a = _mm_mullo_epi16(v, _mm_set1_epi16(3));
    __m128i b = _mm_mulhi_epi16(v, _mm_set1_epi16(-1234));
    __m128i c = _mm_madd_epi16(a, b);
    __m128i d = _mm_avg_epu16(_mm_srli_epi16(v, 3), _mm_slli_epi16(v, 2));
    __m128i e = _mm_cmpgt_epi16(_mm_srai_epi16(v, 1), d);
    acc = _mm_xor_si128(acc, _mm_or_si128(_mm_and_si128(c, e), _mm_andnot_si128(e, _mm_and_si128(d, mask))));
    acc = _mm_add_epi32(acc, _mm_srai_epi32(_mm_shuffle_epi32(acc, 0x4e), 7));
    acc = _mm_or_si128(_mm_slli_epi32(acc, 3), _mm_srli_epi32(acc, 29));
  }
  return (uint32_t)_mm_cvtsi128_si32(acc) * 3u + (uint32_t)_mm_cvtsi128_si32(_mm_shuffle_epi32(acc, 0x39));
}

/* Dword and qword forms, movd/movq, byte shifts and unpacks, with integer code around them. */
static uint32_t dwords(const uint8_t *p, size_t n) {
  uint32_t h = 0;
  __m128i acc = _mm_setzero_si128();
  for (size_t k = 0; k + 16 <= n; k += 16) {
    __m128i v = _mm_loadu_si128((const __m128i *)(p + k));
    __m128i lo = _mm_unpacklo_epi32(v, acc), hi = _mm_unpackhi_epi64(v, acc);
    __m128i s = _mm_add_epi32(_mm_srli_epi32(lo, 5), _mm_slli_epi64(hi, 9));
    s = _mm_xor_si128(s, _mm_cmpeq_epi32(s, _mm_srli_si128(v, 4)));
    acc = _mm_add_epi32(acc, _mm_unpacklo_epi64(s, _mm_slli_si128(v, 3)));
    int x = _mm_cvtsi128_si32(s);
    unsigned char b = p[k + 3];
    h = (h << 5 | h >> 27) ^ (uint32_t)x;
    h += (x < 0 ? (uint32_t)b * 3u : (uint32_t)(short)x) + (b > 127);
    acc = _mm_add_epi32(acc, _mm_cvtsi32_si128((int)h));
  }
  int64_t q;
  _mm_storel_epi64((__m128i *)&q, acc);
  return h ^ (uint32_t)q ^ (uint32_t)(q >> 32) ^ (uint32_t)_mm_movemask_epi8(acc);
}

static sigjmp_buf jump;
static volatile size_t done;

static void on_segv(int sig) {
  (void)sig;
  siglongjmp(jump, 1);
}

/* Sums 16 bytes at a time towards an unmapped page: the fault comes at the first load that
 * reaches it, with everything before it done. */
static void towards_unmapped(void) {
  long page = sysconf(_SC_PAGESIZE);
  uint8_t *m = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return;
  munmap(m + 2 * page, page);
  for (long k = 0; k < 2 * page; k++) m[k] = (uint8_t)(k * 31 + 7);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_segv;
  sigaction(SIGSEGV, &sa, NULL);
  __m128i sum = _mm_setzero_si128();
  volatile __m128i kept = sum;
  if (sigsetjmp(jump, 1) == 0) {
    for (size_t k = 5;; k += 16) {
      sum = _mm_add_epi8(sum, _mm_loadu_si128((const __m128i *)(m + k)));
      kept = sum;
      done = done + 1;
    }
  }
  __m128i s = kept;
  printf("unmapped: %lu loads before the fault (%ld bytes mapped), sum %08x\n", (unsigned long)done, 2 * page, (unsigned)_mm_cvtsi128_si32(_mm_sad_epu8(s, _mm_setzero_si128())));
}

int main(void) {
  uint8_t *img = img_buf + 5, *tmp = tmp_buf + 3;
  uint32_t seed = 1;
  for (int k = 0; k < W * H; k++) {
    seed = seed * 1103515245u + 12345u;
    img[k] = (uint8_t)(seed >> 16);
  }
  for (int pass = 0; pass < 12; pass++) {
    blur(tmp, img);
    blur(img, tmp);
  }
  printf("blur: %08x\n", checksum(img, W * H));
  uint64_t sad = 0;
  for (int round = 0; round < 40; round++) sad += levels(img, W * H, round);
  printf("levels: %08x sad %llu\n", checksum(img, W * H), (unsigned long long)sad);
  uint32_t w = 0, d = 0;
  for (int round = 0; round < 20; round++) {
    w = w * 31 + words(img + round, W * H - 32);
    d += dwords(img + round, W * H - 32);
  }
  printf("words: %08x dwords: %08x\n", w, d);
  towards_unmapped();
  return 0;
}

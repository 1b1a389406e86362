/* exojit's demo guest: a freestanding Linux i386 program (no libc) that greets, reports what
 * the kernel it runs on says about itself, and does a little CPU work. Built by ./build.sh into
 * the shipped binary `hello`, so a fresh checkout can run a real guest without a toolchain. */

typedef unsigned int u32;

static int sys3(int nr, int a, int b, int c) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}

static u32 len(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static void put(const char *s) { sys3(4, 1, (int)s, (int)len(s)); }

static void putnum(u32 v) {
  char buf[12]; int i = 11; buf[i] = 0;
  do { buf[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  put(buf + i);
}

struct utsname { char sysname[65], nodename[65], release[65], version[65], machine[65], domain[65]; };

static unsigned char sieve[100000];

void __attribute__((noreturn, used)) cmain(int argc, char **argv) {
  struct utsname u;
  put("Hello from an i386 guest running under exojit!\n");
  if (sys3(122, (int)&u, 0, 0) == 0) {
    put("  kernel: "); put(u.sysname); put(" "); put(u.release); put(" on "); put(u.machine); put("\n");
  }
  put("  argv:");
  for (int i = 0; i < argc; i++) { put(" "); put(argv[i]); }
  put("\n");
  u32 count = 0;
  for (u32 i = 2; i < sizeof sieve; i++) {
    if (!sieve[i]) { count++; for (u32 k = i + i; k < sizeof sieve; k += i) sieve[k] = 1; }
  }
  put("  primes below 100000: "); putnum(count); put("\n");
  sys3(252, 0, 0, 0);
  for (;;) {}
}

__asm__(".globl _start\n_start:\n  mov (%esp), %eax\n  lea 4(%esp), %ecx\n  and $-16, %esp\n  sub $8, %esp\n  push %ecx\n  push %eax\n  call cmain\n");

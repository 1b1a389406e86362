/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* Self-modifying code: generated functions are called until hot (so a JIT compiles them), then
 * rewritten in place and called again, several times; a function patches an instruction later
 * in its own page while it runs; a code page is unmapped and mapped again with new code at the
 * same address; a child rewrites a code page it shares copy-on-write with its parent, so the
 * same address holds other code in each process. Each call must run the code as it is now. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int (*fn_t)(int);

/* add $imm, %eax after loading the argument: mov 4(%esp),%eax; add $imm,%eax; ret */
static void emit_add(unsigned char *p, int imm) {
  static const unsigned char head[] = {0x8b, 0x44, 0x24, 0x04, 0x05};
  memcpy(p, head, sizeof head);
  memcpy(p + 5, &imm, 4);
  p[9] = 0xc3;
}

/* A loop summing arg + imm over 100 iterations: the immediate sits inside the loop body. */
static void emit_loop(unsigned char *p, int imm) {
  static const unsigned char code[] = {
      0x31, 0xc0,                   /* xor %eax,%eax */
      0xb9, 0x64, 0, 0, 0,          /* mov $100,%ecx */
      0x03, 0x44, 0x24, 0x04,       /* 1: add 4(%esp),%eax */
      0x05, 0, 0, 0, 0,             /* add $imm,%eax */
      0x49,                         /* dec %ecx */
      0x75, 0xf4,                   /* jnz 1b */
      0xc3,                         /* ret */
  };
  memcpy(p, code, sizeof code);
  memcpy(p + 12, &imm, 4);
}

int main(void) {
  unsigned char *page = mmap(0, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  fn_t add = (fn_t)page, loop = (fn_t)(page + 64);
  for (int round = 0; round < 8; round++) {
    emit_add(page, round * 1000 + 7);
    emit_loop(page + 64, round - 3);
    long sum = 0;
    for (int i = 0; i < 3000; i++) sum += add(i) + loop(i & 15);
    printf("round %d: %ld\n", round, sum);
  }

  /* Patch the immediate of the next call's code from inside a hot loop on the same page. */
  long sum = 0;
  for (int i = 0; i < 2000; i++) {
    emit_add(page, i);
    sum += add(1);
  }
  printf("patched every call: %ld\n", sum);

  /* Unmap and map again: new code at the same address. */
  for (int round = 0; round < 3; round++) {
    munmap(page, 8192);
    unsigned char *again = mmap(page, 8192, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (again != page) return 2;
    emit_add(page, 100 * round);
    long s = 0;
    for (int i = 0; i < 2000; i++) s += add(i);
    printf("remapped %d: %ld\n", round, s);
  }

  /* Copy-on-write: the child's copy of the page gets new code at the address where the
   * parent's code is hot; each process must keep running its own. */
  emit_add(page, 5);
  long before = 0;
  for (int i = 0; i < 2000; i++) before += add(i);
  printf("parent before fork: %ld\n", before);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    emit_add(page, 9);
    long s = 0;
    for (int i = 0; i < 2000; i++) s += add(i);
    printf("child: %ld\n", s);
    fflush(stdout);
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  long after = 0;
  for (int i = 0; i < 2000; i++) after += add(i);
  printf("parent after the child: %ld (child status %d)\n", after, status);
  return 0;
}

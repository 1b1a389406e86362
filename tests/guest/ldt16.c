/* oracle: i386: the program is about the i386 CPU or ABI itself (tests/helpers/oracle.ts). */
/* modify_ldt and 16-bit code: LDT entries written in both forms and read back, the "useable"
 * bit seen through lar, errors for bad requests, then far calls from 32-bit code into a 16-bit
 * LDT code segment: 16-bit arithmetic and stack operations on the 32-bit stack, a 16-bit data
 * segment addressed with [bx+si] and addr32 forms, a near call and a far jump inside the 16-bit
 * segment, a 16-bit stack segment whose SP wraps at 64 KiB while ESP's upper half stays, and
 * lretl back to 32-bit code. Nothing printed depends on the kernel's own selectors. */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char code16[], r1[], r2[], after_jmp[];
__asm__(
    ".text\n .balign 16\n .code16\n"
    "code16:\n"
    "r1:\n"
    "  movw $0x1234, %ax\n addw $0x1111, %ax\n pushw %ax\n popw %cx\n"
    "  movw %ds, %dx\n movw $0x0f, %bx\n movw %bx, %ds\n"
    "  movl $4, %ebx\n movw $2, %si\n movw (%bx,%si), %di\n movw %ax, 8(%bx)\n"
    "  addr32 movl %ecx, (%ebx)\n movsbw 1(%bx,%si), %si\n"
    "  call near16\n"
    "  movw %dx, %ds\n"
    "  ljmp $0x07, $(after_jmp - code16)\n"
    "  movw $0xbad, %ax\n"
    "after_jmp:\n"
    "  lretl\n"
    "near16:\n"
    "  movw $0x5555, %bp\n incw %di\n ret\n"
    "r2:\n"
    "  movw %ss, %bx\n movl %esp, %ebp\n movw $0x17, %ax\n movw %ax, %ss\n movl $0xdead0004, %esp\n"
    "  pushw $0x1111\n pushw $0x2222\n pushw $0x3333\n movl %esp, %esi\n"
    "  popw %ax\n popw %cx\n popw %dx\n movl %esp, %edi\n"
    "  movw %bx, %ss\n movl %ebp, %esp\n lretl\n"
    ".code32\n");

static uint8_t data[256];
/* far pointers to the 16-bit routines (offset, LDT selector 0x07) and their results */
struct far { uint32_t off; uint16_t sel; } __attribute__((packed)) f1 = {0, 0x07}, f2 = {0, 0x07};
uint32_t out[8];
static uint8_t stack16[0x10000 + 16];

static long ldt(int func, void *p, unsigned long n) {
  long r = syscall(SYS_modify_ldt, func, p, n);
  return r < 0 ? -errno : r;
}

static long set(int func, unsigned entry, unsigned base, unsigned limit, int seg32, int contents, int ro, int pages, int np, int useable) {
  struct user_desc d;
  memset(&d, 0, sizeof d);
  d.entry_number = entry;
  d.base_addr = base;
  d.limit = limit;
  d.seg_32bit = seg32;
  d.contents = contents;
  d.read_exec_only = ro;
  d.limit_in_pages = pages;
  d.seg_not_present = np;
  d.useable = useable;
  return ldt(func, &d, sizeof d);
}

static void dump(const char *what, int n) {
  uint8_t buf[512];
  memset(buf, 0xcc, sizeof buf);
  long r = ldt(0, buf, n);
  printf("%s: read %ld:", what, r);
  for (int k = 0; k < (r > 0 ? r : 0) && k < 64; k += 8) {
    uint32_t lo, hi;
    memcpy(&lo, buf + k, 4);
    memcpy(&hi, buf + k + 4, 4);
    printf(" %08x:%08x", hi, lo);
  }
  printf(" tail %02x\n", buf[n < 512 ? n : 511]);
}

static void rights(const char *what, unsigned sel) {
  unsigned ar = 0, lim = 0;
  unsigned char zl = 0, zs = 0, zr = 0, zw = 0;
  __asm__ volatile("lar %4, %0\n setz %2\n lsl %4, %1\n setz %3\n" : "+r"(ar), "+r"(lim), "=q"(zl), "=q"(zs) : "r"(sel));
  __asm__ volatile("verr %w2\n setz %0\n verw %w2\n setz %1\n" : "=q"(zr), "=q"(zw) : "r"(sel));
  printf("%s sel %02x: lar %d %08x lsl %d %08x verr %d verw %d\n", what, sel, zl, zl ? ar : 0, zs, zs ? lim : 0, zr, zw);
}

int main(void) {
  uint8_t z[200];
  printf("empty LDT: read %ld\n", ldt(0, z, 64));
  printf("default LDT: %ld\n", ldt(2, z, 200));
  printf("bad size: %ld\n", ldt(0x11, z, 15));
  printf("bad entry: %ld\n", set(0x11, 8192, 0, 0, 1, 0, 0, 0, 0, 0));
  printf("conforming code, old form: %ld\n", set(1, 5, 0, 0, 1, 3, 0, 0, 1, 0));
  printf("conforming code present: %ld\n", set(0x11, 5, 0, 0, 1, 3, 0, 0, 0, 0));
  printf("conforming code not present: %ld\n", set(0x11, 5, 0, 0, 1, 3, 0, 0, 1, 0));
  printf("bad func: %ld\n", ldt(7, z, 16));

  /* 0: 16-bit code at code16; 1: 16-bit data at data; 2: 16-bit stack; 3: old form with useable */
  printf("set code16: %ld\n", set(0x11, 0, (unsigned)(uintptr_t)code16, 0xffff, 0, 2, 0, 0, 0, 1));
  printf("set data16: %ld\n", set(0x11, 1, (unsigned)(uintptr_t)data, 0xff, 0, 0, 0, 0, 0, 0));
  printf("set stack16: %ld\n", set(0x11, 2, (unsigned)(uintptr_t)stack16, 0xffff, 0, 0, 0, 0, 0, 0));
  printf("set old form: %ld\n", set(1, 3, 0x12345, 0xabcde, 1, 0, 1, 1, 0, 1));
  printf("set zero, old form: %ld\n", set(1, 6, 0, 0, 1, 0, 0, 0, 0, 0));
  printf("set empty: %ld\n", set(0x11, 4, 0, 0, 0, 0, 1, 0, 1, 0));
  dump("after writes", 64);
  dump("short read", 12);
  rights("code16", 0x07);
  rights("data16", 0x0f);
  rights("old form", 0x1f);
  rights("cleared", 0x27);
  rights("beyond", 0x47);

  for (int k = 0; k < 256; k++) data[k] = (uint8_t)(k * 7 + 1);
  f1.off = (uint32_t)(r1 - code16);
  f2.off = (uint32_t)(r2 - code16);
  /* everything through globals: EBP and EBX change inside */
  __asm__ volatile("pushal\n movl $0x77777777, %%ebp\n movl $0x66666666, %%esi\n lcall *f1\n"
                   "movl %%eax, out+0\n movl %%ecx, out+4\n movl %%edx, out+8\n movl %%esi, out+12\n movl %%edi, out+16\n movl %%ebp, out+20\n popal\n"
                   ::: "memory", "cc");
  printf("r1: eax %08x ecx %08x edx-ds-saved %s esi %08x edi %08x ebp %08x\n", out[0], out[1], out[2] ? "yes" : "no", out[3], out[4], out[5]);
  printf("data:");
  for (int k = 0; k < 16; k++) printf(" %02x", data[k]);
  printf("\n");

  memset(stack16, 0xee, sizeof stack16);
  __asm__ volatile("pushal\n lcall *f2\n movl %%eax, out+0\n movl %%ecx, out+4\n movl %%edx, out+8\n movl %%esi, out+12\n movl %%edi, out+16\n popal\n"
                   ::: "memory", "cc");
  printf("r2: ax %04x cx %04x dx %04x esp-after-pushes %08x esp-after-pops %08x\n", out[0] & 0xffff, out[1] & 0xffff, out[2] & 0xffff, out[3], out[4]);
  printf("stack16: %02x %02x %02x %02x | %02x %02x | %02x\n", stack16[0], stack16[1], stack16[2], stack16[3], stack16[0xfffe], stack16[0xffff], stack16[4]);

  printf("clear code16: %ld\n", set(0x11, 0, 0, 0, 0, 0, 1, 0, 1, 0));
  dump("after clear", 40);
  return 0;
}

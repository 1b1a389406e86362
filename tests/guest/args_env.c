/* The initial stack: argc, every argv string, the environment in order (through both main's
 * third argument and environ), and the auxiliary-vector entries that are the same natively and
 * under an emulator for a static non-PIE binary. Those about the binary itself (AT_PHDR,
 * AT_PHENT, AT_PHNUM, AT_ENTRY) are checked against its own ELF header and entry point, so that
 * the program prints the same built for any architecture (tests/helpers/oracle.ts). AT_RANDOM's
 * bytes differ on every run, so only their presence is shown; AT_SYSINFO, AT_HWCAP,
 * AT_PLATFORM, AT_CLKTCK, AT_EXECFN and the vDSO are the emulator's to choose and are left out. */
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <errno.h>

extern char **environ;
/* The ELF header, where the first loaded segment begins (the linker defines it), and the entry. */
extern const ElfW(Ehdr) __ehdr_start;
extern char _start[];

static void show(const char *s) {
  /* Non-printable bytes as \xNN, so the output stays one line per string. */
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if (*p < 32 || *p >= 127 || *p == '"' || *p == '\\') printf("\\x%02x", *p);
    else putchar(*p);
  putchar('"');
}

int main(int argc, char **argv, char **envp) {
  printf("argc %d\n", argc);
  for (int i = 0; i < argc; i++) {
    printf("argv[%d] len %zu ", i, strlen(argv[i]));
    show(argv[i]);
    putchar('\n');
  }
  printf("argv[argc] %s\n", argv[argc] == NULL ? "NULL" : "not NULL");

  int n = 0;
  for (char **e = envp; *e; e++, n++) {
    printf("env[%d] ", n);
    show(*e);
    putchar('\n');
  }
  printf("envc %d, environ %s envp\n", n, environ == envp ? "==" : "!=");
  /* The environment follows argv's NULL on the stack. */
  printf("envp == argv + argc + 1: %s\n", envp == argv + argc + 1 ? "yes" : "no");

  static const struct {
    unsigned long type;
    const char *name;
  } keys[] = {
      {AT_PAGESZ, "AT_PAGESZ"},
      {AT_UID, "AT_UID"},       {AT_EUID, "AT_EUID"},   {AT_GID, "AT_GID"},     {AT_EGID, "AT_EGID"}, {AT_SECURE, "AT_SECURE"},
      {AT_FLAGS, "AT_FLAGS"},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    errno = 0;
    unsigned long v = getauxval(keys[i].type);
    printf("%-10s %#lx%s\n", keys[i].name, v, errno == ENOENT ? " (absent)" : "");
  }
  const ElfW(Ehdr) *eh = &__ehdr_start;
  printf("AT_PHDR    the program headers: %s\n", getauxval(AT_PHDR) == (unsigned long)((const char *)eh + eh->e_phoff) ? "yes" : "no");
  printf("AT_PHENT   their size: %s\n", getauxval(AT_PHENT) == sizeof(ElfW(Phdr)) && eh->e_phentsize == sizeof(ElfW(Phdr)) ? "yes" : "no");
  printf("AT_PHNUM   their count: %s\n", getauxval(AT_PHNUM) == eh->e_phnum ? "yes" : "no");
  printf("AT_ENTRY   the entry point: %s\n", getauxval(AT_ENTRY) == (unsigned long)_start && eh->e_entry == (unsigned long)_start ? "yes" : "no");
  const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
  if (rnd == NULL) {
    printf("AT_RANDOM  absent\n");
  } else {
    unsigned x = 0;
    for (int i = 0; i < 16; i++) x += rnd[i]; /* must be readable; the value is not shown */
    printf("AT_RANDOM  present, 16 bytes readable%s\n", x == 0xffffffffu ? "!" : "");
  }
  return 0;
}

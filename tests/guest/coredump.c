/* Core files: a child that crashes with RLIMIT_CORE raised leaves "core" (or "core.PID" when
 * kernel.core_uses_pid is set) in its working directory, and this program reads it back as an
 * ELF core: the notes (a NT_PRSTATUS per thread, the crashing one first with its signal and pid,
 * NT_PRPSINFO's name, NT_SIGINFO's fault, NT_AUXV, NT_FILE naming the program, the register
 * sets), a written buffer's bytes in its PT_LOAD, nothing for untouched or MADV_DONTDUMP memory,
 * the ELF header page of a mapped file. Then the cases without a core (and without the wait
 * status's core bit): RLIMIT_CORE 0 or below a page, a process made undumpable, a directory in
 * the way. With the argument "patterns" (exojit only: it changes kernel.core_pattern) also the
 * pattern's specifiers, core_uses_pid and a pipe pattern. Run in an empty working directory. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *buffer, *untouched, *nodump, *mapped;
static volatile int *nowhere;
static pid_t last_child;
static char comm[17];

static void *idle(void *arg) {
  for (;;) pause();
  return arg;
}

/* Crashes (SIGSEGV) with RLIMIT_CORE at `limit`, after `before` ran; returns the wait status. */
static int crash(rlim_t limit, void (*before)(void)) {
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    struct rlimit rl = {limit, RLIM_INFINITY};
    setrlimit(RLIMIT_CORE, &rl);
    if (before) before();
    strcpy(buffer, "written by the child before it crashed");
    memset(nodump, 'D', 4096);
    pthread_t th;
    pthread_create(&th, 0, idle, 0);
    usleep(20000);
    *nowhere = 1;
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  last_child = c;
  return st;
}

static void status(const char *what, int st) {
  printf("%s: signal %d, core bit %d\n", what, WIFSIGNALED(st) ? WTERMSIG(st) : 0, WIFSIGNALED(st) ? WCOREDUMP(st) != 0 : 0);
}

static unsigned char *slurp(const char *name, size_t *len) {
  int fd = open(name, O_RDONLY);
  if (fd < 0) return NULL;
  struct stat st;
  fstat(fd, &st);
  unsigned char *b = malloc(st.st_size);
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t n = read(fd, b + got, st.st_size - got);
    if (n <= 0) break;
    got += n;
  }
  close(fd);
  *len = got;
  return b;
}

static const char *core_name(pid_t pid, char *out) {
  char v[8] = "0";
  int fd = open("/proc/sys/kernel/core_uses_pid", O_RDONLY);
  if (fd >= 0) {
    read(fd, v, sizeof v - 1);
    close(fd);
  }
  if (v[0] == '1') sprintf(out, "core.%d", pid);
  else strcpy(out, "core");
  return out;
}

static Elf32_Phdr *segment_of(unsigned char *core, uintptr_t addr) {
  Elf32_Ehdr *eh = (Elf32_Ehdr *)core;
  Elf32_Phdr *ph = (Elf32_Phdr *)(core + eh->e_phoff);
  for (int i = 0; i < eh->e_phnum; i++)
    if (ph[i].p_type == PT_LOAD && addr >= ph[i].p_vaddr && addr < ph[i].p_vaddr + ph[i].p_memsz) return &ph[i];
  return NULL;
}

static void read_core(pid_t pid) {
  char name[32];
  size_t len;
  unsigned char *core = slurp(core_name(pid, name), &len);
  if (core == NULL) {
    printf("no core file: %s\n", strerror(errno));
    return;
  }
  struct stat st;
  stat(name, &st);
  printf("core file mode %o\n", st.st_mode & 07777);
  Elf32_Ehdr *eh = (Elf32_Ehdr *)core;
  printf("ELF core for i386: %d\n", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS32 && eh->e_type == ET_CORE && eh->e_machine == EM_386);
  Elf32_Phdr *ph = (Elf32_Phdr *)(core + eh->e_phoff);
  printf("first segment is the notes: %d\n", ph[0].p_type == PT_NOTE);
  int fits = 1;
  for (int i = 0; i < eh->e_phnum; i++) fits &= ph[i].p_offset + ph[i].p_filesz <= len;
  printf("every segment within the file: %d\n", fits);
  /* the notes */
  int prstatus = 0, fp = 0, xfp = 0, tls = 0, first_pid = -1, first_sig = -1, psinfo = 0, auxv_page = 0, file_named = 0;
  int si_signo = -1, si_code = -1;
  uintptr_t fault_addr = 1, eip = 0;
  char self[256] = {0};
  readlink("/proc/self/exe", self, sizeof self - 1);
  for (size_t at = ph[0].p_offset; at < ph[0].p_offset + ph[0].p_filesz;) {
    Elf32_Nhdr *n = (Elf32_Nhdr *)(core + at);
    const char *nm = (const char *)(n + 1);
    unsigned char *desc = (unsigned char *)nm + ((n->n_namesz + 3) & ~3);
    switch (n->n_type) {
      case NT_PRSTATUS:
        if (prstatus++ == 0) {
          first_sig = *(short *)(desc + 12);
          first_pid = *(int *)(desc + 24);
          eip = ((uint32_t *)(desc + 72))[12];
        }
        break;
      case NT_PRPSINFO:
        psinfo = strcmp((char *)desc + 28, comm) == 0 && *(int *)(desc + 12) == pid;
        break;
      case NT_SIGINFO:
        si_signo = ((int *)desc)[0];
        si_code = ((int *)desc)[2];
        fault_addr = ((uint32_t *)desc)[3];
        break;
      case NT_AUXV:
        for (uint32_t *a = (uint32_t *)desc; a < (uint32_t *)(desc + n->n_descsz); a += 2)
          if (a[0] == AT_PAGESZ) auxv_page = a[1];
        break;
      case NT_FILE: {
        uint32_t count = ((uint32_t *)desc)[0];
        char *names = (char *)desc + 8 + 12 * count;
        for (uint32_t k = 0; k < count; k++, names += strlen(names) + 1) file_named |= strcmp(names, self) == 0;
        break;
      }
      case NT_FPREGSET:
        fp += n->n_descsz == 108;
        break;
      case NT_PRXFPREG:
        xfp += n->n_descsz == 512 && strcmp(nm, "LINUX") == 0;
        break;
      case NT_386_TLS:
        tls += n->n_descsz == 48;
        break;
    }
    at += sizeof *n + ((n->n_namesz + 3) & ~3) + ((n->n_descsz + 3) & ~3);
  }
  extern char __executable_start[], etext[];
  printf("threads %d; the first: the crashing one %d, signal %d, its eip in the program %d\n", prstatus, first_pid == pid, first_sig,
         eip >= (uintptr_t)__executable_start && eip < (uintptr_t)etext);
  printf("register sets per thread: fnsave %d, fxsave %d, tls %d\n", fp, xfp, tls);
  printf("psinfo names the process: %d\n", psinfo);
  printf("siginfo: signal %d, code %d, address %#lx\n", si_signo, si_code, (unsigned long)fault_addr);
  printf("auxv page size %d, NT_FILE names the program %d\n", auxv_page, file_named);
  /* the memory */
  Elf32_Phdr *b = segment_of(core, (uintptr_t)buffer);
  printf("the buffer's bytes: %d\n", b && b->p_filesz > 0 && strcmp((char *)core + b->p_offset + ((uintptr_t)buffer - b->p_vaddr), "written by the child before it crashed") == 0);
  Elf32_Phdr *u = segment_of(core, (uintptr_t)untouched);
  printf("untouched memory: segment %d, bytes %d\n", u != NULL, u ? (int)u->p_filesz : -1);
  Elf32_Phdr *d = segment_of(core, (uintptr_t)nodump);
  printf("MADV_DONTDUMP memory: segment %d, bytes %d\n", d != NULL, d ? (int)d->p_filesz : -1);
  Elf32_Phdr *m = segment_of(core, (uintptr_t)mapped);
  printf("a mapped ELF file: bytes %d, its header %d\n", m ? (int)m->p_filesz : -1, m && m->p_filesz >= 4 && memcmp(core + m->p_offset, ELFMAG, SELFMAG) == 0);
  unlink(name);
  free(core);
}

static void undumpable(void) { prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); }

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_TRUNC);
  printf("write %s = %s: %d\n", path, text, fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  if (fd >= 0) close(fd);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  prctl(PR_GET_NAME, comm, 0, 0, 0);
  buffer = malloc(64 * 1024);
  /* (between inaccessible pages, so that no neighbour merges with it) */
  char *guard = mmap(0, 18 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  untouched = mmap(guard + 4096, 16 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  nodump = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  madvise(nodump, 4096, MADV_DONTDUMP);
  int self = open("/proc/self/exe", O_RDONLY);
  mapped = mmap(0, 4096, PROT_READ, MAP_PRIVATE, self, 0);
  close(self);

  int st = crash(RLIM_INFINITY, NULL);
  status("crashed", st);
  read_core(last_child);
  char name[32];

  status("RLIMIT_CORE 0", crash(0, NULL));
  status("RLIMIT_CORE below a page", crash(1000, NULL));
  status("not dumpable", crash(RLIM_INFINITY, undumpable));
  size_t len;
  printf("a core file anyway: %d\n", slurp(core_name(last_child, name), &len) != NULL || access("core", F_OK) == 0);
  mkdir("core", 0755);
  status("a directory named core", crash(RLIM_INFINITY, NULL));
  rmdir("core");

  if (argc > 1 && strcmp(argv[1], "patterns") == 0) {
    mkdir("cores", 0755);
    write_file("/proc/sys/kernel/core_pattern", "cores/%e-%s-%%-%x");
    status("pattern cores/%e-%s-%%", crash(RLIM_INFINITY, NULL));
    char expect[64];
    snprintf(expect, sizeof expect, "cores/%s-11-%%-", comm);
    printf("cores/COMM-11-%%-: %d\n", access(expect, F_OK) == 0);
    unlink(expect);
    write_file("/proc/sys/kernel/core_pattern", "cores/c");
    write_file("/proc/sys/kernel/core_uses_pid", "1");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
      struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
      setrlimit(RLIMIT_CORE, &rl);
      raise(SIGQUIT);
      _exit(0);
    }
    waitpid(c, &st, 0);
    status("SIGQUIT, core_uses_pid", st);
    char cn[64];
    sprintf(cn, "cores/c.%d", c);
    printf("cores/c.PID: %d\n", access(cn, F_OK) == 0);
    unlink(cn);
    rmdir("cores");
    write_file("/proc/sys/kernel/core_uses_pid", "0");
    write_file("/proc/sys/kernel/core_pattern", "|/bin/false");
    status("a pipe pattern", crash(RLIM_INFINITY, NULL));
    write_file("/proc/sys/kernel/core_pattern", "core");
  }
  return 0;
}

/* A program to snapshot where it reads its input (tests/api/progsnap.test.ts). Before the read it
 * builds state of every kind a system keeps: heap and anonymous mappings, a file open at an
 * offset, a child process waiting on a pipe, a signal handler with a count, an environment
 * variable changed. After the read it uses all of it: what it prints depends on the input and
 * on that state, so a restore that misses any of it prints something else than the native run.
 * Monotonic time is read on both sides of the input's read: a restore puts it back to the
 * snapshot's, so however long after the snapshot the restore comes, little time has passed.
 * argv[1] is a file to read (a few bytes before the input, the rest after). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "guest.h"

static volatile int alarms;
static void on_usr1(int sig) { (void)sig; alarms++; }

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  /* Heap and an anonymous mapping, filled. */
  unsigned *heap = malloc(64 * 1024);
  for (unsigned i = 0; i < 16384; i++) heap[i] = i * 2654435761u;
  unsigned char *map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(map, 0x5a, 3 * 4096);
  /* A file read partly. */
  int fd = open(argv[1], O_RDONLY);
  char head[16] = {0};
  if (fd < 0 || read(fd, head, 8) != 8) return 3;
  /* A child waiting for lines on a pipe; it answers on another. */
  int down[2], up[2];
  if (pipe(down) || pipe(up)) return 4;
  pid_t child = fork();
  if (child == 0) {
    close(down[1]);
    close(up[0]);
    char buf[512];
    ssize_t n;
    uint32_t h = FNV_INIT;
    while ((n = read(down[0], buf, sizeof buf)) > 0) h = fnv(h, buf, (size_t)n);
    char msg[64];
    int len = snprintf(msg, sizeof msg, "child %08x\n", h);
    write(up[1], msg, (size_t)len);
    _exit((int)(h & 0x3f));
  }
  close(down[0]);
  close(up[1]);
  signal(SIGUSR1, on_usr1);
  raise(SIGUSR1);
  setenv("SNAP_STAGE", "ready", 1);
  printf("head %s, alarms %d\n", head, alarms);
  fflush(stdout);

  /* The input: the snapshot is taken before this read. */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char in[4096];
  ssize_t got = read(0, in, sizeof in - 1);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  if (got < 0) return 5;
  in[got] = 0;
  if (strncmp(in, "crash", 5) == 0) *(volatile int *)0 = 1;
  raise(SIGUSR1);
  write(down[1], in, (size_t)got);
  close(down[1]);
  char reply[64] = {0};
  ssize_t r = read(up[0], reply, sizeof reply - 1);
  int st;
  waitpid(child, &st, 0);
  /* The rest of the file from where it was left. */
  char rest[256] = {0};
  ssize_t rn = read(fd, rest, sizeof rest - 1);
  close(fd);
  uint32_t h = fnv(FNV_INIT, heap, 64 * 1024);
  for (ssize_t i = 0; i < got; i++) map[4096 + (unsigned char)in[i]] ^= (unsigned char)i;
  h = fnv(h, map, 3 * 4096);
  printf("input %zd bytes in under 0.5 s: %d, %s", got, took >= 0 && took < 0.5, r > 0 ? reply : "no reply\n");
  printf("child status %d, rest %zd '%.12s', alarms %d, stage %s, state %08x\n", WEXITSTATUS(st), rn, rest, alarms, getenv("SNAP_STAGE"), h);
  return (int)(got % 7);
}

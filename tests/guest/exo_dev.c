/* Direct hardware access (firmware/include/exojit.h): a root process opens a disk as a device
 * capability, writes and reads its sectors, derives a read-only capability whose write the
 * exokernel refuses, revokes, and shows a non-root process is refused the device. Run under
 * `exojit boot` with the raw disk's device and its size in sectors as arguments (tests/boot.test.ts): the host then checks
 * the sectors written in the image file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../firmware/include/exojit.h"

static void report(const char *what, long r) {
  printf("%-46s %s\n", what, r < 0 ? strerror(errno) : "ok");
}

/* Sector s of the pattern: "exo_dev sector S byte K" repeated, then a checksum-free fill. */
static void pattern(unsigned char *p, unsigned s) {
  for (unsigned k = 0; k < EXO_SECTOR_SIZE; k++) p[k] = (unsigned char)(s * 7 + k * 13 + 1);
  snprintf((char *)p, 32, "exo_dev sector %u", s);
}

int main(int argc, char **argv) {
  struct stat st;
  if (argc < 3 || stat(argv[1], &st) != 0 || !S_ISBLK(st.st_mode)) {
    fprintf(stderr, "usage: exo_dev /dev/sdX SECTORS\n");
    return 2;
  }
  int minor_nr = (int)minor(st.st_rdev);
  unsigned nsectors = (unsigned)strtoul(argv[2], NULL, 0);
  setvbuf(stdout, NULL, _IONBF, 0);

  int rw = libos_dev_open(EXO_DEV_BLOCK, minor_nr, EXO_READ | EXO_WRITE | EXO_GRANT);
  report("open the disk read-write", rw);
  if (rw < 0) return 1;
  printf("  rights 0x%x\n", libos_cap_rights(rw));

  static unsigned char out[4 * EXO_SECTOR_SIZE], in[4 * EXO_SECTOR_SIZE];
  for (unsigned s = 0; s < 4; s++) pattern(out + s * EXO_SECTOR_SIZE, 8 + s);
  report("write sectors 8..11", libos_blk_write(rw, 8, out, 4));
  report("flush", libos_blk_flush(rw));
  report("read them back", libos_blk_read(rw, 8, in, 4));
  printf("  read back %s\n", memcmp(in, out, sizeof out) == 0 ? "matches" : "DIFFERS");

  int ro = libos_cap_derive(rw, EXO_READ);
  report("derive a read-only capability", ro);
  printf("  rights 0x%x\n", libos_cap_rights(ro));
  memset(in, 0, sizeof in);
  report("read through it", libos_blk_read(ro, 9, in, 1));
  printf("  sector 9 says '%s'\n", (char *)in);
  static unsigned char junk[EXO_SECTOR_SIZE];
  memset(junk, 'X', sizeof junk);
  report("write through it", libos_blk_write(ro, 8, junk, 1));
  report("flush through it", libos_blk_flush(ro));
  report("derive from it (no derive right)", libos_cap_derive(ro, EXO_READ));

  report("read past the end of the disk", libos_blk_read(rw, nsectors, in, 1));
  report("read into a bad pointer", libos_blk_read(rw, 0, (void *)16, 1));
  report("write from a bad pointer", libos_blk_write(rw, 0, (void *)16, 1));
  report("read 4096 sectors at once", libos_blk_read(rw, 0, in, 4096));
  report("open no such disk", libos_dev_open(EXO_DEV_BLOCK, 200, EXO_READ));
  report("open with no rights", libos_dev_open(EXO_DEV_BLOCK, minor_nr, 0));
  report("open an unknown kind", libos_dev_open(7, 0, EXO_READ));
  report("open the console (stdin is a pipe)", libos_dev_open(EXO_DEV_CONSOLE, 0, EXO_WRITE));
  report("use an endpoint as a disk", libos_blk_read(libos_endpoint(), 0, in, 1));

  /* A child that gives up root keeps what it inherited (a capability, like a file descriptor),
   * but may not open a device. */
  pid_t pid = fork();
  if (pid == 0) {
    if (setuid(1000) != 0) _exit(3);
    setvbuf(stdout, NULL, _IONBF, 0);
    report("child as uid 1000: open the disk", libos_dev_open(EXO_DEV_BLOCK, minor_nr, EXO_READ));
    report("child as uid 1000: open the console", libos_dev_open(EXO_DEV_CONSOLE, 0, EXO_WRITE));
    report("child as uid 1000: read the inherited slot", libos_blk_read(ro, 8, in, 1));
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("  child status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  report("revoke the read-write capability", libos_cap_revoke(rw));
  report("read through its slot", libos_blk_read(rw, 8, in, 1));
  report("read through the read-only one derived", libos_blk_read(ro, 8, in, 1));
  int again = libos_dev_open(EXO_DEV_BLOCK, minor_nr, EXO_READ);
  report("open it again read-only", again);
  report("read through the new one", libos_blk_read(again, 10, in, 1));
  printf("  sector 10 says '%s'\n", (char *)in);
  report("drop it", libos_cap_drop(again));
  report("read through the dropped slot", libos_blk_read(again, 10, in, 1));
  return 0;
}

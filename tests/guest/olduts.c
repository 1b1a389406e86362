/* olduname and oldolduname (system calls 109 and 59), checked against uname(); sysfs(2)
 * (135), checked against /proc/filesystems; ustat (62), checked against statfs on /proc (whose
 * figures do not move). Prints 1 for each check that holds. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "guest.h"

struct old_utsname { char sysname[65], nodename[65], release[65], version[65], machine[65]; };
struct oldold_utsname { char sysname[9], nodename[9], release[9], version[9], machine[9]; };

static int cut(const char *old, const char *full) { return strlen(old) <= 8 && strncmp(old, full, 8) == 0; }

int main(void) {
  struct utsname u;
  uname(&u);
  struct old_utsname o;
  memset(&o, 0x55, sizeof o);
  TRY("olduname", syscall(SYS_olduname, &o));
  printf("  same names %d\n", !strcmp(o.sysname, u.sysname) && !strcmp(o.nodename, u.nodename) && !strcmp(o.release, u.release) && !strcmp(o.version, u.version) && !strcmp(o.machine, u.machine));
  struct oldold_utsname oo;
  memset(&oo, 0x55, sizeof oo);
  TRY("oldolduname", syscall(SYS_oldolduname, &oo));
  printf("  names cut to 8 %d\n", cut(oo.sysname, u.sysname) && cut(oo.nodename, u.nodename) && cut(oo.release, u.release) && cut(oo.version, u.version) && cut(oo.machine, u.machine));
  TRY("olduname, bad buffer", syscall(SYS_olduname, (void *)16));

  char line[256], names[64][32];
  int n = 0;
  FILE *f = fopen("/proc/filesystems", "r");
  while (n < 64 && fgets(line, sizeof line, f)) {
    char *tab = strchr(line, '\t');
    sscanf(tab + 1, "%31s", names[n++]);
  }
  fclose(f);
  long count = syscall(SYS_sysfs, 3);
  printf("sysfs count as /proc/filesystems %d\n", count == n);
  int ok = 1;
  for (int k = 0; k < n; k++) {
    char buf[64];
    ok &= syscall(SYS_sysfs, 2, k, buf) == 0 && !strcmp(buf, names[k]) && syscall(SYS_sysfs, 1, names[k]) == k;
  }
  printf("sysfs names and indexes in that order %d\n", ok);
  TRY("sysfs, unknown name", syscall(SYS_sysfs, 1, "no-such-fs"));
  TRY("sysfs, index past the end", syscall(SYS_sysfs, 2, n, line));
  TRY("sysfs, option 4", syscall(SYS_sysfs, 4));

  struct { int f_tfree; unsigned long f_tinode; char f_fname[6], f_fpack[6]; } us;
  struct stat64 st;
  struct statfs64 sf;
  stat64("/proc", &st);
  statfs64("/proc", &sf);
  unsigned dev = (minor(st.st_dev) & 0xff) | (major(st.st_dev) << 8) | ((minor(st.st_dev) & ~0xffu) << 12);
  memset(&us, 0x55, sizeof us);
  TRY("ustat of /proc's device", syscall(SYS_ustat, dev, &us));
  printf("  free blocks and inodes as statfs says %d, names empty %d\n", us.f_tfree == (int)sf.f_bfree && us.f_tinode == sf.f_ffree, us.f_fname[0] == 0 && us.f_fpack[0] == 0);
  TRY("ustat, a device nothing is mounted from", syscall(SYS_ustat, 0xfff00, &us));
  TRY("ustat, bad buffer", syscall(SYS_ustat, dev, (void *)16));
  return 0;
}

/* Capabilities: capset's rules, what they change in permission checks (a root process without
 * CAP_DAC_OVERRIDE meets mode bits, a user process with it does not), set*id's effect on the sets
 * (setuid drops them unless PR_SET_KEEPCAPS, seteuid moves the effective set, setfsuid the
 * file-system ones), the bounding set, the ambient set, the secure bits, and exec giving root's
 * program its capabilities back. Each case runs in a child of its own. Runs as root. Only named
 * capabilities are printed: the host's root may lack some (CAP_SYS_RESOURCE in a sandbox). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "guest.h"

static struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct cur[2];

static void get(void) {
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  if (syscall(SYS_capget, &hdr, cur) != 0) printf("capget failed: %s\n", strerror(errno));
}

static long set(void) {
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  return syscall(SYS_capset, &hdr, cur);
}

#define BIT(c) (1u << ((c) & 31))
#define EFF(c) ((cur[(c) >> 5].effective >> ((c) & 31)) & 1)
#define PRM(c) ((cur[(c) >> 5].permitted >> ((c) & 31)) & 1)
#define INH(c) ((cur[(c) >> 5].inheritable >> ((c) & 31)) & 1)

static void show(const char *what) {
  get();
  printf("%s: eff dac_override %u kill %u setuid %u; prm dac_override %u kill %u setuid %u; inh net_bind %u\n", what,
         EFF(CAP_DAC_OVERRIDE), EFF(CAP_KILL), EFF(CAP_SETUID), PRM(CAP_DAC_OVERRIDE), PRM(CAP_KILL), PRM(CAP_SETUID), INH(CAP_NET_BIND_SERVICE));
}

static char secret[64];

static void try_read(const char *what) {
  int fd = open(secret, O_RDONLY);
  printf("%s: open of a mode-000 file %s\n", what, fd >= 0 ? "ok" : strerror(errno));
  if (fd >= 0) close(fd);
}

static void child(void (*f)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    f();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child status %#x\n", st);
}

static void drop_dac(void) {
  show("root");
  try_read("root");
  get();
  cur[0].effective &= ~(BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH));
  TRY("capset: effective without dac_override and dac_read_search", set());
  show("dropped");
  try_read("without dac_override");
  printf("access R_OK: %d\n", access(secret, R_OK));
  get();
  cur[0].effective |= BIT(CAP_DAC_OVERRIDE);
  TRY("capset: dac_override back from the permitted set", set());
  try_read("with it back");
  get();
  cur[0].permitted &= ~BIT(CAP_DAC_OVERRIDE);
  TRY("capset: permitted without dac_override, effective with it", set());
  cur[0].effective &= ~BIT(CAP_DAC_OVERRIDE);
  TRY("capset: both without it", set());
  get();
  cur[0].permitted |= BIT(CAP_DAC_OVERRIDE);
  TRY("capset: permitted regained", set());
  hdr.pid = getppid();
  get();
  hdr.pid = getppid();
  TRY("capset of another process", syscall(SYS_capset, &hdr, cur));
  hdr.pid = 0;
  hdr.version = _LINUX_CAPABILITY_VERSION_1;
  get();
  hdr.version = _LINUX_CAPABILITY_VERSION_1;
  TRY("capset, version 1", syscall(SYS_capset, &hdr, cur));
  get();
  printf("after version 1: the upper sets %x %x\n", cur[1].effective, cur[1].permitted);
}

static void keepcaps(void) {
  TRY("get keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  TRY("set keepcaps 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
  TRY("set keepcaps", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
  TRY("get keepcaps now", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  TRY("setresuid 1000", setresuid(1000, 1000, 1000));
  show("uid 1000, kept");
  TRY("kill(1, 0) without CAP_KILL in effect", kill(1, 0));
  try_read("uid 1000");
  get();
  cur[0].effective = BIT(CAP_KILL) | BIT(CAP_DAC_OVERRIDE);
  TRY("capset: effective kill and dac_override", set());
  TRY("kill(1, 0) with CAP_KILL", kill(1, 0));
  try_read("uid 1000 with dac_override");
  get();
  cur[0].effective |= BIT(CAP_SETUID);
  TRY("capset: setuid too", set());
  TRY("setuid(0) with CAP_SETUID", setuid(0));
  printf("uid now %d\n", getuid());
  show("back to root (no euid fix-up of a full set)");
}

static void nokeep(void) {
  TRY("setuid 1000", setuid(1000));
  show("uid 1000");
  TRY("setuid 0", setuid(0));
}

static void euid(void) {
  TRY("seteuid 1000", seteuid(1000));
  show("euid 1000");
  try_read("euid 1000");
  TRY("seteuid 0", seteuid(0));
  show("euid 0 again");
  setfsuid(1000);
  show("fsuid 1000");
  try_read("fsuid 1000");
  setfsuid(0);
  show("fsuid 0");
  try_read("fsuid 0");
}

static void bounding(void) {
  TRY("capbset read net_raw", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
  TRY("capbset drop net_raw", prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
  TRY("capbset read net_raw now", prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0));
  TRY("capbset drop 99", prctl(PR_CAPBSET_DROP, 99, 0, 0, 0));
  get();
  cur[0].inheritable |= BIT(CAP_NET_BIND_SERVICE);
  TRY("capset: inheritable net_bind_service", set());
  get();
  cur[0].inheritable |= BIT(CAP_NET_RAW);
  cur[0].permitted &= ~BIT(CAP_NET_RAW);
  cur[0].effective &= ~BIT(CAP_NET_RAW);
  TRY("capset: inheritable net_raw, outside the bounding set and not permitted", set());
  TRY("ambient raise net_bind_service", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
  TRY("ambient raise kill (not inheritable)", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
  TRY("ambient is_set net_bind_service", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  get();
  cur[0].inheritable &= ~BIT(CAP_NET_BIND_SERVICE);
  TRY("capset: inheritable without it", set());
  TRY("ambient is_set now", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0));
  TRY("drop setpcap", (get(), cur[0].effective &= ~BIT(CAP_SETPCAP), set()));
  TRY("capbset drop without setpcap", prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0));
  TRY("securebits without setpcap", prctl(PR_SET_SECUREBITS, 0, 0, 0, 0));
}

static void securebits(void) {
  TRY("get securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  TRY("set keep_caps and its lock", prctl(PR_SET_SECUREBITS, 0x30, 0, 0, 0));
  TRY("get securebits now", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
  TRY("get keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
  TRY("clear keepcaps, locked", prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
  TRY("unlock", prctl(PR_SET_SECUREBITS, 0x10, 0, 0, 0));
  TRY("an unknown bit", prctl(PR_SET_SECUREBITS, 0x1030, 0, 0, 0));
}

/* a file made by a user in a set-group-ID directory of a group it is not in: the group is the
 * directory's and the set-group-ID bit goes, whatever the umask takes away (vfs_prepare_mode
 * strips it before applying the umask) */
static char sgdir[64];
static void sgid_create(void) {
  setgid(1000);
  setuid(1000);
  for (int k = 0; k < 2; k++) {
    umask(k ? 010 : 0);
    char f[96];
    snprintf(f, sizeof f, "%s/f%d", sgdir, k);
    int fd = open(f, O_CREAT | O_EXCL | O_WRONLY, 02777);
    struct stat st;
    fstat(fd, &st);
    printf("created in another group's set-group-ID directory, umask %03o: its group %d, set-group-ID %d\n", k ? 010 : 0, st.st_gid == 12345,
           (st.st_mode & 02000) != 0);
    close(fd);
    unlink(f);
  }
}

static char self[64];

static void exec_back(void) {
  get();
  cur[0].effective &= ~BIT(CAP_DAC_OVERRIDE);
  cur[0].permitted &= ~BIT(CAP_DAC_OVERRIDE);
  TRY("capset: without dac_override", set());
  fflush(stdout);
  execl(self, self, "exec", secret, (char *)NULL);
  printf("exec failed: %s\n", strerror(errno));
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 2) {
    snprintf(secret, sizeof secret, "%s", argv[2]);
    show("after exec");
    try_read("after exec");
    return 0;
  }
  if (readlink("/proc/self/exe", self, sizeof self - 1) < 0) return 1;
  snprintf(secret, sizeof secret, "/tmp/exojit-caps-XXXXXX");
  int fd = mkstemp(secret);
  if (fd < 0) return 1;
  fchmod(fd, 0);
  close(fd);
  child(drop_dac);
  child(keepcaps);
  child(nokeep);
  child(euid);
  child(bounding);
  child(securebits);
  child(exec_back);
  unlink(secret);
  strcpy(sgdir, "/tmp/exojit-sgid-XXXXXX");
  mkdtemp(sgdir);
  chown(sgdir, 0, 12345);
  chmod(sgdir, 02777);
  child(sgid_create);
  rmdir(sgdir);
  return 0;
}

/* Sysctl writes through /proc/sys (run under exojit only, as root: natively they would change
 * the host): System V IPC limits and the next id, pid_max's range, inotify's limits, the pipe
 * size, core_pattern, ns_last_pid; a read-only one. Each write is checked by its effect. */
#define _GNU_SOURCE
#include "guest.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/inotify.h>
#include <sys/utsname.h>
static void rd(const char *path) {
  char b[256] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("%s: open %s\n", path, strerror(errno)); return; }
  ssize_t n = read(fd, b, sizeof b - 1);
  close(fd);
  for (char *p = b; *p; p++) if (*p == '\t') *p = ' ';
  printf("%s: %s", path, n > 0 ? b : "(empty)\n");
}
static void wr(const char *path, const char *v) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) { printf("write %s: open %s\n", path, strerror(errno)); return; }
  errno = 0;
  ssize_t n = write(fd, v, strlen(v));
  printf("write %s = %s: %zd %s\n", path, v, n, n < 0 ? strerror(errno) : "");
  close(fd);
}
int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  rd("/proc/sys/kernel/msgmni");
  wr("/proc/sys/kernel/msgmni", "5\n");
  rd("/proc/sys/kernel/msgmni");
  wr("/proc/sys/kernel/msgmni", "abc");
  wr("/proc/sys/kernel/msgmni", "-3");
  wr("/proc/sys/kernel/msgmni", "40000");
  struct msginfo mi;
  msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
  printf("msgmni via IPC_INFO %d\n", mi.msgmni);
  wr("/proc/sys/kernel/msg_next_id", "777");
  rd("/proc/sys/kernel/msg_next_id");
  int id = msgget(IPC_PRIVATE, 0600);
  printf("msgget id %d\n", id);
  rd("/proc/sys/kernel/msg_next_id");
  msgctl(id, IPC_RMID, NULL);
  wr("/proc/sys/kernel/hostname", "exohost");
  struct utsname un;
  uname(&un);
  printf("uname nodename %s\n", un.nodename);
  wr("/proc/sys/kernel/domainname", "example.net");
  rd("/proc/sys/kernel/domainname");
  struct shminfo si;
  rd("/proc/sys/kernel/shmmax");
  shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
  printf("shmmax via IPC_INFO %lu\n", si.shmmax);
  wr("/proc/sys/kernel/shmmax", "8192");
  shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
  printf("shmmax via IPC_INFO %lu\n", si.shmmax);
  TRY("shmget 16384 above shmmax", shmget(IPC_PRIVATE, 16384, 0600));
  int s = shmget(IPC_PRIVATE, 4096, 0600);
  printf("shmget 4096: %s\n", s >= 0 ? "ok" : strerror(errno));
  shmctl(s, IPC_RMID, NULL);
  rd("/proc/sys/kernel/sem");
  wr("/proc/sys/kernel/sem", "250 32000 32 128");
  rd("/proc/sys/kernel/sem");
  wr("/proc/sys/kernel/pid_max", "100");
  wr("/proc/sys/kernel/pid_max", "40000");
  wr("/proc/sys/fs/inotify/max_user_instances", "0");
  TRY("inotify_init with max_user_instances 0", inotify_init());
  wr("/proc/sys/fs/inotify/max_user_instances", "128");
  /* fs.nr_open: RLIMIT_NOFILE's ceiling, and the largest table a fork copies */
  wr("/proc/sys/fs/nr_open", "8");
  dup2(2, 65);
  wr("/proc/sys/fs/nr_open", "64");
  pid_t k = fork();
  if (k == 0) _exit(0);
  printf("fork with fd 65 open: %d %s\n", k < 0 ? -1 : 0, k < 0 ? strerror(errno) : "");
  if (k > 0) waitpid(k, NULL, 0);
  struct rlimit nf = { 32, 100 };
  TRY("RLIMIT_NOFILE hard 100 above nr_open", setrlimit(RLIMIT_NOFILE, &nf));
  close(65);
  k = fork();
  if (k == 0) _exit(0);
  printf("fork with fd 65 closed: %d\n", k < 0 ? -1 : 0);
  if (k > 0) waitpid(k, NULL, 0);
  wr("/proc/sys/fs/nr_open", "1048576");
  wr("/proc/sys/fs/pipe-max-size", "5000");
  rd("/proc/sys/fs/pipe-max-size");
  wr("/proc/sys/kernel/core_pattern", "core.%p\n");
  rd("/proc/sys/kernel/core_pattern");
  wr("/proc/sys/kernel/ns_last_pid", "30000");
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) _exit(0);
  waitpid(p, NULL, 0);
  printf("forked pid %s\n", p == 30001 ? "30001" : "other");
  wr("/proc/sys/kernel/osrelease", "9.9");
  return 0;
}

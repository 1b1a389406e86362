/* BSD process accounting: with acct(2) on, each process that ends appends a version 3 record
 * to the file: this program's children (one that only forks, one killed by a signal, one that
 * runs a program) are found in it by pid and their records printed, then the errors acct(2)
 * gives. Runs as root under exojit only (natively acct(2) records every process of the host).
 * Run in an empty working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acct.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void result(const char *what, int r) { printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : ""); }

/* comp_t: a 13-bit mantissa times 8 to a 3-bit exponent */
static unsigned long comp(uint16_t c) { return (unsigned long)(c & 0x1fff) << (3 * (c >> 13)); }

int main(int argc, char **argv) {
  if (argc > 1) return atoi(argv[1]);
  setvbuf(stdout, NULL, _IONBF, 0);
  close(open("pacct", O_CREAT | O_WRONLY, 0600));
  result("acct on", acct("pacct"));
  pid_t kids[3];
  if ((kids[0] = fork()) == 0) _exit(7);
  if ((kids[1] = fork()) == 0) {
    pause();
    _exit(0);
  }
  usleep(10000);
  kill(kids[1], SIGTERM);
  if ((kids[2] = fork()) == 0) {
    execl("/proc/self/exe", "acct-child", "3", (char *)NULL);
    _exit(127);
  }
  for (int k = 0; k < 3; k++) waitpid(kids[k], NULL, 0);
  result("acct off", acct(NULL));
  if (fork() == 0) _exit(0); /* (not recorded) */
  wait(NULL);

  struct stat st;
  stat("pacct", &st);
  printf("records whole: %d\n", st.st_size > 0 && st.st_size % sizeof(struct acct_v3) == 0);
  int fd = open("pacct", O_RDONLY);
  struct acct_v3 a;
  int found[3] = {0}, others = 0;
  time_t now = time(NULL);
  while (read(fd, &a, sizeof a) == sizeof a) {
    int k = -1;
    for (int i = 0; i < 3; i++) if (a.ac_pid == (uint32_t)kids[i]) k = i;
    if (k < 0) {
      others++;
      continue;
    }
    found[k]++;
    char comm[sizeof a.ac_comm + 1] = {0};
    memcpy(comm, a.ac_comm, sizeof a.ac_comm);
    char self[17] = {0};
    prctl(PR_GET_NAME, self, 0, 0, 0);
    printf("child %d: version %d, flags %#x, exit status %#x, uid %u gid %u, parent is us %d, comm [%s]\n", k, a.ac_version, a.ac_flag,
           a.ac_exitcode, a.ac_uid, a.ac_gid, a.ac_ppid == (uint32_t)getpid(), strcmp(comm, self) == 0 ? "ours" : comm);
    printf("  started within 10 s: %d, elapsed under 5 s: %d, cpu under 5 s: %d\n", labs((long)(now - (time_t)a.ac_btime)) < 10,
           a.ac_etime >= 0 && a.ac_etime < 500, comp(a.ac_utime) + comp(a.ac_stime) < 500);
  }
  close(fd);
  printf("each child once: %d %d %d\n", found[0], found[1], found[2]);

  result("acct on a directory", acct("."));
  result("acct on a device", acct("/dev/null"));
  result("acct on a missing file", acct("missing/pacct"));
  fflush(stdout);
  if (fork() == 0) {
    setuid(1000);
    result("acct as a user", acct("pacct"));
    _exit(0);
  }
  wait(NULL);
  unlink("pacct");
  return 0;
}

/* ps: lists every process from /proc, by PID: PID, PPID, STAT (the state letter from
 * /proc/PID/stat, then 's' for a session leader and '+' for a member of its terminal's
 * foreground group) and CMD (the command line from /proc/PID/cmdline, or [comm] when it is
 * empty, as for kernel threads and zombies). Arguments such as ax, -e, -A are accepted and
 * change nothing. /proc/PID/stat is read in Linux's format: "pid (comm) S ppid pgrp session
 * tty_nr tpgid ...", where comm may itself hold spaces and parentheses. */
#include "libc.h"

typedef struct {
  int pid, ppid;
  char stat[4];
  char *cmd;
} Proc;

static ssize_t read_file(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t len = 0, r;
  while (len < (ssize_t)n - 1 && (r = read(fd, buf + len, n - 1 - len)) > 0) len += r;
  close(fd);
  buf[len] = 0;
  return len;
}

/* Fills p from /proc/PID; 0 if the process is gone or its files are not as expected. */
static int load(int pid, Proc *p) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  if (read_file(path, buf, sizeof buf) <= 0) return 0;
  char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
  if (!open_paren || !close_paren || close_paren[1] != ' ') return 0;
  *close_paren = 0;
  const char *comm = open_paren + 1;
  char state = close_paren[2];
  long f[6]; /* ppid pgrp session tty_nr tpgid */
  char *s = close_paren + 3;
  for (int k = 0; k < 5; k++) f[k] = strtol(s, &s, 10);
  p->pid = pid;
  p->ppid = (int)f[0];
  int k = 0;
  p->stat[k++] = state;
  if (f[2] == pid) p->stat[k++] = 's';
  if (f[3] != 0 && f[4] == f[1]) p->stat[k++] = '+';
  p->stat[k] = 0;

  snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
  ssize_t n = read_file(path, buf, sizeof buf);
  while (n > 0 && buf[n - 1] == 0) n--;
  if (n > 0) {
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == 0) buf[i] = ' ';
      else if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) buf[i] = '?';
    }
    buf[n] = 0;
    p->cmd = xstrdup(buf);
  } else {
    p->cmd = xmalloc(strlen(comm) + 3);
    sprintf(p->cmd, "[%s]", comm);
  }
  return 1;
}

static int by_pid(const void *a, const void *b) { return ((const Proc *)a)->pid - ((const Proc *)b)->pid; }

int main(void) {
  DIR *d = opendir("/proc");
  if (!d) err(1, "/proc");
  int n = 0, cap = 64;
  Proc *procs = xmalloc(cap * sizeof *procs);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char *end;
    long pid = strtol(e->d_name, &end, 10);
    if (!isdigit(e->d_name[0]) || *end) continue;
    if (n == cap && (procs = realloc(procs, (cap *= 2) * sizeof *procs)) == NULL) err(1, "out of memory");
    n += load((int)pid, &procs[n]);
  }
  closedir(d);
  qsort(procs, n, sizeof *procs, by_pid);
  printf("  PID  PPID STAT CMD\n");
  for (int i = 0; i < n; i++) printf("%5d %5d %-4s %s\n", procs[i].pid, procs[i].ppid, procs[i].stat, procs[i].cmd);
  return 0;
}

/* The mqueue file system at /dev/mqueue (exojit only: the host may not mount it): a queue made
 * by mq_open is a file there, reading it shows QSIZE/NOTIFY/SIGNO/NOTIFY_PID, a file created
 * with open() is a queue with the default attributes, and unlink removes a queue. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

int main(void) {
  struct statfs sf;
  statfs("/dev/mqueue", &sf);
  printf("/dev/mqueue: mqueue %d\n", sf.f_type == 0x19800202);
  mqd_t q = mq_open("/exojit-fs-q", O_CREAT | O_RDWR, 0640, NULL);
  mq_send(q, "hello", 5, 1);
  mq_send(q, "world!", 6, 1);
  struct sigevent ev;
  memset(&ev, 0, sizeof ev);
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR1;
  mq_notify(q, &ev);
  DIR *d = opendir("/dev/mqueue");
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') printf("listed: %s\n", e->d_name);
  closedir(d);
  char buf[200] = {0};
  int fd = open("/dev/mqueue/exojit-fs-q", O_RDONLY);
  int n = read(fd, buf, sizeof buf - 1);
  close(fd);
  /* the pid differs from run to run: the line up to it, and whether its field is 6 wide */
  char *pid = strstr(buf, "NOTIFY_PID:");
  if (n > 0 && pid != NULL) printf("%.*sPID (%d wide)\n", (int)(pid + 11 - buf), buf, (int)strlen(pid + 11) - 1);
  struct stat st;
  stat("/dev/mqueue/exojit-fs-q", &st);
  printf("mode %04o size %lld\n", st.st_mode & 07777, (long long)st.st_size);
  close(open("/dev/mqueue/by-open", O_CREAT | O_RDWR, 0600));
  mqd_t q2 = mq_open("/by-open", O_RDONLY);
  struct mq_attr a;
  mq_getattr(q2, &a);
  printf("created by open(): maxmsg %ld msgsize %ld\n", a.mq_maxmsg, a.mq_msgsize);
  unlink("/dev/mqueue/exojit-fs-q");
  errno = 0;
  mq_open("/exojit-fs-q", O_RDONLY);
  printf("after rm: %s\n", strerror(errno));
  return 0;
}

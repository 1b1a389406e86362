/* An init that writes a file, syncs, and powers the machine off (reboot(2)), for the booted-
 * system tests. Never run natively: it would power the host off. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void) {
  int fd = open("/done", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  write(fd, "written\n", 8);
  close(fd);
  sync();
  printf("powering off\n");
  fflush(stdout);
  reboot(RB_POWER_OFF);
  printf("still here\n");
  return 1;
}

/* Loop devices: /dev/loop-control finds a free device and makes and removes others; a device
 * bound to a file (LOOP_SET_FD) reads and writes the file's bytes, from an offset and up to a
 * size limit (LOOP_SET_STATUS64), reports its size and sectors (BLKGETSIZE64, BLKSSZGET) and
 * status (LOOP_GET_STATUS64), and comes apart again (LOOP_CLR_FD); a read-only file makes a
 * read-only device; and the errors. Runs as root under exojit (natively it would take a loop
 * device of the host's). Run in an empty working directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

static void res(const char *what, long r) { printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok"); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int img = open("img", O_CREAT | O_RDWR | O_TRUNC, 0644);
  ftruncate(img, 1 << 20);
  pwrite(img, "hello", 5, 4096);
  int ctl = open("/dev/loop-control", O_RDWR);
  long n = ioctl(ctl, LOOP_CTL_GET_FREE);
  printf("a free device: %d\n", n >= 0);
  char dev[32];
  snprintf(dev, sizeof dev, "/dev/loop%ld", n);
  struct stat st;
  stat(dev, &st);
  printf("its node: block %d, major %d\n", S_ISBLK(st.st_mode), (int)(st.st_rdev >> 8));
  int d = open(dev, O_RDWR);
  uint64_t size = 1;
  ioctl(d, BLKGETSIZE64, &size);
  printf("unbound size %llu\n", (unsigned long long)size);
  struct loop_info64 li;
  res("status unbound", ioctl(d, LOOP_GET_STATUS64, &li));
  char buf[16] = {0};
  printf("read unbound: %zd\n", read(d, buf, sizeof buf));
  res("bind", ioctl(d, LOOP_SET_FD, img));
  res("bind again", ioctl(d, LOOP_SET_FD, img));
  ioctl(d, BLKGETSIZE64, &size);
  int ssz = 0;
  ioctl(d, BLKSSZGET, &ssz);
  printf("size %llu, sector %d\n", (unsigned long long)size, ssz);
  printf("the device shows the file: %zd [%s]\n", pread(d, buf, 5, 4096), buf);
  {
    /* what /sys shows of it */
    char path[96], text[256] = {0}, link[128] = {0};
    snprintf(path, sizeof path, "/sys/dev/block/7:%ld", n);
    readlink(path, link, sizeof link - 1);
    printf("sysfs: 7:N links to ../../devices/virtual/block/loopN: %d\n", strstr(link, "../../devices/virtual/block/loop") == link);
    const char *files[] = {"size", "ro", "loop/offset", "loop/sizelimit", "loop/autoclear"};
    for (int k = 0; k < 5; k++) {
      snprintf(path, sizeof path, "/sys/block/loop%ld/%s", n, files[k]);
      int fd = open(path, O_RDONLY);
      memset(text, 0, sizeof text);
      read(fd, text, sizeof text - 1);
      close(fd);
      printf("sysfs %s: %s", files[k], text);
    }
    snprintf(path, sizeof path, "/sys/block/loop%ld/loop/backing_file", n);
    int fd = open(path, O_RDONLY);
    memset(text, 0, sizeof text);
    read(fd, text, sizeof text - 1);
    close(fd);
    printf("sysfs backing_file names img: %d\n", strstr(text, "/img\n") != NULL);
    snprintf(path, sizeof path, "/sys/block/loop%ld/stat", n);
    fd = open(path, O_RDONLY);
    memset(text, 0, sizeof text);
    read(fd, text, sizeof text - 1);
    close(fd);
    int fields = 0;
    for (char *tok = strtok(text, " \n"); tok; tok = strtok(NULL, " \n")) fields++;
    printf("sysfs stat fields: %d\n", fields);
  }
  pwrite(d, "world", 5, 8192);
  fsync(d); /* (the device's writes are cached until flushed) */
  memset(buf, 0, sizeof buf);
  pread(img, buf, 5, 8192);
  printf("a write to it reaches the file: [%s]\n", buf);
  memset(&li, 0, sizeof li);
  res("status", ioctl(d, LOOP_GET_STATUS64, &li));
  printf("  offset %llu, limit %llu, flags %#x, file named %d\n", (unsigned long long)li.lo_offset, (unsigned long long)li.lo_sizelimit, li.lo_flags,
         strstr((char *)li.lo_file_name, "img") != NULL);
  li.lo_offset = 4096;
  li.lo_sizelimit = 8192;
  res("offset 4096, limit 8192", ioctl(d, LOOP_SET_STATUS64, &li));
  ioctl(d, BLKGETSIZE64, &size);
  memset(buf, 0, sizeof buf);
  printf("  size %llu; at 0: %zd [%s]; at 8192: %zd\n", (unsigned long long)size, pread(d, buf, 5, 0), buf, pread(d, buf, 5, 8192));
  errno = 0;
  printf("  a write past its end: %zd %s\n", pwrite(d, "x", 1, 8192), strerror(errno));
  res("block size 1000", ioctl(d, LOOP_SET_BLOCK_SIZE, 1000));
  res("unbind", ioctl(d, LOOP_CLR_FD, 0));
  res("unbind again", ioctl(d, LOOP_CLR_FD, 0));
  res("bind while it comes apart", ioctl(d, LOOP_SET_FD, img));
  close(d); /* (it comes apart when its last user closes it) */
  d = open(dev, O_RDWR);
  res("status after the close", ioctl(d, LOOP_GET_STATUS64, &li));
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  res("bind a directory", ioctl(d, LOOP_SET_FD, dir));
  int ro = open("img", O_RDONLY);
  res("bind a read-only file", ioctl(d, LOOP_SET_FD, ro));
  ioctl(d, LOOP_GET_STATUS64, &li);
  int rof = 0;
  ioctl(d, BLKROGET, &rof);
  printf("  read-only: flags %#x, BLKROGET %d\n", li.lo_flags, rof);
  errno = 0;
  printf("  a write: %zd %s\n", pwrite(d, "x", 1, 0), strerror(errno));
  res("unbind", ioctl(d, LOOP_CLR_FD, 0));
  close(d);
  d = open(dev, O_RDWR);
  res("status after the close", ioctl(d, LOOP_GET_STATUS64, &li));
  close(d);
  long a = ioctl(ctl, LOOP_CTL_ADD, 200);
  printf("add loop200: %ld, its node: %d\n", a, access("/dev/loop200", F_OK) == 0);
  res("add it again", ioctl(ctl, LOOP_CTL_ADD, 200));
  printf("remove it: %ld\n", (long)ioctl(ctl, LOOP_CTL_REMOVE, 200));
  res("remove it again", ioctl(ctl, LOOP_CTL_REMOVE, 200));
  res("unknown control ioctl", ioctl(ctl, 0x4c99));
  unlink("img");
  return 0;
}

/* umount [-l] DIR...: unmounts file systems (-l: lazily, detaching now and cleaning up later). */
#include "libc.h"

#define MNT_DETACH 2

int main(int argc, char **argv) {
  int c, flags = 0, status = 0;
  while ((c = getopt(argc, argv, "l")) != -1) {
    if (c == 'l') flags |= MNT_DETACH;
    else return 1;
  }
  if (optind == argc) errx(1, "usage: umount [-l] DIR...");
  for (int i = optind; i < argc; i++)
    if (umount2(argv[i], flags) < 0) warn("%s", argv[i]), status = 1;
  return status;
}

/* pwd: prints the working directory as the kernel resolves it (like pwd -P). */
#include "libc.h"

int main(void) {
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf) == NULL) err(1, "getcwd");
  puts(buf);
  return 0;
}

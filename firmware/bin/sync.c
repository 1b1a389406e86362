/* sync: asks the kernel to write every cached block out (exojit: to the disk image). */
#include "libc.h"

int main(void) {
  sync();
  return 0;
}

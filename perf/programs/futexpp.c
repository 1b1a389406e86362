/* Futex ping-pong: two threads hand a token back and forth N times through FUTEX_WAIT and
 * FUTEX_WAKE, the round trip every contended mutex or condition variable pays. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
static int turn;
static int n;
static void wait_for(int v) {
  while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != v) syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, !v, NULL, NULL, 0);
}
static void give(int v) {
  __atomic_store_n(&turn, v, __ATOMIC_RELEASE);
  syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}
static void *pong(void *arg) {
  (void)arg;
  for (int i = 0; i < n; i++) {
    wait_for(1);
    give(0);
  }
  return NULL;
}
int main(int argc, char **argv) {
  n = argc > 1 ? atoi(argv[1]) : 10000;
  pthread_t t;
  pthread_create(&t, NULL, pong, NULL);
  for (int i = 0; i < n; i++) {
    give(1);
    wait_for(0);
  }
  pthread_join(t, NULL);
  printf("%d round trips\n", n);
  return 0;
}

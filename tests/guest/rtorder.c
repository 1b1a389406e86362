/* Real-time priorities decide who runs and who is woken, on one CPU: threads under SCHED_FIFO
 * blocked on a mutex, a semaphore and a condition variable take it highest priority first, a
 * thread made runnable with a higher priority than the running one runs at once (before
 * pthread_create or sem_post returns to the lower one), and one of equal priority does not.
 * Prints what it saw; the host kernel (with the process pinned to one CPU) is the oracle. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cmutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static sem_t sem;
static int order[8], norder;
static volatile int started, ran, go;

static void note(int prio) {
  order[norder++] = prio;
}

static int self_prio(void) {
  struct sched_param sp;
  int policy;
  pthread_getschedparam(pthread_self(), &policy, &sp);
  return sp.sched_priority;
}

static void *on_mutex(void *arg) {
  (void)arg;
  started++;
  pthread_mutex_lock(&mutex);
  note(self_prio());
  pthread_mutex_unlock(&mutex);
  return NULL;
}

static void *on_sem(void *arg) {
  (void)arg;
  started++;
  sem_wait(&sem);
  note(self_prio());
  return NULL;
}

static void *on_cond(void *arg) {
  (void)arg;
  pthread_mutex_lock(&cmutex);
  started++;
  while (!go) pthread_cond_wait(&cond, &cmutex);
  note(self_prio());
  pthread_mutex_unlock(&cmutex);
  return NULL;
}

static void *runs(void *arg) {
  (void)arg;
  ran = 1;
  return NULL;
}

static void *waits_then_runs(void *arg) {
  (void)arg;
  started++;
  sem_wait(&sem);
  ran = 1;
  return NULL;
}

static pthread_t spawn(void *(*fn)(void *), int prio) {
  pthread_attr_t a;
  struct sched_param sp = { .sched_priority = prio };
  pthread_t t;
  pthread_attr_init(&a);
  pthread_attr_setinheritsched(&a, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&a, SCHED_FIFO);
  pthread_attr_setschedparam(&a, &sp);
  int e = pthread_create(&t, &a, fn, NULL);
  if (e != 0) printf("pthread_create: %s\n", strerror(e));
  pthread_attr_destroy(&a);
  return t;
}

/* Runs the threads of `prios` (each blocks in `fn`), then has `release` let them go, and prints
 * the order in which they got through. */
static void race(const char *what, void *(*fn)(void *), void (*release)(void)) {
  static const int prios[] = { 5, 20, 10, 15 };
  pthread_t t[4];
  norder = 0;
  started = 0;
  for (int k = 0; k < 4; k++) {
    t[k] = spawn(fn, prios[k]);
    while (started <= k) sched_yield();
  }
  release();
  for (int k = 0; k < 4; k++) pthread_join(t[k], NULL);
  printf("%s:", what);
  for (int k = 0; k < norder; k++) printf(" %d", order[k]);
  printf("\n");
}

static void unlock_mutex(void) {
  pthread_mutex_unlock(&mutex);
}

static void post4(void) {
  for (int k = 0; k < 4; k++) sem_post(&sem);
}

static void broadcast(void) {
  pthread_mutex_lock(&cmutex);
  go = 1;
  pthread_cond_broadcast(&cond);
  pthread_mutex_unlock(&cmutex);
}

int main(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) perror("sched_setaffinity");
  struct sched_param sp = { .sched_priority = 2 };
  if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) != 0) {
    printf("no SCHED_FIFO\n");
    return 1;
  }
  sem_init(&sem, 0, 0);

  pthread_mutex_lock(&mutex);
  race("mutex", on_mutex, unlock_mutex);
  race("semaphore", on_sem, post4);
  race("condition", on_cond, broadcast);

  /* A higher priority preempts at once: at creation, and when woken. */
  pthread_t t = spawn(runs, 30);
  printf("higher, created: %s\n", ran ? "ran before pthread_create returned" : "not yet");
  pthread_join(t, NULL);
  ran = 0;
  started = 0;
  t = spawn(waits_then_runs, 30);
  while (!started) sched_yield();
  sem_post(&sem);
  printf("higher, woken: %s\n", ran ? "ran before sem_post returned" : "not yet");
  pthread_join(t, NULL);

  /* One of the same priority waits for the running one to block or yield. */
  ran = 0;
  t = spawn(runs, 2);
  printf("equal, created: %s\n", ran ? "ran before pthread_create returned" : "not yet");
  pthread_join(t, NULL);
  printf("equal, after join: %s\n", ran ? "ran" : "not yet");
  return 0;
}

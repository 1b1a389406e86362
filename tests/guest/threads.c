/* glibc pthreads, unmodified: creation and join, a mutex-protected counter across 8 threads,
 * producer/consumer over condition variables, barriers, rwlocks, recursive, error-checking and
 * robust mutexes, thread-local storage, keys with destructors, cancellation, a detached
 * thread, pthread_kill, semaphores and once. Every result printed is independent of how the
 * threads were scheduled. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 8
#define ITERS 20000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static __thread int tls_id = -1;
static __thread char tls_buf[64];

static void *count(void *arg) {
  tls_id = (int)(long)arg;
  snprintf(tls_buf, sizeof tls_buf, "thread %d", tls_id);
  for (int i = 0; i < ITERS; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
  }
  /* Each thread sees its own TLS after all that switching. */
  char expect[64];
  snprintf(expect, sizeof expect, "thread %d", (int)(long)arg);
  return (void *)(long)(tls_id * 10 + (strcmp(tls_buf, expect) == 0));
}

/* Producer/consumer: a bounded queue of 4 with two condition variables. */
#define QCAP 4
static int queue[QCAP], qhead, qlen;
static pthread_mutex_t qmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;

static void *producer(void *arg) {
  int base = (int)(long)arg;
  for (int i = 1; i <= 500; i++) {
    pthread_mutex_lock(&qmu);
    while (qlen == QCAP) pthread_cond_wait(&notfull, &qmu);
    queue[(qhead + qlen++) % QCAP] = base + i;
    pthread_cond_signal(&notempty);
    pthread_mutex_unlock(&qmu);
  }
  return NULL;
}

static void *consumer(void *arg) {
  long sum = 0;
  int n = (int)(long)arg;
  for (int i = 0; i < n; i++) {
    pthread_mutex_lock(&qmu);
    while (qlen == 0) pthread_cond_wait(&notempty, &qmu);
    sum += queue[qhead];
    qhead = (qhead + 1) % QCAP;
    qlen--;
    pthread_cond_signal(&notfull);
    pthread_mutex_unlock(&qmu);
  }
  return (void *)sum;
}

static pthread_barrier_t barrier;
static int phase_seen[N];
static int phase;

static void *barriers(void *arg) {
  int id = (int)(long)arg;
  int serial = 0;
  for (int round = 0; round < 5; round++) {
    if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) {
      serial++;
      __atomic_add_fetch(&phase, 1, __ATOMIC_SEQ_CST);
    }
    pthread_barrier_wait(&barrier);
    phase_seen[id] = __atomic_load_n(&phase, __ATOMIC_SEQ_CST);
  }
  return (void *)(long)serial;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static int shared_value;

static void *rw_reader(void *arg) {
  (void)arg;
  long bad = 0;
  for (int i = 0; i < 2000; i++) {
    pthread_rwlock_rdlock(&rw);
    int a = shared_value;
    sched_yield();
    if (shared_value != a) bad++;
    pthread_rwlock_unlock(&rw);
  }
  return (void *)bad;
}

static void *rw_writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 500; i++) {
    pthread_rwlock_wrlock(&rw);
    shared_value++;
    pthread_rwlock_unlock(&rw);
  }
  return NULL;
}

static pthread_key_t key;
static int destructor_runs;
static void destroy(void *v) {
  __atomic_add_fetch(&destructor_runs, (int)(long)v, __ATOMIC_SEQ_CST);
}

static void *with_key(void *arg) {
  pthread_setspecific(key, arg);
  return pthread_getspecific(key);
}

static volatile int cancel_ready;
static int cleanup_ran;
static void cleanup(void *arg) {
  (void)arg;
  cleanup_ran = 1;
}

static void *cancellable(void *arg) {
  (void)arg;
  pthread_cleanup_push(cleanup, NULL);
  cancel_ready = 1;
  for (;;) pause(); /* a cancellation point */
  pthread_cleanup_pop(0);
  return NULL;
}

static void *async_spin(void *arg) {
  (void)arg;
  pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
  cancel_ready = 2;
  for (;;) {
  }
  return NULL;
}

static sem_t detached_done;
static void *detached(void *arg) {
  *(int *)arg = 42;
  sem_post(&detached_done);
  return NULL;
}

static volatile sig_atomic_t got_usr1;
static pthread_t usr1_target_id;
static volatile pthread_t usr1_handler_id;
static void on_usr1(int s) {
  (void)s;
  usr1_handler_id = pthread_self();
  got_usr1 = 1;
}

static void *wait_usr1(void *arg) {
  (void)arg;
  while (!got_usr1) sched_yield();
  return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static void once_fn(void) { once_runs++; }
static void *call_once(void *arg) {
  (void)arg;
  pthread_once(&once, once_fn);
  return NULL;
}

/* pthread_getattr_np of a thread asks sched_getaffinity with the thread's id. */
static void *own_attr(void *arg) {
  (void)arg;
  pthread_attr_t a;
  size_t size = 0;
  int r = pthread_getattr_np(pthread_self(), &a);
  if (r == 0) pthread_attr_getstacksize(&a, &size), pthread_attr_destroy(&a);
  cpu_set_t set;
  long g = syscall(SYS_sched_getaffinity, syscall(SYS_gettid), sizeof set, &set);
  printf("thread: pthread_getattr_np %s, stack %zu KiB, sched_getaffinity(tid) %s\n", strerror(r), size / 1024, g > 0 ? "ok" : strerror(errno));
  return NULL;
}

static void *robust_owner(void *arg) {
  pthread_mutex_lock((pthread_mutex_t *)arg);
  return NULL; /* dies holding it */
}

int main(void) {
  pthread_t th[N];
  void *ret;

  /* 1. counter */
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, count, (void *)i);
  long idsum = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], &ret);
    idsum += (long)ret;
  }
  printf("counter %ld (expect %d), tls check %ld (expect %d), main tls %d\n", counter, N * ITERS, idsum, 280 + N, tls_id);

  /* 2. producer/consumer: 2 producers, 3 consumers */
  pthread_t pr[2], co[3];
  pthread_create(&pr[0], NULL, producer, (void *)0L);
  pthread_create(&pr[1], NULL, producer, (void *)1000L);
  int share[3] = {400, 300, 300};
  for (int i = 0; i < 3; i++) pthread_create(&co[i], NULL, consumer, (void *)(long)share[i]);
  long total = 0;
  for (int i = 0; i < 2; i++) pthread_join(pr[i], NULL);
  for (int i = 0; i < 3; i++) {
    pthread_join(co[i], &ret);
    total += (long)ret;
  }
  printf("producer/consumer total %ld (expect %d)\n", total, 2 * 125250 + 500 * 1000);

  /* 3. barriers */
  pthread_barrier_init(&barrier, NULL, N);
  for (long i = 0; i < N; i++) pthread_create(&th[i], NULL, barriers, (void *)i);
  long serials = 0;
  for (int i = 0; i < N; i++) {
    pthread_join(th[i], &ret);
    serials += (long)ret;
  }
  int allfive = 1;
  for (int i = 0; i < N; i++) allfive &= phase_seen[i] == 5;
  printf("barrier: %ld serial threads over 5 rounds, all saw phase 5: %d\n", serials, allfive);
  pthread_barrier_destroy(&barrier);

  /* 4. rwlocks */
  pthread_t rd[3], wr;
  for (int i = 0; i < 3; i++) pthread_create(&rd[i], NULL, rw_reader, NULL);
  pthread_create(&wr, NULL, rw_writer, NULL);
  long torn = 0;
  for (int i = 0; i < 3; i++) {
    pthread_join(rd[i], &ret);
    torn += (long)ret;
  }
  pthread_join(wr, NULL);
  printf("rwlock: value %d, readers saw a change under the read lock %ld times\n", shared_value, torn);

  /* 5. mutex kinds */
  pthread_mutexattr_t a;
  pthread_mutex_t rec, chk;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&rec, &a);
  int r1 = pthread_mutex_lock(&rec), r2 = pthread_mutex_lock(&rec), r3 = pthread_mutex_unlock(&rec), r4 = pthread_mutex_unlock(&rec);
  pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
  pthread_mutex_init(&chk, &a);
  pthread_mutex_lock(&chk);
  int dead = pthread_mutex_lock(&chk);
  pthread_mutex_unlock(&chk);
  int notowner = pthread_mutex_unlock(&chk);
  printf("recursive %d %d %d %d, errorcheck relock %s, unlock unowned %s\n", r1, r2, r3, r4, strerror(dead), strerror(notowner));
  pthread_mutex_t robust;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(&robust, &a);
  pthread_t ro;
  pthread_create(&ro, NULL, robust_owner, &robust);
  pthread_join(ro, NULL);
  int rr = pthread_mutex_lock(&robust);
  int cons = pthread_mutex_consistent(&robust);
  pthread_mutex_unlock(&robust);
  printf("robust mutex after owner died: %s, consistent %d, relock %d\n", strerror(rr), cons, pthread_mutex_lock(&robust));
  pthread_mutex_unlock(&robust);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutex_t pi;
  pthread_mutex_init(&pi, &a);
  int pl = pthread_mutex_lock(&pi), pt = pthread_mutex_trylock(&pi), pu = pthread_mutex_unlock(&pi);
  printf("priority-inheritance mutex: lock %d, trylock %s, unlock %d\n", pl, strerror(pt), pu);

  /* 6. keys */
  pthread_key_create(&key, destroy);
  for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, with_key, (void *)(i + 1));
  long keysum = 0;
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], &ret);
    keysum += (long)ret;
  }
  printf("keys: %ld, destructors added %d\n", keysum, destructor_runs);

  /* 7. cancellation: deferred at a cancellation point, asynchronous in a busy loop */
  pthread_t cth;
  pthread_create(&cth, NULL, cancellable, NULL);
  while (cancel_ready != 1) sched_yield();
  pthread_cancel(cth);
  pthread_join(cth, &ret);
  printf("deferred cancel: canceled %d, cleanup ran %d\n", ret == PTHREAD_CANCELED, cleanup_ran);
  pthread_create(&cth, NULL, async_spin, NULL);
  while (cancel_ready != 2) sched_yield();
  pthread_cancel(cth);
  pthread_join(cth, &ret);
  printf("async cancel: canceled %d\n", ret == PTHREAD_CANCELED);

  /* 8. detached */
  int value = 0;
  sem_init(&detached_done, 0, 0);
  pthread_attr_t da;
  pthread_attr_init(&da);
  pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
  pthread_t dt;
  pthread_create(&dt, &da, detached, &value);
  sem_wait(&detached_done);
  printf("detached thread set %d\n", value);

  /* 9. pthread_kill reaches the thread it names */
  signal(SIGUSR1, on_usr1);
  pthread_t kt;
  pthread_create(&kt, NULL, wait_usr1, NULL);
  usr1_target_id = kt;
  pthread_kill(kt, SIGUSR1);
  pthread_join(kt, NULL);
  printf("pthread_kill: handled in the target thread %d\n", pthread_equal(usr1_handler_id, usr1_target_id) != 0);

  /* 10. once, semaphores with timeouts, gettid differs from getpid in threads */
  for (long i = 0; i < 4; i++) pthread_create(&th[i], NULL, call_once, NULL);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  sem_t s;
  sem_init(&s, 0, 0);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 20 * 1000 * 1000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  int tw = sem_timedwait(&s, &ts);
  int terr = errno;
  sem_post(&s);
  int tw2 = sem_trywait(&s);
  printf("once ran %d time(s); sem_timedwait %d %s, then trywait %d; main is thread-group leader %d\n", once_runs, tw, strerror(terr), tw2,
         (pid_t)syscall(SYS_gettid) == getpid());
  pthread_attr_t sa;
  pthread_attr_init(&sa);
  pthread_attr_setstacksize(&sa, 256 * 1024);
  pthread_t at;
  pthread_create(&at, &sa, own_attr, NULL);
  pthread_join(at, NULL);
  return 0;
}

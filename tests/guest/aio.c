/* Native AIO as libaio uses it: io_setup's ring (its header, read in user space), writes and
 * reads of a file, an eventfd told of completions, a pipe read that waits in io_submit or, with
 * RWF_NOWAIT, completes with -EAGAIN, io_getevents' counts and timeout, and the calls' errors. */
#define _GNU_SOURCE
#include "guest.h"
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

struct ring {
  unsigned id, nr, head, tail, magic, compat, incompat, header_length;
};

static long io_setup(unsigned n, aio_context_t *ctx) { return syscall(__NR_io_setup, n, ctx); }
static long io_destroy(aio_context_t ctx) { return syscall(__NR_io_destroy, ctx); }
static long io_submit(aio_context_t ctx, long n, struct iocb **cbs) { return syscall(__NR_io_submit, ctx, n, cbs); }
static long io_getevents(aio_context_t ctx, long min, long n, struct io_event *ev, struct timespec *ts) {
  return syscall(__NR_io_getevents, ctx, min, n, ev, ts);
}
static long io_cancel(aio_context_t ctx, struct iocb *cb, struct io_event *ev) { return syscall(__NR_io_cancel, ctx, cb, ev); }

static void prep(struct iocb *cb, int op, int fd, void *buf, size_t n, long long off, uint64_t data) {
  memset(cb, 0, sizeof *cb);
  cb->aio_lio_opcode = op;
  cb->aio_fildes = fd;
  cb->aio_buf = (uintptr_t)buf;
  cb->aio_nbytes = n;
  cb->aio_offset = off;
  cb->aio_data = data;
}

static void show_events(struct io_event *ev, long n, struct iocb **cbs) {
  for (long k = 0; k < n; k++) {
    int which = -1;
    for (int i = 0; i < 4; i++)
      if (cbs[i] != NULL && (uintptr_t)cbs[i] == ev[k].obj) which = i;
    printf("  event: data %llu, iocb %d, res %lld, res2 %lld\n", (unsigned long long)ev[k].data, which, (long long)ev[k].res, (long long)ev[k].res2);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  aio_context_t ctx = 0, big = 0;
  TRY("io_setup(0)", io_setup(0, &ctx));
  TRY("io_setup with a bad pointer", io_setup(1, (aio_context_t *)16));
  TRY("io_setup(1)", io_setup(1, &ctx));
  TRY("io_setup over a context", io_setup(1, &ctx));
  struct ring *r = (struct ring *)ctx;
  printf("ring: nr %u head %u tail %u magic %x compat %u incompat %u header %u\n", r->nr, r->head, r->tail, r->magic, r->compat, r->incompat, r->header_length);
  TRY("io_setup(128)", io_setup(128, &big));
  printf("ring of 128: nr %u\n", ((struct ring *)big)->nr);
  TRY("io_destroy", io_destroy(big));
  TRY("io_destroy again", io_destroy(big));

  char name[] = "aio-XXXXXX";
  int fd = mkstemp(name);
  unlink(name);
  char out[] = "hello, asynchronous world", in[64] = {0}, in2[8] = {0};
  struct iocb w, rd, rv, sync;
  struct iovec iov[2] = {{in2, 5}, {in2 + 5, 3}};
  prep(&w, IOCB_CMD_PWRITE, fd, out, sizeof out - 1, 100, 1);
  prep(&rd, IOCB_CMD_PREAD, fd, in, sizeof in, 100, 2);
  prep(&rv, IOCB_CMD_PREADV, fd, iov, 2, 107, 3);
  prep(&sync, IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 4);
  int efd = eventfd(0, EFD_NONBLOCK);
  sync.aio_flags = IOCB_FLAG_RESFD;
  sync.aio_resfd = efd;
  struct iocb *cbs[4] = {&w, &rd, &rv, &sync};
  TRY("io_submit of 3", io_submit(ctx, 3, cbs));
  printf("ring tail %u, head %u\n", r->tail, r->head);
  struct io_event ev[8];
  long n = io_getevents(ctx, 3, 8, ev, NULL);
  printf("io_getevents: %ld\n", n);
  show_events(ev, n, cbs);
  printf("read back: \"%s\", \"%.8s\"\n", in, in2);
  /* (a sync completes later on Linux, from a worker: waited for) */
  TRY("io_submit of an fdatasync telling an eventfd", io_submit(ctx, 1, cbs + 3));
  n = io_getevents(ctx, 1, 8, ev, NULL);
  printf("io_getevents: %ld\n", n);
  show_events(ev, n, cbs);
  uint64_t count = 0;
  TRY("eventfd read", read(efd, &count, 8));
  printf("eventfd count %llu\n", (unsigned long long)count);
  printf("ring tail %u, head %u\n", r->tail, r->head);
  struct timespec zero = {0, 0}, short_wait = {0, 30 * 1000 * 1000};
  TRY("io_getevents, none, no wait", io_getevents(ctx, 0, 8, ev, &zero));
  TRY("io_getevents, none, 30 ms", io_getevents(ctx, 1, 8, ev, &short_wait));
  TRY("io_getevents with min above nr", io_getevents(ctx, 3, 2, ev, NULL));
  TRY("io_getevents of another context", io_getevents(12345, 1, 1, ev, NULL));

  /* a pipe: RWF_NOWAIT completes with -EAGAIN; without it, io_submit waits for the data */
  int p[2];
  if (pipe(p) != 0) return 1;
  struct iocb pr;
  char pbuf[16] = {0};
  prep(&pr, IOCB_CMD_PREAD, p[0], pbuf, sizeof pbuf, 0, 9);
  pr.aio_rw_flags = RWF_NOWAIT;
  struct iocb *one[1] = {&pr};
  TRY("io_submit, pipe, RWF_NOWAIT", io_submit(ctx, 1, one));
  n = io_getevents(ctx, 1, 1, ev, NULL);
  printf("io_getevents: %ld, res %lld\n", n, (long long)ev[0].res);
  pr.aio_rw_flags = 0;
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    usleep(50000);
    if (write(p[1], "piped", 5) != 5) _exit(1);
    _exit(0);
  }
  TRY("io_submit, pipe, waiting", io_submit(ctx, 1, one));
  n = io_getevents(ctx, 1, 1, ev, NULL);
  printf("io_getevents: %ld, res %lld, \"%s\"\n", n, (long long)ev[0].res, pbuf);
  waitpid(child, NULL, 0);

  /* errors */
  struct iocb bad;
  prep(&bad, IOCB_CMD_PREAD, 999, in, 4, 0, 0);
  struct iocb *b1[1] = {&bad};
  TRY("io_submit, bad descriptor", io_submit(ctx, 1, b1));
  prep(&bad, IOCB_CMD_PWRITE, p[0], in, 4, 0, 0);
  TRY("io_submit, write to a read end", io_submit(ctx, 1, b1));
  prep(&bad, 99, fd, in, 4, 0, 0);
  TRY("io_submit, unknown opcode", io_submit(ctx, 1, b1));
  prep(&bad, IOCB_CMD_PREAD, fd, in, 4, 0, 0);
  bad.aio_reserved2 = 1;
  TRY("io_submit, reserved field", io_submit(ctx, 1, b1));
  TRY("io_submit, negative count", io_submit(ctx, -1, b1));
  TRY("io_submit, bad array", io_submit(ctx, 1, (struct iocb **)16));
  struct iocb *nulls[1] = {NULL};
  TRY("io_submit, null iocb", io_submit(ctx, 1, nulls));
  prep(&bad, IOCB_CMD_PREAD, fd, in, 4, 0, 0);
  struct iocb *mixed[2] = {&bad, NULL};
  TRY("io_submit, the second iocb bad", io_submit(ctx, 2, mixed));
  n = io_getevents(ctx, 1, 8, ev, NULL);
  printf("io_getevents: %ld\n", n);
  TRY("io_submit, zero requests", io_submit(ctx, 0, b1));
  TRY("io_cancel of a completed request", io_cancel(ctx, &w, ev));
  TRY("io_cancel, bad iocb", io_cancel(ctx, NULL, ev));
  TRY("io_destroy", io_destroy(ctx));
  TRY("io_submit after destroy", io_submit(ctx, 1, cbs));
  return 0;
}

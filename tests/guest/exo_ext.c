/* exojit's exokernel extensions used by a guest (firmware/include/exojit.h): a server process
 * answers fast calls on an endpoint; capabilities derived with fewer rights refuse what they
 * lack, revocation reaches what was derived; a server that ends wakes its caller with EPIPE;
 * pages shared with another process are the same memory both ways; a directed yield; choosing
 * the scheduling policy (root only). Runs only under exojit (on Linux the calls are ENOSYS):
 * the test asserts its output. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../../firmware/include/exojit.h"

#define T(what, expr)                                                        \
  do {                                                                       \
    errno = 0;                                                               \
    long r_ = (long)(expr);                                                  \
    printf("%-46s %s\n", what, r_ == -1 ? strerror(errno) : "ok");           \
  } while (0)

static int status_of(pid_t pid) {
  int s;
  waitpid(pid, &s, 0);
  return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

/* Answers calls on `ep`: word 0 is an operation (1 add, 2 share-and-stop, 3 stop). */
static void serve(int ep) {
  struct exo_msg m, r;
  int have = 0;
  for (;;) {
    if (libos_reply_receive(ep, have ? &r : NULL, &m) != 0) {
      printf("  server: receive failed: %s\n", strerror(errno));
      _exit(1);
    }
    have = 1;
    memset(&r, 0, sizeof r);
    switch (m.w[0]) {
      case 1:
        r.w[0] = m.w[1] + m.w[2];
        break;
      case 2: {
        /* the caller asked for pages: ours, shared into its memory */
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        strcpy(p, "from the server's private page");
        strcpy(p + 4096, "second page");
        void *there = libos_share_memory((pid_t)m.w[1], p, 8192);
        r.w[0] = (unsigned)(unsigned long)there;
        libos_reply(&r);
        /* the caller writes into the shared pages, then calls again */
        have = 0;
        if (libos_receive(ep, &m) != 0) _exit(2);
        printf("  server reads what the client wrote: '%s'\n", p + 4096);
        r.w[0] = 0;
        have = 1;
        break;
      }
      case 3:
        libos_reply(&r);
        _exit(0);
      case 4:
        /* ends without replying */
        _exit(4);
      default:
        r.w[0] = 0xffffffff;
    }
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("endpoints:\n");
  int ep = libos_endpoint();
  printf("  endpoint slot %d, rights %#x\n", ep, libos_cap_rights(ep));
  int caller = libos_cap_derive(ep, EXO_CALL);
  printf("  derived call-only slot %d, rights %#x\n", caller, libos_cap_rights(caller));
  T("derive from the call-only slot", libos_cap_derive(caller, EXO_CALL));
  T("receive on the call-only slot", libos_receive(caller, &(struct exo_msg){{0}}));
  T("fast call on slot 99", libos_fast_call(99, &(struct exo_msg){{0}}));
  pid_t server = fork();
  if (server == 0) serve(ep);
  struct exo_msg m;
  unsigned sum = 0;
  for (unsigned k = 0; k < 1000; k++) {
    memset(&m, 0, sizeof m);
    m.w[0] = 1;
    m.w[1] = k;
    m.w[2] = 2 * k;
    if (libos_fast_call(caller, &m) != 0) {
      printf("  call %u failed: %s\n", k, strerror(errno));
      break;
    }
    sum += m.w[0];
  }
  printf("  1000 calls, sum of replies %u (expected %u)\n", sum, 3 * 999 * 1000 / 2);

  printf("shared memory:\n");
  memset(&m, 0, sizeof m);
  m.w[0] = 2;
  m.w[1] = (unsigned)getpid();
  T("ask the server to share two pages", libos_fast_call(caller, &m));
  char *shared = (char *)(unsigned long)m.w[0];
  printf("  client reads '%s' and '%s'\n", shared, shared + 4096);
  strcpy(shared + 4096, "written by the client");
  memset(&m, 0, sizeof m);
  m.w[0] = 1;
  libos_fast_call(caller, &m);
  pid_t child = fork();
  if (child == 0) {
    strcpy(shared, "written by the client's child");
    _exit(0);
  }
  status_of(child);
  printf("  after fork the child's write is seen too: '%s'\n", shared);
  T("share an unmapped range", (long)libos_share_memory(server, (void *)0x1000, 4096));
  T("share with no such process", (long)libos_share_memory(99999, shared, 4096));
  T("share a misaligned address", (long)libos_share_memory(server, shared + 1, 4096));

  printf("revocation:\n");
  int again = libos_cap_derive(ep, EXO_CALL | EXO_GRANT);
  int grand = libos_cap_derive(again, EXO_CALL);
  T("revoke the middle capability", libos_cap_revoke(again));
  T("call through what was derived from it", libos_fast_call(grand, &m));
  T("derive from a revoked slot", libos_cap_derive(again, EXO_CALL));
  T("call through the other derived one", libos_fast_call(caller, &(struct exo_msg){{1, 20, 22}}));
  T("drop a slot", libos_cap_drop(grand));
  T("drop it again", libos_cap_drop(grand));
  memset(&m, 0, sizeof m);
  m.w[0] = 3;
  T("stop the server", libos_fast_call(caller, &m));
  printf("  server status %d\n", status_of(server));

  printf("peers that go away:\n");
  int ep2 = libos_endpoint();
  server = fork();
  if (server == 0) serve(ep2);
  memset(&m, 0, sizeof m);
  m.w[0] = 4;
  T("a call the server never answers (it ends)", libos_fast_call(ep2, &m));
  printf("  server status %d\n", status_of(server));
  int fds[2];
  pipe(fds);
  pid_t maker = fork();
  if (maker == 0) {
    /* makes an endpoint, and a child that inherits its slot and calls it once we are gone */
    pid_t me = getpid();
    int e = libos_endpoint();
    if (fork() == 0) {
      while (getppid() == me) usleep(1000);
      struct exo_msg x = {{1}};
      int err = libos_fast_call(e, &x) == -1 ? errno : 0;
      write(fds[1], &err, sizeof err);
      _exit(0);
    }
    _exit(0);
  }
  status_of(maker);
  int err = 0;
  read(fds[0], &err, sizeof err);
  printf("  calling an endpoint whose maker ended: %s\n", strerror(err));
  T("revoke (destroy) our endpoint", libos_cap_revoke(ep2));
  T("call it", libos_fast_call(ep2, &m));

  printf("scheduling:\n");
  char cur[32];
  T("query the policy", libos_sched_policy(NULL, cur, sizeof cur));
  printf("  policy %s\n", cur);
  T("choose round-robin", libos_sched_policy("round-robin", cur, sizeof cur));
  printf("  was %s\n", cur);
  T("choose one that does not exist", libos_sched_policy("lottery", NULL, 0));
  T("choose fair again", libos_sched_policy("fair", cur, sizeof cur));
  printf("  was %s\n", cur);
  T("yield to ourselves", libos_yield_to(getpid()));
  T("yield to no such process", libos_yield_to(99999));
  pid_t c = fork();
  if (c == 0) {
    if (setuid(1000) != 0) _exit(9);
    _exit(libos_sched_policy("round-robin", NULL, 0) == -1 && errno == EPERM ? 0 : 1);
  }
  printf("  uid 1000 choosing a policy: EPERM %d\n", status_of(c) == 0);
  return 0;
}

/* The key retention service (keyrings(7)) through add_key, request_key and keyctl, in a new
 * session keyring of its own: user and logon keys, keyrings and links, reads, descriptions,
 * searches, updates, permissions, revocation, expiry, invalidation, the special keyrings, what
 * fork shares; and the errors. Only relations are printed (never serial numbers), so it runs
 * the same natively and under exojit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

typedef int key_serial_t;
#define KEY_SPEC_THREAD_KEYRING -1
#define KEY_SPEC_PROCESS_KEYRING -2
#define KEY_SPEC_SESSION_KEYRING -3
#define KEYCTL_GET_KEYRING_ID 0
#define KEYCTL_JOIN_SESSION_KEYRING 1
#define KEYCTL_UPDATE 2
#define KEYCTL_REVOKE 3
#define KEYCTL_CHOWN 4
#define KEYCTL_SETPERM 5
#define KEYCTL_DESCRIBE 6
#define KEYCTL_CLEAR 7
#define KEYCTL_LINK 8
#define KEYCTL_UNLINK 9
#define KEYCTL_SEARCH 10
#define KEYCTL_READ 11
#define KEYCTL_SET_TIMEOUT 15
#define KEYCTL_INVALIDATE 21

static long add_key(const char *type, const char *desc, const void *p, size_t n, int ring) { return syscall(SYS_add_key, type, desc, p, n, ring); }
static long request_key(const char *type, const char *desc, const char *callout, int ring) { return syscall(SYS_request_key, type, desc, callout, ring); }
static long keyctl(int op, long a, long b, long c, long d) { return syscall(SYS_keyctl, op, a, b, c, d); }

static void res(const char *what, long r) {
  if (r < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: ok\n", what);
}

static void read_text(const char *what, long id) {
  char buf[64] = {0};
  long n = keyctl(KEYCTL_READ, id, (long)buf, sizeof buf - 1, 0);
  if (n < 0) printf("%s: %s\n", what, strerror(errno));
  else printf("%s: %ld [%s]\n", what, n, buf);
}

static void describe(const char *what, long id) {
  char buf[128] = {0};
  long n = keyctl(KEYCTL_DESCRIBE, id, (long)buf, sizeof buf, 0);
  if (n < 0) {
    printf("%s: %s\n", what, strerror(errno));
    return;
  }
  char type[32];
  unsigned uid, gid, perm;
  char desc[64];
  sscanf(buf, "%31[^;];%u;%u;%x;%63s", type, &uid, &gid, &perm, desc);
  printf("%s: %ld bytes, type %s, ours %d %d, perm %08x, [%s]\n", what, n, type, uid == getuid(), gid == getgid(), perm, desc);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  long ses = keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0, 0, 0);
  printf("new session keyring: %d, it is the session keyring: %d\n", ses > 0, keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == ses);
  describe("describe it", ses);
  long k1 = add_key("user", "k1", "hello", 5, KEY_SPEC_SESSION_KEYRING);
  res("add user key", k1);
  read_text("read it", k1);
  describe("describe it", k1);
  long k1b = add_key("user", "k1", "world!", 6, KEY_SPEC_SESSION_KEYRING);
  printf("adding it again updates it: %d\n", k1b == k1);
  read_text("read it", k1);
  res("update", keyctl(KEYCTL_UPDATE, k1, (long)"again", 5, 0));
  read_text("read it", k1);
  res("logon key without a service", add_key("logon", "nocolon", "x", 1, KEY_SPEC_SESSION_KEYRING));
  long lg = add_key("logon", "svc:name", "secret", 6, KEY_SPEC_SESSION_KEYRING);
  res("logon key", lg);
  read_text("read it", lg);
  long ring = add_key("keyring", "ring1", NULL, 0, KEY_SPEC_SESSION_KEYRING);
  res("keyring", ring);
  describe("describe it", ring);
  res("keyring with a payload", add_key("keyring", "ring2", "x", 1, KEY_SPEC_SESSION_KEYRING));
  res("empty description", add_key("user", "", "x", 1, KEY_SPEC_SESSION_KEYRING));
  res("unknown type", add_key("nosuchtype", "d", "x", 1, KEY_SPEC_SESSION_KEYRING));
  res("dotted type", add_key(".user", "d", "x", 1, KEY_SPEC_SESSION_KEYRING));
  res("dotted keyring", add_key("keyring", ".ring", NULL, 0, KEY_SPEC_SESSION_KEYRING));
  res("user key without payload", add_key("user", "d", NULL, 0, KEY_SPEC_SESSION_KEYRING));
  res("into a user key", add_key("user", "d", "x", 1, k1));
  res("into no keyring", add_key("user", "d", "x", 1, 0x7ffffff0));
  res("link into ring1", keyctl(KEYCTL_LINK, k1, ring, 0, 0));
  int ids[4] = {0};
  long n = keyctl(KEYCTL_READ, ring, (long)ids, sizeof ids, 0);
  printf("read ring1: %ld bytes, the key: %d\n", n, ids[0] == k1);
  ids[0] = 7;
  n = keyctl(KEYCTL_READ, ring, (long)ids, 2, 0);
  printf("read ring1 into too small a buffer: %ld %s, untouched %d\n", n, n < 0 ? strerror(errno) : "", ids[0] == 7);
  ids[0] = 7;
  n = keyctl(KEYCTL_READ, ring, (long)ids, 0, 0);
  printf("read ring1's length: %ld, untouched %d\n", n, ids[0] == 7);
  printf("search ring1: the key %d\n", keyctl(KEYCTL_SEARCH, ring, (long)"user", (long)"k1", 0) == k1);
  res("search for a missing one", keyctl(KEYCTL_SEARCH, ring, (long)"user", (long)"nope", 0));
  res("search a user key", keyctl(KEYCTL_SEARCH, k1, (long)"user", (long)"k1", 0));
  res("unlink", keyctl(KEYCTL_UNLINK, k1, ring, 0, 0));
  res("unlink again", keyctl(KEYCTL_UNLINK, k1, ring, 0, 0));
  res("link ring1 into itself", keyctl(KEYCTL_LINK, ring, ring, 0, 0));
  res("link the session into ring1", keyctl(KEYCTL_LINK, ses, ring, 0, 0));
  printf("request_key finds k1: %d\n", request_key("user", "k1", NULL, 0) == k1);
  res("request_key of a missing key", request_key("user", "missing", NULL, 0));
  res("request_key into ring1", request_key("user", "k1", NULL, ring));
  printf("  ring1 holds it: %d\n", keyctl(KEYCTL_SEARCH, ring, (long)"user", (long)"k1", 0) == k1);
  res("clear ring1", keyctl(KEYCTL_CLEAR, ring, 0, 0, 0));
  printf("  ring1 now %ld bytes\n", keyctl(KEYCTL_READ, ring, 0, 0, 0));
  res("clear a user key", keyctl(KEYCTL_CLEAR, k1, 0, 0, 0));

  long k3 = add_key("user", "k3", "three", 5, KEY_SPEC_SESSION_KEYRING);
  res("setperm: possessor view only", keyctl(KEYCTL_SETPERM, k3, 0x01000000, 0, 0));
  read_text("  read", k3);
  describe("  describe", k3);
  res("  update", keyctl(KEYCTL_UPDATE, k3, (long)"x", 1, 0));
  res("setperm with unknown bits", keyctl(KEYCTL_SETPERM, k1, 0x40000000, 0, 0));
  res("chown to 1000", keyctl(KEYCTL_CHOWN, k1, 1000, -1, 0));
  char buf[128] = {0};
  keyctl(KEYCTL_DESCRIBE, k1, (long)buf, sizeof buf, 0);
  printf("  owner now 1000: %d\n", strncmp(buf, "user;1000;", 10) == 0);
  res("revoke", keyctl(KEYCTL_REVOKE, k1, 0, 0, 0));
  read_text("  read", k1);
  res("  revoke again", keyctl(KEYCTL_REVOKE, k1, 0, 0, 0));
  res("  describe", keyctl(KEYCTL_DESCRIBE, k1, (long)buf, sizeof buf, 0));
  long k4 = add_key("user", "k4", "four", 4, KEY_SPEC_SESSION_KEYRING);
  res("timeout of 1 s", keyctl(KEYCTL_SET_TIMEOUT, k4, 1, 0, 0));
  read_text("  read at once", k4);
  usleep(1300000);
  read_text("  read after it", k4);
  long k5 = add_key("user", "k5", "five", 4, KEY_SPEC_SESSION_KEYRING);
  res("invalidate", keyctl(KEYCTL_INVALIDATE, k5, 0, 0, 0));
  {
    /* Linux's key collector unlinks an invalidated key from its keyrings some time after: read
       before that, the key is found invalid (ENOKEY); after, it is no longer possessed through
       the keyring, and its owner's permissions lack read (EACCES). Either is a refusal. */
    char buf[16];
    long n = keyctl(KEYCTL_READ, k5, (long)buf, sizeof buf, 0);
    printf("  read: %s\n", n < 0 && (errno == ENOKEY || errno == EACCES) ? "refused" : "read");
  }
  res("unknown operation", keyctl(9999, 0, 0, 0, 0));

  res("thread keyring, not made", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
  long th = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1, 0, 0);
  res("thread keyring, made", th);
  long pr = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 1, 0, 0);
  res("process keyring, made", pr);
  describe("  describe", pr);
  describe("  the thread's", th);
  long named = keyctl(KEYCTL_JOIN_SESSION_KEYRING, (long)"exojit-test-ses", 0, 0, 0);
  describe("join a named session keyring", named);
  res("join a dotted keyring", keyctl(KEYCTL_JOIN_SESSION_KEYRING, (long)".builtin_trusted_keys", 0, 0, 0));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    printf("child: same session keyring %d\n", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0, 0, 0) == named);
    res("child: process keyring", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_PROCESS_KEYRING, 0, 0, 0));
    res("child: thread keyring", keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 0, 0, 0));
    read_text("child: adds a key to the session and reads it", add_key("user", "k6", "six", 3, KEY_SPEC_SESSION_KEYRING));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  printf("the parent sees the child's key: %d\n", keyctl(KEYCTL_SEARCH, named, (long)"user", (long)"k6", 0) > 0);
  return 0;
}

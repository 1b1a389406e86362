/* exojit.h: the seed's exokernel extensions as exojit offers them to i386 guest programs.
 *
 * Each call is an exojit-specific system call (int $0x80) numbered from EXOJIT_SYSCALL_BASE,
 * far above Linux's numbers; on Linux they fail with ENOSYS. The functions return -1 and set
 * errno on failure, as libc wrappers do. Works with any libc (glibc, musl, exojit's own): it
 * needs only <errno.h> and <sys/types.h>.
 *
 *   libos_sched_policy(name, cur, len)  choose the scheduling policy by name ("fair",
 *                                       "round-robin", or one an embedder registered): root
 *                                       only (EPERM); NULL keeps it. `cur` (if not NULL) gets
 *                                       the name of the policy that was in use.
 *   libos_yield_to(pid)                 end the caller's turn; pid's main thread runs next.
 *   libos_share_memory(pid, addr, len)  map the caller's pages [addr, addr+len) into pid's
 *                                       memory: the same pages, shared both ways (no copy);
 *                                       returns the address in pid's memory.
 *   libos_endpoint()                    a new IPC endpoint; returns a capability slot.
 *   libos_fast_call(ep, msg)            send *msg on endpoint slot ep and wait for the reply,
 *                                       which replaces *msg; the exokernel switches directly
 *                                       to the receiver and back (no scheduling decision).
 *   libos_receive(ep, msg)              wait for a call on ep; *msg gets its message.
 *   libos_reply(msg)                    reply to the caller received last.
 *   libos_reply_receive(ep, reply, msg) reply (unless NULL), then receive: a server's loop.
 *   libos_cap_derive(cap, rights)       a new slot for the capability with fewer rights.
 *   libos_cap_revoke(cap)               revoke it and everything derived from it (everywhere);
 *                                       revoking an endpoint's original destroys it.
 *   libos_cap_drop(cap)                 forget the slot (the capability stays valid).
 *   libos_cap_rights(cap)               the rights the slot's capability carries.
 *
 * Direct hardware access (root only: EPERM otherwise):
 *   libos_dev_open(kind, index, rights) a slot for a device capability derived from the
 *                                       system's with at most `rights` (EXO_READ, EXO_WRITE,
 *                                       EXO_GRANT): EXO_DEV_BLOCK by minor as /dev/sdX numbers
 *                                       them (sda 0, sda1 1, sdb 16, ...), or EXO_DEV_CONSOLE
 *                                       (index 0). ENXIO: no such device; EROFS: write asked
 *                                       of a read-only disk.
 *   libos_blk_read(cap, sector, buf, n) read n 512-byte sectors (at most 2048) at `sector`.
 *   libos_blk_write(cap, sector, buf, n) write them (durable after libos_blk_flush).
 *   libos_blk_flush(cap)                make the writes so far durable.
 *   libos_console_write(cap, buf, len)  send bytes out of the console, beneath the terminal.
 * The exokernel checks the slot's capability on every transfer: a missing right is EPERM, a
 * revoked capability EBADF, sectors outside the device EINVAL. Raw writes bypass the cache of
 * a file system mounted from the same device: write only to unmounted ones.
 *
 * Slots are per process and inherited by fork; a revoked or unknown slot is EBADF, a missing
 * right EPERM, a peer or endpoint that went away EPIPE. Endpoints go with the process that
 * made them. */
#ifndef EXOJIT_H
#define EXOJIT_H

#include <errno.h>
#include <stddef.h>
#include <sys/types.h>

#define EXOJIT_SYSCALL_BASE 0xe000
#define EXOJIT_SYS_sched_policy (EXOJIT_SYSCALL_BASE + 0)
#define EXOJIT_SYS_yield_to (EXOJIT_SYSCALL_BASE + 1)
#define EXOJIT_SYS_share_memory (EXOJIT_SYSCALL_BASE + 2)
#define EXOJIT_SYS_endpoint (EXOJIT_SYSCALL_BASE + 3)
#define EXOJIT_SYS_fast_call (EXOJIT_SYSCALL_BASE + 4)
#define EXOJIT_SYS_receive (EXOJIT_SYSCALL_BASE + 5)
#define EXOJIT_SYS_reply (EXOJIT_SYSCALL_BASE + 6)
#define EXOJIT_SYS_reply_receive (EXOJIT_SYSCALL_BASE + 7)
#define EXOJIT_SYS_cap_derive (EXOJIT_SYSCALL_BASE + 8)
#define EXOJIT_SYS_cap_revoke (EXOJIT_SYSCALL_BASE + 9)
#define EXOJIT_SYS_cap_drop (EXOJIT_SYSCALL_BASE + 10)
#define EXOJIT_SYS_cap_rights (EXOJIT_SYSCALL_BASE + 11)
#define EXOJIT_SYS_dev_open (EXOJIT_SYSCALL_BASE + 12)
#define EXOJIT_SYS_blk_read (EXOJIT_SYSCALL_BASE + 13)
#define EXOJIT_SYS_blk_write (EXOJIT_SYSCALL_BASE + 14)
#define EXOJIT_SYS_blk_flush (EXOJIT_SYSCALL_BASE + 15)
#define EXOJIT_SYS_console_write (EXOJIT_SYSCALL_BASE + 16)

/* Rights of an endpoint capability. */
#define EXO_RECEIVE 0x01
#define EXO_CALL 0x02
#define EXO_DESTROY 0x10
#define EXO_GRANT 0x20
/* Rights of a device capability (the same bits: receive is read, call is write). */
#define EXO_READ 0x01
#define EXO_WRITE 0x02

/* Device kinds for libos_dev_open. */
#define EXO_DEV_BLOCK 0
#define EXO_DEV_CONSOLE 1
#define EXO_SECTOR_SIZE 512

/* A message: 16 words. */
#define EXO_MSG_WORDS 16
struct exo_msg {
  unsigned int w[EXO_MSG_WORDS];
};

static inline long exojit_syscall3(long nr, long a, long b, long c) {
  long r;
  /* ebx is the PIC register in some builds: swap it in and out around the call */
  __asm__ volatile("xchg %%edi, %%ebx\n\tint $0x80\n\txchg %%edi, %%ebx"
                   : "=a"(r)
                   : "0"(nr), "D"(a), "c"(b), "d"(c)
                   : "memory");
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

static inline long exojit_syscall4(long nr, long a, long b, long c, long d) {
  long r;
  __asm__ volatile("xchg %%edi, %%ebx\n\tint $0x80\n\txchg %%edi, %%ebx"
                   : "=a"(r)
                   : "0"(nr), "D"(a), "c"(b), "d"(c), "S"(d)
                   : "memory");
  if (r < 0 && r > -4096) {
    errno = (int)-r;
    return -1;
  }
  return r;
}

static inline int libos_sched_policy(const char *name, char *cur, size_t len) {
  return (int)exojit_syscall3(EXOJIT_SYS_sched_policy, (long)name, (long)cur, (long)len);
}
static inline int libos_yield_to(pid_t pid) { return (int)exojit_syscall3(EXOJIT_SYS_yield_to, pid, 0, 0); }
static inline void *libos_share_memory(pid_t target, void *addr, size_t len) {
  long r;
  __asm__ volatile("xchg %%edi, %%ebx\n\tint $0x80\n\txchg %%edi, %%ebx"
                   : "=a"(r)
                   : "0"(EXOJIT_SYS_share_memory), "D"(target), "c"(addr), "d"(len)
                   : "memory");
  /* addresses above 2 GiB are negative as longs: only -4095..-1 are errors */
  if ((unsigned long)r > (unsigned long)-4096) {
    errno = (int)-r;
    return (void *)-1;
  }
  return (void *)r;
}
static inline int libos_endpoint(void) { return (int)exojit_syscall3(EXOJIT_SYS_endpoint, 0, 0, 0); }
static inline int libos_fast_call(int ep, struct exo_msg *msg) { return (int)exojit_syscall3(EXOJIT_SYS_fast_call, ep, (long)msg, 0); }
static inline int libos_receive(int ep, struct exo_msg *msg) { return (int)exojit_syscall3(EXOJIT_SYS_receive, ep, (long)msg, 0); }
static inline int libos_reply(const struct exo_msg *msg) { return (int)exojit_syscall3(EXOJIT_SYS_reply, (long)msg, 0, 0); }
static inline int libos_reply_receive(int ep, const struct exo_msg *reply, struct exo_msg *msg) {
  return (int)exojit_syscall3(EXOJIT_SYS_reply_receive, ep, (long)reply, (long)msg);
}
static inline int libos_cap_derive(int cap, unsigned rights) { return (int)exojit_syscall3(EXOJIT_SYS_cap_derive, cap, (long)rights, 0); }
static inline int libos_cap_revoke(int cap) { return (int)exojit_syscall3(EXOJIT_SYS_cap_revoke, cap, 0, 0); }
static inline int libos_cap_drop(int cap) { return (int)exojit_syscall3(EXOJIT_SYS_cap_drop, cap, 0, 0); }
static inline int libos_cap_rights(int cap) { return (int)exojit_syscall3(EXOJIT_SYS_cap_rights, cap, 0, 0); }
static inline int libos_dev_open(int kind, int index, unsigned rights) {
  return (int)exojit_syscall3(EXOJIT_SYS_dev_open, kind, index, (long)rights);
}
static inline int libos_blk_read(int cap, unsigned sector, void *buf, unsigned n) {
  return (int)exojit_syscall4(EXOJIT_SYS_blk_read, cap, (long)sector, (long)buf, (long)n);
}
static inline int libos_blk_write(int cap, unsigned sector, const void *buf, unsigned n) {
  return (int)exojit_syscall4(EXOJIT_SYS_blk_write, cap, (long)sector, (long)buf, (long)n);
}
static inline int libos_blk_flush(int cap) { return (int)exojit_syscall3(EXOJIT_SYS_blk_flush, cap, 0, 0); }
static inline long libos_console_write(int cap, const void *buf, size_t len) {
  return exojit_syscall3(EXOJIT_SYS_console_write, cap, (long)buf, (long)len);
}

#endif

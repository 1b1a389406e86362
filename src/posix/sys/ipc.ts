// System V IPC system calls: shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl,
// msgget/msgsnd/msgrcv/msgctl as the direct i386 calls (Linux 5.1+), and the `ipc` multiplexer
// (117) that glibc and older programs use, with its quirks (semctl's argument by pointer,
// msgrcv's kludge structure, shmat's result stored through a pointer). This file decodes flags
// and structures (abi/ipc.ts); the rules are libexoc/ipc.

import type { Sys } from "../types.js";
import type { Task } from "../../libexoc/task.js";
import { sysError } from "../../libexoc/errors.js";
import type { GetRequest } from "../../libexoc/ipc/ids.js";
import { SHMMIN } from "../../libexoc/ipc/shm.js";
import { SEMVMX, SEMAEM, type SemOp } from "../../libexoc/ipc/sem.js";
import { MTYPE_SIZE, type Selector } from "../../libexoc/ipc/msg.js";
import { Struct } from "../abi/structs.js";
import { IPC_64, shmidDs, semidDs, msqidDs, readPerm, SHMID64_DS_SIZE, SHMID_DS_OLD_SIZE, SEMID64_DS_SIZE, SEMID_DS_OLD_SIZE, MSQID64_DS_SIZE, MSQID_DS_OLD_SIZE } from "../abi/ipc.js";
import { readTimespec } from "./time.js";

/** Flags of the get calls and the blocking operations (linux/ipc.h). */
const IPC_CREAT = 0o1000, IPC_EXCL = 0o2000, IPC_NOWAIT = 0o4000;
/** Commands common to the ctl calls. */
const IPC_RMID = 0, IPC_SET = 1, IPC_STAT = 2, IPC_INFO = 3;
const SHM_LOCK = 11, SHM_UNLOCK = 12, SHM_STAT = 13, SHM_INFO = 14, SHM_STAT_ANY = 15;
const SHM_RDONLY = 0o10000, SHM_RND = 0o20000, SHM_REMAP = 0o40000, SHM_EXEC = 0o100000;
const SHM_HUGETLB = 0o4000, SHM_NORESERVE = 0o10000;
const GETPID = 11, GETVAL = 12, GETALL = 13, GETNCNT = 14, GETZCNT = 15, SETVAL = 16, SETALL = 17;
const SEM_STAT = 18, SEM_INFO = 19, SEM_STAT_ANY = 20;
const SEM_UNDO = 0x1000;
const MSG_STAT = 11, MSG_INFO = 12, MSG_STAT_ANY = 13;
const MSG_NOERROR = 0o10000, MSG_EXCEPT = 0o20000, MSG_COPY = 0o40000;
const LONG_MIN = -0x80000000;

function getRequest(key: number, flg: number): GetRequest {
  return { key, create: (flg & IPC_CREAT) !== 0, exclusive: (flg & IPC_EXCL) !== 0, mode: flg & 0o777 };
}

/** A ctl command and its structure version: the IPC_64 bit selects the 64-bit layouts. The
 *  direct calls always use them (musl sets the bit there too); the multiplexer honours it. */
function parseCmd(cmd: number, direct: boolean): [number, boolean] {
  if (cmd & IPC_64) return [cmd & ~IPC_64, true];
  return [cmd, direct];
}

// ---- shared memory ----

export const shmget: Sys = (t, key, size, flg) => {
  if (flg & SHM_HUGETLB) sysError("EINVAL", "huge pages are not provided");
  void SHM_NORESERVE; // every page is allocated on first touch anyway
  return t.sys.ipc.shm.get(t.proc, getRequest(key, flg), size >>> 0);
};

function shmatAddr(t: Task, id: number, addr: number, flg: number): number {
  return t.sys.ipc.shm.attach(t, id, addr, { readOnly: (flg & SHM_RDONLY) !== 0, round: (flg & SHM_RND) !== 0, remap: (flg & SHM_REMAP) !== 0, exec: (flg & SHM_EXEC) !== 0 });
}

export const shmat: Sys = (t, id, addr, flg) => shmatAddr(t, id, addr, flg) | 0;

export const shmdt: Sys = (t, addr) => {
  t.sys.ipc.shm.detach(t, addr);
  return 0;
};

function shmctl(t: Task, id: number, command: number, buf: number, direct: boolean): number {
  const [cmd, wide] = parseCmd(command, direct);
  const shm = t.sys.ipc.shm;
  if (cmd < 0 || id < 0) sysError("EINVAL");
  switch (cmd) {
    case IPC_INFO: {
      // As the i686 kernel exojit presents gives it, the value /proc/sys/kernel/shmmax shows
      // (a 64-bit kernel's compat path clips it to INT_MAX); the old struct's ints are clipped.
      const mni = shm.table.max;
      const s = wide ? new Struct(36).u32(0, shm.max).u32(4, SHMMIN).u32(8, mni).u32(12, mni).u32(16, shm.all)
        : new Struct(20).i32(0, Math.min(shm.max, 0x7fffffff)).i32(4, SHMMIN).i32(8, mni).i32(12, mni).i32(16, Math.min(shm.all, 0x7fffffff));
      t.mem.write(buf, s.bytes);
      return Math.max(0, shm.table.highest);
    }
    case SHM_INFO: {
      const i = shm.info();
      t.mem.write(buf, new Struct(24).i32(0, i.used).u32(4, i.tot).u32(8, i.rss).bytes);
      return Math.max(0, shm.table.highest);
    }
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
      const seg = cmd === IPC_STAT ? shm.table.lookup(id) : shm.table.atSlot(id);
      const st = shm.stat(t.proc, seg, cmd === SHM_STAT_ANY);
      t.mem.write(buf, shmidDs(st, wide));
      return cmd === IPC_STAT ? 0 : seg.perm.id;
    }
    case IPC_SET: {
      const p = readPerm(t.mem.read(buf, wide ? SHMID64_DS_SIZE : SHMID_DS_OLD_SIZE), wide);
      shm.set(t.proc, shm.table.lookup(id), p.uid, p.gid, p.mode);
      return 0;
    }
    case IPC_RMID:
      shm.remove(t.proc, shm.table.lookup(id));
      return 0;
    case SHM_LOCK:
    case SHM_UNLOCK:
      shm.lock(t.proc, shm.table.lookup(id), cmd === SHM_LOCK);
      return 0;
    default:
      return sysError("EINVAL");
  }
}

export const shmctlSys: Sys = (t, id, cmd, buf) => shmctl(t, id, cmd, buf, true);

// ---- semaphores ----

export const semget: Sys = (t, key, nsems, flg) => t.sys.ipc.sem.get(t.proc, getRequest(key, flg), nsems);

/** Reads `n` struct sembuf (u16 sem_num, s16 sem_op, s16 sem_flg). */
function readSops(t: Task, ptr: number, n: number): SemOp[] {
  if (n < 1) sysError("EINVAL");
  if (n > t.sys.ipc.sem.opm) sysError("E2BIG");
  const b = t.mem.read(ptr, n * 6);
  const dv = new DataView(b.buffer);
  const ops: SemOp[] = [];
  for (let k = 0; k < n; k++) {
    const flg = dv.getInt16(k * 6 + 4, true);
    ops.push({ num: dv.getUint16(k * 6, true), op: dv.getInt16(k * 6 + 2, true), noWait: (flg & IPC_NOWAIT) !== 0, undo: (flg & SEM_UNDO) !== 0 });
  }
  return ops;
}

function semtimedop(t: Task, id: number, sops: number, nsops: number, timeout: number, wide: boolean): number {
  if (id < 0) sysError("EINVAL");
  const ops = readSops(t, sops, nsops);
  const deadline = timeout === 0 ? null : t.deadlineAfter(Number(readTimespec(t, timeout, wide)));
  return t.sys.ipc.sem.semop(t, id, ops, deadline);
}

/** i386 has no direct semop or 32-bit semtimedop: those go through the multiplexer. */
export const semtimedop64: Sys = (t, id, sops, nsops, timeout) => semtimedop(t, id, sops, nsops, timeout, true);

/** semctl: `arg` is union semun's value (an int, or a pointer). */
function semctl(t: Task, id: number, num: number, command: number, arg: number, direct: boolean): number {
  const [cmd, wide] = parseCmd(command, direct);
  const sem = t.sys.ipc.sem;
  if (id < 0 || cmd < 0) sysError("EINVAL");
  switch (cmd) {
    case IPC_INFO:
    case SEM_INFO: {
      const i = sem.info();
      const s = new Struct(40).i32(0, cmd === SEM_INFO ? i.sets : sem.mns).i32(4, sem.table.max).i32(8, sem.mns).i32(12, sem.mns).i32(16, sem.msl);
      s.i32(20, sem.opm).i32(24, sem.opm).i32(28, cmd === SEM_INFO ? i.sets : 20).i32(32, SEMVMX).i32(36, cmd === SEM_INFO ? i.sems : SEMAEM);
      t.mem.write(arg, s.bytes);
      return Math.max(0, sem.table.highest);
    }
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
      const set = cmd === IPC_STAT ? sem.table.lookup(id) : sem.table.atSlot(id);
      t.mem.write(arg, semidDs(sem.stat(t.proc, set, cmd === SEM_STAT_ANY), wide));
      return cmd === IPC_STAT ? 0 : set.perm.id;
    }
    case IPC_SET: {
      const set = sem.table.lookup(id);
      const p = readPerm(t.mem.read(arg, wide ? SEMID64_DS_SIZE : SEMID_DS_OLD_SIZE), wide);
      sem.setPerm(t.proc, set, p.uid, p.gid, p.mode);
      return 0;
    }
    case IPC_RMID:
      sem.remove(t.proc, sem.table.lookup(id));
      return 0;
    case GETVAL:
      return sem.getOne(t.proc, sem.table.lookup(id), num, "val");
    case GETPID:
      return sem.getOne(t.proc, sem.table.lookup(id), num, "pid");
    case GETNCNT:
      return sem.getOne(t.proc, sem.table.lookup(id), num, "ncnt");
    case GETZCNT:
      return sem.getOne(t.proc, sem.table.lookup(id), num, "zcnt");
    case GETALL: {
      const vals = sem.getAll(t.proc, sem.table.lookup(id));
      const s = new Struct(vals.length * 2);
      vals.forEach((v, k) => s.u16(k * 2, v));
      t.mem.write(arg, s.bytes);
      return 0;
    }
    case SETVAL:
      sem.setVal(t.proc, sem.table.lookup(id), num, arg);
      return 0;
    case SETALL: {
      const set = sem.table.lookup(id);
      const b = t.mem.read(arg, set.nsems * 2);
      const dv = new DataView(b.buffer);
      sem.setAll(t.proc, set, Array.from({ length: set.nsems }, (_, k) => dv.getUint16(k * 2, true)));
      return 0;
    }
    default:
      return sysError("EINVAL");
  }
}

export const semctlSys: Sys = (t, id, num, cmd, arg) => semctl(t, id, num, cmd, arg, true);

// ---- message queues ----

export const msgget: Sys = (t, key, flg) => t.sys.ipc.msg.get(t.proc, getRequest(key, flg));

export const msgsnd: Sys = (t, id, msgp, size, flg) => {
  if (size < 0 || size > t.sys.ipc.msg.max || id < 0) sysError("EINVAL");
  const type = t.mem.i32(msgp);
  if (type < 1) sysError("EINVAL");
  const data = t.mem.read(msgp + MTYPE_SIZE, size);
  return t.sys.ipc.msg.send(t, id, type, data, (flg & IPC_NOWAIT) !== 0);
};

export const msgrcv: Sys = (t, id, msgp, size, typ, flg) => {
  if (size < 0 || id < 0) sysError("EINVAL");
  let copy: number | null = null;
  if (flg & MSG_COPY) {
    if ((flg & MSG_EXCEPT) !== 0 || (flg & IPC_NOWAIT) === 0) sysError("EINVAL");
    copy = typ;
  }
  let sel: Selector;
  if (copy !== null || typ === 0) sel = { mode: "any" };
  else if (typ < 0) sel = { mode: "lessequal", type: typ === LONG_MIN ? 0x7fffffff : -typ };
  else sel = { mode: flg & MSG_EXCEPT ? "notequal" : "equal", type: typ };
  return t.sys.ipc.msg.receive(t, id, sel, size, { noWait: (flg & IPC_NOWAIT) !== 0, truncate: (flg & MSG_NOERROR) !== 0, copy }, msgp);
};

function msgctl(t: Task, id: number, command: number, buf: number, direct: boolean): number {
  const [cmd, wide] = parseCmd(command, direct);
  const msg = t.sys.ipc.msg;
  if (id < 0 || cmd < 0) sysError("EINVAL");
  switch (cmd) {
    case IPC_INFO:
    case MSG_INFO: {
      const mni = msg.table.max;
      const s = new Struct(32).i32(0, cmd === MSG_INFO ? msg.table.size : Math.floor((mni * msg.mnb) / 1024)).i32(4, cmd === MSG_INFO ? msg.messages : msg.mnb);
      s.i32(8, msg.max).i32(12, msg.mnb).i32(16, mni).i32(20, 16).i32(24, cmd === MSG_INFO ? msg.bytes : msg.mnb).u16(28, 0xffff);
      t.mem.write(buf, s.bytes);
      return Math.max(0, msg.table.highest);
    }
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
      const q = cmd === IPC_STAT ? msg.table.lookup(id) : msg.table.atSlot(id);
      msg.stat(t.proc, q, cmd === MSG_STAT_ANY);
      t.mem.write(buf, msqidDs({ perm: q.perm, stime: q.stime, rtime: q.rtime, ctime: q.ctime, cbytes: q.bytes, qnum: q.messages.length, qbytes: q.qbytes, lspid: q.lspid, lrpid: q.lrpid }, wide));
      return cmd === IPC_STAT ? 0 : q.perm.id;
    }
    case IPC_SET: {
      const b = t.mem.read(buf, wide ? MSQID64_DS_SIZE : MSQID_DS_OLD_SIZE);
      const p = readPerm(b, wide);
      const dv = new DataView(b.buffer);
      const qbytes = wide ? dv.getUint32(68, true) : dv.getUint32(40, true) || dv.getUint16(48, true);
      msg.set(t.proc, msg.table.lookup(id), p.uid, p.gid, p.mode, qbytes);
      return 0;
    }
    case IPC_RMID:
      msg.remove(t.proc, msg.table.lookup(id));
      return 0;
    default:
      return sysError("EINVAL");
  }
}

export const msgctlSys: Sys = (t, id, cmd, buf) => msgctl(t, id, cmd, buf, true);

// ---- the multiplexer ----

/** ipc(2)'s call numbers. */
const SEMOP = 1, SEMGET = 2, SEMCTL = 3, SEMTIMEDOP = 4, MSGSND = 11, MSGRCV = 12, MSGGET = 13, MSGCTL = 14;
const SHMAT = 21, SHMDT = 22, SHMGET = 23, SHMCTL = 24;

/** ipc(call, first, second, third, ptr, fifth): the call's low 16 bits name the operation,
 *  the high ones a version (msgrcv's and shmat's calling conventions). */
export const ipc: Sys = (t, call, first, second, third, ptr, fifth) => {
  const version = call >>> 16;
  switch (call & 0xffff) {
    case SEMOP:
      return semtimedop(t, first, ptr, second, 0, false);
    case SEMTIMEDOP:
      return semtimedop(t, first, ptr, second, fifth, false);
    case SEMGET:
      return semget(t, first, second, third, 0, 0, 0);
    case SEMCTL:
      if (ptr === 0) sysError("EINVAL");
      return semctl(t, first, second, third, t.mem.i32(ptr), false);
    case MSGSND:
      return msgsnd(t, first, ptr, second, third, 0, 0);
    case MSGRCV:
      if (version === 0) {
        // struct ipc_kludge { msgp; msgtyp; }
        if (ptr === 0) sysError("EINVAL");
        return msgrcv(t, first, t.mem.i32(ptr), second, t.mem.i32(ptr + 4), third, 0);
      }
      return msgrcv(t, first, ptr, second, fifth, third, 0);
    case MSGGET:
      return msgget(t, first, second, 0, 0, 0, 0);
    case MSGCTL:
      return msgctl(t, first, second, ptr, false);
    case SHMAT: {
      if (version === 1) sysError("EINVAL"); // iBCS2's convention
      const addr = shmatAddr(t, first, ptr, second);
      t.mem.putU32(third, addr);
      return 0;
    }
    case SHMDT:
      return shmdt(t, ptr, 0, 0, 0, 0, 0);
    case SHMGET:
      return shmget(t, first, second, third, 0, 0, 0);
    case SHMCTL:
      return shmctl(t, first, second, ptr, false);
    default:
      return sysError("ENOSYS", `ipc call ${call & 0xffff}`);
  }
};

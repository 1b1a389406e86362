// Linux i386 layouts of the System V IPC structures. The ctl calls take a version: IPC_64
// (0x100 in the command, which glibc always sets) selects the 64-bit-ready structures of
// asm-generic (ipc64_perm, shmid64_ds, semid64_ds, msqid64_ds: 32-bit fields with a "high"
// word beside each time); without it, the original structures with 16-bit ids (ipc_perm,
// shmid_ds, semid_ds, msqid_ds) that only very old programs use.

import { Struct } from "./structs.js";
import type { IpcPerm } from "../../libexoc/ipc/ids.js";

/** The version bit of a ctl command. */
export const IPC_64 = 0x100;

/** Sizes of the structures, new and old. */
export const IPC64_PERM_SIZE = 36, SHMID64_DS_SIZE = 84, SEMID64_DS_SIZE = 64, MSQID64_DS_SIZE = 88;
export const IPC_PERM_OLD_SIZE = 16, SHMID_DS_OLD_SIZE = 48, SEMID_DS_OLD_SIZE = 44, MSQID_DS_OLD_SIZE = 56;

/** An id as the 16-bit fields of the old structures hold it (65534 when it does not fit). */
const id16 = (v: number): number => (v > 0xffff ? 65534 : v);

export function putPerm(s: Struct, off: number, p: IpcPerm, wide: boolean): void {
  if (wide) {
    s.i32(off, p.key).u32(off + 4, p.uid).u32(off + 8, p.gid).u32(off + 12, p.cuid).u32(off + 16, p.cgid);
    s.u16(off + 20, p.mode & 0xffff).u16(off + 24, p.seq & 0xffff);
  } else {
    s.i32(off, p.key).u16(off + 4, id16(p.uid)).u16(off + 6, id16(p.gid)).u16(off + 8, id16(p.cuid)).u16(off + 10, id16(p.cgid));
    s.u16(off + 12, p.mode & 0xffff).u16(off + 14, p.seq & 0xffff);
  }
}

/** What IPC_SET takes from the structure's perm: uid, gid and mode. */
export function readPerm(b: Uint8Array, wide: boolean): { uid: number; gid: number; mode: number } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (wide) return { uid: dv.getUint32(4, true), gid: dv.getUint32(8, true), mode: dv.getUint16(20, true) };
  return { uid: dv.getUint16(4, true), gid: dv.getUint16(6, true), mode: dv.getUint16(12, true) };
}

export interface ShmFields {
  perm: IpcPerm;
  size: number;
  atime: number;
  dtime: number;
  ctime: number;
  cpid: number;
  lpid: number;
  nattch: number;
}

/** shmid64_ds or the old shmid_ds. */
export function shmidDs(f: ShmFields, wide: boolean): Uint8Array {
  if (wide) {
    const s = new Struct(SHMID64_DS_SIZE);
    putPerm(s, 0, f.perm, true);
    s.u32(36, f.size).u32(40, f.atime).u32(48, f.dtime).u32(56, f.ctime).i32(64, f.cpid).i32(68, f.lpid).u32(72, f.nattch);
    return s.bytes;
  }
  const s = new Struct(SHMID_DS_OLD_SIZE);
  putPerm(s, 0, f.perm, false);
  s.i32(16, f.size).i32(20, f.atime).i32(24, f.dtime).i32(28, f.ctime).u16(32, id16(f.cpid)).u16(34, id16(f.lpid)).u16(36, Math.min(f.nattch, 0xffff));
  return s.bytes;
}

/** semid64_ds or the old semid_ds. */
export function semidDs(f: { perm: IpcPerm; otime: number; ctime: number; nsems: number }, wide: boolean): Uint8Array {
  if (wide) {
    const s = new Struct(SEMID64_DS_SIZE);
    putPerm(s, 0, f.perm, true);
    s.u32(36, f.otime).u32(44, f.ctime).u32(52, f.nsems);
    return s.bytes;
  }
  const s = new Struct(SEMID_DS_OLD_SIZE);
  putPerm(s, 0, f.perm, false);
  // sem_base, sem_pending, sem_pending_last and undo (24..40) are kernel pointers: 0.
  s.i32(16, f.otime).i32(20, f.ctime).u16(40, f.nsems);
  return s.bytes;
}

export interface MsqFields {
  perm: IpcPerm;
  stime: number;
  rtime: number;
  ctime: number;
  cbytes: number;
  qnum: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
}

/** msqid64_ds or the old msqid_ds. */
export function msqidDs(f: MsqFields, wide: boolean): Uint8Array {
  if (wide) {
    const s = new Struct(MSQID64_DS_SIZE);
    putPerm(s, 0, f.perm, true);
    s.u32(36, f.stime).u32(44, f.rtime).u32(52, f.ctime).u32(60, f.cbytes).u32(64, f.qnum).u32(68, f.qbytes).i32(72, f.lspid).i32(76, f.lrpid);
    return s.bytes;
  }
  const s = new Struct(MSQID_DS_OLD_SIZE);
  putPerm(s, 0, f.perm, false);
  // first/last message pointers (16, 20) are kernel addresses: 0.
  s.i32(24, f.stime).i32(28, f.rtime).i32(32, f.ctime).u32(36, f.cbytes).u32(40, f.qbytes);
  s.u16(44, Math.min(f.cbytes, 0xffff)).u16(46, Math.min(f.qnum, 0xffff)).u16(48, Math.min(f.qbytes, 0xffff)).u16(50, id16(f.lspid)).u16(52, id16(f.lrpid));
  return s.bytes;
}

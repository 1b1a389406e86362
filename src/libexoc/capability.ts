// Linux capabilities (capabilities(7)): the powers root's processes hold, as five sets per
// process, and the rules by which set*id calls, exec and capset change them. A privileged check
// asks for one capability in the effective set (capable). Root's processes start with every
// capability; a process that gives up user id 0 loses them as Linux's cap_emulate_setxuid does,
// unless it set SECBIT_KEEP_CAPS; exec gives root's programs the bounding set again (there are no
// file capabilities: no security.capability attributes).
//
// A set is a number holding bits 0..CAP_LAST_CAP (41 bits, below 2^53): set operations go word
// by word, since JavaScript's bit operators take 32 bits.

export const CAP_CHOWN = 0, CAP_DAC_OVERRIDE = 1, CAP_DAC_READ_SEARCH = 2, CAP_FOWNER = 3, CAP_FSETID = 4;
export const CAP_KILL = 5, CAP_SETGID = 6, CAP_SETUID = 7, CAP_SETPCAP = 8, CAP_LINUX_IMMUTABLE = 9;
export const CAP_NET_BIND_SERVICE = 10, CAP_NET_ADMIN = 12, CAP_NET_RAW = 13;
export const CAP_IPC_LOCK = 14, CAP_IPC_OWNER = 15, CAP_SYS_RAWIO = 17, CAP_SYS_CHROOT = 18, CAP_SYS_PTRACE = 19, CAP_SYS_PACCT = 20;
export const CAP_SYS_ADMIN = 21, CAP_SYS_BOOT = 22, CAP_SYS_NICE = 23, CAP_SYS_RESOURCE = 24, CAP_SYS_TIME = 25;
export const CAP_SYS_TTY_CONFIG = 26, CAP_MKNOD = 27, CAP_LEASE = 28, CAP_MAC_OVERRIDE = 32, CAP_SYSLOG = 34, CAP_WAKE_ALARM = 35;
/** The highest capability Linux 6.1 knows (CAP_CHECKPOINT_RESTORE). */
export const CAP_CHECKPOINT_RESTORE = 40, CAP_LAST_CAP = CAP_CHECKPOINT_RESTORE;

/** Every capability. */
export const CAP_ALL = 2 ** (CAP_LAST_CAP + 1) - 1;
/** The file-system capabilities, which follow the file-system user id (Linux's CAP_FS_SET). */
const CAP_FS_SET = bits(CAP_CHOWN, CAP_MKNOD, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_LINUX_IMMUTABLE, CAP_MAC_OVERRIDE);

/** securebits (prctl PR_SET_SECUREBITS): each flag and its lock above it. */
export const SECBIT_NOROOT = 1 << 0, SECBIT_NO_SETUID_FIXUP = 1 << 2, SECBIT_KEEP_CAPS = 1 << 4, SECBIT_NO_CAP_AMBIENT_RAISE = 1 << 6;
/** Every flag and lock Linux knows. */
export const SECURE_ALL_BITS = 0x55, SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;

export function bits(...caps: number[]): number {
  let s = 0;
  for (const c of caps) s = or(s, 2 ** c);
  return s;
}

function lo(s: number): number {
  return s % 4294967296;
}

function hi(s: number): number {
  return Math.floor(s / 4294967296);
}

function join(l: number, h: number): number {
  return (h >>> 0) * 4294967296 + (l >>> 0);
}

export function and(a: number, b: number): number {
  return join(lo(a) & lo(b), hi(a) & hi(b));
}

export function or(a: number, b: number): number {
  return join(lo(a) | lo(b), hi(a) | hi(b));
}

/** a without b's capabilities. */
export function without(a: number, b: number): number {
  return join(lo(a) & ~lo(b), hi(a) & ~hi(b));
}

export function subset(a: number, b: number): boolean {
  return without(a, b) === 0;
}

export function has(s: number, cap: number): boolean {
  return cap >= 0 && cap <= CAP_LAST_CAP && Math.floor(s / 2 ** cap) % 2 === 1;
}

/** The 32-bit word `k` of a set (capget's layout). */
export function word(s: number, k: number): number {
  return k === 0 ? lo(s) : hi(s);
}

/** A set from capget/capset's two words, without bits beyond CAP_LAST_CAP. */
export function fromWords(w0: number, w1: number): number {
  return and(join(w0, w1), CAP_ALL);
}

/** A set as /proc/PID/status prints it: 16 hexadecimal digits. */
export function hex(s: number): string {
  return s.toString(16).padStart(16, "0");
}

/** A process's capability state. */
export interface CapState {
  uid: number;
  euid: number;
  suid: number;
  capEff: number;
  capPrm: number;
  capInh: number;
  capBnd: number;
  capAmb: number;
  securebits: number;
}

/** Whether the process holds `cap` in its effective set. */
export function capable(p: { capEff: number }, cap: number): boolean {
  return has(p.capEff, cap);
}

/** The sets of a process that starts with user id `uid` (the first one): root's all, others'
 *  none. */
export function initialCaps(p: CapState, uid: number): void {
  p.capBnd = CAP_ALL;
  p.capPrm = p.capEff = uid === 0 ? CAP_ALL : 0;
  p.capInh = p.capAmb = 0;
  p.securebits = 0;
}

/** A child's copy of its parent's sets (fork and clone). */
export function copyCaps(to: CapState, from: CapState): void {
  to.capEff = from.capEff;
  to.capPrm = from.capPrm;
  to.capInh = from.capInh;
  to.capBnd = from.capBnd;
  to.capAmb = from.capAmb;
  to.securebits = from.securebits;
}

/** After the user ids changed from `old` (setuid, setreuid, setresuid): leaving user id 0 in
 *  all three drops the permitted and effective sets (the permitted one is kept under
 *  SECBIT_KEEP_CAPS) and the ambient set; leaving effective id 0 clears the effective set, and
 *  coming back to it restores the effective set from the permitted one. */
export function fixSetuid(p: CapState, old: { uid: number; euid: number; suid: number }): void {
  if ((p.securebits & SECBIT_NO_SETUID_FIXUP) !== 0) return;
  const wasRoot = old.uid === 0 || old.euid === 0 || old.suid === 0;
  if (wasRoot && p.uid !== 0 && p.euid !== 0 && p.suid !== 0) {
    if ((p.securebits & SECBIT_KEEP_CAPS) === 0) p.capPrm = p.capEff = 0;
    p.capAmb = 0;
  }
  if (old.euid === 0 && p.euid !== 0) p.capEff = 0;
  if (old.euid !== 0 && p.euid === 0) p.capEff = p.capPrm;
}

/** After the file-system user id changed (setfsuid): leaving 0 drops the file-system
 *  capabilities from the effective set, coming to 0 raises those of them that are permitted. */
export function fixSetfsuid(p: CapState, oldFsuid: number, fsuid: number): void {
  if ((p.securebits & SECBIT_NO_SETUID_FIXUP) !== 0) return;
  if (oldFsuid === 0 && fsuid !== 0) p.capEff = without(p.capEff, CAP_FS_SET);
  if (oldFsuid !== 0 && fsuid === 0) p.capEff = or(p.capEff, and(p.capPrm, CAP_FS_SET));
}

/** exec (cap_bprm_creds_from_file without file capabilities), with the new ids in place:
 *  under a real or effective user id 0 the permitted set becomes the bounding set with the
 *  inheritable one, else nothing; the ambient set is kept unless a set-id bit changed an id,
 *  and joins the permitted set; the effective set is the permitted one for an effective id 0,
 *  else the ambient one. SECBIT_KEEP_CAPS does not survive exec. */
export function execCaps(p: CapState, setId: boolean): void {
  const rootly = (p.securebits & SECBIT_NOROOT) === 0;
  let prm = rootly && (p.uid === 0 || p.euid === 0) ? or(p.capBnd, p.capInh) : 0;
  if (setId) p.capAmb = 0;
  prm = or(prm, p.capAmb);
  p.capPrm = prm;
  p.capEff = rootly && p.euid === 0 ? prm : p.capAmb;
  p.securebits &= ~SECBIT_KEEP_CAPS;
}

/** capset's rules (cap_capset): the new inheritable set within the old inheritable and
 *  permitted ones (unless CAP_SETPCAP) and within the bounding set, the permitted set within the
 *  old one, the effective set within the new permitted one. Returns false for EPERM. The
 *  ambient set keeps what is both permitted and inheritable. */
export function capset(p: CapState, eff: number, prm: number, inh: number): boolean {
  if (!capable(p, CAP_SETPCAP) && !subset(inh, or(p.capInh, p.capPrm))) return false;
  if (!subset(inh, or(p.capInh, p.capBnd))) return false;
  if (!subset(prm, p.capPrm) || !subset(eff, prm)) return false;
  p.capEff = eff;
  p.capPrm = prm;
  p.capInh = inh;
  p.capAmb = and(p.capAmb, and(prm, inh));
  return true;
}

// CPU exceptions. An instruction that faults throws a Fault before it changes any register, so the
// engine can report a precise EIP (that of the faulting instruction) and the handler can restart
// it. Fault is deliberately not an Error: no stack trace is captured, which keeps throwing cheap
// enough for demand paging.

/** Exception vectors (Intel SDM vol. 3, table 6-1). */
export const DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8;
export const TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18, XM = 19;

export const VECTOR_NAMES: Record<number, string> = {
  [DE]: "#DE divide error",
  [DB]: "#DB debug",
  [NMI]: "NMI",
  [BP]: "#BP breakpoint",
  [OF]: "#OF overflow",
  [BR]: "#BR bound range exceeded",
  [UD]: "#UD invalid opcode",
  [NM]: "#NM device not available",
  [DF]: "#DF double fault",
  [TS]: "#TS invalid TSS",
  [NP]: "#NP segment not present",
  [SS]: "#SS stack fault",
  [GP]: "#GP general protection",
  [PF]: "#PF page fault",
  [MF]: "#MF x87 floating-point error",
  [AC]: "#AC alignment check",
  [MC]: "#MC machine check",
  [XM]: "#XM SIMD floating-point",
};

/** Page-fault error code bits. */
export const PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RSVD = 8, PF_FETCH = 16;

export class Fault {
  constructor(
    /** Exception vector. */
    readonly vector: number,
    /** Error code pushed by the CPU (0 for vectors without one). */
    readonly error: number = 0,
    /** Faulting linear address for #PF (becomes CR2). */
    readonly addr: number = 0,
  ) {}
}

/** Thrown when a write hits a page holding translated code: the engine drops the page's
 *  translations and re-executes the writing instruction outside the code cache. Thrown before the
 *  instruction changes anything, like a fault. */
export class CodeWrite {
  constructor(readonly ppn: number) {}
}

export function fault(vector: number, error = 0): never {
  throw new Fault(vector, error);
}

export function pageFault(addr: number, error: number): never {
  throw new Fault(PF, error, addr);
}

// exojit's public API: what `import ... from "exojit"` gives. Only what this file exports is
// the stable, documented surface (docs/embedding.md); everything else under src/ is internal.
//
// - createMachine / Machine: a bare IA-32 machine to map memory in, load code into, and run
//   with a budget, an end address or a timeout (src/api/machine.ts), with hooks on blocks,
//   instructions, memory accesses, invalid accesses and interrupts (src/api/hooks.ts).
// - Snapshot: a machine's state, restored copy-on-write and serialisable (src/api/snapshot.ts).
// - runProgram: runs a Linux i386 program as `exojit run` does and captures its output
//   (src/api/program.ts).
// - spawnProgram: the same with its standard streams as Node streams, while it runs
//   (src/api/spawn.ts).
// - loadProgram / LoadedProgram: a program run in steps (to an exit, a system call, a limit),
//   with snapshots of its whole system restored as often as wanted (src/api/progctl.ts).
// - SystemSnapshot: such a snapshot, of a program or of a booted system (bootSystem's
//   snapshot() and restore(), disks included: src/api/progsnap.ts, syssnap.ts).
// - Logging: a pino `logger` and `trace` categories in the options of
//   createMachine, runProgram and spawnProgram (src/log.ts, log scopes).
// - The worker pool is the package's other entry point, "exojit/worker" (src/api/worker.ts).
// - ExojitError: the one error class the API throws, with a code (src/api/errors.ts).

export { createMachine, Machine, REGISTERS } from "./api/machine.js";
export type { MachineOptions, EngineKind, Prot, ExitReason, RunExit, RunOptions, RegisterName, Registers, SyscallHook } from "./api/machine.js";
export { Hook, MAX_INVALID_RETRIES } from "./api/hooks.js";
export type { CodeHook, MemoryHook, MemoryAccess, MemoryHookOptions, HookRange, HookKind, InvalidHook, InvalidAccess, InterruptHook } from "./api/hooks.js";
export { Snapshot } from "./api/snapshot.js";
export type { SnapshotStats } from "./api/snapshot.js";
export type { ElfLoadResult, ElfSegment } from "./api/elf.js";
export { FPU_REGISTERS } from "./api/fpuregs.js";
export type { FpuRegisterName } from "./api/fpuregs.js";
export { runProgram } from "./api/program.js";
export type { ProgramOptions, ProgramResult } from "./api/program.js";
export { loadProgram, LoadedProgram } from "./api/progctl.js";
export { SystemSnapshot } from "./api/progsnap.js";
export type { SystemSnapshotStats } from "./api/progsnap.js";
export type { SystemCall, StepOptions, ProgramStop } from "./api/progctl.js";
export { bootSystem } from "./api/system.js";
export type { SystemOptions, SystemExit, RunningSystem } from "./api/system.js";
export { spawnProgram } from "./api/spawn.js";
export type { SpawnedProgram, ProgramExit } from "./api/spawn.js";
export { TRACE_CATEGORIES } from "./log.js";
export type { TraceCategory } from "./log.js";
export { ExojitError, EXOJIT_ERRORS } from "./api/errors.js";
export type { ExojitErrorCode } from "./api/errors.js";

// The one import of iced-x86 in the code base (checked by tests/layering.test.ts). Everything
// else in src/decoder goes through this module, and nothing outside src/decoder sees iced types.
//
// iced-x86 is CommonJS. Loaded with `require` rather than an ESM `import`, Node skips the lexer
// scan of its 900 KB of glue for named exports (about 40 ms of every start-up). And it is
// loaded only when first needed: when the fast path (fast.ts) knows every form a program runs,
// from forms learned in earlier runs (formcache.ts), iced is never loaded at all (its glue and
// wasm cost ~20-30 ms and ~15 MB of every start-up).

import type * as Iced from "iced-x86";
import { createRequire } from "node:module";

export type IcedModule = typeof Iced;
export type IcedInstruction = InstanceType<IcedModule["Instruction"]>;
export type IcedDecoder = InstanceType<IcedModule["Decoder"]>;

let iced: IcedModule | null = null;

/** iced-x86, loaded on the first call. */
export function loadIced(): IcedModule {
  // `as`: require() is untyped; the type is the package's own declaration for this very module.
  return (iced ??= createRequire(import.meta.url)("iced-x86") as IcedModule);
}

/** Whether iced-x86 has been loaded (tests, statistics). */
export function icedLoaded(): boolean {
  return iced !== null;
}

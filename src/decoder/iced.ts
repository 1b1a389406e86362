// The one import of iced-x86 in the code base (checked by tests/layering.test.ts). Everything
// else in src/decoder goes through this module, and nothing outside src/decoder sees iced types.
//
// iced-x86 is CommonJS. Loaded with `require` rather than an ESM `import`, Node skips the lexer
// scan of its 900 KB of glue for named exports (about 40 ms of every start-up).

import type * as Iced from "iced-x86";
import { createRequire } from "node:module";

// `as`: require() is untyped; the type is the package's own declaration for this very module.
const iced = createRequire(import.meta.url)("iced-x86") as typeof Iced;

export const { Decoder, Instruction, Code, Mnemonic, OpKind, Register, MemorySize, MemorySizeExt, CpuidFeature, CodeExt, DecoderError, ConditionCode, Formatter, FormatterSyntax, RflagsBits, FlowControl } = iced;
export type IcedInstruction = InstanceType<typeof iced.Instruction>;
export type IcedDecoder = InstanceType<typeof iced.Decoder>;

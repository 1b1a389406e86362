// The one import of iced-x86 in the code base (checked by tests/layering.test.ts). Everything
// else in src/decoder goes through this module, and nothing outside src/decoder sees iced types.

import iced from "iced-x86";

export const { Decoder, Instruction, Code, Mnemonic, OpKind, Register, MemorySize, MemorySizeExt, CpuidFeature, CodeExt, DecoderError, ConditionCode, Formatter, FormatterSyntax, RflagsBits, FlowControl } = iced;
export type IcedInstruction = InstanceType<typeof iced.Instruction>;
export type IcedDecoder = InstanceType<typeof iced.Decoder>;

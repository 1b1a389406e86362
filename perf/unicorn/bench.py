#!/usr/bin/env python3
# Unicorn's side of perf/embed-unicorn.mjs: the same x86 code, the same workloads, timed the
# same way, printed as one JSON object. Needs python3-unicorn (apt-get install python3-unicorn).
#
#   python3 perf/unicorn/bench.py [snippet-runs] [loop-iterations]

import json
import sys
import time

from unicorn import Uc, UC_ARCH_X86, UC_MODE_32, UC_HOOK_BLOCK, UC_HOOK_CODE, __version__
from unicorn.x86_const import UC_X86_REG_EAX, UC_X86_REG_ECX, UC_X86_REG_ESP

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
ITERS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000_000
CODE, DATA, STACK = 0x1000, 0x3000, 0x8000
# The snippet of perf/embed-snapshot.mjs: mov ecx, 14; loop: push ecx; mov [DATA + ecx*4], ecx;
# add eax, ecx; xor ebx, eax; pop edx; dec ecx; jnz loop; hlt (100 instructions).
SNIPPET = bytes([0xb9, 14, 0, 0, 0, 0x51, 0x89, 0x0c, 0x8d, 0, 0x30, 0, 0, 0x01, 0xc8, 0x31, 0xc3, 0x5a, 0x49, 0x75, 0xf0, 0xf4])
# The tight loop: L: add eax, 1; add ebx, eax; dec ecx; jnz L; hlt (4 instructions a turn).
LOOP = bytes([0x83, 0xc0, 0x01, 0x01, 0xc3, 0x49, 0x75, 0xf8, 0xf4])


def best(fn, rounds=3):
    return min(fn() for _ in range(rounds))


def snippets():
    uc = Uc(UC_ARCH_X86, UC_MODE_32)
    uc.mem_map(CODE, 0x1000)
    uc.mem_map(DATA, 0x1000)
    uc.mem_map(STACK, 0x1000)
    uc.mem_write(CODE, SNIPPET)
    uc.reg_write(UC_X86_REG_ESP, STACK + 0x1000)
    ctx = uc.context_save()
    zero = bytes(0x1000)
    end = CODE + len(SNIPPET) - 1  # stop before hlt (hlt ends emulation with an error in unicorn)

    def regs_only():
        t0 = time.perf_counter()
        for _ in range(RUNS):
            uc.context_restore(ctx)
            uc.emu_start(CODE, end)
        if uc.reg_read(UC_X86_REG_EAX) != 105:
            raise SystemExit("snippet computed %d" % uc.reg_read(UC_X86_REG_EAX))
        return time.perf_counter() - t0

    def with_memory():
        t0 = time.perf_counter()
        for _ in range(RUNS):
            uc.context_restore(ctx)
            uc.mem_write(DATA, zero)
            uc.mem_write(STACK, zero)
            uc.emu_start(CODE, end)
        return time.perf_counter() - t0

    return {"regsOnlyPerSec": RUNS / best(regs_only), "memoryPerSec": RUNS / best(with_memory)}


def loop(hook):
    uc = Uc(UC_ARCH_X86, UC_MODE_32)
    uc.mem_map(CODE, 0x1000)
    uc.mem_write(CODE, LOOP)
    count = [0]
    if hook == "block":
        def on_block(uc, address, size, user):
            count[0] += 1
        uc.hook_add(UC_HOOK_BLOCK, on_block)
    elif hook == "code":
        def on_code(uc, address, size, user):
            count[0] += 1
        uc.hook_add(UC_HOOK_CODE, on_code)
    # Hooks in Python are slow: fewer iterations keep the run short.
    iters = ITERS if hook is None else ITERS // 100
    uc.reg_write(UC_X86_REG_ECX, iters)
    t0 = time.perf_counter()
    uc.emu_start(CODE, CODE + len(LOOP) - 1)
    t = time.perf_counter() - t0
    insns = 4 * iters
    return {"insnsPerSec": insns / t, "hookCalls": count[0]}


out = {"unicorn": __version__, "runs": RUNS, "snippets": snippets(), "loop": loop(None), "loopBlockHook": loop("block"), "loopCodeHook": loop("code")}
print(json.dumps(out))

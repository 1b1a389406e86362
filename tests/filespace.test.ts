// posix_fadvise, fallocate, copy_file_range and personality, differential: tests/guest/filespace.c runs natively
// (the host kernel is the oracle) and under exojit with every engine, in a fresh directory.

import { expect } from "vitest";
import { differentialSuite } from "./helpers/differential.js";

differentialSuite({
  cases: [{ name: "filespace: fadvise advice and refusals, fallocate growing, keeping, punching and zeroing with its errors, copy_file_range, personality set and inherited", src: "filespace.c" }],
  oracleTitle: "the fadvise/fallocate/copy_file_range/personality program natively (the oracle itself)",
  checkNative: (_c, r) => {
    expect(r.status, r.stderr.toString()).toBe(0);
    expect(r.stdout.toString()).toContain("zeroed and grown: size 40, bytes:ab000fgh00klmnopqrst00000000000000000000");
    expect(r.stdout.toString()).not.toContain("-1 Success"); // errno captured right (TRY)
  },
});

// Capabilities (src/exokernel/caps.ts): derive with fewer rights, revocation reaching
// everything derived, typed errors, stale handles never matching a reused slot.

import { describe, expect, it } from "vitest";
import { CapSpace, CAP_ENDPOINT, CAP_FRAMES, R_READ, R_WRITE, R_GRANT, R_ALL, R_CONTROL } from "../../src/exokernel/caps.js";
import { ExoError } from "../../src/exokernel/errors.js";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExoError) return e.code;
    throw e;
  }
  return "ok";
}

describe("capabilities", () => {
  it("a derived capability has at most its parent's rights", () => {
    const cs = new CapSpace();
    const root = cs.create(CAP_ENDPOINT, R_READ | R_WRITE | R_GRANT, "ep");
    const child = cs.derive(root, R_WRITE | R_CONTROL);
    expect(cs.rights(child)).toBe(R_WRITE);
    expect(cs.get(child, CAP_ENDPOINT, R_WRITE)).toBe("ep");
    expect(code(() => cs.get(child, CAP_ENDPOINT, R_READ))).toBe("E_PERM");
  });

  it("deriving needs the grant right", () => {
    const cs = new CapSpace();
    const root = cs.create(CAP_ENDPOINT, R_ALL, "ep");
    const noGrant = cs.derive(root, R_READ | R_WRITE);
    expect(code(() => cs.derive(noGrant, R_READ))).toBe("E_PERM");
  });

  it("revocation reaches every capability derived, transitively, and nothing else", () => {
    const cs = new CapSpace();
    const root = cs.create(CAP_ENDPOINT, R_ALL, "ep");
    const a = cs.derive(root, R_ALL);
    const b = cs.derive(a, R_ALL);
    const c = cs.derive(b, R_READ);
    const sibling = cs.derive(root, R_READ);
    cs.revoke(a);
    for (const h of [a, b, c]) expect(code(() => cs.get(h, CAP_ENDPOINT, R_READ))).toBe("E_CAP");
    expect(cs.get(sibling, CAP_ENDPOINT, R_READ)).toBe("ep");
    expect(cs.get(root, CAP_ENDPOINT, R_READ)).toBe("ep");
    cs.revoke(root);
    expect(code(() => cs.get(sibling, CAP_ENDPOINT, R_READ))).toBe("E_CAP");
  });

  it("a stale handle never names the object that reuses its slot", () => {
    const cs = new CapSpace();
    const old = cs.create(CAP_ENDPOINT, R_ALL, "old");
    cs.revoke(old);
    const fresh = cs.create(CAP_ENDPOINT, R_ALL, "new");
    expect(fresh & 0xfffff).toBe(old & 0xfffff); // the slot was reused...
    expect(code(() => cs.get(old, CAP_ENDPOINT, R_READ))).toBe("E_CAP"); // ...but not the handle
    expect(cs.get(fresh, CAP_ENDPOINT, R_READ)).toBe("new");
  });

  it("a handle of another type, or a forged one, is refused with a typed error", () => {
    const cs = new CapSpace();
    const h = cs.create(CAP_FRAMES, R_ALL, "pool");
    expect(code(() => cs.get(h, CAP_ENDPOINT, R_READ))).toBe("E_CAP");
    expect(code(() => cs.get(12345, CAP_FRAMES, R_READ))).toBe("E_CAP");
    expect(code(() => cs.revoke(h + (1 << 20)))).toBe("E_CAP");
  });
});

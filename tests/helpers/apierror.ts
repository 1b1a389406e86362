// The embedding API's tests: a call that must throw an ExojitError with a given code.

import { expect } from "vitest";
import { ExojitError, type ExojitErrorCode } from "../../src/index.js";

/** Runs `fn`, which must throw an ExojitError with `code` (and a message matching `message`,
 *  when given); returns the error. */
export function expectCode(fn: () => unknown, code: ExojitErrorCode, message?: RegExp): ExojitError {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ExojitError);
  expect((err as ExojitError).code).toBe(code);
  if (message) expect((err as ExojitError).message).toMatch(message);
  return err as ExojitError;
}

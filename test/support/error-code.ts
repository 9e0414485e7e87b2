/** Test helper: the stable code of the SamizdatError `fn` throws ('ok' when it returns). */
import assert from 'node:assert/strict';
import { isSamizdatError, type ErrorCode } from '../../src/errors.ts';

/** Runs `fn`; fails the test if it throws anything but a SamizdatError. */
export function codeOf(fn: () => unknown): ErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (err) {
    assert.ok(isSamizdatError(err), `not a SamizdatError: ${String(err)}`);
    return err.code;
  }
}

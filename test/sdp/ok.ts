import assert from 'node:assert/strict';

/**
 * assert.ok with a message always given: without one, Node parses the test's source to describe the failing
 * expression, and on these TypeScript files that parse can spin for minutes instead of failing.
 */
export function ok(value: unknown, message = 'expected a truthy value'): asserts value {
  assert.ok(value, message);
}

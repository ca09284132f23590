/**
 * The one place tests import their assertions from, so that a later swap to
 * `@std/assert` is a single edit.
 *
 * @module
 */
export {
  deepEqual as assertEquals,
  equal as assertStrictEquals,
  match as assertMatch,
  notDeepEqual as assertNotEquals,
  ok as assert,
  rejects as assertRejects,
  throws as assertThrows,
} from "node:assert/strict";

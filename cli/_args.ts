// The one place the CLI takes its argument parser from, so that a later swap
// to `@std/cli` is a single edit.
export { parseArgs } from "node:util";

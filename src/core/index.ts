/**
 * @module core
 * Errors, assertions, random numbers and array helpers. No domain knowledge.
 */
export * from "./errors.ts";

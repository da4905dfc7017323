/**
 * @module core/version
 * The program's version, written into every output file (diagnosis.json, the
 * simulator's .ort headers) and printed by `strata --version`. A literal, so the
 * library needs no package.json at run time; core/version.test.ts keeps it equal
 * to package.json's "version".
 */

/** Strata's version (semver), equal to package.json's "version". */
export const STRATA_VERSION = "0.1.0";

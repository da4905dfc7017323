/**
 * @module strata
 * The package's entry point (`import … from "strata"`): the public API of src/api.
 */
export * from "./api/index.ts";

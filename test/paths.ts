/** Where the tests find the project and the read-only reference material beside it. */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** `shared/` is laid beside the checkout (locally and in CI). */
export const sharedRoot = path.resolve(repoRoot, "../shared");
export const conformanceRoot = path.join(sharedRoot, "conformance");

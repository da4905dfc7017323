#!/usr/bin/env node
// Entry point of the `strata` command: runs the compiled package in dist/ (built by
// `npm run build`, which `npm ci` runs through the `prepare` script).
let main, installProcessHandlers;
try {
  ({ main, installProcessHandlers } = await import("../dist/cli/main.js"));
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli/main.js")) {
    process.stderr.write("strata: the compiled program is missing (dist/cli/main.js): run `npm run build` in the package folder\n");
    process.exit(2);
  }
  throw error;
}
installProcessHandlers();
process.exitCode = await main(process.argv.slice(2));

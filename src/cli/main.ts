/**
 * @module cli/main
 * The `strata` command: argument parsing, printing and exit codes only. Every
 * user error (EngineError) becomes one line on stderr and exit code 2; anything
 * else is a bug: exit code 1 with a short message (stack with STRATA_DEBUG=1).
 */
import { Command, CommanderError } from "commander";
import { EngineError } from "../core/errors.ts";
import { registerReflect } from "./reflect.ts";
import { registerSld } from "./sld.ts";
import { registerProfile } from "./profile.ts";
import { registerDemo } from "./demo.ts";
import { registerFit } from "./fit.ts";
import { registerSimulate } from "./simulate.ts";
import { registerDiagnose } from "./diagnose.ts";
import { registerEis } from "./eis.ts";
import { registerInspect } from "./inspect.ts";
import { registerDose } from "./dose.ts";

/** Thrown by commands for a usage problem detected after parsing (exit code 2). */
export class UsageError extends Error {}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("strata")
    .description("Quantitative, uncertainty-aware diagnosis of buried battery interfaces (reflectivity, impedance, electrochemistry)")
    .version("0.1.0")
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerReflect(program);
  registerSld(program);
  registerProfile(program);
  registerDemo(program);
  registerFit(program);
  registerSimulate(program);
  registerDiagnose(program);
  registerEis(program);
  registerInspect(program);
  registerDose(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Run the CLI with the given arguments (without `node` and the script path).
 * @returns the process exit code
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0; commander already printed its message
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof EngineError || error instanceof UsageError) {
      process.stderr.write(`strata: ${singleLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`strata: internal error: ${singleLine(message)}\n`);
    if (process.env["STRATA_DEBUG"] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

const singleLine = (text: string): string => text.replace(/\s*\n\s*/g, " ");

/** Print a table of numeric columns with a header line. */
export function printColumns(names: string[], columns: ArrayLike<number>[]): void {
  const lines = [`# ${names.join("\t")}`];
  const n = columns[0]?.length ?? 0;
  for (let i = 0; i < n; i++) lines.push(columns.map((c) => formatNumber(c[i])).join("\t"));
  process.stdout.write(`${lines.join("\n")}\n`);
}

export const formatNumber = (value: number): string => (Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : value.toPrecision(10));

/** JSON with Float64Arrays written as arrays. */
export function printJson(value: unknown): void {
  process.stdout.write(
    `${JSON.stringify(value, (_key, v: unknown) => (v instanceof Float64Array || v instanceof Float32Array || v instanceof Int32Array ? Array.from(v) : v))}\n`,
  );
}

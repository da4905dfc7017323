/**
 * Issue 16 part 3 acceptance: the README's command table and the real CLI agree line by
 * line. Every command and subcommand `strata --help` lists (recursively) has a row in the
 * table of README.md's "The `strata` command" section, every row names a real command,
 * and each row's synopsis names exactly the options that command's `--help` lists (the
 * program-level options — --quiet, --lenient, --version — are named in the README's text
 * instead). Runs the spawned binary, as a user would.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { repoRoot } from "../paths.ts";

/** The option names in one section ("Options:" or "Global Options:") of a --help text. */
function helpOptions(help: string, section: "Options:" | "Global Options:"): string[] {
  const lines = help.split("\n");
  const start = lines.findIndex((line) => line === section);
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(" ")) break;
    const match = /^ {2}(?:-\w, )?(--[a-z][a-z0-9-]*)/.exec(line);
    if (match && match[1] !== "--help" && match[1] !== "--version") names.push(match[1]);
  }
  return names.sort();
}

/** The subcommand names in a --help text's "Commands:" section (without `help`). */
function helpCommands(help: string): string[] {
  const lines = help.split("\n");
  const start = lines.findIndex((line) => line === "Commands:");
  if (start < 0) return [];
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith(" ")) break;
    const match = /^ {2}([a-z][a-z-]*)/.exec(line);
    if (match && match[1] !== "help") names.push(match[1]);
  }
  return names;
}

/** Every leaf command path of the CLI with its --help text, e.g. ["eis fit", help]. */
function cliCommands(prefix: string[] = []): Map<string, string> {
  const result = runCli([...prefix, "--help"]);
  expect(result.status, `strata ${prefix.join(" ")} --help`).toBe(0);
  const subcommands = helpCommands(result.stdout);
  const found = new Map<string, string>();
  // a leaf, or a command with options of its own beside its subcommands (`serve`, `serve token …`)
  if (subcommands.length === 0 || (prefix.length > 0 && helpOptions(result.stdout, "Options:").length > 0)) found.set(prefix.join(" "), result.stdout);
  for (const name of subcommands) for (const [key, help] of cliCommands([...prefix, name])) found.set(key, help);
  return found;
}

/** The README's command table: each synopsis (a `strata …` code span in a row's first cell) by command path. */
function readmeCommands(readme: string): Map<string, string[]> {
  const section = readme.slice(readme.indexOf("## The `strata` command"));
  const table = section.slice(section.indexOf("| command |"), section.indexOf("\n\n", section.indexOf("| command |")));
  const rows = new Map<string, string[]>();
  for (const row of table.split("\n").slice(2)) {
    const firstCell = row.split(/(?<!\\)\|/)[1] ?? "";
    for (const [, synopsis] of firstCell.matchAll(/`(strata [^`]+)`/g)) {
      const words = synopsis.split(/\s+/).slice(1);
      const commandWords: string[] = [];
      for (const word of words) {
        if (!/^[a-z][a-z-]*$/.test(word)) break;
        commandWords.push(word);
      }
      const key = commandWords.join(" ");
      const flags = [...synopsis.matchAll(/--[a-z][a-z0-9-]*/g)].map((m) => m[0]);
      rows.set(key, [...new Set([...(rows.get(key) ?? []), ...flags])].sort());
    }
  }
  return rows;
}

describe("README ↔ CLI", () => {
  const readme = fs.readFileSync(path.join(repoRoot, "README.md"), "utf8");

  it("the command table lists every command with exactly the options its --help lists", () => {
    const cli = cliCommands();
    const documented = readmeCommands(readme);
    expect([...documented.keys()].sort(), "README rows vs `strata --help` commands").toEqual([...cli.keys()].sort());
    for (const [command, help] of cli) expect(documented.get(command), `strata ${command}: README synopsis vs --help options`).toEqual(helpOptions(help, "Options:"));
  }, 60_000);

  it("the program-level options are named in the README's text", () => {
    const global = helpOptions(runCli(["--help"]).stdout, "Options:");
    expect(global).toContain("--quiet");
    const section = readme.slice(readme.indexOf("## The `strata` command"), readme.indexOf("\n## ", readme.indexOf("## The `strata` command") + 5));
    for (const flag of global) expect(section, flag).toContain(`\`${flag}\``);
  });
});

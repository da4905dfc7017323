/**
 * @module cli/replay
 * `strata replay CAMPAIGN_DIR --into DIR [--speed 60 | --interval S] [--from SCAN] [--force] [--json]`:
 * replays a finished campaign into a folder at a chosen pace (service/replay), so `strata serve
 * --watch ID=DIR` can follow it as if the instrument were writing. One line per file on stdout
 * as it is written (`--json`: one JSON object per line, with the wall time of its rename), and a
 * closing line. Bad input → one line on stderr, exit 2.
 *
 * Units: campaign times in s since t0 (printed as h:mm:ss), wall times in s.
 */
import type { Command } from "commander";
import path from "node:path";
import { checkOutputFolder, UsageError } from "./output.ts";
import { numberOption } from "./numbers.ts";

interface ReplayCliOptions {
  into: string;
  speed?: string;
  interval?: string;
  from?: string;
  force?: boolean;
  json?: boolean;
}

/** Default pace: one campaign minute per wall second. */
export const DEFAULT_REPLAY_SPEED = 60;

export function registerReplay(program: Command): void {
  program
    .command("replay")
    .description("Replay a finished campaign into a folder at a chosen pace (campaign.json first, each scan and spectrum at the end of its window, the cycler record growing), for strata serve --watch")
    .argument("<CAMPAIGN_DIR>", "folder holding campaign.json and its files")
    .requiredOption("--into <DIR>", "folder to write into (created; must be empty or new unless --force)")
    .option("--speed <X>", `campaign seconds per wall second (default ${DEFAULT_REPLAY_SPEED})`)
    .option("--interval <S>", "a fixed wall interval between files, s (instead of --speed)")
    .option("--from <SCAN>", "start at this scan id: earlier files are written at once")
    .option("--force", "write into a non-empty --into folder")
    .option("--json", 'one JSON object per file written: {"kind", "path", "id", "campaignTime_s", "wall_s", "writtenAtMs", "index", "total"}, then {"done": true, …}')
    .action(async (dir: string, options: ReplayCliOptions) => {
      if (options.speed !== undefined && options.interval !== undefined) throw new UsageError(`give --speed or --interval, not both (got --speed ${options.speed} and --interval ${options.interval})`);
      const speed = options.speed === undefined ? DEFAULT_REPLAY_SPEED : numberOption(options.speed, "--speed", { gt: 0 });
      const interval_s = options.interval === undefined ? undefined : numberOption(options.interval, "--interval", { ge: 0 });
      const source = path.resolve(dir);
      const into = path.resolve(options.into);
      if (into === source || into.startsWith(`${source}${path.sep}`)) throw new UsageError(`--into ${options.into}: is inside the campaign folder ${dir}; choose another folder`);
      checkOutputFolder(into, options.force, "--into");
      const { replayPlan, runReplay } = await import("../service/replay.ts");
      const plan = await replayPlan(source);
      const result = await runReplay(plan, into, {
        speed,
        ...(interval_s === undefined ? {} : { interval_s }),
        ...(options.from === undefined ? {} : { from: options.from }),
        onStep: (event) => {
          if (options.json) process.stdout.write(`${JSON.stringify(event)}\n`);
          else process.stdout.write(`replay ${String(event.index).padStart(String(event.total).length)}/${event.total}  ${event.wall_s.toFixed(1).padStart(7)} s  t = ${clock(event.campaignTime_s - plan.first_s)}  ${event.kind.padEnd(9)} ${event.path}\n`);
        },
      });
      if (options.json) process.stdout.write(`${JSON.stringify({ done: true, files: result.files, cyclerRows: result.cyclerRows, wall_s: result.wall_s, into })}\n`);
      else process.stdout.write(`replayed ${result.files} files and ${result.cyclerRows} cycler rows into ${into} in ${result.wall_s.toFixed(1)} s\n`);
    });
}

/** s → h:mm:ss */
function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

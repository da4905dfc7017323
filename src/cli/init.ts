/**
 * @module cli/init
 * `strata init CAMPAIGN_DIR [--probe xray|neutron] [--force]`: write a template
 * `campaign.json` and a README.md saying what to fill in (campaign/template). A folder
 * that already holds something is refused unless `--force`, before anything is written.
 *
 * Units: those of the manifest (in its field names).
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { campaignTemplate, PLACEHOLDER_MARK, templateReadme } from "../campaign/template.ts";
import { checkOutputFolder, FORCE_HELP, printJson } from "./output.ts";

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("Write a template campaign.json (and a README.md on filling it in) into a new or empty folder")
    .argument("<CAMPAIGN_DIR>", "folder to create (must be empty or new unless --force)")
    .option("--probe <xray|neutron>", "the beam of the template", "xray")
    .option("--force", FORCE_HELP.replace("--out", "CAMPAIGN_DIR"))
    .addHelpText(
      "after",
      `
Values starting with "${PLACEHOLDER_MARK}" must be replaced: strata inspect refuses the manifest and
names them until none is left. Every other value is a typical one (a Cu thin-film cell),
documented by the "notes" beside it; check them against your cell.`,
    )
    .option("--json", 'print {"files": [...], "probe", "placeholder"} instead of a sentence')
    .action((dir: string, options: { probe: string; force?: boolean; json?: boolean }) => {
      if (options.probe !== "xray" && options.probe !== "neutron") throw new ValidationError("--probe", 'must be "xray" or "neutron"', options.probe);
      checkOutputFolder(dir, options.force, "CAMPAIGN_DIR");
      fs.mkdirSync(dir, { recursive: true });
      const manifest = path.join(dir, "campaign.json");
      fs.writeFileSync(manifest, `${JSON.stringify(campaignTemplate(options.probe), null, 2)}\n`);
      fs.writeFileSync(path.join(dir, "README.md"), templateReadme(options.probe));
      if (options.json) printJson({ files: [manifest, path.join(dir, "README.md")], probe: options.probe, placeholder: PLACEHOLDER_MARK });
      else process.stdout.write(`wrote ${manifest} and ${path.join(dir, "README.md")}: replace the values starting with "${PLACEHOLDER_MARK}", then run strata inspect ${dir}\n`);
    });
}

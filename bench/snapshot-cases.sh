#!/usr/bin/env bash
# Behaviour snapshot of the benchmark cases (bench/diagnose.ts, bench/confounders.ts): the
# 200-scan X-ray campaign, the 3-spot 100-scan damage campaign and the 6 replicate cells,
# simulated with `strata simulate` and diagnosed with `strata diagnose` at default settings.
# Writes each diagnosis.json (without its "generated" date) and the printed verdicts to DIR,
# for `diff -r A B` between two versions. Takes ≈ 4–5 min on 2 cores.
#   bash bench/snapshot-cases.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: bench/snapshot-cases.sh DIR}"
mkdir -p "$out"
tmp=$(mktemp -d)
node -e '
const fs = require("fs");
const s = JSON.parse(fs.readFileSync("examples/scenario.json", "utf8"));
const scans = s.scans;
const cases = {
  large: { ...s, name: "200-scan X-ray campaign (benchmark)", law: { name: "parabolic", parameters: { L0: 18, kp: 0.0025 } }, scans: { ...scans, count: 200, interval_s: 900, exposure_s: 120 } },
  damage: { ...s, name: "3-spot 100-scan X-ray campaign with beam damage (benchmark)", law: { name: "parabolic", parameters: { L0: 18, kp: 0.0025 } }, scans: { ...scans, count: 98, interval_s: 900, exposure_s: 120 }, damage: { model: "linear", rate_A_per_Gy: 0.3, fresh: [48, 97] } },
  replicates: { ...s, name: "6 replicate cells (benchmark)", law: { name: "linear", parameters: { L0: 20, k: 8e-4 } }, cells: 6, population: { k: 0.2 }, scans: { ...scans, count: 12, interval_s: 2700, exposure_s: 300 } },
};
for (const [name, c] of Object.entries(cases)) fs.writeFileSync(`${process.argv[1]}/${name}.json`, JSON.stringify(c));
' "$tmp"
for name in large damage replicates; do
  node bin/strata.js simulate "$tmp/$name.json" --out "$tmp/$name" > /dev/null
  laws=()
  [ "$name" = replicates ] && laws=(--laws linear)
  node bin/strata.js diagnose "$tmp/$name" --out "$tmp/$name-out" "${laws[@]}" | grep -v "^wrote " > "$out/$name.txt"
  node -e 'const fs = require("fs"); const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); delete d.generated; fs.writeFileSync(process.argv[2], JSON.stringify(d, null, 1));' "$tmp/$name-out/diagnosis.json" "$out/$name.json"
done
rm -rf "$tmp"
echo "benchmark-case snapshot written to $out"

#!/usr/bin/env bash
# Behaviour snapshot: runs a fixed set of `strata` commands on the example campaign and the
# conformance files and writes each command's stdout (and exit code) to DIR, so that two
# versions of Strata can be compared with `diff -r A B`. Timing fields (elapsed seconds,
# dates) are removed from the JSON outputs; everything else must agree byte for byte or
# within stated floating-point tolerance.
#   bash bench/snapshot.sh DIR
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:?usage: bench/snapshot.sh DIR}"
mkdir -p "$out"
conf=../shared/conformance
strata() { node bin/strata.js "$@"; }
run() {
  local name="$1"; shift
  strata "$@" > "$out/$name.txt" 2> "$out/$name.err"
  echo "exit $?" >> "$out/$name.txt"
}
tmp=$(mktemp -d)
cat > "$tmp/model.json" <<'EOF'
{"probe": "xray", "energy_keV": 8.048,
 "layers": [{"sld": 0},
            {"material": {"formula": "LiF", "density": 2.635}, "thickness": 100, "roughness": 3},
            {"sld": 20.07, "isld": 0.457, "roughness": 3}],
 "scale": 1, "background": 1e-9,
 "resolution": {"dqOverQ": 0.05, "measure": "fwhm"},
 "q": [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]}
EOF
run sld sld LiF --density 2.635 --energy 8.048 --json
run sld-neutron sld Li2CO3 --density 2.11 --wavelength 5 --neutron --json
run reflect reflect "$tmp/model.json" --json
run profile profile "$tmp/model.json" --json
run eis-fit eis fit "$conf/eis/impedance.py/exampleData.csv" --circuit "R0-p(R1,C1)-p(R2-Wo1,C2)" --json
run eis-linkk eis linkk "$conf/eis/impedance.py/exampleData.csv" --json
run eis-drt eis drt "$conf/eis/impedance.py/exampleData.csv" --json
run inspect inspect examples/campaign --json
run dose dose examples/campaign --json
strata simulate examples/scenario.json --out "$tmp/sim" > "$out/simulate.txt" 2>&1
(cd "$tmp/sim" && find . -type f | sort | xargs sha256sum) > "$out/simulate-files.txt"
strata diagnose examples/campaign --out "$tmp/diag" > "$out/diagnose.txt" 2> "$out/diagnose.err"
echo "exit $?" >> "$out/diagnose.txt"
node -e '
const fs = require("fs");
const strip = (v) => {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) if (!/elapsed|seconds|_s$|date|created|generated|wall|time_ms/i.test(k)) o[k] = strip(x);
    return o;
  }
  return v;
};
const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
fs.writeFileSync(process.argv[2], JSON.stringify(strip(d), null, 1));
' "$tmp/diag/diagnosis.json" "$out/diagnosis.json"
sed -i -E 's/[0-9.]+ s\b/<t> s/g' "$out/diagnose.txt"
sed -i "s|$tmp|<tmp>|g" "$out/diagnose.txt" "$out/simulate.txt"
sed -i "s|$PWD|<repo>|g" "$out"/*.txt
rm -rf "$tmp"
echo "snapshot written to $out"

#!/usr/bin/env bash
# Regenerates the example reports in reports/examples/ (committed; the README links them), the example charts in
# docs/images/chart-*.png and, when Debian's chromium is installed, the pages' screenshots in docs/images/.
# Deterministic: the same commit gives the same Markdown, CSV, JSON, HTML and SVG (CI regenerates them and fails
# if they differ from the committed ones); PNG pixels may differ with the machine's SkiaSharp build, so they are
# regenerated but not compared.
#   scripts/regenerate-examples.sh            # from the repository root
set -euo pipefail
cd "$(dirname "$0")/.."
walsim() { dotnet run --project src/Cli -c Release --no-build -- "$@"; }
dotnet build src/Cli -c Release -v quiet -nologo >/dev/null

# Pre-upgrade what-if: a standby down for 6 hours at 5MB/s on a 100GB volume, from 12 to 15 and 17.
whatif_dir=reports/examples/whatif-standby-stalled-past-cap
walsim whatif scenarios/standby-stalled-past-cap.yaml --from 12 --to 15,17 --out "$whatif_dir" --html --svg >/dev/null

# Capacity plan: a month of a busy primary, the CDC connector, a 6-hour outage to survive on a 250GB volume.
plan_dir=reports/examples/plan-cdc-and-standby-30d
walsim plan scenarios/plan-cdc-and-standby-30d.yaml --slot cdc --target 6h --out "$plan_dir" --html --svg >/dev/null

# The charts as the CLI draws them (--out writes them as PNG, --png for simulate), for the README and docs/cli.md.
charts_dir=$(mktemp -d)
trap 'rm -rf "$charts_dir"' EXIT
walsim simulate scenarios/standby-stalled-past-cap.yaml --pg 12,15,17 --out "$charts_dir" --png >/dev/null
cp "$charts_dir/report.pg-wal.png" docs/images/chart-simulate-pg-wal-standby-stalled-past-cap.png
cp "$charts_dir/report.slot-1-standby1.png" docs/images/chart-simulate-slot-1-standby1-standby-stalled-past-cap.png
cp "$whatif_dir/whatif.pg-wal.png" docs/images/chart-whatif-pg-wal-standby-stalled-past-cap.png
cp "$whatif_dir/whatif.slot-1-standby1.png" docs/images/chart-whatif-slot-1-standby1-standby-stalled-past-cap.png
cp "$plan_dir/plan.survival-1-cdc.png" docs/images/chart-plan-survival-cdc-30d.png
cp "$plan_dir/plan.p-slot-lost-1-cdc.png" docs/images/chart-plan-p-slot-lost-cdc-30d.png

if command -v chromium >/dev/null 2>&1; then
  shot() { chromium --headless --no-sandbox --hide-scrollbars --window-size="$3" --screenshot="$2" "file://$PWD/$1" 2>/dev/null; }
  shot "$whatif_dir/whatif.html" docs/images/whatif-standby-stalled-past-cap.png 1140,1700
  shot "$plan_dir/plan.html" docs/images/plan-cdc-and-standby-30d.png 1140,1500
fi
ls -l "$whatif_dir" "$plan_dir"

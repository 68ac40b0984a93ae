#!/usr/bin/env bash
# Vendors the uPlot chart library (MIT) that the self-contained HTML reports inline: the IIFE build, its CSS and
# its LICENSE, from the npm package, checked against the tarball hash pinned below. To update: change VERSION,
# run with --update-hash to print the new tarball's sha256, put it in SHA256, run again, review and commit.
#
#   scripts/vendor-uplot.sh [--update-hash]
set -euo pipefail

VERSION=1.6.32
# sha256 of uplot-$VERSION.tgz as npm serves it (npm's own integrity is sha512-KIMVnG68...piQIw==).
SHA256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
DEST="$SCRIPT_DIR/../src/Analyzer/Reports/Html/vendor"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "uplot@$VERSION" >/dev/null)
tgz="$work/uplot-$VERSION.tgz"
actual=$(sha256sum "$tgz" | cut -d' ' -f1)
if [[ "${1:-}" == "--update-hash" ]]; then
    echo "$actual"
    exit 0
fi
if [[ "$actual" != "$SHA256" ]]; then
    echo "vendor-uplot.sh: uplot-$VERSION.tgz has sha256 $actual, expected $SHA256" >&2
    exit 1
fi

tar -xzf "$tgz" -C "$work"
mkdir -p "$DEST"
cp "$work/package/dist/uPlot.iife.min.js" "$DEST/uPlot.iife.min.js"
cp "$work/package/dist/uPlot.min.css" "$DEST/uPlot.min.css"
cp "$work/package/LICENSE" "$DEST/LICENSE"
printf 'uplot %s (npm), tarball sha256 %s, vendored by scripts/vendor-uplot.sh\n' "$VERSION" "$SHA256" > "$DEST/VERSION"
echo "uPlot $VERSION vendored into $DEST"

#!/usr/bin/env bash
# Per-step overhead of `sandbox step` (docs/fleet.md, capacity note): interleaved runs, as uid
# 65534, of a bare step and the same step under `sandbox step --profile fleet.toml`, in a git
# checkout as on a worker, with tests/bench/timeloop and scripts/bench.d/stats.awk. Two steps:
# `true` (the fixed cost) and the project's build (`make -B && ./hello`: gcc twice).
#
# usage: tests/fleet/step-overhead.sh [SANDBOX] [RUNS]   (default build/release/src/sandbox, 200)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
sandbox_src=${1:-$repo/build/release/src/sandbox}
runs=${2:-200}
[ "$(id -u)" -eq 0 ] || { echo "step-overhead: run as root (it drops to uid 65534)" >&2; exit 2; }

work=$(mktemp -d /var/tmp/step-overhead.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
mkdir -p "$work/bin" "$work/profiles" "$work/reports" "$work/checkout"
install -m 755 "$sandbox_src" "$work/bin/sandbox"
install -m 644 "$repo"/profiles/*.toml "$work/profiles/"
gcc -O2 -o "$work/bin/timeloop" "$repo/tests/bench/timeloop.c"
cp "$here"/project/{hello.c,Makefile,ci.sh} "$work/checkout/"
git -C "$work/checkout" init -q
chown -R 65534:65534 "$work/reports" "$work/checkout"
chmod 700 "$work/reports"

as_user=(setpriv --reuid 65534 --regid 65534 --clear-groups env -i -C "$work/checkout"
         PATH=/usr/bin:/bin HOME=/nonexistent LANG=C.UTF-8)
step=("$work/bin/sandbox" step --profile "$work/profiles/fleet.toml" --report-dir "$work/reports")
build=(sh -c 'make -s -B >/dev/null && ./hello')

"${as_user[@]}" "$work/bin/timeloop" -n "$runs" -w 5 -- \
  bare /bin/true ::: step "${step[@]}" -- /bin/true >"$work/true.tsv" 2>"$work/err" ||
  { cat "$work/err"; exit 1; }
brun=$((runs / 4))
"${as_user[@]}" "$work/bin/timeloop" -n "$brun" -w 2 -- \
  bare-build "${build[@]}" ::: step-build "${step[@]}" -- "${build[@]}" >"$work/build.tsv" \
  2>"$work/err" || { cat "$work/err"; exit 1; }

echo "load: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cpus, $(uname -r)"
printf '%-11s %10s %10s %10s %5s\n' label median_ms min_ms max_ms n
cat "$work/true.tsv" "$work/build.tsv" | awk -v scale=1e6 -f "$repo/scripts/bench.d/stats.awk" |
  tee "$work/stats" | awk -F'\t' '{ printf "%-11s %10.2f %10.2f %10.2f %5d\n", $1, $2, $3, $4, $5 }'
awk -F'\t' '{ m[$1] = $2; lo[$1] = $3 } END {
  printf "overhead per step (median): %.2f ms on true (x%.1f), %.2f ms on the build (x%.2f)\n",
    m["step"] - m["bare"], m["step"] / m["bare"], m["step-build"] - m["bare-build"],
    m["step-build"] / m["bare-build"]
  printf "overhead per step (min, the least disturbed runs): %.2f ms on true, %.2f ms on the build\n",
    lo["step"] - lo["bare"], lo["step-build"] - lo["bare-build"]
  o = (m["step"] - m["bare"]) / 1000
  printf "at 10,000 steps/day: %.1f s of wall time a day; at 1,000,000: %.0f s (%.2f h)\n",
    o * 1e4, o * 1e6, o * 1e6 / 3600
  printf "(wall time the steps take longer, summed over the pool; per worker slot, 1,000,000 steps a day is one every %.1f ms)\n", 86400e3 / 1e6
}' "$work/stats"

#!/usr/bin/env bash
# Builds the sandbox, the probe and the integration tests, then runs ctest label `integration`.
# Under root the tests run every sandbox as uid 65534 themselves (setpriv). With --unprivileged
# (root only) the whole test binary also runs once as uid 65534: the rootless path end to end.
#
# usage: scripts/run-integration.sh [--unprivileged] [BUILD_DIR]   (default BUILD_DIR: build)
set -euo pipefail
cd "$(dirname "$0")/.."

unprivileged=0
build=build
for arg in "$@"; do
  case "$arg" in
    --unprivileged) unprivileged=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    -*) echo "run-integration.sh: unknown option $arg" >&2; exit 2 ;;
    *) build=$arg ;;
  esac
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DSANDBOX_WERROR=ON >/dev/null
fi
ninja -C "$build" sandbox sandbox_probe sandbox_integration_tests
ctest --test-dir "$build" -L integration --output-on-failure -j"$(nproc 2>/dev/null || echo 2)"

if [ "$unprivileged" -eq 1 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-integration.sh: --unprivileged needs root (it drops to uid 65534)" >&2
    exit 2
  fi
  # uid 65534 may not reach the build tree: run world-readable copies instead.
  copy=$(mktemp -d /tmp/sandbox-it-unpriv.XXXXXX)
  trap 'rm -rf "$copy"' EXIT
  cp "$build/src/sandbox" "$build/tests/probe/probe" \
    "$build/tests/integration/sandbox_integration_tests" "$copy/"
  chmod 0755 "$copy" "$copy"/*
  echo "== integration tests as uid 65534"
  (cd "$copy" && SANDBOX_IT_SANDBOX="$copy/sandbox" SANDBOX_IT_PROBE="$copy/probe" \
    setpriv --reuid=65534 --regid=65534 --clear-groups -- ./sandbox_integration_tests)
fi

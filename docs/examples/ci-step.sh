#!/bin/sh
# Runs a project's test step under sandbox with a JSON report, keeps the report whatever
# happened, and fails exactly when the job failed (or the sandbox could not run it).
#
# usage: ci-step.sh REPORT_DIR -- COMMAND [ARGS...]
#   SANDBOX          the sandbox binary (default: sandbox from PATH)
#   SANDBOX_PROFILE  a profile to run under (e.g. ci); without one, the flags below
#   SANDBOX_FLAGS    extra sandbox flags (word-split), e.g. "--timeout 30m"
set -u
report_dir=$1
shift
[ "${1:-}" = "--" ] && shift
mkdir -p "$report_dir"
report=$report_dir/sandbox-report.json

if [ -n "${SANDBOX_PROFILE:-}" ]; then
  set -- --profile "$SANDBOX_PROFILE" -- "$@"
else
  # Read-only system, writable checkout, fresh /proc, /dev and /tmp, no network.
  set -- --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/sbin /sbin \
    --symlink usr/lib /lib --symlink usr/lib64 /lib64 --ro-bind-try /etc /etc \
    --proc /proc --dev /dev --tmpfs /tmp --bind "$PWD" "$PWD" --chdir "$PWD" -- "$@"
fi
status=0
# shellcheck disable=SC2086
"${SANDBOX:-sandbox}" --report "$report" ${SANDBOX_FLAGS:-} "$@" || status=$?

# The report says how the run ended; print the gist for the CI log. python3 is optional here.
if [ -s "$report" ] && command -v python3 >/dev/null; then
  python3 - "$report" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("sandbox: outcome=%s exit_code=%s wall=%.1fs cpu=%.1fs%s" % (
    r["outcome"], r["exit_code"], r["wall_time_seconds"],
    (r["resources"]["user_cpu_seconds"] or 0) + (r["resources"]["system_cpu_seconds"] or 0),
    "" if not r["message"] else " (" + r["message"] + ")"))
PY
fi
# Upload "$report" here with your CI's artifact command; then fail on the job's status.
exit "$status"

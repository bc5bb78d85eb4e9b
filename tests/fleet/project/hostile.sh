#!/bin/bash
# A hostile step (tests/fleet/e2e.sh): every line tries to reach something a step on a shared
# worker must not. Each success prints a marker the e2e script looks for; the markers are
# built at run time so that the script's own text in a log never matches.
m() { printf 'ESCAPED-%s\n' "$1"; }
homes="@HOMES@"
for h in ~ $homes; do
  cat "$h/.ssh/id_ed25519" 2>/dev/null
done
env | grep -q '^FLEET_SECRET=' && m env
env
for hp in @CONNECT@; do
  if timeout 3 bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp#*:}" 2>/dev/null; then m "connect-$hp"; fi
done
# Outside the checkout: the e2e script looks for these files on the host afterwards.
for f in ../fe2e-outside /tmp/fe2e-outside ~/fe2e-outside $(printf '%s/fe2e-outside ' $homes); do
  echo planted >"$f" 2>/dev/null && echo "wrote $f"
done
setsid sleep @SLEEP@ </dev/null >/dev/null 2>&1 &
echo "hostile step done"
exit 0

#!/usr/bin/env bash
# End-to-end test of docs/fleet.md on one machine (issue 18): as root on a fresh Debian 12 with
# loopback only, installs Buildbot, Slurm, munge and distcc from Debian and brings up
#   - a Buildbot master and two workers, each worker its own unprivileged user in its own
#     network namespace (veth pairs 10.18.1.0/24, 10.18.2.0/24);
#   - a Slurm controller and two `slurmd -N` nodes in their own network namespaces
#     (10.18.3.0/24, 10.18.4.0/24);
#   - a distcc daemon (its own user, network namespace 10.18.5.0/24) whose compilers are
#     wrapped with `sandbox step`, and a second one without the wrapper;
# runs a build of tests/fleet/project through each under `sandbox step` with the fleet
# profile, then hostile steps (tests/fleet/project/hostile.sh, a hostile gcc -wrapper), and
# checks each is contained, that the reports reached the master / the submitter, that a step
# exiting 3 fails its build with the report saying 3; the same hostile steps without the
# wrapper must escape (so the checks can fail). Tears everything down. One PASS/FAIL line per
# check; exits 1 on any failure.
#
# usage: tests/fleet/e2e.sh [--sandbox PATH] [--only buildbot,slurm,distcc] [--keep]
#   --sandbox PATH  the binary (default: the installed sandbox, else build/release/src/sandbox)
#   --keep          leave everything up and print where (tear down by running with --down)
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
only="buildbot,slurm,distcc"
keep=0
down_only=0
sandbox_src=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sandbox) sandbox_src=${2:?--sandbox needs a path}; shift ;;
    --only) only=${2:?--only needs a list}; shift ;;
    --keep) keep=1 ;;
    --down) down_only=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
wants() { [[ ",$only," == *",$1,"* ]]; }

if [ "$(id -u)" -ne 0 ]; then
  echo "e2e: needs root (users, network namespaces, daemons); run it in a throwaway VM" >&2
  exit 2
fi

root=/var/tmp/sandbox-fleet-e2e
users=(fe2ebbm fe2ew1 fe2ew2 fe2esub fe2edcc)
netns=(fe2ew1 fe2ew2 fe2es1 fe2es2 fe2ed)
started_munged=0

failures=0
checks=0
pass() { checks=$((checks + 1)); printf 'PASS  %s\n' "$1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; }
# check NAME COMMAND...: PASS when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
absent() { ! grep -qF -- "$1" "$2" 2>/dev/null; }
present() { grep -qF -- "$1" "$2" 2>/dev/null; }
say() { printf '\n== %s\n' "$*"; }
log() { printf '   %s\n' "$*"; }

# Kills, by pid, every process of the users this script created (the escaped daemons of the
# unwrapped runs, daemons left by an aborted run).
kill_user_processes() {
  local u pid
  for u in "${users[@]}"; do
    id "$u" >/dev/null 2>&1 || continue
    for pid in $(pgrep -u "$u"); do kill -KILL "$pid" 2>/dev/null; done
  done
}

teardown() {
  set +e
  if [ -d "$root/bb" ]; then
    for w in w1 w2; do
      [ -d "/home/fe2e$w/worker" ] && runuser -u "fe2e$w" -- buildbot-worker stop "/home/fe2e$w/worker" >/dev/null 2>&1
    done
    [ -d "$root/bb/master" ] && runuser -u fe2ebbm -- buildbot stop "$root/bb/master" >/dev/null 2>&1
  fi
  local pidfile
  for pidfile in "$root"/slurm/*.pid "$root"/distcc/*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
  done
  sleep 1
  kill_user_processes
  for pidfile in "$root"/slurm/*.pid; do
    [ -f "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
  done
  if [ -f "$root/munged.pid" ]; then kill "$(cat "$root/munged.pid")" 2>/dev/null; fi
  for n in "${netns[@]}"; do
    ip link del "${n}h" 2>/dev/null
    ip netns del "$n" 2>/dev/null
  done
  for u in "${users[@]}"; do
    id "$u" >/dev/null 2>&1 && userdel -r "$u" >/dev/null 2>&1
  done
  rm -rf "$root" /tmp/fe2e-* /var/tmp/fe2e-*
}

if [ "$down_only" -eq 1 ]; then teardown; exit 0; fi
teardown
if [ "$keep" -eq 0 ]; then trap teardown EXIT; fi
start_time=$(date +%s)

say "packages"
pkgs=(buildbot buildbot-worker slurm-wlm munge distcc gcc make git iproute2 python3 util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null || { echo "e2e: apt-get install failed" >&2; exit 2; }
fi

say "the sandbox, its profiles, users, network namespaces"
if [ -z "$sandbox_src" ]; then
  sandbox_src=$(command -v sandbox || echo "$repo/build/release/src/sandbox")
fi
[ -x "$sandbox_src" ] || { echo "e2e: no sandbox binary at $sandbox_src (build it or pass --sandbox)" >&2; exit 2; }
mkdir -p "$root/opt/bin" "$root/opt/profiles"
chmod 755 "$root" "$root/opt" "$root/opt/bin" "$root/opt/profiles"
install -m 755 "$sandbox_src" "$root/opt/bin/sandbox"
install -m 644 "$repo"/profiles/*.toml "$root/opt/profiles/"
SANDBOX=$root/opt/bin/sandbox
PROFILE=$root/opt/profiles/fleet.toml
log "sandbox $SANDBOX ($($SANDBOX --version 2>&1 | head -n1)), profile $PROFILE"

run_id=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SECRET="fleet-secret-$run_id"
for u in "${users[@]}"; do
  useradd --create-home --home-dir "/home/$u" --shell /bin/bash "$u"
  chmod 700 "/home/$u"
  install -d -m 700 -o "$u" -g "$u" "/home/$u/.ssh" "/home/$u/reports"
  echo "SSH-KEY-OF-$u-$run_id" >"/home/$u/.ssh/id_ed25519"
  chown "$u:$u" "/home/$u/.ssh/id_ed25519"
  chmod 600 "/home/$u/.ssh/id_ed25519"
  # The checkouts are the workers' own, but the repository they clone is root's.
  runuser -u "$u" -- git config --global safe.directory '*'
  runuser -u "$u" -- git config --global user.email "$u@fleet.invalid"
  runuser -u "$u" -- git config --global user.name "$u"
done
homes="/home/fe2ebbm /home/fe2ew1 /home/fe2ew2 /home/fe2esub /home/fe2edcc"

# netns NAME SUBNET: a network namespace joined to this one by a veth pair; this side is
# SUBNET.1, the namespace's SUBNET.2, with its default route through SUBNET.1.
make_netns() {
  local n=$1 net=$2
  ip netns add "$n"
  ip link add "${n}h" type veth peer name "${n}n"
  ip link set "${n}n" netns "$n"
  ip addr add "$net.1/24" dev "${n}h"
  ip link set "${n}h" up
  ip -n "$n" addr add "$net.2/24" dev "${n}n"
  ip -n "$n" link set lo up
  ip -n "$n" link set "${n}n" up
  ip -n "$n" route add default via "$net.1"
}
make_netns fe2ew1 10.18.1
make_netns fe2ew2 10.18.2
make_netns fe2es1 10.18.3
make_netns fe2es2 10.18.4
make_netns fe2ed 10.18.5
log "namespaces: ${netns[*]}"

# The hostile step, with this run's paths and ports.
hostile_script() { # SLEEP CONNECT...
  local sleep=$1; shift
  sed -e "s|@HOMES@|$homes|" -e "s|@CONNECT@|$*|" -e "s|@SLEEP@|$sleep|" "$here/project/hostile.sh"
}
# daemon_left SLEEP: pids of an escaped `setsid sleep SLEEP`.
daemon_left() { pgrep -f "^sleep $1\$"; }
kill_daemon() { local pid; for pid in $(daemon_left "$1"); do kill -KILL "$pid"; done; }
# The project as a git repository anyone may clone.
install -d -m 755 "$root/src"
git init -q -b master "$root/src/project"
cp "$here"/project/{hello.c,Makefile,ci.sh} "$root/src/project/"
git -C "$root/src/project" add -A
git -C "$root/src/project" -c user.email=e2e@fleet.invalid -c user.name=e2e commit -qm project
git clone -q --bare "$root/src/project" "$root/src/project.git"
chmod -R a+rX "$root/src"
base_rev=$(git -C "$root/src/project" rev-parse HEAD)

# --- distcc ------------------------------------------------------------------------------------
distcc_stage() {
  say "distcc: a daemon whose compilers run under sandbox step, and one without"
  local d=$root/distcc u=fe2edcc
  install -d -m 755 "$d" "$d/wrap"
  install -d -m 700 -o $u -g $u "$d/tmp"
  local real name
  real=$(readlink -f /usr/bin/gcc)
  for name in gcc cc x86_64-linux-gnu-gcc; do
    sed -e "s|@SANDBOX@|$SANDBOX|" -e "s|@PROFILE@|$PROFILE|" -e "s|@REPORTS@|/home/$u/reports|" \
      -e "s|@REAL@|$real|" "$here/distcc-gcc" >"$d/wrap/$name"
    chmod 755 "$d/wrap/$name"
  done
  # Another request's preprocessed source, in the daemon's TMPDIR as distccd names them.
  echo "OTHER-REQUEST-$run_id" >"$d/tmp/distccd_other.i"
  chown $u:$u "$d/tmp/distccd_other.i"
  # port 3632: wrapped; 3633: the same daemon without the wrapper.
  local port path
  for port in 3632 3633; do
    path=/usr/bin:/bin
    [ $port = 3632 ] && path=$d/wrap:/usr/bin:/bin
    ip netns exec fe2ed setpriv --reuid $u --regid $u --init-groups \
      env -i PATH="$path" HOME=/home/$u TMPDIR="$d/tmp" FLEET_SECRET="$SECRET" \
      distccd --daemon --no-detach --port $port --listen 10.18.5.2 --allow 10.18.5.1 \
      --log-file "$d/distccd-$port.log" --jobs 2 &
    echo $! >"$d/distccd-$port.pid"
  done
  sleep 1
  local c=/home/fe2esub/distcc
  install -d -o fe2esub -g fe2esub "$c" "$c/wrapped" "$c/unwrapped"
  cp "$here"/project/{hello.c,Makefile} "$c/wrapped/"
  cp "$here"/project/{hello.c,Makefile} "$c/unwrapped/"
  printf 'int f(void) { return 1; }\n' >"$c/hostile.c"
  chown -R fe2esub:fe2esub "$c"
  client() { # PORT DIR ARGS...
    local port=$1 dir=$2; shift 2
    runuser -u fe2esub -- env -C "$dir" DISTCC_HOSTS="10.18.5.2:$port/2" DISTCC_FALLBACK=0 \
      DISTCC_SKIP_LOCAL_RETRY=1 DISTCC_DIR="$c/.distcc" "$@"
  }
  local t0 t1
  t0=$(date +%s.%N)
  client 3632 "$c/wrapped" make -s CC="distcc gcc" >"$d/build.out" 2>&1
  local rc=$?
  t1=$(date +%s.%N)
  log "wrapped distcc build: exit $rc in $(echo "$t1 - $t0" | bc 2>/dev/null || echo ?) s"
  check "distcc: the project builds through the wrapped daemon" \
    test $rc -eq 0 -a -x "$c/wrapped/hello"
  check "distcc: each compile left a report on the server" \
    test "$(find /home/$u/reports -name '*.json' | wc -l)" -ge 1
  check "distcc: the daemon's log shows the compile ran there" \
    grep -q "COMPILE_OK" "$d/distccd-3632.log"

  # gcc -wrapper: the client's command runs on the server, before cc1.
  local payload
  payload="cat /home/$u/.ssh/id_ed25519 $d/tmp/distccd_other.i >&2; echo \"\$FLEET_SECRET\" >&2;"
  payload+=" echo planted >/tmp/fe2e-dcc-outside && echo ESCAPED-write >&2;"
  payload+=" setsid sleep 3133 </dev/null >/dev/null 2>&1 & exec \"\$0\" \"\$@\""
  local port out
  for port in 3632 3633; do
    out=$d/hostile-$port.out
    rm -f /tmp/fe2e-dcc-outside
    client $port "$c" distcc gcc -wrapper "/bin/sh,-c,$payload" -c hostile.c -o hostile-$port.o \
      >"$out" 2>&1
    log "hostile compile on port $port: exit $?"
    sleep 1
    if [ $port = 3632 ]; then
      check "distcc: hostile -wrapper cannot read the daemon user's ~/.ssh" absent "SSH-KEY-OF-$u" "$out"
      check "distcc: hostile -wrapper cannot read another request's files" absent "OTHER-REQUEST-$run_id" "$out"
      check "distcc: hostile -wrapper does not see the daemon's environment" absent "$SECRET" "$out"
      check "distcc: hostile -wrapper cannot write outside its request" test ! -e /tmp/fe2e-dcc-outside
      check "distcc: hostile -wrapper leaves no daemon" test -z "$(daemon_left 3133)"
      check "distcc: the hostile compile still reached cc1 (the wrapper ran in the sandbox)" \
        test -f "$c/hostile-$port.o"
    else
      check "distcc without the wrapper: the same compile reads ~/.ssh (escape shown)" present "SSH-KEY-OF-$u" "$out"
      check "distcc without the wrapper: reads another request's files (escape shown)" present "OTHER-REQUEST-$run_id" "$out"
      check "distcc without the wrapper: sees the daemon's environment (escape shown)" present "$SECRET" "$out"
      check "distcc without the wrapper: writes outside (escape shown)" test -e /tmp/fe2e-dcc-outside
      check "distcc without the wrapper: leaves a daemon (escape shown)" test -n "$(daemon_left 3133)"
      kill_daemon 3133
    fi
  done
  rm -f /tmp/fe2e-dcc-outside
}

wants distcc && distcc_stage

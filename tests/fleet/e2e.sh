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

failures=0
checks=0
pass() { checks=$((checks + 1)); printf 'PASS  %s\n' "$1"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); printf 'FAIL  %s\n' "$1"; }
# check NAME COMMAND...: PASS when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }
not() { ! "$@"; }
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
# outside_written CHECKOUT: whether the hostile step's files outside CHECKOUT are there.
outside_written() {
  local f
  for f in /tmp/fe2e-outside /home/fe2e*/fe2e-outside "$1/../fe2e-outside"; do
    [ -e "$f" ] && return 0
  done
  return 1
}
clean_outside() { rm -f /tmp/fe2e-outside /home/fe2e*/fe2e-outside "$1/../fe2e-outside"; }
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
  install -d -m 700 -o $u -g $u "$d/tmp" "$d/log"
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
      --log-file "$d/log/distccd-$port.log" --jobs 2 </dev/null >"$d/distccd-$port.out" 2>&1 &
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
      DISTCC_SKIP_LOCAL_RETRY=1 HOME=/home/fe2esub "$@"
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
    grep -q "COMPILE_OK" "$d/log/distccd-3632.log"

  # gcc -wrapper: the client's command runs on the server, before cc1.
  local payload
  # The client runs the preprocessor with the same arguments, -wrapper included: the payload
  # acts on the server only (the client's machine is the submitter's own).
  payload="[ \$(id -u) != $(id -u fe2esub) ] || exec \"\$0\" \"\$@\"; "
  payload+="cat /home/$u/.ssh/id_ed25519 $d/tmp/distccd_other.i >&2; echo \"\$FLEET_SECRET\" >&2;"
  payload+=" echo planted >/tmp/fe2e-dcc-outside;"
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

# --- Slurm -------------------------------------------------------------------------------------
slurm_stage() {
  say "Slurm: a controller and two slurmd -N nodes in their own network namespaces"
  local d=$root/slurm sub=fe2esub
  install -d -m 755 "$d" "$d/ctld" "$d/spool-n1" "$d/spool-n2"
  sed -e "s|@HOST@|$(hostname -s)|" -e "s|@DIR@|$d|" -e "s|@CPUS@|$(nproc)|" \
    "$here/slurm.conf.in" >"$d/slurm.conf"
  chmod 644 "$d/slurm.conf"
  export SLURM_CONF=$d/slurm.conf
  if ! pgrep -x munged >/dev/null; then
    install -d -m 755 -o munge -g munge /run/munge
    setpriv --reuid munge --regid munge --init-groups /usr/sbin/munged --foreground \
      </dev/null >"$d/munged.out" 2>&1 &
    echo $! >"$root/munged.pid"
    for _ in $(seq 1 20); do [ -S /run/munge/munge.socket.2 ] && break; sleep 0.5; done
  fi
  slurmctld -f "$d/slurm.conf" </dev/null >"$d/slurmctld.out" 2>&1
  # Not `ip netns exec`: its fresh /sys hides the cgroup mounts and slurmd fails.
  local n
  for n in 1 2; do nsenter --net=/run/netns/fe2es$n slurmd -N n$n -f "$d/slurm.conf" \
    </dev/null >"$d/slurmd-n$n.out" 2>&1; done
  for _ in $(seq 1 30); do
    [ "$(sinfo -h -o '%T' -t idle 2>/dev/null | wc -l)" -ge 1 ] &&
      [ "$(sinfo -h -N -o '%N %T' 2>/dev/null | grep -c idle)" -eq 2 ] && break
    sleep 1
  done
  check "slurm: both nodes up" test "$(sinfo -h -N -o '%N %T' 2>/dev/null | grep -c idle)" -eq 2

  # The submitter's checkout, on the "shared filesystem" (this host's).
  local w=/home/$sub/slurm
  runuser -u $sub -- git clone -q "$root/src/project.git" "$w"
  hostile_script 3132 10.18.3.1:6817 10.18.3.1:6818 >"$w/hostile.sh"
  printf '#!/bin/sh\n# a test shard: shard 1 fails with 3\necho "shard $1 on $SLURMD_NODENAME"\n[ "$1" != 1 ] || exit 3\n' >"$w/shard.sh"
  chown $sub:$sub "$w/hostile.sh" "$w/shard.sh"
  chmod 755 "$w/hostile.sh" "$w/shard.sh"
  as_sub() { runuser -u $sub -- env -C "$w" SLURM_CONF="$SLURM_CONF" FLEET_SECRET="$SECRET" "$@"; }

  as_sub srun -N2 -n2 --time=2 "$SANDBOX" doctor --json >"$d/doctor.out" 2>&1
  check "slurm: srun -N2 sandbox doctor --json passes on every node" \
    test "$(grep -c '"ok": *true' "$d/doctor.out")" -ge 2
  # One checkout per task (tasks of a step share the submitter's filesystem).
  runuser -u $sub -- git clone -q "$root/src/project.git" "$w/shard-0"
  runuser -u $sub -- git clone -q "$root/src/project.git" "$w/shard-1"
  as_sub srun -N2 -n2 --time=2 bash -c 'cd shard-$SLURM_PROCID && exec "$0" "$@"' "$SANDBOX" step \
    --profile "$PROFILE" --report-dir /home/$sub/reports -- sh ci.sh >"$d/build.out" 2>&1
  check "slurm: the project builds on both nodes under sandbox step" \
    test "$(grep -c 'hello from the fleet' "$d/build.out")" -eq 2

  local jobid
  jobid=$(as_sub sbatch --parsable --wait --array=0-2 --time=2 -o "/home/$sub/shard-%a.out" \
    --wrap "$SANDBOX step --profile $PROFILE --report-dir /home/$sub/reports --name shard-\$SLURM_ARRAY_TASK_ID -- sh shard.sh \$SLURM_ARRAY_TASK_ID" 2>"$d/sbatch.err")
  jobid=${jobid%%;*}
  scontrol show job "$jobid" >"$d/array.txt" 2>&1
  local codes
  codes=$(awk '/ArrayTaskId=/{match($0,/ArrayTaskId=[0-9]+/); t=substr($0,RSTART+12,RLENGTH-12)} /ExitCode=/{match($0,/ExitCode=[0-9]+:[0-9]+/); print t "=" substr($0,RSTART+9,RLENGTH-9)}' "$d/array.txt" | sort | tr '\n' ' ')
  log "sbatch --array=0-2 job $jobid: exit codes per task: $codes"
  check "slurm: sbatch --array exit codes per task (shard 1 exits 3, the others 0)" \
    test "$codes" = "0=0:0 1=3:0 2=0:0 "
  check "slurm: shard 1's report, with the submitter, says 3" \
    grep -q '"exit_code": *3' /home/$sub/reports/shard-1.json

  as_sub srun -w n1 --time=2 "$SANDBOX" step --profile "$PROFILE" --report-dir /home/$sub/reports \
    --name slurm-hostile -- bash hostile.sh >"$d/hostile.out" 2>&1
  log "hostile srun task under sandbox step: exit $?"
  sleep 1
  check "slurm: hostile task cannot read ~/.ssh" absent "SSH-KEY-OF-" "$d/hostile.out"
  check "slurm: hostile task does not see the submitter's environment" absent "$SECRET" "$d/hostile.out"
  check "slurm: hostile task cannot connect to slurmctld/slurmd" absent "ESCAPED-connect" "$d/hostile.out"
  check "slurm: hostile task cannot write outside its checkout" not outside_written "$w"
  check "slurm: hostile task leaves no daemon" test -z "$(daemon_left 3132)"
  check "slurm: the hostile task's report reached the submitter" test -s /home/$sub/reports/slurm-hostile.json
  as_sub srun -w n1 --time=2 bash hostile.sh >"$d/hostile-unwrapped.out" 2>&1
  sleep 1
  check "slurm without the wrapper: reads ~/.ssh (escape shown)" present "SSH-KEY-OF-$sub" "$d/hostile-unwrapped.out"
  check "slurm without the wrapper: sees the secret (escape shown)" present "$SECRET" "$d/hostile-unwrapped.out"
  check "slurm without the wrapper: connects to slurmctld (escape shown)" present "ESCAPED-connect-10.18.3.1:6817" "$d/hostile-unwrapped.out"
  check "slurm without the wrapper: writes outside (escape shown)" outside_written "$w"
  clean_outside "$w"
  check "slurm without the wrapper: leaves a daemon (escape shown)" test -n "$(daemon_left 3132)"
  kill_daemon 3132
}
# --- Buildbot ----------------------------------------------------------------------------------
bb_stage() {
  say "Buildbot: a master and two workers, each its own user in its own network namespace"
  local d=$root/bb m=$root/bb/master
  install -d -m 755 "$d"
  install -d -m 755 -o fe2ebbm -g fe2ebbm "$m"
  cat >"$m/fleet.json" <<JSON
{"pb_port": 9989, "try_port": 8031, "try_user": "dev", "try_password": "devpw",
 "repo": "$root/src/project.git", "sandbox": "$SANDBOX", "profile": "$PROFILE",
 "workers": [{"name": "w1", "password": "pw1", "reportdir": "/home/fe2ew1/reports"},
             {"name": "w2", "password": "pw2", "reportdir": "/home/fe2ew2/reports"}]}
JSON
  cp "$here/master.cfg" "$m/master.cfg"
  chown fe2ebbm:fe2ebbm "$m/fleet.json" "$m/master.cfg"
  runuser -u fe2ebbm -- buildbot create-master -q "$m" >"$d/create.log" 2>&1 ||
    { cat "$d/create.log"; fail "buildbot: create-master"; return; }
  runuser -u fe2ebbm -- buildbot start "$m" >"$d/start.log" 2>&1 ||
    { tail -n 30 "$m/twistd.log"; fail "buildbot: master starts"; return; }
  local n u
  for n in 1 2; do
    u=fe2ew$n
    runuser -u $u -- buildbot-worker create-worker -q /home/$u/worker 10.18.$n.1:9989 w$n pw$n \
      >/dev/null
    ip netns exec fe2ew$n setpriv --reuid $u --regid $u --init-groups \
      env -i PATH=/usr/bin:/bin HOME=/home/$u USER=$u LOGNAME=$u FLEET_SECRET="$SECRET" \
      buildbot-worker start /home/$u/worker >"$d/worker$n.log" 2>&1
  done
  for _ in $(seq 1 60); do
    [ "$(grep -c 'worker .w[12]. attaching' "$m/twistd.log" 2>/dev/null)" -ge 2 ] && break
    sleep 1
  done
  check "buildbot: both workers attached from their namespaces" \
    test "$(grep -c 'worker .w[12]. attaching' "$m/twistd.log")" -ge 2

  # Changes, as `buildbot try` diffs against the repository's master.
  local scratch=$root/src/scratch
  git clone -q "$root/src/project.git" "$scratch"
  diff_of() { # NAME: writes $d/NAME.diff from the scratch clone's ci.sh, then resets it
    git -C "$scratch" diff --src-prefix=a/ --dst-prefix=b/ >"$d/$1.diff"
    git -C "$scratch" checkout -q -- .
    chmod 644 "$d/$1.diff"
  }
  echo "# a harmless change" >>"$scratch/ci.sh"; diff_of benign
  hostile_script 3131 10.18.1.1:9989 10.18.1.1:8031 >"$scratch/ci.sh"; diff_of hostile
  echo "exit 3" >>"$scratch/ci.sh"; diff_of exit3
  try() { # NAME BUILDER...: submits NAME.diff with buildbot try --wait as the submitter
    local name=$1; shift
    local b=() x
    for x in "$@"; do b+=(-b "$x"); done
    runuser -u fe2esub -- timeout 300 buildbot try --connect=pb --master=127.0.0.1:8031 \
      --username=dev --passwd=devpw --vc=git --branch=master --repository="$root/src/project.git" \
      --baserev="$base_rev" --diff="$d/$name.diff" -p 1 "${b[@]}" --wait >"$d/try-$name.out" 2>&1
    log "buildbot try $name on $*: exit $? ($(tail -n 3 "$d/try-$name.out" | tr '\n' ' '))"
  }
  # in_report_log BUILDER NAME PATTERN: the ci step's `report` log of BUILDER's last build matches.
  # The master may write a log's last chunks just after the build is reported complete: the
  # database is read again for a few seconds before the check fails.
  in_report_log() {
    for _ in 1 2 3 4 5; do
      awk '/^=== ci\/report$/ { p = 1; next } /^=== / { p = 0 } p' "$d/$2-$1.log" |
        grep -qE "$3" && return 0
      sleep 1
      result "$1" "$2" >/dev/null
    done
    return 1
  }
  result() { # BUILDER NAME: the last build's result and number; its logs in $d/NAME-BUILDER.log
    python3 "$here/bbdb.py" "$m/state.sqlite" "$1" "$d/$2-$1.log"
  }
  local r num w

  try benign wrapped-w1 wrapped-w2
  for w in w1 w2; do
    read -r r num < <(result wrapped-$w benign)
    check "buildbot: the project builds on $w under sandbox step (result $r)" test "$r" = 0
    check "buildbot: $w's build printed its output" present "hello from the fleet" "$d/benign-wrapped-$w.log"
    check "buildbot: $w's report is attached to the step as a log" \
      in_report_log wrapped-$w benign '"outcome": *"exited"'
    check "buildbot: $w's report was uploaded to the master" test -s "$m/reports/wrapped-$w-$num.json"
  done

  try hostile wrapped-w1 wrapped-w2
  sleep 1
  for w in w1 w2; do
    read -r r num < <(result wrapped-$w hostile)
    local l=$d/hostile-wrapped-$w.log
    check "buildbot: hostile step on $w ran (result $r)" present "hostile step done" "$l"
    check "buildbot: hostile step on $w cannot read ~/.ssh" absent "SSH-KEY-OF-" "$l"
    check "buildbot: hostile step on $w does not see the worker's secret" absent "$SECRET" "$l"
    check "buildbot: hostile step on $w cannot connect to the master's ports" absent "ESCAPED-connect" "$l"
    check "buildbot: hostile step on $w cannot write outside its checkout" \
      not outside_written /home/fe2e$w/worker/wrapped-$w/build
    check "buildbot: hostile step's report reached the master" test -s "$m/reports/wrapped-$w-$num.json"
  done
  check "buildbot: hostile steps left no daemon" test -z "$(daemon_left 3131)"

  try hostile unwrapped
  sleep 1
  read -r r num < <(result unwrapped hostile)
  local l=$d/hostile-unwrapped.log
  check "buildbot without the wrapper: reads ~/.ssh (escape shown)" present "SSH-KEY-OF-fe2ew1" "$l"
  check "buildbot without the wrapper: sees the worker's secret (escape shown)" present "$SECRET" "$l"
  check "buildbot without the wrapper: connects to the master (escape shown)" present "ESCAPED-connect-10.18.1.1:9989" "$l"
  check "buildbot without the wrapper: writes outside (escape shown)" \
    outside_written /home/fe2ew1/worker/unwrapped/build
  clean_outside /home/fe2ew1/worker/unwrapped/build
  check "buildbot without the wrapper: leaves a daemon (escape shown)" test -n "$(daemon_left 3131)"
  kill_daemon 3131

  try exit3 wrapped-w1
  read -r r num < <(result wrapped-w1 exit3)
  check "buildbot: a step exiting 3 fails its build (result $r)" test "$r" = 2
  check "buildbot: the submitter is told it failed" grep -qi "failure" "$d/try-exit3.out"
  check "buildbot: the uploaded report says 3" \
    grep -qE '"exit_code": *3[,}]' "$m/reports/wrapped-w1-$num.json"
  check "buildbot: the report log on the step says 3" in_report_log wrapped-w1 exit3 '"exit_code": *3[,}]'
}

wants buildbot && bb_stage
wants slurm && slurm_stage
wants distcc && distcc_stage

elapsed=$(($(date +%s) - start_time))
say "$checks checks, $failures failed, in ${elapsed} s"
[ "$keep" -eq 1 ] && echo "kept: $root (tear down with $0 --down)"
[ "$failures" -eq 0 ]

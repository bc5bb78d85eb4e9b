#!/usr/bin/env bash
# Keeps the documentation honest against the binary:
#   - every flag `sandbox --help` lists is in the man page and in the bash completion;
#   - every subcommand in the completion is one the binary knows (its --help exits 0);
#   - the man page renders without groff warnings (when groff is installed);
#   - the completion completes flags, subcommands, flag values and profile names, with and
#     without the bash-completion package loaded.
# usage: check_docs.sh SANDBOX MANPAGE COMPLETION
set -uo pipefail
sandbox=$1 manpage=$2 completion=$3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

flags=$("$sandbox" --help | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' | sort -u)
[ -n "$flags" ] || fail "no flags in sandbox --help"
# shellcheck source=/dev/null
source "$completion"
for flag in $flags; do
  roff=${flag//-/\\-}
  grep -qF -- "$roff" "$manpage" || fail "$flag is missing from $manpage (as $roff)"
  [[ " $(echo $_sandbox_flags) " == *" $flag "* ]] || fail "$flag is missing from $completion"
done
for command in $_sandbox_subcommands; do
  "$sandbox" "$command" --help >/dev/null 2>&1 || fail "completion offers unknown subcommand $command"
  grep -qF "sandbox $command" "$manpage" || fail "subcommand $command is missing from $manpage"
done

if command -v groff >/dev/null; then
  warnings=$(groff -man -ww -z "$manpage" 2>&1)
  [ -z "$warnings" ] || fail "groff warns about $manpage: $warnings"
else
  echo "groff not installed: man page rendering not checked"
fi

# complete WORDS...: runs the completion on the words (the last one is being completed).
complete_words() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _sandbox
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

expect() {  # expect WANT WORDS...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  [ "$got" = "$want" ] || fail "[$mode] completing '$*': got '$got', want '$want'"
}

run_completion_checks() {
  scratch=$(mktemp -d)
  mkdir -p "$scratch/config/sandbox/profiles" "$scratch/dir/sub"
  touch "$scratch/config/sandbox/profiles/mine.toml" "$scratch/config/sandbox/profiles/ci.toml"
  export XDG_CONFIG_HOME=$scratch/config
  expect "doctor" sandbox do
  expect "--ro-bind --ro-bind-try" sandbox --ro-b
  expect "--report --report-fd" sandbox --rep
  expect "auto off on" sandbox --landlock ""
  expect "nofile= nproc=" sandbox --limit n
  expect "ci mine" sandbox --profile ""
  expect "$scratch/dir/sub" sandbox --tmpfs "$scratch/dir/s"
  expect "$scratch/dir/sub" sandbox --ro-bind /usr "$scratch/dir/s"
  expect "--help" sandbox doctor -
  expect "" sandbox --hostname ""
  rm -rf "$scratch"
}

mode=plain
run_completion_checks
if [ -f /usr/share/bash-completion/bash_completion ]; then
  mode=bash-completion
  # shellcheck source=/dev/null
  source /usr/share/bash-completion/bash_completion
  source "$completion"
  run_completion_checks
else
  echo "bash-completion not installed: checked the plain fallback only"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures documentation check(s) failed"
  exit 1
fi
echo "documentation checks passed"

#!/usr/bin/env bash
# shellcheck disable=SC2154  # _sandbox_flags, _sandbox_subcommands: set by the completion file
# Keeps the documentation honest against the binary:
#   - every flag and subcommand `sandbox --help` lists is in the man page and in the bash
#     completion, and the completion offers no subcommand the binary does not have;
#   - the man page renders without groff warnings (when groff is installed);
#   - the completion completes flags, subcommands, flag values and profile names, with and
#     without the bash-completion package loaded.
# usage: check_docs.sh SANDBOX MANPAGE COMPLETION
set -uo pipefail
sandbox=$1 manpage=$2 completion=$3
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

help=$("$sandbox" --help)
# Flags: every --word of the options part; subcommands: the "Commands" list at its end.
flags=$(sed '/^Commands/,$d' <<<"$help" | grep -oE '(^|[ ,])--[a-z][a-z-]*' | sed 's/^[ ,]//' |
  sort -u)
commands=$(sed -n '/^Commands/,$p' <<<"$help" | awk 'NR > 1 && NF { print $1 }' | sort -u)
[ -n "$flags" ] || fail "no flags in sandbox --help"
[ -n "$commands" ] || fail "no Commands list at the end of sandbox --help"
# shellcheck source=/dev/null
source "$completion"
completion_flags=" $(tr -s ' \n' '  ' <<<"$_sandbox_flags") "
completion_commands=" $(tr -s ' \n' '  ' <<<"$_sandbox_subcommands") "
for flag in $flags; do
  roff=${flag//-/\\-}
  grep -qF -- "$roff" "$manpage" || fail "$flag is missing from $manpage (as $roff)"
  [[ $completion_flags == *" $flag "* ]] || fail "$flag is missing from $completion"
done
for command in $commands; do
  grep -qF "sandbox $command" "$manpage" || fail "subcommand $command is missing from $manpage"
  [[ $completion_commands == *" $command "* ]] ||
    fail "subcommand $command is missing from $completion"
done
for command in $_sandbox_subcommands; do
  [[ " $(tr '\n' ' ' <<<"$commands") " == *" $command "* ]] ||
    fail "completion offers $command, which sandbox --help does not list"
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
  expect "doctor" sandbox "do"
  expect "--ro-bind --ro-bind-try" sandbox --ro-b
  expect "--report --report-fd" sandbox --rep
  expect "auto off on" sandbox --landlock ""
  expect "nofile= nproc=" sandbox --limit n
  expect "ci mine" sandbox --profile ""
  expect "mine" sandbox -p m
  expect "ci mine" sandbox check ci ""
  expect "ci" sandbox show c
  expect "--json" sandbox show ci --j
  expect "$scratch/dir/sub" sandbox --tmpfs "$scratch/dir/s"
  expect "$scratch/dir/sub" sandbox --ro-bind /usr "$scratch/dir/s"
  expect "--help --json" sandbox doctor -
  expect "--report-dir" sandbox step --r
  expect "$scratch/dir" sandbox step --report-dir "$scratch/d"
  expect "" sandbox --hostname ""
  rm -rf "$scratch"
}

mode=plain
run_completion_checks
if [ -f /usr/share/bash-completion/bash_completion ]; then
  mode=bash-completion
  # shellcheck source=/dev/null
  source /usr/share/bash-completion/bash_completion
  # shellcheck source=/dev/null
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

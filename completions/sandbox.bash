# bash completion for sandbox(1): flags, subcommands, flag arguments, profile names, and the
# command after "--". Installed as share/bash-completion/completions/sandbox; works when sourced
# directly too (without the bash-completion package, with plainer file completion).

# Every flag of `sandbox --help` (tests/docs/check_docs.sh keeps this list honest).
_sandbox_flags="--help --version --profile
  --bind --bind-try --ro-bind --ro-bind-try --bind-socket --dev-bind --dev-bind-try
  --tmpfs --proc --dev --dir --remount-ro --symlink --size --perms --chdir
  --setenv --unsetenv --clearenv --pass-env --keep-env
  --hostname --uid --gid --share-net --allow-host --resolve --network --host-proc --pass-fd
  --timeout --timeout-grace --limit --isolation --landlock
  --seccomp-policy --seccomp-action --name --tty --verbose --report --report-fd
  --workspace --workspace-vcs --protect --unprotect --cache --changes --include-protected
  --keep-changes"
_sandbox_subcommands="apply bwrap changes check diff discard doctor enter ps shell show step stop"

# Profile names: *.toml in the user's, the system's and the installed profile directories.
_sandbox_profiles() {
  local dir file
  for dir in "${XDG_CONFIG_HOME:-$HOME/.config}/sandbox/profiles" /etc/sandbox/profiles \
    /usr/share/sandbox/profiles /usr/local/share/sandbox/profiles; do
    [[ -d $dir ]] || continue
    for file in "$dir"/*.toml; do
      [[ -e $file ]] || continue
      file=${file##*/}
      printf '%s\n' "${file%.toml}"
    done
  done
}

# Profile names, or paths once the word looks like one.
_sandbox_profile_names() {
  if [[ $cur == */* || $cur == .* || $cur == ~* ]]; then
    _sandbox_files
  else
    COMPREPLY=($(compgen -W "$(_sandbox_profiles)" -- "$cur"))
  fi
}

_sandbox_files() {  # $1: -d for directories only
  if declare -F _filedir >/dev/null; then
    _filedir "$1"
  else
    local IFS=$'\n'
    if [[ $1 == -d ]]; then
      COMPREPLY=($(compgen -d -- "$cur"))
    else
      COMPREPLY=($(compgen -f -- "$cur"))
    fi
  fi
}

_sandbox() {
  local cur prev words cword
  if declare -F _init_completion >/dev/null; then
    _init_completion -n = || return
  else
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD - 1]}
    words=("${COMP_WORDS[@]}")
    cword=$COMP_CWORD
  fi

  # After "--" everything is the job's command line.
  local i
  for ((i = 1; i < cword; i++)); do
    if [[ ${words[i]} == -- ]]; then
      if declare -F _command_offset >/dev/null; then
        _command_offset $((i + 1))
      elif ((cword == i + 1)); then
        COMPREPLY=($(compgen -c -- "$cur"))
      else
        _sandbox_files
      fi
      return
    fi
  done

  # Subcommands.
  if ((cword == 1)) && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$_sandbox_subcommands" -- "$cur"))
    return
  fi
  case ${words[1]} in
    doctor)
      COMPREPLY=($(compgen -W "--json --help" -- "$cur"))
      return
      ;;
    step)  # a run's flags, plus the report's directory
      if [[ $prev == --report-dir ]]; then
        _sandbox_files -d
        return
      fi
      if [[ $cur == --r* ]]; then
        COMPREPLY=($(compgen -W "--report-dir" -- "$cur"))
        return
      fi
      ;;
    ps)
      COMPREPLY=($(compgen -W "--all --json --help" -- "$cur"))
      return
      ;;
    changes | diff | apply | discard)  # NAME: the caller's kept runs, then paths
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help $([[ ${words[1]} == apply ]] && echo --include-protected)" \
          -- "$cur"))
      elif ((cword == 2)); then
        COMPREPLY=($(compgen -W "$(sandbox ps --all 2>/dev/null |
          awk 'NR > 1 && $2 == "-" { print $1 }')" -- "$cur"))
      fi
      return
      ;;
    enter | stop)  # NAME: the caller's live runs
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help $([[ ${words[1]} == stop ]] && echo --signal --grace)" \
          -- "$cur"))
      elif ((cword == 2)); then
        COMPREPLY=($(compgen -W "$(sandbox ps 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
      fi
      return
      ;;
    check)  # check PROFILE...
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--help" -- "$cur"))
      else
        _sandbox_profile_names
      fi
      return
      ;;
    show)  # show PROFILE [--json] [-- COMMAND]
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--json --help --" -- "$cur"))
      elif ((cword == 2)); then
        _sandbox_profile_names
      fi
      return
      ;;
  esac

  # The second argument of a two-argument flag.
  local before=""
  ((cword >= 2)) && before=${words[cword - 2]}
  case $before in
    --bind | --bind-try | --ro-bind | --ro-bind-try | --bind-socket | --dev-bind | --dev-bind-try)
      _sandbox_files -d  # the destination inside the sandbox
      return
      ;;
    --symlink)
      _sandbox_files
      return
      ;;
    --setenv)
      return  # a value
      ;;
  esac

  # The (first) argument of a flag.
  case $prev in
    --bind | --bind-try | --ro-bind | --ro-bind-try | --bind-socket | --dev-bind | \
      --dev-bind-try | --symlink | --report)
      _sandbox_files
      return
      ;;
    --tmpfs | --proc | --dev | --dir | --remount-ro | --chdir)
      _sandbox_files -d
      return
      ;;
    --setenv | --unsetenv | --pass-env)
      COMPREPLY=($(compgen -e -- "$cur"))
      return
      ;;
    --landlock)
      COMPREPLY=($(compgen -W "auto on off" -- "$cur"))
      return
      ;;
    --isolation)
      COMPREPLY=($(compgen -W "namespaces landlock auto" -- "$cur"))
      return
      ;;
    --network)
      COMPREPLY=($(compgen -W "none log" -- "$cur"))
      return
      ;;
    --allow-host | --resolve)
      return
      ;;
    --workspace-vcs)
      COMPREPLY=($(compgen -W "ro rw" -- "$cur"))
      return
      ;;
    --workspace)
      COMPREPLY=($(compgen -W "bind overlay none" -- "$cur") $(compgen -d -- "$cur"))
      return
      ;;
    --changes)
      COMPREPLY=($(compgen -W "fail apply patch=" -- "$cur"))
      return
      ;;
    --protect | --unprotect | --cache)
      return  # free-form values
      ;;
    --seccomp-policy)
      COMPREPLY=($(compgen -W "default none" -- "$cur"))
      return
      ;;
    --seccomp-action)
      COMPREPLY=($(compgen -W "errno kill log" -- "$cur"))
      return
      ;;
    --limit)
      compopt -o nospace 2>/dev/null
      COMPREPLY=($(compgen -W "nofile= nproc= fsize= cpu= core= stack= as= memory= pids= cpus= tmpfs=
        tmpfs_total=" \
        -- "$cur"))
      return
      ;;
    --profile | -p)
      _sandbox_profile_names
      return
      ;;
    --size | --perms | --hostname | --uid | --gid | --pass-fd | --timeout | --timeout-grace | \
      --report-fd)
      return  # free-form values
      ;;
  esac

  if [[ $cur == -* || -z $cur ]]; then
    COMPREPLY=($(compgen -W "$_sandbox_flags --" -- "$cur"))
    return
  fi
  # A word that is not a flag starts the command (as if after "--").
  COMPREPLY=($(compgen -c -- "$cur"))
}

complete -F _sandbox sandbox

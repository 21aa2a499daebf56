# shellcheck shell=bash
# Sourced by scripts/slurm/vcluster-slurm.bash: "vcluster slurm run", an sbatch that waits.
#   vcluster slurm run [--timeout S] [--] [sbatch options] script [args...]
# Submits the job to the virtual cluster and waits until it has ended on every node, then prints
# one line with its state, exit code and output file, the output file itself, and what of the job
# still runs on the hosts (nothing, or each process). Exit code: the job's; 128+N when signal N
# ended it; 1 for another unsuccessful state; 124 when it had not ended after S seconds (default
# 600), and then it is cancelled. sbatch --wait would do without the report, but polls only every
# 2, 8, then 32 s.

readonly SLURM_FINAL_STATES='COMPLETED|FAILED|TIMEOUT|CANCELLED|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE'

# One field of "scontrol -o show job" (fields are KEY=VALUE separated by blanks).
job_field() {
  local -a fields
  local f
  read -r -a fields <<<"$1"
  for f in "${fields[@]}"; do [[ $f != "$2="* ]] || { echo "${f#*=}"; return; }; done
}

# Polls every 0.2 s until the job's state is final; COMPLETING (processes still ending) is not.
# A busy slurmctld may not answer a query in time: the next one asks again.
slurm_wait_job() {
  local id=$1 timeout=$2 info state deadline=$((SECONDS + $2))
  while :; do
    if info=$(scontrol -o show job "$id" 2>&1); then
      state=$(job_field "$info" JobState)
      [[ $state =~ ^($SLURM_FINAL_STATES)$ ]] && { echo "$info"; return 0; }
    else
      state="unknown ($info)"
    fi
    if ((SECONDS >= deadline)); then
      say "slurm: job $id is still $state (reason $(job_field "$info" Reason)) after $timeout s: scancel $id"
      scancel "$id" || true
      echo "$info"
      return 1
    fi
    sleep 0.2
  done
}

# The job's processes should be gone once its state is final; slurmstepd may take a moment to
# exit after reporting. Allow 5 s, then name what is left.
slurm_report_leftovers() {
  local id=$1 left deadline=$((SECONDS + 5))
  while :; do
    left=$(slurm_processes "$id")
    [[ -n $left ]] || { say "slurm: nothing of job $id left running on the hosts"; return 0; }
    ((SECONDS < deadline)) || break
    sleep 0.2
  done
  say "slurm: job $id left running (host pid name):"
  sed 's/^/  /' <<<"$left" >&2
  return 1
}

print_file() {
  if [[ -r $1 ]]; then say "slurm: $1:"; cat "$1"; else say "slurm: no output file $1"; fi
}

slurm_print_output() {
  local out err
  out=$(job_field "$1" StdOut) err=$(job_field "$1" StdErr)
  [[ -z $out ]] || print_file "$out"
  [[ -z $err || $err == "$out" ]] || print_file "$err"
}

# The job's exit code as a shell reports a child's: status, or 128 + signal.
slurm_exit_code() {
  local info=$1 code status signal
  code=$(job_field "$info" ExitCode)
  status=${code%%:*} signal=${code##*:}
  if ((status != 0)); then echo "$status"
  elif ((signal != 0)); then echo $((128 + signal))
  elif [[ $(job_field "$info" JobState) != COMPLETED ]]; then echo 1
  else echo 0; fi
}

cmd_slurm_run() {
  local timeout=600 id info why rc=0
  while (($#)); do
    case $1 in
      --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
      --) shift; break ;;
      *) break ;;
    esac
  done
  (($#)) || die "usage: vcluster slurm run [--timeout S] [--] [sbatch options] script [args...]"
  [[ $timeout =~ ^[0-9]+$ ]] && ((timeout >= 1)) || die "--timeout must be a positive number of seconds"
  if ! slurm_is_up_with "$(slurm_node_count)"; then
    why=$(slurm_missing)
    [[ -z $why ]] || skip "slurm: $why"
    die "slurm is not up; run 'vcluster slurm up N' first"
  fi
  export SLURM_CONF=$SLURM_CONF_FILE
  id=$(sbatch --parsable "$@") || die "sbatch $* failed (message above)"
  id=${id%%;*}
  say "slurm: submitted job $id: sbatch $*"
  info=$(slurm_wait_job "$id" "$timeout") || rc=124
  say "slurm: job $id $(job_field "$info" JobState) (reason $(job_field "$info" Reason)), exit code" \
    "$(job_field "$info" ExitCode), ran $(job_field "$info" RunTime) on $(job_field "$info" NodeList)"
  slurm_print_output "$info"
  ((rc)) || rc=$(slurm_exit_code "$info")
  slurm_report_leftovers "$id" || ((rc)) || rc=1
  return "$rc"
}

#!/usr/bin/env bash
# A one-node Slurm cluster on this machine: writes slurm.conf, starts munged, slurmctld and slurmd
# (start), or stops them (stop). CI runs it before the Slurm tests; it is also how to try
# `nnlab run ... --executor slurm` on a laptop (Debian/Ubuntu: apt-get install slurm-wlm munge).
# Needs root (the daemons and /etc/slurm). proctrack/linuxproc and task/none: no cgroup setup, so
# it works in containers too. Accounting is off (no slurmdbd): nnlab reads squeue/scontrol.
#
#   scripts/slurm-local.sh start    # idempotent: a running cluster is left as it is
#   scripts/slurm-local.sh stop
#   scripts/slurm-local.sh status
#
# Environment: SLURM_CONF (default /etc/slurm/slurm.conf), NNLAB_SLURM_STATE (default
# /var/lib/nnlab-slurm: spool, state, logs), NNLAB_SLURM_CPUS / NNLAB_SLURM_MEM_MB (default: the
# machine's cores and 90% of its memory).
set -euo pipefail

CONF=${SLURM_CONF:-/etc/slurm/slurm.conf}
STATE=${NNLAB_SLURM_STATE:-/var/lib/nnlab-slurm}
NODE=$(hostname -s)
CPUS=${NNLAB_SLURM_CPUS:-$(nproc)}
MEM_MB=${NNLAB_SLURM_MEM_MB:-$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)}

die() {
  echo "slurm-local: $*" >&2
  exit 1
}

need() {
  command -v "$1" >/dev/null || die "$1 not found (apt-get install slurm-wlm munge)"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  mkdir -p "$(dirname "$CONF")" "$STATE/ctld" "$STATE/slurmd" "$STATE/log"
  cat >"$CONF" <<EOF
# Written by nnlab scripts/slurm-local.sh: a one-node cluster on $NODE.
ClusterName=nnlab-local
SlurmctldHost=$NODE
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/slurmd
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# Finished jobs stay visible to scontrol for 10 minutes (there is no accounting database).
MinJobAge=600
MaxArraySize=10001
# Short timeouts: a one-node test cluster should notice a restarted slurmd at once.
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$NODE CPUs=$CPUS RealMemory=$MEM_MB State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

start_munge() {
  if [ -S /run/munge/munge.socket.2 ] && munge -n </dev/null >/dev/null 2>&1; then return; fi
  if [ ! -f /etc/munge/munge.key ]; then
    # The munge package creates the key on most installs; a container's may not have run it.
    command -v mungekey >/dev/null || die "/etc/munge/munge.key is missing and mungekey is not installed"
    mkdir -p /etc/munge
    mungekey --create --keyfile=/etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 50); do
    munge -n </dev/null >/dev/null 2>&1 && return
    sleep 0.1
  done
  die "munged did not answer (see /var/log/munge/munged.log)"
}

start() {
  need munged
  need slurmctld
  need slurmd
  [ "$(id -u)" = 0 ] || die "run as root (the daemons and $CONF need it)"
  start_munge
  if pid_alive "$STATE/slurmctld.pid" && pid_alive "$STATE/slurmd.pid"; then
    echo "slurm-local: already running ($CONF)"
  else
    write_conf
    pid_alive "$STATE/slurmctld.pid" || slurmctld -f "$CONF"
    pid_alive "$STATE/slurmd.pid" || slurmd -f "$CONF"
  fi
  # Ready when the node accepts jobs (idle or mixed/allocated).
  for _ in $(seq 100); do
    st=$(SLURM_CONF=$CONF sinfo -h -n "$NODE" -o %t 2>/dev/null || true)
    case "$st" in
      idle* | mix* | alloc*)
        echo "slurm-local: node $NODE $st ($CPUS CPUs, $MEM_MB MB), conf $CONF, logs $STATE/log"
        return
        ;;
      down* | drain*) SLURM_CONF=$CONF scontrol update nodename="$NODE" state=resume 2>/dev/null || true ;;
    esac
    sleep 0.2
  done
  die "node $NODE did not become idle (state '${st:-none}'); see $STATE/log/slurmctld.log and slurmd.log"
}

stop() {
  for d in slurmd slurmctld; do
    if pid_alive "$STATE/$d.pid"; then
      kill "$(cat "$STATE/$d.pid")"
      for _ in $(seq 50); do
        pid_alive "$STATE/$d.pid" || break
        sleep 0.1
      done
    fi
  done
  echo "slurm-local: stopped (munged left running)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    SLURM_CONF=$CONF sinfo
    SLURM_CONF=$CONF squeue
    ;;
  *) die "usage: $0 start|stop|status" ;;
esac

#!/usr/bin/env bash
# The local stack: an SQS-compatible server, OpenSSH and a single-node SLURM,
# all on 127.0.0.1, for the demo and the tests.
#
#   stack/stack.sh up      install what is missing (as root), start everything
#   stack/stack.sh down    stop everything
#   stack/stack.sh status  show what runs
#   stack/stack.sh logs    print every daemon's log
#
# Both verbs are idempotent. State, keys and logs live in .stack/ at the
# repository root; the stack's endpoints are written to .stack/stack.json.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state="$root/.stack"
node_bin="$root/node_modules/.bin/node"

SQS_PORT=${BII_STACK_SQS_PORT:-9324}
SSH_PORT=${BII_STACK_SSH_PORT:-2222}
CTLD_PORT=${BII_STACK_SLURMCTLD_PORT:-16817}
SLURMD_PORT=${BII_STACK_SLURMD_PORT:-16818}
TEST_USER=${BII_STACK_USER:-biirelay}
SLURM_CONF=/etc/slurm/slurm.conf
MARK="# written by bii-relay's local stack"
PACKAGES=(openssh-server openssh-client slurmctld slurmd slurm-client munge)

log() { printf 'stack: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      printf '%s ' "$p"
  done
}

# Debian's install scripts would start the daemons with system-wide
# configuration; a policy-rc.d that answers 101 stops that for this install.
install_packages() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && return 0

  if [ "$(id -u)" -ne 0 ]; then
    die "missing Debian packages: $missing
  install them as root: apt-get install -y $missing
  (or run this command as root, which installs them itself)"
  fi

  log "installing $missing"
  local had_policy=0
  [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  if [ "$had_policy" -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >"$state/apt.log" 2>&1 ||
    die "apt-get update failed; see $state/apt.log"
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >>"$state/apt.log" 2>&1 ||
    die "apt-get install failed; see $state/apt.log"
  [ "$had_policy" -eq 0 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

require_root() {
  [ "$(id -u)" -eq 0 ] ||
    die "the local stack creates a test user and starts sshd, munged and SLURM, which needs root; run it as root (for example in a Debian container)"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# Waits up to $2 tenths of a second for a TCP listener on 127.0.0.1:$1.
# A port some other process holds (another checkout's stack, say) would
# pass wait_port with the wrong server behind it.
port_free() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && {
    die "127.0.0.1:$1 is already in use by another process (another checkout's stack? stop it with its 'bash stack/stack.sh down', or set $2)"
  }
  return 0
}

wait_port() {
  local i
  for ((i = 0; i < $2; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

setup_user() {
  id "$TEST_USER" >/dev/null 2>&1 || useradd -m -s /bin/bash "$TEST_USER"
  # useradd leaves the account locked ('!'), and sshd refuses locked
  # accounts even for key logins.
  usermod -p '*' "$TEST_USER"

  local home
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  mkdir -p "$state/ssh" "$home/.ssh"
  [ -f "$state/ssh/user_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "$TEST_USER@bii-relay-stack" -f "$state/ssh/user_key"
  [ -f "$state/ssh/host_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C bii-relay-stack-host -f "$state/ssh/host_key"
  # A second key that no server presents: tests use it to prove that a wrong
  # host key is refused.
  [ -f "$state/ssh/other_host_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C other-host -f "$state/ssh/other_host_key"

  cp "$state/ssh/user_key.pub" "$home/.ssh/authorized_keys"
  chown -R "$TEST_USER:" "$home/.ssh"
  chmod 700 "$home/.ssh"
  chmod 600 "$home/.ssh/authorized_keys"

  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$state/ssh/host_key.pub")" \
    >"$state/ssh/known_hosts"
  printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$state/ssh/other_host_key.pub")" \
    >"$state/ssh/wrong_known_hosts"
}

start_sshd() {
  pid_alive "$state/sshd.pid" && return 0
  port_free "$SSH_PORT" BII_STACK_SSH_PORT
  mkdir -p /run/sshd
  cat >"$state/sshd_config" <<EOF
$MARK
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $state/ssh/host_key
PidFile $state/sshd.pid
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $TEST_USER
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
MaxStartups 100:30:200
MaxSessions 100
EOF
  /usr/sbin/sshd -t -f "$state/sshd_config" || die "sshd rejected $state/sshd_config"
  # sshd re-executes itself after chdir /, so its config path must be absolute.
  /usr/sbin/sshd -f "$state/sshd_config" -E "$state/sshd.log"
  wait_port "$SSH_PORT" 50 || die "sshd did not listen on 127.0.0.1:$SSH_PORT; see $state/sshd.log"
}

# munged runs as the munge user, which cannot write into .stack/.
MUNGE_PID=/run/munge/bii-relay-munged.pid
MUNGE_LOG=/var/log/munge/bii-relay-munged.log

start_munge() {
  pid_alive "$MUNGE_PID" && return 0
  mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
  [ -s /etc/munge/munge.key ] ||
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
  chown -R munge: /etc/munge /run/munge /var/lib/munge /var/log/munge
  chmod 0400 /etc/munge/munge.key
  chmod 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged --force \
    --pid-file "$MUNGE_PID" --log-file "$MUNGE_LOG"
  ln -sf "$MUNGE_PID" "$state/munged.pid"
  ln -sf "$MUNGE_LOG" "$state/munged.log"
}

write_slurm_conf() {
  if [ -f "$SLURM_CONF" ] && ! grep -qF "$MARK" "$SLURM_CONF"; then
    die "$SLURM_CONF exists and was not written by this stack; move it away to use the local stack"
  fi
  local node cpus mem
  node=$(hostname -s)
  cpus=$(nproc)
  mem=$(($(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) / 2))
  mkdir -p /etc/slurm "$state/slurm/ctld" "$state/slurm/d"
  chown slurm: "$state/slurm/ctld" 2>/dev/null || true
  cat >"$SLURM_CONF" <<EOF
$MARK
ClusterName=biirelay
SlurmctldHost=$node
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/slurm/ctld
SlurmdSpoolDir=$state/slurm/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/slurm/jobcomp.log
JobAcctGatherType=jobacct_gather/none
MinJobAge=3600
MaxJobCount=100000
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:64
EOF
}

start_slurm() {
  if pid_alive "$state/slurmctld.pid" && pid_alive "$state/slurmd.pid"; then
    return 0
  fi
  write_slurm_conf
  # Jobs left in the state directory by a hard kill would run again.
  pid_alive "$state/slurmctld.pid" || rm -rf "${state:?}/slurm/ctld/"*
  pid_alive "$state/slurmctld.pid" || /usr/sbin/slurmctld -i
  pid_alive "$state/slurmd.pid" || /usr/sbin/slurmd -N "$(hostname -s)"
  wait_port "$CTLD_PORT" 100 || die "slurmctld did not listen on 127.0.0.1:$CTLD_PORT; see $state/slurmctld.log"

  local i
  for ((i = 0; i < 100; i++)); do
    sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && return 0
    sleep 0.1
  done
  die "the SLURM node did not become idle; see $state/slurmctld.log and $state/slurmd.log"
}

start_sqs() {
  pid_alive "$state/sqs.pid" && return 0
  port_free "$SQS_PORT" BII_STACK_SQS_PORT
  [ -x "$node_bin" ] || die "node_modules is missing; run npm ci first"
  nohup "$node_bin" "$root/build/stack/sqs-server.js" --port "$SQS_PORT" \
    >"$state/sqs.log" 2>&1 &
  echo $! >"$state/sqs.pid"
  wait_port "$SQS_PORT" 100 || die "the SQS server did not listen on 127.0.0.1:$SQS_PORT; see $state/sqs.log"
}

write_env() {
  local home
  home=$(getent passwd "$TEST_USER" | cut -d: -f6)
  cat >"$state/stack.json" <<EOF
{
  "sqsEndpoint": "http://127.0.0.1:$SQS_PORT",
  "region": "us-east-1",
  "sshHost": "127.0.0.1",
  "sshPort": $SSH_PORT,
  "sshUser": "$TEST_USER",
  "sshKeyPath": "$state/ssh/user_key",
  "knownHostsPath": "$state/ssh/known_hosts",
  "wrongKnownHostsPath": "$state/ssh/wrong_known_hosts",
  "userHome": "$home",
  "stateDir": "$state",
  "sshdLog": "$state/sshd.log",
  "sshdPidFile": "$state/sshd.pid",
  "sshdConfig": "$state/sshd_config",
  "sqsPidFile": "$state/sqs.pid",
  "slurmctldPidFile": "$state/slurmctld.pid",
  "partition": "debug"
}
EOF
}

up() {
  mkdir -p "$state"
  install_packages
  require_root
  setup_user
  start_sqs
  start_sshd
  start_munge
  start_slurm
  write_env
  log "up: SQS http://127.0.0.1:$SQS_PORT, sshd 127.0.0.1:$SSH_PORT, SLURM partition debug"
}

stop_pid() {
  local file=$1 i
  pid_alive "$file" || {
    rm -f "$file"
    return 0
  }
  kill -CONT "$(cat "$file")" 2>/dev/null || true
  kill "$(cat "$file")" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$file" || break
    sleep 0.1
  done
  pid_alive "$file" && kill -9 "$(cat "$file")" 2>/dev/null
  rm -f "$file"
}

down() {
  mkdir -p "$state"
  if command -v scancel >/dev/null && pid_alive "$state/slurmctld.pid"; then
    scancel -u "$TEST_USER" 2>/dev/null || true
  fi
  local d f
  for d in slurmd slurmctld munged sshd sqs; do
    stop_pid "$state/$d.pid"
  done
  # Tests start sshds of their own; one whose test failed may be left.
  for f in "$state"/sshd-*.pid; do
    [ -e "$f" ] && stop_pid "$f"
  done
  rm -f "$state/stack.json"
  log "down"
}

status() {
  local d
  for d in sqs sshd munged slurmctld slurmd; do
    if pid_alive "$state/$d.pid"; then
      printf '%-10s running (pid %s)\n' "$d" "$(cat "$state/$d.pid")"
    else
      printf '%-10s stopped\n' "$d"
    fi
  done
}

logs() {
  local f
  for f in sqs sshd munged slurmctld slurmd; do
    [ -f "$state/$f.log" ] || continue
    printf '===== %s (last 60 lines) =====\n' "$f"
    tail -n 60 "$state/$f.log"
  done
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
logs) logs ;;
*)
  echo "usage: stack/stack.sh up|down|status|logs" >&2
  exit 2
  ;;
esac

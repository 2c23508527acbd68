#!/usr/bin/env bash
# Test ground: N real OpenSSH hosts on this machine, one network + UTS + mount + PID namespace
# each, joined by a Linux bridge. The runner (the "bastion", root namespace) reaches them with
#   ssh -F "$FLINKCTL_GROUND_DIR/hosts/ssh_config" h1 hostname     # -> h1
#
# Usage (as root):
#   hosts.sh install                       apt-get what is missing; never leaves a system sshd running
#   hosts.sh up N [--private PATH]... [--private-empty PATH]... [--force] [--owner PID]
#        --private PATH        per-host PATH, seeded with a copy of the shared PATH (e.g. $FLINK_HOME/conf)
#        --private-empty PATH  per-host PATH that starts empty (e.g. $FLINK_HOME/log, a ZooKeeper data dir);
#                              /tmp and /var/tmp always start empty (mode 1777), whichever flag names them
#        --owner PID           process owning the ground (default: the caller); `up` refuses to replace a
#                              ground whose owner is still alive unless it is the same owner or --force
#   hosts.sh down [--keep-logs DIR] [--owner PID] [--force]
#                                          kill everything on the hosts, remove namespaces, links, state;
#                                          also cleans leftovers of a crashed run; refuses (exit 3) a ground
#                                          another live process owns unless --force; host keys
#                                          stay in $FLINKCTL_GROUND_DIR/host-keys for the next up
#   hosts.sh status                        hosts, addresses, whether sshd answers, processes per host
#   hosts.sh keep-logs DIR [--all]         copy sshd/init logs and every private folder whose name contains
#                                          "log" (--all: every private folder) to DIR/hN/<path>
# Exit codes: 0 ok, 1 failure, 2 usage, 3 `up` refused because another live process owns the ground.
#
# Environment: FLINKCTL_GROUND_DIR (default /var/tmp/flinkctl-ground; state goes to its hosts/ folder),
#              FLINKCTL_GROUND_NET (first three octets of the /24, default 10.213.0: bastion .1, hN .10+N),
#              FLINKCTL_GROUND_TAG (0-3 of [a-z0-9]: a second ground's bridge/namespace names),
#              FLINKCTL_GROUND_KILL_GRACE (seconds between SIGTERM and SIGKILL on down, default 3).
set -euo pipefail

GROUND_DIR=${FLINKCTL_GROUND_DIR:-/var/tmp/flinkctl-ground}
STATE=$GROUND_DIR/hosts
KEYS=$GROUND_DIR/host-keys   # host keys, kept across up/down (see cmd_up)
NET=${FLINKCTL_GROUND_NET:-10.213.0}
# A tag names a second, independent ground beside the default one (tests and benches run at once):
# its own bridge, namespaces and veths; give it its own FLINKCTL_GROUND_DIR and FLINKCTL_GROUND_NET too.
TAG=${FLINKCTL_GROUND_TAG:-}
[[ $TAG =~ ^[a-z0-9]{0,3}$ ]] || { printf 'hosts.sh: FLINKCTL_GROUND_TAG must be 0-3 of [a-z0-9]\n' >&2; exit 2; }
BRIDGE=flkbr${TAG:-0}
NS_PREFIX=flk${TAG}-       # netns flk-h1 ... (tag b: flkb-h1)
VETH_PREFIX=flkv${TAG}-    # root-side veth flkv-h1 ... (peer is eth0 inside the host)
# Addresses are NET.(10+N), so a /24 holds 244 hosts; each host is one sshd and a sleeping init.
MAX_HOSTS=200
KILL_GRACE=${FLINKCTL_GROUND_KILL_GRACE:-3}
SSHD=/usr/sbin/sshd
SELF=$(readlink -f "${BASH_SOURCE[0]}")

die() { printf 'hosts.sh: %s\n' "$*" >&2; exit 1; }
log() { printf 'hosts.sh: %s\n' "$*" >&2; }
need_root() { [[ $(id -u) -eq 0 ]] || die "must run as root (network and mount namespaces)"; }
host_ip() { printf '%s.%d' "$NET" $((10 + $1)); }

with_lock() {
  mkdir -p "$GROUND_DIR"
  exec 9>"$GROUND_DIR/.hosts.lock"
  flock -w 120 9 || die "another hosts.sh up/down holds $GROUND_DIR/.hosts.lock"
}

# Start time of a process (jiffies since boot), to tell a live owner from a reused pid.
proc_start() { local s; s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; s=${s##*) }; set -- $s; printf '%s' "${20}"; }

# Exit 3 when the ground is owned by a live process other than $1 (pid and start time match).
refuse_if_owned() {
  [[ -f $STATE/ground.env ]] || return 0
  local prev
  prev=$(source "$STATE/ground.env" && printf '%s %s' "${OWNER_PID:-}" "${OWNER_START:-}") || true
  set -- "$1" "$2" $prev
  if [[ -n ${3:-} && $3 != "$1" && $(proc_start "$3" || true) == "${4:-}" ]]; then
    log "the ground in $STATE is owned by live process $3: $2"
    exit 3
  fi
}

load_env() { [[ -f $STATE/ground.env ]] && source "$STATE/ground.env"; }

# ---------------------------------------------------------------------------------------------
cmd_install() {
  need_root
  # zsh: not for the hosts, for the completion test of the same tier
  local pkgs=(openssh-server openssh-client iproute2 procps util-linux psmisc libxml2-utils nftables zsh) missing=() p
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    local tmp_policy=
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then   # keep the postinst from starting the system sshd
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && tmp_policy=1
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
      # Honoured by Debian's init script and systemd unit: the system sshd stays off for good.
      mkdir -p /etc/ssh && touch /etc/ssh/sshd_not_to_be_run
    fi
    local rc=0
    mkdir -p "$GROUND_DIR"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
      >"$GROUND_DIR/apt.log" 2>&1 || rc=$?
    if [[ -n $tmp_policy ]]; then rm -f /usr/sbin/policy-rc.d; trap - EXIT; fi
    ((rc == 0)) || { tail -n 30 "$GROUND_DIR/apt.log" >&2; die "apt-get failed (log: $GROUND_DIR/apt.log)"; }
    if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
      if [[ -d /run/systemd/system ]]; then
        systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
      fi
      # A postinst that ignored policy-rc.d: stop the sshd it started in the root namespace.
      local pid
      pid=$(cat /run/sshd.pid 2>/dev/null || true)
      if [[ -n $pid && $(readlink "/proc/$pid/exe" 2>/dev/null) == "$SSHD" &&
            $(readlink "/proc/$pid/ns/net") == $(readlink /proc/1/ns/net) ]]; then
        kill "$pid" 2>/dev/null || true
      fi
    fi
  fi
  [[ -x $SSHD ]] || die "$SSHD missing after install"
}

# ---------------------------------------------------------------------------------------------
# Pids of everything on the ground: processes in the named namespaces with our prefix, plus those
# in namespaces recorded at `up` (by inode) whose /run/netns entry is gone. A recorded inode is
# trusted only while one of our inits still runs in it: nsfs inode numbers are reused.
ground_pids() {
  local ns f id pid named=() recorded=() ids=() list paths=()
  # one stat for every namespace (a fork per host is seconds at 128 hosts, and this runs in a loop)
  for ns in $(ip netns list 2>/dev/null | awk -v p="^$NS_PREFIX" '$1 ~ p {print $1}'); do paths+=("/run/netns/$ns"); done
  ((${#paths[@]})) && mapfile -t named < <(stat -L -c 'net:[%i]' "${paths[@]}" 2>/dev/null || true)
  for f in "$STATE"/h*/netns.id; do
    [[ -f $f ]] || continue
    id=$(<"$f")
    [[ " ${named[*]} " == *" $id "* ]] || recorded+=("$id")
  done
  ((${#named[@]} + ${#recorded[@]})) || return 0
  list=$(find /proc/[0-9]*/ns/net -maxdepth 0 -printf '%p %l\n' 2>/dev/null || true)
  ids=("${named[@]+"${named[@]}"}")
  for id in "${recorded[@]+"${recorded[@]}"}"; do
    for pid in $(awk -v id="$id" '$2 == id { split($1, p, "/"); print p[3] }' <<<"$list"); do
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'hosts\.sh _boot '; then ids+=("$id"); break; fi
    done
  done
  ((${#ids[@]})) || return 0
  awk -v ids="${ids[*]}" 'BEGIN { n = split(ids, a, " "); for (i = 1; i <= n; i++) want[a[i]] = 1 }
                          ($2 in want) { split($1, p, "/"); print p[3] }' <<<"$list"
}

cleanup() {
  local pids t
  pids=$(ground_pids | tr '\n' ' ')
  if [[ -n ${pids// /} ]]; then
    kill -TERM $pids 2>/dev/null || true
    for ((t = 0; t < KILL_GRACE * 10; t++)); do
      pids=$(ground_pids | tr '\n' ' ')
      [[ -z ${pids// /} ]] && break
      sleep 0.1
    done
    if [[ -n ${pids// /} ]]; then
      kill -KILL $pids 2>/dev/null || true
      for ((t = 0; t < 50; t++)); do
        [[ -z $(ground_pids) ]] && break
        sleep 0.1
      done
      [[ -z $(ground_pids) ]] || log "warning: processes survived SIGKILL: $(ground_pids | tr '\n' ' ')"
    fi
  fi
  # one ip -batch for all namespaces, one for leftover veths (-force: go on past a failing line)
  local ns link del=()
  for ns in $(ip netns list 2>/dev/null | awk -v p="^$NS_PREFIX" '$1 ~ p {print $1}'); do del+=("netns del $ns"); done
  if ((${#del[@]})); then
    printf '%s\n' "${del[@]}" | ip -force -batch - 2>/dev/null || log "warning: could not delete every netns: $(ip netns list 2>/dev/null | awk -v p="^$NS_PREFIX" '$1 ~ p {print $1}' | tr '\n' ' ')"
  fi
  del=()
  for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$VETH_PREFIX" || true); do del+=("link del $link"); done
  ((${#del[@]} == 0)) || printf '%s\n' "${del[@]}" | ip -force -batch - 2>/dev/null || true
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  if command -v iptables >/dev/null 2>&1; then
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
    while iptables -D INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  fi
  # Mounts live only in the hosts' own mount namespaces and vanish with their last process;
  # a root-namespace mount under the state dir would be someone else's: detach it, never follow it.
  if [[ -d $STATE ]]; then
    local m
    for m in $(awk -v s="$STATE" 'index($5, s "/") == 1 || $5 == s {print $5}' /proc/self/mountinfo | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$STATE"
  fi
}

cmd_down() {
  need_root
  local keep= force= owner=$PPID
  while (($#)); do
    case $1 in
      --keep-logs) keep=${2:?--keep-logs needs a directory}; shift 2 ;;
      --owner) owner=${2:?--owner needs a pid}; shift 2 ;;
      --force) force=1; shift ;;
      *) die "down: unknown argument $1" ;;
    esac
  done
  with_lock
  # as `up`: a ground a live process owns is not another caller's to remove
  [[ -n $force ]] || refuse_if_owned "$owner" "not removing it (pass --force, or set FLINKCTL_GROUND_DIR/TAG/NET for a ground of your own)"
  if [[ -n $keep && -d $STATE ]]; then cmd_keep_logs "$keep" || log "warning: keep-logs failed"; fi
  cleanup
}

# ---------------------------------------------------------------------------------------------
json_str() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"; }
# json_str into $REPLY, without the fork of a command substitution (once per host).
json_q() { local s=$1; s=${s//\\/\\\\}; s=${s//\"/\\\"}; REPLY="\"$s\""; }
# Unpadded base64 (ssh-keygen's SHA256: fingerprints) as lowercase hex into $HEX, in bash alone.
b64_hex() {
  local s=${1%%=*} map=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ bits=0 nbits=0 out= v i
  for ((i = 0; i < ${#s}; i++)); do
    v=${map%%"${s:i:1}"*}
    bits=$(((bits << 6) | ${#v})) nbits=$((nbits + 6))
    if ((nbits >= 8)); then
      nbits=$((nbits - 8))
      printf -v out '%s%02x' "$out" $(((bits >> nbits) & 255))
      bits=$((bits & ((1 << nbits) - 1)))
    fi
  done
  HEX=$out
}

cmd_up() {
  need_root
  local n='' force='' owner=$PPID paths=() modes=() p
  while (($#)); do
    case $1 in
      --private) paths+=("${2:?--private needs a path}"); modes+=(seed); shift 2 ;;
      --private-empty) paths+=("${2:?--private-empty needs a path}"); modes+=(empty); shift 2 ;;
      --force) force=1; shift ;;
      --owner) owner=${2:?--owner needs a pid}; shift 2 ;;
      -*) die "up: unknown option $1" ;;
      *) [[ -z $n ]] || die "up: unexpected argument $1"; n=$1; shift ;;
    esac
  done
  [[ $n =~ ^[0-9]+$ ]] && ((n >= 1 && n <= MAX_HOSTS)) || die "up: N must be 1..$MAX_HOSTS"
  [[ $NET =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "FLINKCTL_GROUND_NET must look like 10.213.0"
  [[ -x $SSHD ]] || die "$SSHD not found: run '$SELF install' first"
  local state_real; state_real=$(realpath -m "$STATE")

  # Normalise private paths; parents first so nested ones mount inside their parent.
  local -A seen=()
  local priv=() pmode=() i
  for i in "${!paths[@]}"; do
    [[ ${paths[i]} == /* ]] || die "private path must be absolute: ${paths[i]}"
    p=$(realpath -m "${paths[i]}")
    case $p in
      # first on sshd's PATH: a test plants a host's own java or date there
      /usr/local/bin) ;;
      / | /proc | /proc/* | /sys | /sys/* | /dev | /dev/* | /run | /run/sshd | /etc | /usr | /usr/* | /bin | /sbin | /lib | /lib64)
        die "refusing to privatize $p" ;;
    esac
    [[ $state_real == "$p" || $state_real == "$p"/* ]] &&
      die "private path $p would hide the harness state $state_real (set FLINKCTL_GROUND_DIR elsewhere)"
    [[ -e $p && ! -d $p ]] && die "private path is not a directory: $p"
    [[ -n ${seen[$p]:-} ]] && continue
    seen[$p]=1
    [[ $p == /tmp || $p == /var/tmp ]] && modes[i]=empty
    priv+=("$p"); pmode+=("${modes[i]}")
  done
  local order=()
  if ((${#priv[@]})); then
    mapfile -t order < <(for i in "${!priv[@]}"; do printf '%d %d\n' "${#priv[i]}" "$i"; done | sort -n | awk '{print $2}')
  fi
  local sp=() sm=()
  for i in "${order[@]}"; do sp+=("${priv[i]}"); sm+=("${pmode[i]}"); done

  with_lock
  # A ground owned by another live process (e.g. a parallel test file) is not ours to replace.
  [[ -n $force ]] || refuse_if_owned "$owner" "run tests that use it one at a time, or pass --force"
  cleanup

  # The subnet must be ours alone.
  if ip -4 route show | awk '{print $1}' | grep -q "^${NET//./\\.}\."; then
    die "subnet $NET.0/24 is already routed on this machine: set FLINKCTL_GROUND_NET"
  fi

  mkdir -p "$STATE" /run/sshd
  chmod 0755 /run/sshd
  {
    printf 'N=%d\nNET=%q\nOWNER_PID=%q\nOWNER_START=%q\n' "$n" "$NET" "$owner" "$(proc_start "$owner" || true)"
    printf 'PRIVATE=('; for p in "${sp[@]}"; do printf '%q ' "$p"; done; printf ')\n'
    printf 'PRIVATE_MODE=('; for p in "${sm[@]}"; do printf '%q ' "$p"; done; printf ')\n'
  } >"$STATE/ground.env"

  # Keys: one for the bastion, one per host. Host keys are kept beside the state ($KEYS, which
  # `down` leaves alone): generating 128 costs seconds of CPU on every `up`; each host's is its own.
  ssh-keygen -q -t ed25519 -N '' -C flinkctl-ground-bastion -f "$STATE/id_ed25519"
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  local h dir dirs=()
  mkdir -p "$KEYS"
  for ((i = 1; i <= n; i++)); do
    dirs+=("$STATE/h$i/fs")
    [[ -s $KEYS/h$i && -s $KEYS/h$i.pub ]] && continue
    { rm -f "$KEYS/h$i" "$KEYS/h$i.pub"; ssh-keygen -q -t ed25519 -N '' -C "h$i" -f "$KEYS/h$i" </dev/null; } &
  done
  mkdir -p "${dirs[@]}"
  wait

  # Name resolution inside the hosts (each gets its own writable copy, bind-mounted on /etc/hosts).
  {
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s.1\tbastion\n' "$NET"
    for ((i = 1; i <= n; i++)); do printf '%s.%d\th%d\n' "$NET" $((10 + i)) "$i"; done
  } >"$STATE/etc-hosts"

  # The login shell's start-up file as on a fresh host: bash reads ~/.bashrc for every ssh command,
  # and this machine's own (pyenv init and the like) costs ~125 ms of CPU each time, which 32 hosts
  # sharing 2 cores turn into seconds no real fleet would spend. Bind-mounted over root's .bashrc.
  printf '# %s\n' "test ground host: a fresh host's shell start-up (the bastion's ~/.bashrc is not used)" >"$STATE/bashrc"

  : >"$STATE/known_hosts"
  {
    for ((i = 1; i <= n; i++)); do printf 'Host h%d\n  HostName %s.%d\n' "$i" "$NET" $((10 + i)); done
    cat <<EOF
Host *
  User root
  Port 22
  IdentityFile $STATE/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile $STATE/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  UpdateHostKeys no
  BatchMode yes
  ConnectTimeout 5
  LogLevel ERROR
EOF
  } >"$STATE/ssh_config"

  # Per host, with builtins only (a fork per file per host is seconds at 128 hosts); the private
  # folders are then made, seeded and given their modes with one command per folder for all hosts.
  local ip etc_hosts kt kb
  etc_hosts=$(<"$STATE/etc-hosts")
  for ((i = 1; i <= n; i++)); do
    h=h$i dir=$STATE/$h ip=$NET.$((10 + i))
    read -r kt kb _ <"$KEYS/$h.pub"
    printf '%s,%s %s %s\n' "$h" "$ip" "$kt" "$kb" >>"$STATE/known_hosts"
    printf '%s\n' "$etc_hosts" >"$dir/hosts"
    printf '%s\n' "$h" >"$dir/hostname"
    printf '%s\n' >"$dir/sshd_config" \
      'Port 22' \
      'ListenAddress 0.0.0.0' \
      "HostKey $KEYS/$h" \
      "PidFile $dir/sshd.pid" \
      "AuthorizedKeysFile $STATE/authorized_keys" \
      'PubkeyAuthentication yes' \
      'PasswordAuthentication no' \
      'KbdInteractiveAuthentication no' \
      'UsePAM no' \
      'PermitRootLogin prohibit-password' \
      '# The state dir sits under /var/tmp (mode 1777), which StrictModes would reject.' \
      'StrictModes no' \
      'UseDNS no' \
      'PrintMotd no' \
      'PrintLastLog no' \
      'X11Forwarding no' \
      'MaxSessions 64' \
      'MaxStartups 100:30:200' \
      'AcceptEnv LANG LC_*' \
      'Subsystem sftp internal-sftp' \
      'LogLevel INFO'
  done
  # Private folders: seeded copy of the shared one, or empty.
  local k targets
  for k in "${!sp[@]}"; do
    p=${sp[k]} targets=()
    for ((i = 1; i <= n; i++)); do targets+=("$STATE/h$i/fs$p"); done
    mkdir -p "${targets[@]}"
    if [[ ${sm[k]} == seed && -d $p ]]; then
      for ((i = 1; i <= n; i++)); do cp -a "$p/." "$STATE/h$i/fs$p/" & done
      wait
      chmod --reference="$p" "${targets[@]}"; chown --reference="$p" "${targets[@]}"
    elif [[ $p == /tmp || $p == /var/tmp ]]; then
      chmod 1777 "${targets[@]}"
    elif [[ -d $p ]]; then
      chmod --reference="$p" "${targets[@]}"; chown --reference="$p" "${targets[@]}"
    fi
  done
  # Mount points must exist (unless nested in another private path: then they are made inside it).
  local k j nested
  for k in "${!sp[@]}"; do
    nested=
    for ((j = 0; j < k; j++)); do [[ ${sp[k]} == "${sp[j]}"/* ]] && nested=1; done
    [[ -n $nested ]] || mkdir -p "${sp[k]}"
  done
  "$SSHD" -t -f "$STATE/h1/sshd_config" || die "sshd rejected $STATE/h1/sshd_config"

  # Network: bridge with the first address, per host a netns joined by a veth pair.
  ip link add "$BRIDGE" type bridge
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  if command -v iptables >/dev/null 2>&1; then   # br_netfilter + a DROP policy would eat bridged traffic
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
    iptables -I INPUT -i "$BRIDGE" -j ACCEPT 2>/dev/null || true
  fi
  {
    for ((i = 1; i <= n; i++)); do printf 'netns add %sh%d\n' "$NS_PREFIX" "$i"; done
    for ((i = 1; i <= n; i++)); do
      printf 'link add %sh%d type veth peer name eth0 netns %sh%d\n' "$VETH_PREFIX" "$i" "$NS_PREFIX" "$i"
      printf 'link set %sh%d master %s up\n' "$VETH_PREFIX" "$i" "$BRIDGE"
    done
  } | ip -batch -
  for ((i = 1; i <= n; i++)); do
    printf 'link set lo up\naddr add %s.%d/24 dev eth0\nlink set eth0 up\n' "$NET" $((10 + i)) |
      ip -n "${NS_PREFIX}h$i" -batch - &
  done
  wait
  local ns_ids=() id
  for ((i = 1; i <= n; i++)); do ns_ids+=("/run/netns/${NS_PREFIX}h$i"); done
  i=0
  while read -r id; do i=$((i + 1)); printf '%s\n' "$id" >"$STATE/h$i/netns.id"; done < <(stat -L -c 'net:[%i]' "${ns_ids[@]}")
  ((i == n)) || die "could not read the network namespaces of the hosts"

  # Boot: netns (ip netns exec) -> new UTS, mount and PID namespaces (unshare) -> _boot as pid 1.
  # $! is unshare's parent, which stays in the host's netns until the host goes down.
  local boot=()
  for ((i = 1; i <= n; i++)); do
    setsid ip netns exec "${NS_PREFIX}h$i" \
      unshare --uts --mount --propagation private --pid --fork --mount-proc -- \
      /bin/bash "$SELF" _boot "$i" </dev/null >>"$STATE/h$i/init.log" 2>&1 9>&- &
    boot[i]=$!
  done

  # Ready = sshd listens on port 22 in the host's netns (its /proc/<pid>/net/tcp, read without a
  # fork and without a connection: each banner read would cost the host an sshd fork and re-exec),
  # and our key logs in on the first and last host (a login for every host costs seconds of CPU).
  # Hosts boot on the same few cores, so the deadline grows with their number.
  local limit=$((30 + n / 4)) pending=() still
  local deadline=$((SECONDS + limit))
  listening() {
    local sl local_addr rem st rest
    while read -r sl local_addr rem st rest; do
      [[ $local_addr == 00000000:0016 && $st == 0A ]] && return 0
    done <"/proc/$1/net/tcp"
    return 1
  } 2>/dev/null
  for ((i = 1; i <= n; i++)); do pending+=("$i"); done
  while :; do
    still=()
    for i in "${pending[@]}"; do
      listening "${boot[i]}" || still+=("$i")
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]})) || break
    local dead=()
    for i in "${pending[@]}"; do [[ -e /proc/${boot[i]} ]] || dead+=("$i"); done
    if ((${#dead[@]})) || ((SECONDS > deadline)); then
      for i in "${dead[@]:-${pending[@]}}"; do
        log "h$i did not come up; init.log / sshd.log:"
        tail -n 20 "$STATE/h$i/init.log" "$STATE/h$i/sshd.log" >&2 2>/dev/null || true
      done
      ((${#dead[@]})) && die "hosts ${dead[*]} stopped while booting (state kept in $STATE; run 'down')"
      die "sshd on hosts ${pending[*]} not listening after ${limit}s (state kept in $STATE; run 'down')"
    fi
    sleep 0.1
  done
  login_check() {
    until ssh -F "$STATE/ssh_config" -o ConnectTimeout=2 "h$1" true 2>"$STATE/h$1/login-check.err"; do
      ((SECONDS <= deadline)) || { cat "$STATE/h$1/login-check.err" >&2; return 1; }
      sleep 0.2
    done
    rm -f "$STATE/h$1/login-check.err"
  }
  login_check 1 & local first=$!
  if ((n > 1)); then login_check "$n" || die "cannot log in to h$n with $STATE/ssh_config"; fi
  wait "$first" || die "cannot log in to h1 with $STATE/ssh_config"

  {
    printf '{\n  "stateDir": %s,\n  "sshConfig": %s,\n  "knownHosts": %s,\n  "identityFile": %s,\n' \
      "$(json_str "$STATE")" "$(json_str "$STATE/ssh_config")" "$(json_str "$STATE/known_hosts")" "$(json_str "$STATE/id_ed25519")"
    printf '  "bridge": "%s",\n  "bastionIp": "%s.1",\n  "private": [' "$BRIDGE" "$NET"
    local sep=
    for k in "${!sp[@]}"; do printf '%s{"path": %s, "mode": "%s"}' "$sep" "$(json_str "${sp[k]}")" "${sm[k]}"; sep=', '; done
    printf '],\n  "hosts": [\n'
    # one ssh-keygen for every host's SHA-256 fingerprint (known_hosts order: h1..hN), as hex
    local fps=() fp
    while read -r _ fp _; do fps+=("${fp#SHA256:}"); done < <(ssh-keygen -l -E sha256 -f "$STATE/known_hosts")
    ((${#fps[@]} == n)) || die "ssh-keygen could not read $STATE/known_hosts"
    sep=
    for ((i = 1; i <= n; i++)); do
      local kt kb
      read -r kt kb _ <"$KEYS/h$i.pub"
      b64_hex "${fps[i - 1]}"
      json_q "$STATE/h$i"
      printf '%s    {"name": "h%d", "ip": "%s.%d", "netns": "%sh%d", "hostKey": "%s %s", "hostKeySha256": "%s", "dir": %s}' \
        "$sep" "$i" "$NET" $((10 + i)) "$NS_PREFIX" "$i" "$kt" "$kb" "$HEX" "$REPLY"
      sep=$',\n'
    done
    printf '\n  ]\n}\n'
  } >"$STATE/hosts.json"
  printf 'up: %d hosts on %s (%s.0/24); ssh -F %s h1\n' "$n" "$BRIDGE" "$NET" "$STATE/ssh_config"
}

# Runs as pid 1 of the host's PID namespace, inside its netns, UTS and (private) mount namespace.
cmd_boot() {
  local i=$1 dir=$STATE/h$1 k
  load_env
  hostname "h$i"
  mount --bind "$dir/hosts" /etc/hosts
  [[ -e /etc/hostname ]] && mount --bind "$dir/hostname" /etc/hostname
  [[ -f /root/.bashrc ]] && mount --bind "$STATE/bashrc" /root/.bashrc
  for k in "${!PRIVATE[@]}"; do
    mkdir -p "${PRIVATE[k]}"
    mount --bind "$dir/fs${PRIVATE[k]}" "${PRIVATE[k]}"
  done
  cd /
  "$SSHD" -D -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null &
  # As init: reap orphans (daemonized JVMs end up here) and keep the host alive even if sshd dies;
  # on TERM stop everything in the namespace by exiting (the kernel then kills the PID namespace).
  trap 'exit 0' TERM INT
  while :; do
    sleep 3600 &
    wait $! || true
  done
}

# ---------------------------------------------------------------------------------------------
cmd_status() {
  need_root
  local N='' NET=$NET PRIVATE=() PRIVATE_MODE=()
  if ! load_env; then
    echo "no ground in $STATE"
  else
    printf 'ground %s: %d hosts, bridge %s (%s.1/24)\n' "$STATE" "$N" "$BRIDGE" "$NET"
    printf 'ssh -F %s h1\n' "$STATE/ssh_config"
    ((${#PRIVATE[@]})) && printf 'private: %s\n' "${PRIVATE[*]}"
    # "Answers" = sends its SSH banner (a login per host would cost seconds of CPU for 32 hosts).
    local i answers=() line
    for ((i = 1; i <= N; i++)); do
      if read -t 2 -r line 2>/dev/null </dev/tcp/"$(host_ip "$i")"/22 && [[ $line == SSH-* ]]; then
        answers[i]=up
      else
        answers[i]=DOWN
      fi
    done
    for ((i = 1; i <= N; i++)); do
      local ns=${NS_PREFIX}h$i procs
      printf '%-4s %-14s netns %-8s sshd %s\n' "h$i" "$(host_ip "$i")" \
        "$([[ -e /run/netns/$ns ]] && echo "$ns" || echo MISSING)" "${answers[i]}"
      procs=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ',' | sed 's/,$//')
      [[ -n $procs ]] && ps -o pid=,etime=,args= -p "$procs" | sed 's/^/       /' | cut -c1-160
    done
  fi
  # Leftovers not described by the state (a crashed run): `down` or the next `up` removes them.
  local stale='' ns
  for ns in $(ip netns list 2>/dev/null | awk -v p="^$NS_PREFIX" '$1 ~ p {print $1}'); do
    [[ ${ns#"${NS_PREFIX}"h} =~ ^[0-9]+$ ]] && ((${ns#"${NS_PREFIX}"h} <= ${N:-0})) || stale+="$ns "
  done
  [[ -z $N ]] && ip link show "$BRIDGE" >/dev/null 2>&1 && stale+="bridge:$BRIDGE"
  [[ -n $stale ]] && printf 'stale (removed by down/up): %s\n' "$stale"
  return 0
}

cmd_keep_logs() {
  local dest=${1:?keep-logs needs a directory} all=${2:-}
  [[ -z $all || $all == --all ]] || die "keep-logs: unknown argument $all"
  [[ -d $STATE ]] || { log "keep-logs: no ground state in $STATE"; return 0; }
  # shellcheck disable=SC2034 # PRIVATE_MODE is set by load_env
  local N=0 PRIVATE=() PRIVATE_MODE=() i k p name
  load_env || true
  mkdir -p "$dest"
  for ((i = 1; i <= N; i++)); do
    mkdir -p "$dest/h$i"
    cp -a "$STATE/h$i/sshd.log" "$STATE/h$i/init.log" "$dest/h$i/" 2>/dev/null || true
    for k in "${!PRIVATE[@]}"; do
      p=${PRIVATE[k]} name=${p##*/}
      [[ $all == --all || ${name,,} == *log* ]] || continue
      [[ -d $STATE/h$i/fs$p ]] || continue
      mkdir -p "$dest/h$i$p"
      cp -a "$STATE/h$i/fs$p/." "$dest/h$i$p/" 2>/dev/null || log "warning: incomplete copy of h$i:$p"
    done
  done
  printf 'keep-logs: %s\n' "$dest"
}

main() {
  local cmd=${1:-}
  (($#)) && shift
  case $cmd in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    status) cmd_status "$@" ;;
    keep-logs) need_root; cmd_keep_logs "$@" ;;
    _boot) cmd_boot "$@" ;;
    *) sed -n '2,/^set -euo/p' "$SELF" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}
main "$@"

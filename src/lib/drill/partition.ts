// A network partition for a drill: nftables rules in the target host's own network stack that drop
// every packet to and from the other hosts of the cluster, applied over SSH (root or sudo -n) and
// healed by the drill, or by a timer on the host itself should the bastion never come back.
import {randomBytes} from 'node:crypto'
import {isIP} from 'node:net'
import {addressOf} from '../cluster/probes.ts'
import type {Session} from '../cluster/session.ts'
import {confHosts} from '../cluster/sync.ts'
import {ExitCode} from '../errors.ts'
import {assertOk, type Host} from '../remote/host.ts'
import {DrillError} from './targets.ts'

export interface PartitionPlan {
  host: string
  /** nftables table of this partition only (a heal never touches another drill's rules). */
  table: string
  /** The other hosts, as the conf names them, and the addresses their traffic is dropped for. */
  peers: string[]
  addresses: string[]
  /** How the rules are applied: as root, or through sudo -n. */
  privilege: 'root' | 'sudo'
}

// $1 is the action; the rest are names to resolve (probe) or checked addresses (apply).
// nft is looked up in the sbin directories too: a non-login SSH shell often lacks them in PATH.
export const PARTITION_SCRIPT = `set -f
fc_nft=$(command -v nft 2>/dev/null)
for fc_d in /usr/sbin /sbin; do [ -n "$fc_nft" ] || { [ -x "$fc_d/nft" ] && fc_nft=$fc_d/nft; }; done
if [ "$(id -u)" = 0 ]; then fc_priv=root; elif command -v sudo >/dev/null 2>&1 && sudo -n true </dev/null >/dev/null 2>&1; then fc_priv=sudo; else fc_priv=none; fi
fc_run() { if [ "$fc_priv" = sudo ]; then sudo -n "$@"; else "$@"; fi; }
fc_act=$1; shift
case $fc_act in
probe)
  printf 'priv\\t%s\\n' "$fc_priv"
  printf 'nft\\t%s\\n' "$fc_nft"
  set -- $SSH_CONNECTION
  printf 'client\\t%s\\n' "\${1:-}"
  ;;
resolve)
  for fc_n in "$@"; do
    getent ahosts "$fc_n" 2>/dev/null | while read -r fc_a fc_rest; do printf 'addr\\t%s\\t%s\\n' "$fc_n" "$fc_a"; done
  done
  ;;
apply)
  fc_table=$1; fc_secs=$2; shift 2
  fc_v4=; fc_v6=
  for fc_a in "$@"; do case $fc_a in *:*) fc_v6="$fc_v6\${fc_v6:+, }$fc_a";; *) fc_v4="$fc_v4\${fc_v4:+, }$fc_a";; esac; done
  {
    printf 'table inet %s {\\n' "$fc_table"
    for fc_c in input output; do
      [ $fc_c = input ] && fc_dir=saddr || fc_dir=daddr
      printf ' chain %s { type filter hook %s priority -10; policy accept;\\n' $fc_c $fc_c
      [ -n "$fc_v4" ] && printf '  ip %s { %s } drop\\n' $fc_dir "$fc_v4"
      [ -n "$fc_v6" ] && printf '  ip6 %s { %s } drop\\n' $fc_dir "$fc_v6"
      printf ' }\\n'
    done
    printf '}\\n'
  } | fc_run "$fc_nft" -f - || exit 3
  # the host heals itself should the drill never come back to do it
  if [ "$fc_priv" = sudo ]; then
    setsid sh -c 'sleep "$1"; sudo -n "$2" delete table inet "$3"' sh "$fc_secs" "$fc_nft" "$fc_table" </dev/null >/dev/null 2>&1 &
  else
    setsid sh -c 'sleep "$1"; "$2" delete table inet "$3"' sh "$fc_secs" "$fc_nft" "$fc_table" </dev/null >/dev/null 2>&1 &
  fi
  printf 'applied\\t%s\\n' "$(date +%s%3N 2>/dev/null)"
  ;;
heal)
  fc_run "$fc_nft" delete table inet "$1" 2>/dev/null
  if fc_run "$fc_nft" list table inet "$1" >/dev/null 2>&1; then echo still; else printf 'healed\\t%s\\n' "$(date +%s%3N 2>/dev/null)"; fi
  ;;
esac
`

const isLoopbackName = (h: string) => /^(localhost(\.localdomain)?|127(\.\d{1,3}){3}|::1|\[::1\])$/i.test(h)

const field = (stdout: string, key: string) => stdout.split('\n').filter((l) => l.startsWith(`${key}\t`)).map((l) => l.slice(key.length + 1))

/** The addresses to cut off: every other host's, as the target resolves it and as the SSH layer reaches it, never the target's own nor loopback. */
export function partitionAddresses(resolved: ReadonlyArray<{name: string; address: string}>, self: readonly string[], sshAddresses: readonly string[]): string[] {
  const own = new Set(self)
  const out = new Set<string>()
  for (const a of [...resolved.map((r) => r.address), ...sshAddresses]) {
    // nft takes no zone index (fe80::1%eth0); link-local peers are reached by a routable address too
    if (!isIP(a) || a.includes('%') || own.has(a) || a.startsWith('127.') || a === '::1') continue
    out.add(a)
  }
  return [...out].sort()
}

/** Checks that the host can be partitioned and what to cut; a DrillError (nothing changed) when it cannot. */
export async function planPartition(session: Session, hostName: string): Promise<PartitionPlan> {
  const host = session.pool.get(hostName)
  if (host.local) {
    throw new DrillError(`${hostName} is the machine flinkctl runs on: a partition would cut flinkctl off as well`, 'DRILL_PARTITION_LOCAL',
      'run the drill from a bastion that is not one of the cluster hosts', ExitCode.Usage)
  }
  // a loopback name (localhost in workers) is the host itself wherever it is read: nothing to cut
  const peers = confHosts(session).filter((h) => h !== hostName && !isLoopbackName(h))
  if (peers.length === 0) throw new DrillError(`${hostName} is the only host of this cluster: there is nothing to partition it from`, 'DRILL_PARTITION_ALONE', undefined, ExitCode.Usage)
  const probe = assertOk(host, 'checking what a partition needs', await host.sh(PARTITION_SCRIPT, ['probe'], {timeoutMs: 15_000})).stdout
  const priv = field(probe, 'priv')[0]
  const nft = field(probe, 'nft')[0]
  if (priv !== 'root' && priv !== 'sudo') {
    throw new DrillError(`a partition drill needs root on ${hostName} (or sudo without a password): ${host.user} has neither`, 'DRILL_PARTITION_PRIVILEGE',
      `connect as root for this drill, or allow ${host.user} \`sudo -n nft\` on ${hostName}`, ExitCode.Failed)
  }
  if (!nft) throw new DrillError(`a partition drill needs nft (nftables) on ${hostName}, and it has none`, 'DRILL_PARTITION_NO_NFT', `install it there: apt-get install nftables (or dnf install nftables)`, ExitCode.Failed)
  const client = field(probe, 'client')[0] ?? ''
  const res = assertOk(host, 'resolving the other hosts', await host.sh(PARTITION_SCRIPT, ['resolve', hostName, ...peers], {timeoutMs: 15_000})).stdout
  const rows = field(res, 'addr').map((l) => {
    const [name, address] = l.split('\t')
    return {name: name!, address: address!}
  })
  const self = [...rows.filter((r) => r.name === hostName).map((r) => r.address), addressOf(session, hostName)]
  const addresses = partitionAddresses(rows.filter((r) => r.name !== hostName), self, peers.map((p) => addressOf(session, p)))
  if (isIP(client) && addresses.includes(client)) {
    throw new DrillError(`${hostName} reaches flinkctl through ${client}, an address of another cluster host: the partition would cut flinkctl off too`, 'DRILL_PARTITION_LOCAL',
      'run the drill from a bastion that is not one of the cluster hosts', ExitCode.Usage)
  }
  const unresolved = peers.filter((p) => !rows.some((r) => r.name === p) && !isIP(addressOf(session, p)))
  if (addresses.length === 0 || unresolved.length) {
    throw new DrillError(`${hostName} cannot resolve ${unresolved.join(', ') || 'the other hosts'}: there is no address to cut off`, 'DRILL_PARTITION_UNRESOLVED',
      `check name resolution on ${hostName} (getent ahosts NAME)`, ExitCode.Failed)
  }
  return {host: hostName, table: `flinkctl_drill_${randomBytes(4).toString('hex')}`, peers, addresses, privilege: priv}
}

/** Drops the host's traffic to and from the others; the host heals itself after selfHealMs should nothing else. */
export async function applyPartition(host: Host, plan: PartitionPlan, selfHealMs: number): Promise<{hostTime?: number}> {
  for (const a of plan.addresses) if (!isIP(a)) throw new Error(`not an address: ${a}`)
  const r = await host.sh(PARTITION_SCRIPT, ['apply', plan.table, String(Math.ceil(selfHealMs / 1000)), ...plan.addresses], {timeoutMs: 15_000})
  if (r.code === 3) throw new DrillError(`nft refused the partition rules on ${plan.host}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`, 'DRILL_PARTITION_FAILED', 'is nftables usable there (kernel module nf_tables)?', ExitCode.Failed)
  assertOk(host, 'applying the partition', r)
  const at = field(r.stdout, 'applied')[0]
  return at && /^\d+$/.test(at) ? {hostTime: Number(at)} : {}
}

/** Removes this partition's rules; ok only once nft no longer lists them. Never throws. */
export async function healPartition(host: Host, plan: PartitionPlan): Promise<{ok: boolean; detail: string; hostTime?: number}> {
  try {
    const r = await host.sh(PARTITION_SCRIPT, ['heal', plan.table], {timeoutMs: 15_000})
    const at = field(r.stdout, 'healed')[0]
    if (r.code === 0 && at !== undefined) return {ok: true, detail: `partition of ${plan.host} healed`, ...(/^\d+$/.test(at) ? {hostTime: Number(at)} : {})}
    return {ok: false, detail: `the partition rules (table inet ${plan.table}) are still on ${plan.host}${r.stderr ? `: ${r.stderr.trim()}` : ''}`}
  } catch (err) {
    return {ok: false, detail: `could not heal the partition of ${plan.host}: ${(err as Error).message}; it heals itself when its timer runs out`}
  }
}

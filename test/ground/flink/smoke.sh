#!/usr/bin/env bash
# Proves that a Flink home built by build.sh is real, with plain `java` (no Flink scripts):
#
#   test/ground/flink/smoke.sh <flink-home>
#
#  1. BashJavaUtils GET_JM_RESOURCE_PARAMS / GET_TM_RESOURCE_PARAMS with the upstream classpath
#     bin/bash-java-utils.jar:lib/flink-dist-<v>.jar, for the ground-truth config
#     (JM 1600m, TM 1728m, 1 slot; result lines printed) and for the smoke cluster's config.
#  2. FlinkZooKeeperQuorumPeer (standalone, 127.0.0.1), StandaloneSessionClusterEntrypoint with
#     ZooKeeper HA and a TaskManagerRunner (JM 768m, TM 1g process size, JDK 17 module flags),
#     each launched the way jobmanager.sh / taskmanager.sh / zookeeper.sh would launch it.
#  3. REST: /overview reports 1 TaskManager, / serves the web UI, TopSpeedWindowing is uploaded
#     (POST /jars/upload) and run (POST /jars/<id>/run) and reaches RUNNING with >= 1 completed
#     checkpoint (execution.checkpointing.interval: 2s).
#  4. Everything is killed and the work dir removed, also on failure (SMOKE_KEEP=1 keeps it).
#
# Ports (must be free): SMOKE_ZK_PORT (2181), SMOKE_REST_PORT (8081), SMOKE_RPC_PORT (6123).
# Java: $JAVA_HOME/bin/java if JAVA_HOME is set, else `java` (JDK 17 expected).
set -euo pipefail

FH="${1:?usage: $0 <flink-home>}"
FH="$(cd "$FH" && pwd)"
ZK_PORT="${SMOKE_ZK_PORT:-2181}"
REST_PORT="${SMOKE_REST_PORT:-8081}"
RPC_PORT="${SMOKE_RPC_PORT:-6123}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
REST="http://localhost:$REST_PORT"

shopt -s nullglob
dists=("$FH"/lib/flink-dist-*.jar)
[[ ${#dists[@]} -eq 1 ]] || { echo "[smoke] expected exactly one lib/flink-dist-*.jar in $FH" >&2; exit 1; }
DIST="${dists[0]}"
V="$(basename "$DIST" .jar)"; V="${V#flink-dist-}"

W="$(mktemp -d "/tmp/flink-smoke-$V.XXXXXX")"
PIDS=()
FAILED=1

say() { printf '[smoke %s] %s\n' "$V" "$*" >&2; }

cleanup() {
  local rc=$?
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    timeout 20 tail --pid="$p" -f /dev/null 2>/dev/null || kill -9 "$p" 2>/dev/null || true
  done
  if [[ $FAILED -ne 0 ]]; then
    say "FAILED (rc=$rc); last log lines:"
    local f
    for f in "$W"/log/*.log "$W"/log/*.out; do
      [[ -s $f ]] || continue
      echo "----- $f" >&2
      tail -n 25 "$f" >&2
    done
  fi
  if [[ "${SMOKE_KEEP:-0}" == 1 ]]; then say "kept $W"; else rm -rf "$W"; fi
  [[ $FAILED -eq 0 ]] || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { say "ERROR: $*"; exit 1; }

# Safety net for a death without the EXIT trap (SIGKILL, ...): a detached watchdog waits for this
# script to go away, then stops the JVMs it started (recognised by $W on their command line).
watchdog() {
  local parent=$1 p killed=0
  while kill -0 "$parent" 2>/dev/null; do sleep 2; done
  while read -r p; do
    if grep -qF "$W" "/proc/$p/cmdline" 2>/dev/null; then kill "$p" 2>/dev/null || true; killed=1; fi
  done < <(cat "$W/pids" 2>/dev/null)
  [[ $killed -eq 1 ]] || exit 0
  sleep 20
  while read -r p; do
    if grep -qF "$W" "/proc/$p/cmdline" 2>/dev/null; then kill -9 "$p" 2>/dev/null || true; fi
  done < <(cat "$W/pids" 2>/dev/null)
  [[ "${SMOKE_KEEP:-0}" == 1 ]] || rm -rf "$W"
}
watchdog $$ </dev/null >/dev/null 2>&1 &
disown

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$ZK_PORT" "$REST_PORT" "$RPC_PORT"; do port_free "$p" || fail "port $p is in use"; done

# Wait up to $1 seconds for "$2 ..." to succeed.
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [[ $SECONDS -lt $end ]] || return 1
    sleep 1
  done
}
alive() { local p; for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null || fail "a JVM died (pid $p)"; done; }

# --- JDK 17 module flags, as Flink's default config.yaml sets env.java.opts.all --------------------
JAVA_OPTS_ALL="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"
# config.sh prepends -XX:+IgnoreUnrecognizedVMOptions to the configured options (1.18+)
read -r -a FLINK_OPTS <<<"-XX:+IgnoreUnrecognizedVMOptions $JAVA_OPTS_ALL"

mkdir -p "$W/conf" "$W/gt-conf" "$W/log" "$W/zk" "$W/ha" "$W/checkpoints" "$W/tmp" "$W/web" "$W/blob"

# --- 1. BashJavaUtils -----------------------------------------------------------------------------
BJU_CP="$FH/bin/bash-java-utils.jar:$DIST"
# prints the result lines (prefix stripped); fails unless exactly $2 of them
bju() {
  local cmd=$1 conf=$2 out lines
  out="$("$JAVA" -classpath "$BJU_CP" org.apache.flink.runtime.util.bash.BashJavaUtils "$cmd" --configDir "$conf" 2>&1 | tail -n 1000)" \
    || { echo "$out" >&2; fail "BashJavaUtils $cmd failed"; }
  lines="$(grep '^BASH_JAVA_UTILS_EXEC_RESULT:' <<<"$out" || true)"
  [[ $(grep -c . <<<"$lines") -eq 2 ]] || { echo "$out" >&2; fail "BashJavaUtils $cmd: expected 2 result lines"; }
  printf '%s\n' "${lines//BASH_JAVA_UTILS_EXEC_RESULT:/}"
}

cat >"$W/gt-conf/config.yaml" <<EOF
jobmanager.memory.process.size: 1600m
taskmanager.memory.process.size: 1728m
taskmanager.numberOfTaskSlots: 1
EOF
for cmd in GET_JM_RESOURCE_PARAMS GET_TM_RESOURCE_PARAMS; do
  say "BashJavaUtils $cmd (JM 1600m / TM 1728m / 1 slot):"
  bju "$cmd" "$W/gt-conf" | sed 's/^/BASH_JAVA_UTILS_EXEC_RESULT:/'
done

# --- smoke cluster configuration ------------------------------------------------------------------
cat >"$W/conf/config.yaml" <<EOF
jobmanager.rpc.address: localhost
jobmanager.rpc.port: $RPC_PORT
jobmanager.bind-host: localhost
jobmanager.memory.process.size: 768m
taskmanager.bind-host: localhost
taskmanager.host: localhost
taskmanager.memory.process.size: 1g
taskmanager.numberOfTaskSlots: 1
parallelism.default: 1
rest.address: localhost
rest.bind-address: localhost
rest.port: $REST_PORT
high-availability.type: zookeeper
high-availability.zookeeper.quorum: 127.0.0.1:$ZK_PORT
high-availability.storageDir: file://$W/ha
high-availability.cluster-id: /smoke
execution.checkpointing.interval: 2s
execution.checkpointing.dir: file://$W/checkpoints
state.checkpoints.dir: file://$W/checkpoints
io.tmp.dirs: $W/tmp
web.tmpdir: $W/web
blob.storage.directory: $W/blob
env.java.opts.all: $JAVA_OPTS_ALL
EOF
cp "$FH/conf/log4j.properties" "$W/conf/log4j.properties"
cat >"$W/conf/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$W/zk
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
EOF

mapfile -t JM_PARAMS < <(bju GET_JM_RESOURCE_PARAMS "$W/conf")
mapfile -t TM_PARAMS < <(bju GET_TM_RESOURCE_PARAMS "$W/conf")
say "JM (768m): ${JM_PARAMS[0]}"
say "TM (1g):   ${TM_PARAMS[0]}"
read -r -a JM_JVM <<<"${JM_PARAMS[0]}"; read -r -a JM_DYN <<<"${JM_PARAMS[1]}"
read -r -a TM_JVM <<<"${TM_PARAMS[0]}"; read -r -a TM_DYN <<<"${TM_PARAMS[1]}"

# constructFlinkClassPath: lib/*.jar sorted, flink-dist last
CP=""
while IFS= read -r -d '' jar; do
  [[ $jar == "$DIST" ]] && continue
  CP="${CP:+$CP:}$jar"
done < <(find "$FH/lib" ! -type d -name '*.jar' -print0 | sort -z)
CP="$CP:$DIST"

# what config.sh exports to every JVM it starts
export FLINK_CONF_DIR="$W/conf" FLINK_BIN_DIR="$FH/bin" FLINK_LIB_DIR="$FH/lib" \
       FLINK_PLUGINS_DIR="$FH/plugins" FLINK_OPT_DIR="$FH/opt" MAX_LOG_FILE_NUMBER=10 ROOT_LOG_LEVEL=INFO

# launch <name> <java args...>: background JVM, stdout/stderr to log/<name>.out
launch() {
  local name=$1; shift
  "$JAVA" "$@" >"$W/log/$name.out" 2>&1 </dev/null &
  PIDS+=($!)
  echo $! >>"$W/pids"
  say "started $name (pid $!)"
}
log_flags() {
  echo "-Dlog.file=$W/log/$1.log" "-Dlog4j.configuration=file:$W/conf/log4j.properties" \
       "-Dlog4j.configurationFile=file:$W/conf/log4j.properties" "-Dlogback.configurationFile=file:$W/conf/logback.xml"
}
read -r -a ZK_LOG <<<"$(log_flags zookeeper)"
read -r -a JM_LOG <<<"$(log_flags standalonesession)"
read -r -a TM_LOG <<<"$(log_flags taskexecutor)"

# --- 2. ZooKeeper, JobManager, TaskManager --------------------------------------------------------
launch zookeeper -Xms128m -Xmx128m -Dzookeeper.jmx.log4j.disable=true "${FLINK_OPTS[@]}" "${ZK_LOG[@]}" \
  -classpath "$CP" org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer \
  --zkConfigFile "$W/conf/zoo.cfg" --peerId 1
zk_up() { alive; ! port_free "$ZK_PORT"; }
wait_for 60 zk_up || fail "ZooKeeper did not open port $ZK_PORT"

JM_ARGS=(--configDir "$W/conf")
[[ $V == 1.* ]] && JM_ARGS+=(--executionMode cluster)   # jobmanager.sh passes it up to 1.20
launch standalonesession "${JM_JVM[@]}" "${FLINK_OPTS[@]}" "${JM_LOG[@]}" -classpath "$CP" \
  org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint "${JM_DYN[@]}" "${JM_ARGS[@]}"
launch taskexecutor "${TM_JVM[@]}" "${FLINK_OPTS[@]}" "${TM_LOG[@]}" -classpath "$CP" \
  org.apache.flink.runtime.taskexecutor.TaskManagerRunner --configDir "$W/conf" "${TM_DYN[@]}"

# --- 3. REST checks -------------------------------------------------------------------------------
OVERVIEW=""
one_tm() { alive; OVERVIEW="$(curl -fsS --max-time 5 "$REST/overview" 2>/dev/null)" && grep -q '"taskmanagers":1[,}]' <<<"$OVERVIEW"; }
wait_for 120 one_tm || fail "/overview did not report 1 TaskManager (last: ${OVERVIEW:-none})"
say "/overview: $OVERVIEW"

curl -fsS --max-time 10 "$REST/" -o "$W/index.html" || fail "GET / failed"
grep -qi '<html' "$W/index.html" || fail "GET / did not return HTML"
say "web UI: $(grep -o '<title>[^<]*</title>' "$W/index.html" | head -n1) ($(wc -c <"$W/index.html") bytes)"

UP="$(curl -fsS --max-time 60 -X POST -F "jarfile=@$FH/examples/streaming/TopSpeedWindowing.jar" "$REST/jars/upload")" \
  || fail "jar upload failed"
JAR_ID="$(sed -n 's/.*"filename":"\([^"]*\)".*/\1/p' <<<"$UP")"; JAR_ID="${JAR_ID##*/}"
[[ -n $JAR_ID ]] || fail "no jar id in upload answer: $UP"
say "uploaded: $JAR_ID"

RUN="$(curl -fsS --max-time 120 -X POST -H 'Content-Type: application/json' -d '{}' "$REST/jars/$JAR_ID/run")" \
  || fail "jar run failed: $(curl -sS -X POST -H 'Content-Type: application/json' -d '{}' "$REST/jars/$JAR_ID/run" 2>&1 | head -c 2000)"
JOB_ID="$(sed -n 's/.*"jobid":"\([0-9a-f]*\)".*/\1/p' <<<"$RUN")"
[[ -n $JOB_ID ]] || fail "no job id in run answer: $RUN"
say "job: $JOB_ID"

STATE="" COMPLETED=0
running_with_checkpoint() {
  alive
  # the job's own "state" comes first; vertices report "status"
  STATE="$(curl -fsS --max-time 5 "$REST/jobs/$JOB_ID" 2>/dev/null | grep -o '"state":"[A-Z]*"' | head -n1 | cut -d'"' -f4)" || true
  [[ $STATE == FAILED || $STATE == CANCELED || $STATE == FINISHED ]] && fail "job reached $STATE"
  COMPLETED="$(curl -fsS --max-time 5 "$REST/jobs/$JOB_ID/checkpoints" 2>/dev/null | grep -o '"counts":{[^}]*}' | grep -o '"completed":[0-9]*' | cut -d: -f2)" || true
  [[ $STATE == RUNNING && ${COMPLETED:-0} -ge 1 ]]
}
wait_for 120 running_with_checkpoint || fail "job not RUNNING with a completed checkpoint (state=${STATE:-?}, completed=${COMPLETED:-0})"
say "job $JOB_ID is $STATE, completed checkpoints: $COMPLETED"

FAILED=0
say "OK"

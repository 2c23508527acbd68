#!/usr/bin/env bash
# Manual proof that Flink's own YARN session client deploys onto the minicluster of yarn.sh, with plain
# `java` (no Flink scripts): detached session + ZooKeeper HA, a checkpointing job, an ApplicationMaster
# killed with SIGKILL and recovered by YARN attempt 2, the session stopped through Flink's REST API, a
# second session killed through YARN's REST API.
#
#   test/ground/yarn/proof.sh [<flink-home>]      (default: $FLINKCTL_TEST_CACHE/flink-2.3.0)
#
# Steps:
#   1. yarn.sh start (stopped again at the end if this script started it; PROOF_KEEP_YARN=1 keeps it)
#   2. ZooKeeper: Flink's FlinkZooKeeperQuorumPeer on 127.0.0.1:$PROOF_ZK_PORT (default 22181)
#   3. FlinkYarnSessionCli -d ... launched as yarn-session.sh launches it (classpath, JVM options, env)
#   4. RM REST: the app by tag (case checks), tracking URL, amRPCAddress = JobManager REST host:port
#   5. TopSpeedWindowing via Flink REST (POST /jars/upload, POST /jars/<id>/run), RUNNING + checkpoints
#   6. SIGKILL the AM JVM (YarnSessionClusterEntrypoint), YARN attempt 2, job RUNNING again, restored
#   7. DELETE /cluster -> app FINISHED/SUCCEEDED, no containers left
#   8. second session with yarn.application-attempts=1 (what the client prints), then
#      PUT /ws/v1/cluster/apps/<id>/state {"state":"KILLED"} -> KILLED, no containers left
# Everything it started is stopped on exit (also on failure); its work dir $PROOF_DIR
# (default /var/tmp/flinkctl-yarn-proof) is kept for reading (client output, ZooKeeper log).
# Needs: curl, jq, a JDK 17, `yarn.sh install` done, a Flink home from test/ground/flink/build.sh.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}"
FH="$(cd "${1:-$CACHE/flink-2.3.0}" && pwd)"
P="${PROOF_DIR:-/var/tmp/flinkctl-yarn-proof}"
ZK_PORT="${PROOF_ZK_PORT:-22181}"
# The ZooKeeper session timeout bounds the AM failover: the new JobManager cannot become leader before
# the killed one's session expires. Flink asks 60 s by default; the server caps it at 20 * tickTime.
ZK_SESSION_TIMEOUT="${PROOF_ZK_SESSION_TIMEOUT:-10000}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
YARN_SH="$HERE/yarn.sh"

shopt -s nullglob
dists=("$FH"/lib/flink-dist-*.jar)
[[ ${#dists[@]} -eq 1 ]] || { echo "[proof] expected exactly one lib/flink-dist-*.jar in $FH" >&2; exit 1; }
DIST="${dists[0]}"
V="$(basename "$DIST" .jar)"; V="${V#flink-dist-}"

T0=$SECONDS
say() { printf '[proof %s +%3ds] %s\n' "$V" $((SECONDS - T0)) "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc | sed 's/^\./0./' | cut -c1-5; }
for t in curl jq bc; do command -v "$t" >/dev/null || fail "$t is required"; done

# Wait up to $1 seconds for "$2 ..." to succeed.
wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@"; do
    [[ $SECONDS -lt $end ]] || return 1
    sleep 0.5
  done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
rss_mb() { awk '/^VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "?"; }

# --- 1. YARN ------------------------------------------------------------------------------------------
STARTED_YARN=0 ZK_PID="" APPS=()
cleanup() {
  local rc=$? a
  set +e
  for a in "${APPS[@]}"; do
    if [[ "$(rm_app "$a" | jq -r .state 2>/dev/null)" =~ ^(NEW|NEW_SAVING|SUBMITTED|ACCEPTED|RUNNING)$ ]]; then
      say "cleanup: killing $a"
      curl -fsS -X PUT -H 'Content-Type: application/json' -d '{"state":"KILLED"}' "$RM_WEB/ws/v1/cluster/apps/$a/state" >/dev/null
    fi
  done
  if [[ -n $ZK_PID ]] && grep -qF "$P/zoo.cfg" "/proc/$ZK_PID/cmdline" 2>/dev/null; then
    kill "$ZK_PID"; timeout 20 tail --pid="$ZK_PID" -f /dev/null || kill -9 "$ZK_PID"
  fi
  if [[ $STARTED_YARN == 1 && ${PROOF_KEEP_YARN:-0} != 1 ]]; then "$YARN_SH" stop; fi
  [[ $rc -eq 0 ]] && say "OK (work dir kept: $P)" || say "FAILED rc=$rc (work dir kept: $P)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$YARN_SH" status >/dev/null 2>&1 || STARTED_YARN=1
t=$(now)
"$YARN_SH" start
say "yarn.sh start: $(since "$t")s (started by this script: $STARTED_YARN)"
eval "$("$YARN_SH" env)"
RM_WEB="$FLINKCTL_YARN_RM_WEB"
rm_app() { curl -fsS --max-time 5 "$RM_WEB/ws/v1/cluster/apps/$1" | jq -c .app; }
MC_PID="$(cat "$FLINKCTL_YARN_DIR/minicluster.pid")"
say "minicluster pid $MC_PID RSS $(rss_mb "$MC_PID") MB (idle)"

# --- 2. ZooKeeper -------------------------------------------------------------------------------------
rm -rf "$P"; mkdir -p "$P/conf" "$P/log" "$P/zk" "$P/tmp" "$P/web"
port_open "$ZK_PORT" && fail "port $ZK_PORT is in use"

JAVA_OPTS_ALL="--add-exports=java.base/sun.net.util=ALL-UNNAMED --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.text=ALL-UNNAMED --add-opens=java.base/java.time=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED"

# constructFlinkClassPath: lib/**.jar sorted, flink-dist last
FLINK_CP=""
while IFS= read -r -d '' jar; do
  [[ $jar == "$DIST" ]] && continue
  FLINK_CP="${FLINK_CP:+$FLINK_CP:}$jar"
done < <(find "$FH/lib" ! -type d -name '*.jar' -print0 | sort -z)
FLINK_CP="$FLINK_CP:$DIST"

cat >"$P/zoo.cfg" <<EOF
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$P/zk
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
EOF
# what zookeeper.sh would run (config.sh adds -XX:+IgnoreUnrecognizedVMOptions and env.java.opts.all)
"$JAVA" -Xms128m -Xmx128m -XX:+IgnoreUnrecognizedVMOptions $JAVA_OPTS_ALL \
  "-Dlog.file=$P/log/zookeeper.log" "-Dlog4j.configurationFile=file:$FH/conf/log4j.properties" \
  -classpath "$FLINK_CP" org.apache.flink.runtime.zookeeper.FlinkZooKeeperQuorumPeer \
  --zkConfigFile "$P/zoo.cfg" --peerId 1 >"$P/log/zookeeper.out" 2>&1 </dev/null &
ZK_PID=$!
wait_for 60 port_open "$ZK_PORT" || fail "ZooKeeper did not open $ZK_PORT"
say "ZooKeeper up on 127.0.0.1:$ZK_PORT (pid $ZK_PID)"

# --- 3. the session client, as yarn-session.sh runs it -------------------------------------------------
cat >"$P/conf/config.yaml" <<EOF
# the client's FLINK_CONF_DIR; FlinkYarnSessionCli ships it (plus -D) to the containers
parallelism.default: 1
execution.checkpointing.interval: 1s
execution.checkpointing.dir: $FLINKCTL_YARN_HDFS/flink/checkpoints
high-availability.zookeeper.client.session-timeout: $ZK_SESSION_TIMEOUT
# FlinkYarnSessionCli reads this key from config.yaml only (a -D of it is ignored): .yarn-properties-<user>
yarn.properties-file.location: $P
# the JobManager's jar uploads (default: java.io.tmpdir of the container = /tmp)
web.tmpdir: $P/web
env.java.opts.all: $JAVA_OPTS_ALL
EOF
cp "$FH"/conf/log4j*.properties "$P/conf/"   # log4j.properties is shipped to the containers

# yarn-session.sh: JVM_ARGS += -Xmx512m; FLINK_ENV_JAVA_OPTS = -XX:+IgnoreUnrecognizedVMOptions
# <env.java.opts.all> <env.java.opts.client>; classpath = constructFlinkClassPath:INTERNAL_HADOOP_CLASSPATHS
# (= $HADOOP_CLASSPATH:$HADOOP_CONF_DIR:$YARN_CONF_DIR, the last one empty here); -j lib/flink-dist*.jar.
# -Djava.io.tmpdir keeps the client's JAAS file out of /tmp (yarn-session.sh would take it from JVM_ARGS).
session_cli() {
  local name=$1; shift
  (
    export FLINK_CONF_DIR="$P/conf" FLINK_LIB_DIR="$FH/lib" FLINK_PLUGINS_DIR="$FH/plugins" \
           FLINK_BIN_DIR="$FH/bin" FLINK_OPT_DIR="$FH/opt"
    cd "$P"
    # shellcheck disable=SC2086
    exec "$JAVA" -Xmx512m "-Djava.io.tmpdir=$P/tmp" -XX:+IgnoreUnrecognizedVMOptions $JAVA_OPTS_ALL \
      -classpath "$FLINK_CP:$HADOOP_CLASSPATH:$HADOOP_CONF_DIR:${YARN_CONF_DIR:-}" \
      "-Dlog.file=$P/log/flink-$(id -un)-yarn-session-$(hostname).log" \
      "-Dlog4j.configuration=file:$P/conf/log4j-session.properties" \
      "-Dlog4j.configurationFile=file:$P/conf/log4j-session.properties" \
      "-Dlogback.configurationFile=file:$P/conf/logback-session.xml" \
      org.apache.flink.yarn.cli.FlinkYarnSessionCli -j "$DIST" "$@"
  ) >"$P/$name.out" 2>"$P/$name.err" </dev/null
}

TAG="FlinkCtl-Proof-$$"
tag_lc="$(tr '[:upper:]' '[:lower:]' <<<"$TAG")"
HA_ARGS=(-D high-availability.type=zookeeper -D "high-availability.zookeeper.quorum=127.0.0.1:$ZK_PORT"
         -D "high-availability.storageDir=$FLINKCTL_YARN_HDFS/flink/ha")
t=$(now)
session_cli session1 -d -jm 1024m -tm 1024m -s 1 -nm "proof session $$" -D "yarn.tags=$TAG,second-tag" \
  "${HA_ARGS[@]}" -D yarn.application-attempts=3 -D yarn.properties-file.location=/nowhere \
  || { tail -n 40 "$P/session1.out" "$P/session1.err" >&2; fail "FlinkYarnSessionCli failed"; }
DEPLOY_S=$(since "$t")
say "FlinkYarnSessionCli -d returned after ${DEPLOY_S}s; its last lines:"
grep -v '^\s*at ' "$P/session1.out" | tail -n 8 | cut -c1-220 >&2
say "stdout: $(wc -l <"$P/session1.out") lines (log4j console appender + System.out), stderr: $(wc -l <"$P/session1.err") lines$( [[ -s $P/session1.err ]] && printf ': %s' "$(head -c 300 "$P/session1.err")")"
APP="$(grep -o 'Submitted application application_[0-9_]*' "$P/session1.out" | awk '{print $3}' | tail -n1)"
KILL_LINE_APP="$(sed -n 's/^\$ yarn application -kill \(application_[0-9_]*\)$/\1/p' "$P/session1.out")"
JM_PRINTED="$(sed -n 's/^JobManager Web Interface: //p' "$P/session1.out")"
FOUND_WEB="$(sed -n "s/.*Found Web Interface \([^ ]*\) of application.*/\1/p" "$P/session1.out")"
[[ -n $APP && $APP == "$KILL_LINE_APP" ]] || fail "no application id in the client output"
APPS+=("$APP")
say "parsed: app=$APP (log 'Submitted application' = stdout '\$ yarn application -kill'), JobManager Web Interface=$JM_PRINTED, Found Web Interface=$FOUND_WEB"
[[ -f $P/.yarn-properties-$(id -un) ]] || fail "no .yarn-properties-$(id -un) in $P"
say ".yarn-properties-$(id -un) in $P (config.yaml key; the -D pointing elsewhere was ignored): $(grep -v '^#' "$P/.yarn-properties-$(id -un)" | tr '\n' ' ')"
[[ ! -e /nowhere ]] || fail "/nowhere exists"

# --- 4. RM REST -----------------------------------------------------------------------------------------
by_tag() { curl -fsS "$RM_WEB/ws/v1/cluster/apps?applicationTags=$1" | jq -r '[.apps.app[]?.id] | join(",")'; }
say "apps?applicationTags=$TAG -> [$(by_tag "$TAG")]; =$tag_lc -> [$(by_tag "$tag_lc")]; =second-tag -> [$(by_tag second-tag)]; =nope -> [$(by_tag nope)]"
[[ "$(by_tag "$tag_lc")" == "$APP" ]] || fail "tag filter did not find $APP"
A="$(rm_app "$APP")"
say "RM app: $(jq -c '{state,finalStatus,name,applicationTags,applicationType,trackingUrl,amRPCAddress,amHostHttpAddress,runningContainers,allocatedMB}' <<<"$A")"
JM="http://$(jq -r .amRPCAddress <<<"$A")"
PROXY="$(jq -r .trackingUrl <<<"$A")"; PROXY="${PROXY%/}"
say "JobManager REST: $JM (amRPCAddress); via the RM proxy: $PROXY -> GET /overview: $(curl -fsS "$PROXY/overview")"

# --- 5. the job -----------------------------------------------------------------------------------------
say "POST /jars/upload through the RM proxy -> HTTP $(curl -s -o /dev/null -w '%{http_code}' -X POST -F "jarfile=@$FH/examples/streaming/TopSpeedWindowing.jar" "$PROXY/jars/upload") (the proxy forwards GET only)"
UP="$(curl -fsS -X POST -F "jarfile=@$FH/examples/streaming/TopSpeedWindowing.jar" "$JM/jars/upload")"
JAR_ID="$(jq -r .filename <<<"$UP")"; JAR_ID="${JAR_ID##*/}"
RUN="$(curl -fsS -X POST -H 'Content-Type: application/json' -d '{}' "$JM/jars/$JAR_ID/run")"
JOB="$(jq -r .jobid <<<"$RUN")"
say "job $JOB submitted (upload stored as $(jq -r .filename <<<"$UP"))"
job_state() { curl -fsS --max-time 3 "$1/jobs/$JOB" 2>/dev/null | jq -r .state; }
ckpts() { curl -fsS --max-time 3 "$1/jobs/$JOB/checkpoints" 2>/dev/null | jq -c .counts; }
running_with_ckpt() { [[ "$(job_state "$JM")" == RUNNING ]] && [[ "$(ckpts "$JM" | jq -r .completed)" -ge 2 ]]; }
t=$(now)
wait_for 180 running_with_ckpt || fail "job not RUNNING with checkpoints: $(job_state "$JM") $(ckpts "$JM")"
say "job RUNNING after $(since "$t")s (TaskManager container allocated on demand), checkpoints $(ckpts "$JM")"

# the container JVMs: main class, container id in -Dlog.file and in the environment, cwd
jvm_of() {  # <main class> <app id> -> pids
  local d cmd
  for d in /proc/[0-9]*; do
    cmd="$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")" || continue
    # argv[0] is the java binary (not the container's "bash -c <java command>" wrapper)
    [[ ${cmd%% *} == */bin/java && $cmd == *" $1 "* && $cmd == *"/$2/container_"* ]] && echo "${d#/proc/}"
  done
  return 0
}
AM_PID="$(jvm_of org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint "$APP")"
TM_PID="$(jvm_of org.apache.flink.yarn.YarnTaskExecutorRunner "$APP")"
[[ $AM_PID =~ ^[0-9]+$ && $TM_PID =~ ^[0-9]+$ ]] || fail "expected one AM and one TM JVM, got AM=[$AM_PID] TM=[$TM_PID]"
AM_CONTAINER="$(tr '\0' '\n' <"/proc/$AM_PID/environ" | sed -n 's/^CONTAINER_ID=//p')"
TM_CONTAINER="$(tr '\0' '\n' <"/proc/$TM_PID/environ" | sed -n 's/^CONTAINER_ID=//p')"
say "AM JVM pid $AM_PID ($AM_CONTAINER) RSS $(rss_mb "$AM_PID") MB: $(tr '\0' ' ' <"/proc/$AM_PID/cmdline" | sed 's/--add-[a-z]*=[^ ]* //g' | cut -c1-400)"
say "AM cwd: $(readlink "/proc/$AM_PID/cwd")"
say "TM JVM pid $TM_PID ($TM_CONTAINER) RSS $(rss_mb "$TM_PID") MB; minicluster RSS now $(rss_mb "$MC_PID") MB"
say "AM process tree: $(ps -o pid=,pgid=,comm= -p "$(ps -o ppid= -p "$AM_PID" | tr -d ' ')" | tr -s ' ') -> $(ps -o pid=,pgid=,comm= -p "$AM_PID" | tr -s ' ') (pgid = the container's bash -c wrapper; parent of that: launch_container.sh, a child of the minicluster JVM $MC_PID)"

# --- 6. SIGKILL the ApplicationMaster -------------------------------------------------------------------
attempts() { curl -fsS "$RM_WEB/ws/v1/cluster/apps/$APP/appattempts" | jq -c '[.appAttempts.appAttempt[] | {id, appAttemptState, containerId}]'; }
say "attempts before: $(attempts)"
CK_BEFORE="$(ckpts "$JM")"
t=$(now)
kill -9 "$AM_PID"
say "SIGKILL sent to the AM JVM $AM_PID"
second_attempt() { [[ "$(attempts | jq 'length')" -ge 2 ]]; }
wait_for 120 second_attempt || fail "no second attempt: $(attempts)"
T_ATTEMPT=$(since "$t")
say "attempt 2 exists after ${T_ATTEMPT}s: $(attempts)"
new_am() { A="$(rm_app "$APP")"; [[ "$(jq -r .state <<<"$A")" == RUNNING && "http://$(jq -r .amRPCAddress <<<"$A")" != "$JM" ]]; }
wait_for 180 new_am || fail "app not RUNNING with a new AM address: $(rm_app "$APP")"
T_REGISTERED=$(since "$t")
JM2="http://$(jq -r .amRPCAddress <<<"$A")"
say "app RUNNING again after ${T_REGISTERED}s, new JobManager REST $JM2 (was $JM)"
JM="$JM2"
restored() { [[ "$(job_state "$JM")" == RUNNING ]] && [[ "$(ckpts "$JM" | jq -r .restored)" -ge 1 ]] && [[ "$(ckpts "$JM" | jq -r .completed)" -ge 1 ]]; }
wait_for 180 restored || fail "job not RUNNING from a checkpoint: $(job_state "$JM") $(ckpts "$JM")"
T_JOB=$(since "$t")
say "job RUNNING again after ${T_JOB}s; checkpoints before $CK_BEFORE, now $(ckpts "$JM"); restored from: $(curl -fsS "$JM/jobs/$JOB/checkpoints" | jq -c '.latest.restored | {id, is_savepoint, external_path}')"
AM2_PID="$(jvm_of org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint "$APP")"
TM2_PID="$(jvm_of org.apache.flink.yarn.YarnTaskExecutorRunner "$APP")"
say "new AM pid $AM2_PID ($(tr '\0' '\n' <"/proc/$AM2_PID/environ" | sed -n 's/^CONTAINER_ID=//p')); TM pid $TM2_PID (was $TM_PID: the TaskManager container survived the AM kill)"
say "uploaded jars after the AM restart: $(curl -fsS "$JM/jars" | jq -c '[.files[].id]')"

# --- 7. DELETE /cluster -----------------------------------------------------------------------------
NM_WEB="http://$(jq -r .amHostHttpAddress <<<"$A")"
containers() { curl -fsS "$RM_WEB/ws/v1/cluster/nodes" | jq '[.nodes.node[].numContainers] | add'; }
nm_containers() { curl -fsS -H 'Accept: application/json' "$NM_WEB/ws/v1/node/containers" | jq -c '[.containers.container[]?.id]'; }
say "before DELETE /cluster: RM numContainers=$(containers), NM $NM_WEB/ws/v1/node/containers=$(nm_containers)"
t=$(now)
say "DELETE $JM/cluster -> $(curl -fsS -w ' HTTP %{http_code}' -X DELETE "$JM/cluster")"
finished() { [[ "$(rm_app "$APP" | jq -r .state)" == FINISHED ]]; }
wait_for 60 finished || fail "app not FINISHED: $(rm_app "$APP")"
T_FIN=$(since "$t")
no_containers() { [[ "$(containers)" == 0 ]]; }
wait_for 60 no_containers || fail "containers left: $(containers)"
say "app $(rm_app "$APP" | jq -c '{state,finalStatus,diagnostics}') after ${T_FIN}s; no containers after $(since "$t")s (NM: $(nm_containers)); JVMs left: [$(jvm_of org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint "$APP")$(jvm_of org.apache.flink.yarn.YarnTaskExecutorRunner "$APP")]"

# --- 8. yarn.application-attempts=1, and the YARN REST kill ----------------------------------------
TAG2="flinkctl-proof2-$$"
t=$(now)
session_cli session2 -d -jm 1024m -tm 1024m -s 1 -nm "proof session 2" -D "yarn.tags=$TAG2" \
  "${HA_ARGS[@]}" -D yarn.application-attempts=1 \
  || { tail -n 40 "$P/session2.out" "$P/session2.err" >&2; fail "session 2 failed"; }
APP2="$(grep -o 'Submitted application application_[0-9_]*' "$P/session2.out" | awk '{print $3}' | tail -n1)"
APPS+=("$APP2")
say "session 2 ($APP2, yarn.application-attempts=1) deployed in $(since "$t")s; client lines mentioning attempts: $(grep -i 'attempt' "$P/session2.out" | cut -c1-200 | tr '\n' '|' || true)"
say "session 2 WARN/ERROR lines: $(grep -E ' (WARN|ERROR) ' "$P/session2.out" | grep -v -e SASL -e 'native-hadoop' -e 'Authentication failed' | cut -c1-200 | tr '\n' '|' || true)"
say "RM: $(rm_app "$APP2" | jq -c '{state,applicationTags}'), attempts: $(curl -fsS "$RM_WEB/ws/v1/cluster/apps/$APP2/appattempts" | jq -c '[.appAttempts.appAttempt[].id]')"
t=$(now)
say "PUT $RM_WEB/ws/v1/cluster/apps/$APP2/state {\"state\":\"KILLED\"} -> $(curl -sS -w ' HTTP %{http_code}' -X PUT -H 'Content-Type: application/json' -d '{"state":"KILLED"}' "$RM_WEB/ws/v1/cluster/apps/$APP2/state")"
killed() { [[ "$(rm_app "$APP2" | jq -r .state)" == KILLED ]]; }
wait_for 60 killed || fail "app 2 not KILLED: $(rm_app "$APP2")"
wait_for 60 no_containers || fail "containers left: $(containers)"
say "app 2 $(rm_app "$APP2" | jq -c '{state,finalStatus,diagnostics}') ; no containers after $(since "$t")s; JVMs left: [$(jvm_of org.apache.flink.yarn.entrypoint.YarnSessionClusterEntrypoint "$APP2")$(jvm_of org.apache.flink.yarn.YarnTaskExecutorRunner "$APP2")]"

say "timings: yarn start (see above), deploy ${DEPLOY_S}s, AM kill -> attempt 2 ${T_ATTEMPT}s, -> AM registered ${T_REGISTERED}s, -> job RUNNING ${T_JOB}s, DELETE /cluster -> FINISHED ${T_FIN}s"

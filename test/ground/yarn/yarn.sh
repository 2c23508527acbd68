#!/usr/bin/env bash
# A real YARN + HDFS for the yarn-session tests: Hadoop's single-process minicluster
# (org.apache.hadoop.mapreduce.MiniHadoopClusterManager: NameNode + 1 DataNode, ResourceManager +
# 1 NodeManager, JobHistoryServer, all in ONE JVM) from Maven Central, with fixed ports.
#
#   yarn.sh install   jars into the cache (Maven offline first, then online); a warm run does nothing
#   yarn.sh start     start the minicluster in the background (fresh HDFS and YARN each time), wait until
#                     ready, write the HADOOP_CONF_DIR; already running and ready -> nothing
#   yarn.sh stop      kill the YARN apps, stop the JVM it started (pid file + command line check) and any
#                     container process left behind (command line under the work dir); logs are kept
#   yarn.sh env       print `export ...` lines for the tests: HADOOP_CONF_DIR, HADOOP_CLASSPATH, addresses
#   yarn.sh status    running? ready? ports, nodes, apps. Exit 0 ready, 1 running but not ready, 3 stopped
#
# Cache (jars, read-only after install):
#   ${FLINKCTL_TEST_CACHE:-~/.cache/flinkctl-test}/hadoop-<v>/minicluster-lib/   the minicluster's classpath
#   ${FLINKCTL_TEST_CACHE:-~/.cache/flinkctl-test}/hadoop-<v>/client-lib/        HADOOP_CLASSPATH for Flink and
#                                                               yarn.application.classpath for its containers
#   .../hadoop-<v>/.complete   recipe hash (the two POMs + version); built in .hadoop-<v>.tmp.* and renamed
# Work dir ${FLINKCTL_YARN_DIR:-/var/tmp/flinkctl-yarn} (state and logs, survives `stop`):
#   conf/            HADOOP_CONF_DIR: core-site.xml, hdfs-site.xml, yarn-site.xml (written by `start`)
#   minicluster.pid  minicluster.log (the JVM's stdout/stderr: all Hadoop logging)
#   minicluster-conf.xml, details.json   what MiniHadoopClusterManager wrote (-writeConfig, -writeDetails)
#   run/             the JVM's cwd, test.build.data and java.io.tmpdir: HDFS blocks, NM local and log dirs
#                    (container logs: run/data/MiniHadoopClusterManager/yarn-*/*-logDir-nm-0_*/<app>/<container>/)
#
# Environment: FLINKCTL_TEST_CACHE, FLINKCTL_YARN_DIR, FLINKCTL_HADOOP_VERSION (default 3.5.0),
#   FLINKCTL_YARN_XMX (minicluster heap, default 1g), FLINKCTL_YARN_START_TIMEOUT (s, default 180),
#   JAVA_HOME (else the JDK of `java` on PATH; the NodeManager hands it to the containers).
# Exit codes: 0 ok, 1 failure, 2 usage, 3 (install) cache dir exists but is not ours / (status) stopped.
# Progress goes to stderr ("[yarn.sh] ..."); stdout only carries `env` and `status` output.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}"
HV="${FLINKCTL_HADOOP_VERSION:-3.5.0}"
HADOOP_DIR="$CACHE/hadoop-$HV"
MC_LIB="$HADOOP_DIR/minicluster-lib"
CLIENT_LIB="$HADOOP_DIR/client-lib"
W="${FLINKCTL_YARN_DIR:-/var/tmp/flinkctl-yarn}"
CONF="$W/conf"
PIDFILE="$W/minicluster.pid"
LOG="$W/minicluster.log"
XMX="${FLINKCTL_YARN_XMX:-1g}"
START_TIMEOUT="${FLINKCTL_YARN_START_TIMEOUT:-180}"
MAIN=org.apache.hadoop.mapreduce.MiniHadoopClusterManager

# Fixed ports (all on localhost). The DataNode and NodeManager ports cannot be fixed: MiniDFSCluster and
# MiniYARNCluster always bind them to port 0 (ephemeral); find the NM web port in /ws/v1/cluster/nodes.
HOST=localhost
NN_PORT=19000        # fs.defaultFS hdfs://localhost:19000
NN_HTTP_PORT=19870   # NameNode web + WebHDFS
RM_PORT=18032        # yarn.resourcemanager.address (client RPC)
RM_SCHED_PORT=18030  # yarn.resourcemanager.scheduler.address (ApplicationMasters)
RM_TRACK_PORT=18031  # yarn.resourcemanager.resource-tracker.address
RM_ADMIN_PORT=18033  # yarn.resourcemanager.admin.address
RM_WEB_PORT=18088    # RM web UI + REST (/ws/v1/cluster/...) + web proxy (/proxy/<app>/)
JHS_PORT=18020       # MapReduce JobHistoryServer RPC (unused by Flink, but it always starts)
JHS_ADMIN_PORT=18021
JHS_WEB_PORT=18888
FIXED_PORTS="$NN_PORT $NN_HTTP_PORT $RM_PORT $RM_SCHED_PORT $RM_TRACK_PORT $RM_ADMIN_PORT $RM_WEB_PORT $JHS_PORT $JHS_ADMIN_PORT $JHS_WEB_PORT"
RM_WEB="http://$HOST:$RM_WEB_PORT"
NN_WEB="http://$HOST:$NN_HTTP_PORT"

# NodeManager resources. MiniYARNCluster forces yarn.nodemanager.resource.memory-mb to 4096 whatever is
# configured; the rest is ours.
NM_VCORES=4
MIN_ALLOC_MB=256
MAX_ALLOC_MB=2048
AM_MAX_ATTEMPTS=4

log() { printf '[yarn.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { echo "usage: $0 install|start|stop|env|status   (Hadoop $HV; work dir $W)" >&2; exit 2; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---------------------------------------------------------------------------------------------------
# install

recipe_hash() {
  { printf 'flinkctl yarn test ground\nhadoop=%s\n' "$HV"; cat "$HERE/minicluster/pom.xml" "$HERE/client/pom.xml"; } \
    | sha256sum | cut -c1-64
}

installed() {
  [[ -f $HADOOP_DIR/.complete && "$(cat "$HADOOP_DIR/.complete")" == "$(recipe_hash)" ]] \
    && compgen -G "$MC_LIB/hadoop-mapreduce-client-jobclient-*-tests.jar" >/dev/null \
    && compgen -G "$CLIENT_LIB/hadoop-common-*.jar" >/dev/null
}

INSTALL_TMP=
install_cleanup() { if [[ -n $INSTALL_TMP ]]; then rm -rf "$INSTALL_TMP"; fi; }

# run_maven <pom dir> <lib dir> <offline|online>
run_maven() {
  local args=(-B -f "$HERE/$1/pom.xml" package "-Dhadoop.version=$HV" "-Dlib.dir=$2" "-Dbuild.dir=$INSTALL_TMP/build-$1")
  if [[ $3 == offline ]]; then args=(-o "${args[@]}"); fi
  mvn "${args[@]}" >"$INSTALL_TMP/maven-$1-$3.log" 2>&1 9>&-
}

fetch_lib() {
  local what=$1 dest=$2
  if run_maven "$what" "$dest" offline; then
    log "hadoop-$HV $what: resolved offline from ~/.m2"
    return 0
  fi
  log "hadoop-$HV $what: resolving from Maven Central (first time: ~150 MB into ~/.m2, ~15 s)"
  rm -rf "$dest"
  if ! run_maven "$what" "$dest" online; then
    cp "$INSTALL_TMP/maven-$what-online.log" "$CACHE/.hadoop-$HV.$what.maven.log" 2>/dev/null || true
    tail -n 40 "$INSTALL_TMP/maven-$what-online.log" >&2 || true
    die "Maven failed for $what (log: $CACHE/.hadoop-$HV.$what.maven.log)"
  fi
}

cmd_install() {
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.hadoop-$HV.lock"
  flock 9
  if installed; then
    log "hadoop-$HV: up to date ($HADOOP_DIR)"
    return 0
  fi
  if [[ -e $HADOOP_DIR && ! -f $HADOOP_DIR/.complete ]]; then
    log "ERROR: $HADOOP_DIR exists but was not made by yarn.sh (no .complete); not touching it"
    exit 3
  fi
  have mvn || die "mvn is required (Debian: apt-get install maven)"
  have java || [[ -n ${JAVA_HOME:-} ]] || die "a JDK 17 is required"
  rm -rf "$CACHE/.hadoop-$HV.tmp."*
  trap install_cleanup EXIT
  INSTALL_TMP="$(mktemp -d "$CACHE/.hadoop-$HV.tmp.XXXXXX")"
  local stage="$INSTALL_TMP/hadoop-$HV" t0=$SECONDS
  mkdir -p "$stage"
  log "hadoop-$HV: assembling in $INSTALL_TMP"
  fetch_lib minicluster "$stage/minicluster-lib"
  fetch_lib client "$stage/client-lib"

  # sanity: the main class is there, and Flink's classpath gets no second SLF4J binding
  local tests_jar
  tests_jar="$(compgen -G "$stage/minicluster-lib/hadoop-mapreduce-client-jobclient-*-tests.jar" | head -n1)"
  # (entry names are stored uncompressed in a jar's central directory: no unzip needed)
  [[ -n $tests_jar ]] && grep -qaF 'org/apache/hadoop/mapreduce/MiniHadoopClusterManager.class' "$tests_jar" \
    || die "MiniHadoopClusterManager not found in the minicluster classpath"
  if compgen -G "$stage/client-lib/*reload4j*" >/dev/null || compgen -G "$stage/client-lib/log4j-1*" >/dev/null \
     || compgen -G "$stage/client-lib/slf4j-log4j12*" >/dev/null; then
    die "client-lib holds a log4j 1 / reload4j binding"
  fi
  compgen -G "$stage/client-lib/hadoop-yarn-client-*.jar" >/dev/null || die "client-lib has no hadoop-yarn-client"

  recipe_hash >"$stage/.complete"
  rm -rf "$HADOOP_DIR"
  mv "$stage" "$HADOOP_DIR"
  rm -f "$CACHE/.hadoop-$HV."*.maven.log
  log "hadoop-$HV: done in $((SECONDS - t0))s -> $HADOOP_DIR ($(du -sh "$HADOOP_DIR" | cut -f1))"
}

# ---------------------------------------------------------------------------------------------------
# start / stop / status

java_bin() { if [[ -n ${JAVA_HOME:-} ]]; then echo "$JAVA_HOME/bin/java"; else command -v java; fi; }
java_home() {
  if [[ -n ${JAVA_HOME:-} ]]; then echo "$JAVA_HOME"; return; fi
  local j
  j="$(readlink -f "$(command -v java)")" || die "java not found"
  echo "${j%/bin/java}"
}

# Is $1 our minicluster? (alive, our main class, our work dir on its command line)
ours() {
  local p=$1 cmd
  [[ $p =~ ^[0-9]+$ ]] || return 1
  cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline")" || return 1
  [[ $cmd == *" $MAIN "* && $cmd == *"-Dtest.build.data=$W/run/data "* ]]
}
running_pid() {
  local p
  p="$(cat "$PIDFILE" 2>/dev/null || true)"
  if ours "$p"; then echo "$p"; return 0; fi
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

rm_state() { curl -fsS --max-time 5 -H 'Accept: application/json' "$RM_WEB/ws/v1/cluster/info" 2>/dev/null \
  | grep -o '"state":"[A-Z]*"' | head -n1 | cut -d'"' -f4; }
nodes_running() { curl -fsS --max-time 5 -H 'Accept: application/json' "$RM_WEB/ws/v1/cluster/nodes?states=RUNNING" 2>/dev/null \
  | grep -o '"state":"RUNNING"' | wc -l; }
hdfs_up() {
  # WebHDFS answers and the NameNode is out of safe mode
  local root info
  root="$(curl -fsS --max-time 5 "$NN_WEB/webhdfs/v1/?op=GETFILESTATUS&user.name=$(id -un)" 2>/dev/null)" || return 1
  info="$(curl -fsS --max-time 5 "$NN_WEB/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo" 2>/dev/null)" || return 1
  [[ $root == *'"type":"DIRECTORY"'* && $info == *'"Safemode" : ""'* ]]
}
ready() { [[ -s $W/details.json ]] && [[ "$(rm_state)" == STARTED ]] && [[ "$(nodes_running)" -ge 1 ]] && hdfs_up; }

prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }
site() { printf '<?xml version="1.0"?>\n<!-- written by test/ground/yarn/yarn.sh start -->\n<configuration>\n'; cat; printf '</configuration>\n'; }

write_conf() {
  mkdir -p "$CONF"
  site >"$CONF/core-site.xml" <<EOF
$(prop fs.defaultFS "hdfs://$HOST:$NN_PORT")
$(prop hadoop.tmp.dir "$W/run/tmp")
EOF
  site >"$CONF/hdfs-site.xml" <<EOF
$(prop dfs.replication 1)
$(prop dfs.namenode.http-address "$HOST:$NN_HTTP_PORT")
EOF
  # yarn.application.classpath: what Flink puts on its JobManager/TaskManager containers' classpath after
  # its own jars (Flink reads it from the CLIENT's yarn-site.xml); the conf dir makes the AM find the
  # scheduler address, the jars give it Hadoop.
  site >"$CONF/yarn-site.xml" <<EOF
$(prop yarn.resourcemanager.hostname "$HOST")
$(prop yarn.resourcemanager.address "$HOST:$RM_PORT")
$(prop yarn.resourcemanager.scheduler.address "$HOST:$RM_SCHED_PORT")
$(prop yarn.resourcemanager.resource-tracker.address "$HOST:$RM_TRACK_PORT")
$(prop yarn.resourcemanager.admin.address "$HOST:$RM_ADMIN_PORT")
$(prop yarn.resourcemanager.webapp.address "$HOST:$RM_WEB_PORT")
$(prop yarn.resourcemanager.am.max-attempts "$AM_MAX_ATTEMPTS")
$(prop yarn.scheduler.minimum-allocation-mb "$MIN_ALLOC_MB")
$(prop yarn.scheduler.maximum-allocation-mb "$MAX_ALLOC_MB")
$(prop yarn.application.classpath "$CONF,$CLIENT_LIB/*")
EOF
}

cmd_start() {
  installed || die "hadoop-$HV is not installed in $HADOOP_DIR; run: $0 install"
  mkdir -p "$W"
  exec 9>"$W/.lock"
  flock -w 300 9 || die "another yarn.sh start/stop holds $W/.lock"
  local pid
  if pid="$(running_pid)"; then
    if ready; then log "already running (pid $pid)"; return 0; fi
    log "running (pid $pid) but not ready yet; waiting"
  else
    local p busy=
    for p in $FIXED_PORTS; do if port_open "$p"; then busy="$busy $p"; fi; done
    sweep
    [[ -z $busy ]] || die "port(s)$busy already in use on 127.0.0.1 (not by our minicluster)"
    rm -rf "$W/run" "$W/details.json" "$W/minicluster-conf.xml"
    mkdir -p "$W/run/tmp"
    [[ ! -f $LOG ]] || mv -f "$LOG" "$LOG.1"
    write_conf
    cat >"$W/log4j.properties" <<'EOF'
# minicluster logging (reload4j): everything to stdout = minicluster.log
log4j.rootLogger=INFO,stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{2} - %m%n
# chatty at INFO
log4j.logger.org.apache.hadoop.hdfs.StateChange=WARN
log4j.logger.org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace=WARN
log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit=WARN
log4j.logger.org.apache.hadoop.yarn.server.resourcemanager.RMAuditLogger=WARN
log4j.logger.org.apache.hadoop.yarn.server.nodemanager.NMAuditLogger=WARN
log4j.logger.org.apache.hadoop.ipc.Server=WARN
EOF
    local java jh
    java="$(java_bin)"; jh="$(java_home)"
    local args=(
      "-Xmx$XMX" -XX:+UseSerialGC
      "-Dlog4j.configuration=file:$W/log4j.properties"
      "-Dtest.build.data=$W/run/data" "-Djava.io.tmpdir=$W/run/tmp"
      -cp "$MC_LIB/*" "$MAIN"
      -format -nodemanagers 1 -datanodes 1
      -nnport "$NN_PORT" -nnhttpport "$NN_HTTP_PORT" -rmport "$RM_PORT" -jhsport "$JHS_PORT"
      -D "hadoop.tmp.dir=$W/run/tmp"
      -D "dfs.replication=1"
      -D "yarn.resourcemanager.scheduler.address=$HOST:$RM_SCHED_PORT"
      -D "yarn.resourcemanager.resource-tracker.address=$HOST:$RM_TRACK_PORT"
      -D "yarn.resourcemanager.admin.address=$HOST:$RM_ADMIN_PORT"
      -D "yarn.resourcemanager.webapp.address=$HOST:$RM_WEB_PORT"
      -D "mapreduce.jobhistory.admin.address=$HOST:$JHS_ADMIN_PORT"
      -D "mapreduce.jobhistory.webapp.address=$HOST:$JHS_WEB_PORT"
      -D "yarn.nodemanager.resource.memory-mb=4096"
      -D "yarn.nodemanager.resource.cpu-vcores=$NM_VCORES"
      -D "yarn.scheduler.minimum-allocation-mb=$MIN_ALLOC_MB"
      -D "yarn.scheduler.maximum-allocation-mb=$MAX_ALLOC_MB"
      -D "yarn.scheduler.capacity.maximum-am-resource-percent=1.0"
      -D "yarn.resourcemanager.am.max-attempts=$AM_MAX_ATTEMPTS"
      -D "yarn.nodemanager.vmem-check-enabled=false"
      -D "yarn.nodemanager.pmem-check-enabled=false"
      -D "yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage=99.9"
      -D "yarn.nodemanager.disk-health-checker.min-free-space-per-disk-mb=100"
      -D "yarn.application.classpath=$CONF,$CLIENT_LIB/*"
      -writeConfig "$W/minicluster-conf.xml" -writeDetails "$W/details.json"
    )
    # Own session (setsid): the test runner's process-group signals do not reach it. The NodeManager
    # passes JAVA_HOME and HADOOP_CONF_DIR on to the containers (yarn.nodemanager.env-whitelist), and
    # Flink's container start command is "$JAVA_HOME/bin/java".
    (
      cd "$W/run"
      unset HADOOP_HOME HADOOP_CLASSPATH YARN_CONF_DIR CLASSPATH
      export JAVA_HOME="$jh" HADOOP_CONF_DIR="$CONF"
      exec setsid "$java" "${args[@]}" >"$LOG" 2>&1 </dev/null 9>&-
    ) &
    pid=$!
    echo "$pid" >"$PIDFILE"
    log "started minicluster (pid $pid, Hadoop $HV, log $LOG)"
  fi
  local t0=$SECONDS
  until ready; do
    # kill -0, not ours(): for a moment after the fork the pid is still the subshell, not yet java
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$LOG" >&2 || true
      die "the minicluster died during start-up (log: $LOG)"
    fi
    if ((SECONDS - t0 > START_TIMEOUT)); then
      tail -n 30 "$LOG" >&2 || true
      die "not ready after ${START_TIMEOUT}s (pid $pid still running; log: $LOG)"
    fi
    sleep 1
  done
  log "ready after $((SECONDS - t0))s: RM $HOST:$RM_PORT (web $RM_WEB), HDFS hdfs://$HOST:$NN_PORT, HADOOP_CONF_DIR=$CONF"
}

# pids of processes of ours that run under the work dir: the containers (launch_container.sh and their
# JVMs, whose command lines carry log paths under $W/run) left behind by a dead NodeManager
leftovers() {
  local d p cmd
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [[ $p != "$$" && $p != "$BASHPID" ]] || continue
    [[ -O $d ]] || continue
    cmd="$(tr '\0' ' ' 2>/dev/null <"$d/cmdline")" || continue
    [[ $cmd == *"$W/run/"* && $cmd != *" $MAIN "* ]] && echo "$p"
  done
  return 0
}

kill_apps() {
  local ids id
  ids="$(curl -fsS --max-time 5 -H 'Accept: application/json' "$RM_WEB/ws/v1/cluster/apps?states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING" 2>/dev/null \
    | grep -o '"id":"application_[0-9_]*"' | cut -d'"' -f4)" || true
  for id in $ids; do
    log "killing YARN application $id"
    curl -fsS --max-time 10 -X PUT -H 'Content-Type: application/json' -d '{"state":"KILLED"}' \
      "$RM_WEB/ws/v1/cluster/apps/$id/state" >/dev/null 2>&1 || true
  done
  # give the NodeManager a moment to stop the containers itself
  for _ in $(seq 1 15); do
    [[ -n "$(leftovers)" ]] || break
    sleep 1
  done
}

cmd_stop() {
  mkdir -p "$W"
  exec 9>"$W/.lock"
  flock -w 300 9 || die "another yarn.sh start/stop holds $W/.lock"
  local pid
  if pid="$(running_pid)"; then
    kill_apps
    log "stopping minicluster (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do ours "$pid" || break; sleep 1; done
    if ours "$pid"; then log "pid $pid still alive after 30s: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
  else
    log "not running"
  fi
  rm -f "$PIDFILE"
  sweep
}

# stops container processes that outlived their NodeManager (a minicluster that was SIGKILLed)
sweep() {
  local left p
  left="$(leftovers)"
  [[ -n $left ]] || return 0
  log "stopping left-over container processes: ${left//$'\n'/ }"
  for p in $left; do kill "$p" 2>/dev/null || true; done
  sleep 3
  for p in $(leftovers); do kill -9 "$p" 2>/dev/null || true; done
}

cmd_status() {
  local pid
  if ! pid="$(running_pid)"; then echo "stopped"; exit 3; fi
  echo "running pid=$pid hadoop=$HV dir=$W"
  echo "rm=$HOST:$RM_PORT rm-web=$RM_WEB hdfs=hdfs://$HOST:$NN_PORT nn-web=$NN_WEB"
  if ready; then
    echo "ready rm=$(rm_state) nodes-running=$(nodes_running)"
    curl -fsS --max-time 5 -H 'Accept: application/json' "$RM_WEB/ws/v1/cluster/metrics" 2>/dev/null \
      | grep -o '"\(appsRunning\|appsPending\|containersAllocated\|allocatedMB\|availableMB\)":[0-9]*' | tr '\n' ' ' || true
    echo
    exit 0
  fi
  echo "not ready"
  exit 1
}

cmd_env() {
  installed || die "hadoop-$HV is not installed in $HADOOP_DIR; run: $0 install"
  cat <<EOF
export HADOOP_CONF_DIR='$CONF'
export HADOOP_CLASSPATH='$CLIENT_LIB/*'
export FLINKCTL_YARN_DIR='$W'
export FLINKCTL_YARN_RM='$HOST:$RM_PORT'
export FLINKCTL_YARN_RM_WEB='$RM_WEB'
export FLINKCTL_YARN_HDFS='hdfs://$HOST:$NN_PORT'
export FLINKCTL_YARN_NN_WEB='$NN_WEB'
export FLINKCTL_YARN_HADOOP_VERSION='$HV'
EOF
}

[[ $# -eq 1 ]] || usage
case "$1" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  -h|--help) usage ;;
  *) usage ;;
esac

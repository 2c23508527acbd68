#!/bin/sh
# Assembles a Flink home from Maven Central the way Apache Flink's flink-dist module builds one
# (flink-dist itself is not published). Used by `flinkctl dist fetch` and test/ground/flink/build.sh.
#
#   assemble.sh [--dir ROOT] [--offline] <version>   builds ROOT/flink-<version>/, prints its path
#   assemble.sh --hash <version>                     prints the recipe hash a complete home carries
#   assemble.sh --versions                           prints the versions it can assemble
#
# ROOT defaults to ${XDG_CACHE_HOME:-$HOME/.cache}/flinkctl/dist; single-file downloads are kept in
# ${FLINKCTL_DOWNLOADS:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkctl/downloads}. The home:
#   lib/flink-dist-<v>.jar         rebuilt uber jar (see pom.xml), services merged
#   lib/<files,csv,json,cep,table jars>, lib/log4j-*.jar
#   bin/bash-java-utils.jar        BashJavaUtils + log4j (classpath bin/bash-java-utils.jar:lib/flink-dist-<v>.jar)
#   conf/log4j{,-console,-session,-cli}.properties   copies of templates/
#   examples/streaming/TopSpeedWindowing.jar
#   log/ plugins/ opt/             empty
#   .complete                      the recipe hash (sha256 of this script, pom.xml, resources/,
#                                  the log4j templates, version and log4j version)
#
# Idempotent: a home whose .complete matches is reused (no Maven, no network). Otherwise it is
# built in ROOT/.flink-<v>.tmp.* and renamed into place with .complete already inside, so a home
# is either complete or absent; an interrupted build is redone by the next run. A directory
# flink-<v> without .complete was not made here and is never deleted. Maven runs offline first
# (~/.m2) and goes online only if that fails and --offline is not given. One builder per version
# at a time (flock, or a mkdir lock where flock is missing).
# Progress on stderr ("[flinkctl dist] ..."), the home's path on stdout.
# Exit: 0 done, 1 failed, 2 usage or unsupported version, 3 target exists and is not ours.
# POSIX sh; needs mvn with a JDK, curl or wget, sha256sum/sha1sum or shasum.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TEMPLATES=$(cd "$HERE/.." && pwd)
CENTRAL=${FLINKCTL_MAVEN_CENTRAL:-${FLINK_TEST_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}}
LOG4J_CONFS="log4j.properties log4j-console.properties log4j-session.properties log4j-cli.properties"

log() { printf '[flinkctl dist] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() {
  echo "usage: $0 [--dir ROOT] [--offline] <version> | --hash <version> | --versions   (versions: $(supported | tr '\n' ' ' | sed 's/ $//'))" >&2
  exit 2
}
have() { command -v "$1" >/dev/null 2>&1; }

supported() { awk '!/^#/ && NF >= 2 { print $1 }' "$HERE/versions.txt"; }
log4j_for() { awk -v v="$1" '!/^#/ && $1 == v { print $2 }' "$HERE/versions.txt"; }
profile_for() { case "$1" in 1.*) echo flink1 ;; *) echo flink2 ;; esac; }

sha256() { if have sha256sum; then sha256sum | cut -c1-64; else shasum -a 256 | cut -c1-64; fi; }
sha1_of() { if have sha1sum; then sha1sum "$1" | cut -c1-40; else shasum -a 1 "$1" | cut -c1-40; fi; }

# Everything that determines the content of a home; a change forces a rebuild.
# src/lib/dist/recipe.ts computes the same bytes (a unit test holds them equal).
recipe_hash() {
  {
    printf 'flinkctl dist recipe\nversion=%s log4j=%s\n' "$1" "$(log4j_for "$1")"
    cat "$HERE/assemble.sh" "$HERE/pom.xml" "$HERE/resources/bash-java-utils-log4j2.properties"
    for f in $LOG4J_CONFS; do cat "$TEMPLATES/$f"; done
  } | sha256
}

download() {
  if have curl; then
    curl -fsSL --retry 3 --max-time 300 -o "$2" "$1" 9>&-
  elif have wget; then
    wget -q -T 300 -t 3 -O "$2" "$1" 9>&-
  else
    die "curl or wget is needed to download $1"
  fi
}

# examples/streaming/TopSpeedWindowing.jar = org.apache.flink:flink-examples-streaming:<v>:jar:TopSpeedWindowing.
# Fetched over HTTPS (checked against Central's .sha1) instead of through Maven: the 2.x POM of
# flink-examples-streaming names a parent POM that Central does not serve, so Maven cannot resolve it.
# Runs before Maven, so that a missing download fails fast.
fetch_example() {
  rel="org/apache/flink/flink-examples-streaming/$V/flink-examples-streaming-$V-TopSpeedWindowing.jar"
  EXAMPLE="$DOWNLOADS/$rel"
  cached=$EXAMPLE
  if [ ! -s "$cached" ]; then
    [ "$OFFLINE" = 0 ] || die "flink-$V: $rel is not in $DOWNLOADS; run once without --offline"
    url="$CENTRAL/$rel"
    mkdir -p "$(dirname "$cached")"
    download "$url" "$cached.part" || die "download failed: $url"
    download "$url.sha1" "$cached.sha1" || die "download failed: $url.sha1"
    [ "$(sha1_of "$cached.part")" = "$(cut -c1-40 "$cached.sha1")" ] || die "sha1 mismatch for $url"
    rm -f "$cached.sha1"
    mv "$cached.part" "$cached"
  fi
}

run_maven() {
  set -- -q -B -f "$HERE/pom.xml" package "-P$(profile_for "$V")" \
    "-Dflink.version=$V" "-Dlog4j.version=$L" "-Dflink.home=$STAGE" "-Dbuild.dir=$WORK/target"
  if [ "$MODE" = offline ]; then set -- -o "$@"; fi
  # fd 9 is the lock: a Maven that outlives this script must not hold it
  mvn "$@" >"$WORK/maven-$MODE.log" 2>&1 9>&-
}

LOCKDIR=
TMP=
lock() {
  if have flock; then
    exec 9>"$ROOT/.flink-$V.lock"
    flock 9
  else
    # mkdir is atomic everywhere; a lock whose owner is gone is taken over
    while ! mkdir "$ROOT/.flink-$V.lock.d" 2>/dev/null; do
      owner=$(cat "$ROOT/.flink-$V.lock.d/pid" 2>/dev/null || true)
      if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then rm -rf "$ROOT/.flink-$V.lock.d"; continue; fi
      sleep 1
    done
    LOCKDIR="$ROOT/.flink-$V.lock.d"
    echo $$ >"$LOCKDIR/pid"
  fi
}
cleanup() {
  if [ -n "$TMP" ]; then rm -rf "$TMP"; fi
  if [ -n "$LOCKDIR" ]; then rm -rf "$LOCKDIR"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# keeps the Maven log of a failed build where the user can read it after the temp dir is gone
fail_maven() {
  kept="$ROOT/.flink-$V.maven.log"
  cp "$WORK/maven-$MODE.log" "$kept" 2>/dev/null || true
  tail -n 40 "$kept" >&2 || true
  die "$1 (full Maven log: $kept)"
}

build() {
  HOME_DIR="$ROOT/flink-$V"
  want=$(recipe_hash "$V")
  mkdir -p "$ROOT"
  lock
  if [ -f "$HOME_DIR/.complete" ] && [ "$(cat "$HOME_DIR/.complete")" = "$want" ] && [ -s "$HOME_DIR/lib/flink-dist-$V.jar" ]; then
    log "flink-$V: up to date ($HOME_DIR)"
    echo "$HOME_DIR"
    return 0
  fi
  if [ -e "$HOME_DIR" ] && [ ! -f "$HOME_DIR/.complete" ]; then
    log "ERROR: $HOME_DIR exists but was not assembled by flinkctl (no .complete); not touching it"
    exit 3
  fi
  for tool in mvn awk; do
    have "$tool" || die "$tool is required (Debian/Ubuntu: apt-get install maven default-jdk-headless; macOS: brew install maven)"
  done

  rm -rf "$ROOT/.flink-$V.tmp."*
  TMP=$(mktemp -d "$ROOT/.flink-$V.tmp.XXXXXX")
  STAGE="$TMP/flink-$V"
  WORK="$TMP/work"
  mkdir -p "$STAGE" "$WORK"
  t0=$(date +%s)

  log "flink-$V: assembling in $TMP"
  fetch_example
  MODE=offline
  if run_maven; then
    log "flink-$V: resolved offline from the local Maven repository"
  elif [ "$OFFLINE" = 1 ]; then
    fail_maven "flink-$V: not everything is in the local Maven repository (~/.m2); run without --offline"
  else
    log "flink-$V: resolving from Maven Central (first time: about 0.5 GB into ~/.m2, a few minutes)"
    rm -rf "$STAGE" "$WORK/target"
    mkdir -p "$STAGE"
    MODE=online
    run_maven || fail_maven "flink-$V: Maven build failed"
  fi

  mkdir -p "$STAGE/examples/streaming" "$STAGE/conf" "$STAGE/log" "$STAGE/plugins" "$STAGE/opt"
  cp "$EXAMPLE" "$STAGE/examples/streaming/TopSpeedWindowing.jar"
  for f in $LOG4J_CONFS; do cp "$TEMPLATES/$f" "$STAGE/conf/$f"; done

  # sanity: the layout flinkctl relies on
  for f in "lib/flink-dist-$V.jar" bin/bash-java-utils.jar examples/streaming/TopSpeedWindowing.jar \
           "lib/log4j-core-$L.jar" "lib/flink-connector-files-$V.jar"; do
    [ -s "$STAGE/$f" ] || die "flink-$V: $f missing after build"
  done
  n=$(find "$STAGE/lib" -name 'flink-dist*.jar' | wc -l | tr -d ' ')
  [ "$n" -eq 1 ] || die "flink-$V: expected exactly one lib/flink-dist*.jar"

  echo "$want" >"$STAGE/.complete"
  rm -rf "$HOME_DIR"
  mv "$STAGE" "$HOME_DIR"
  rm -rf "$TMP"
  TMP=
  rm -f "$ROOT/.flink-$V.maven.log"
  log "flink-$V: done in $(($(date +%s) - t0))s -> $HOME_DIR ($(du -sh "$HOME_DIR" | cut -f1))"
  echo "$HOME_DIR"
}

ROOT=
OFFLINE=0
V=
ACTION=build
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) [ $# -ge 2 ] || usage; ROOT=$2; shift 2 ;;
    --dir=*) ROOT=${1#--dir=}; shift ;;
    --offline) OFFLINE=1; shift ;;
    --hash) ACTION='hash'; shift ;;
    --versions) supported; exit 0 ;;
    -h|--help) usage ;;
    -*) usage ;;
    *) [ -z "$V" ] || usage; V=$1; shift ;;
  esac
done
[ -n "$V" ] || usage
L=$(log4j_for "$V")
if [ -z "$L" ]; then
  log "ERROR: Flink $V cannot be assembled from Maven Central (supported: $(supported | tr '\n' ' ' | sed 's/ $//'))"
  exit 2
fi
if [ "$ACTION" = hash ]; then recipe_hash "$V"; exit 0; fi
[ -n "$ROOT" ] || ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/flinkctl/dist"
# verified single-file downloads, shared by every ROOT so that --offline works for a new one
DOWNLOADS=${FLINKCTL_DOWNLOADS:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkctl/downloads}
mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)
build

#!/usr/bin/env bash
# Assembles a real Flink home for one version from Maven Central (no Flink scripts inside):
#
#   test/ground/flink/build.sh <version>|1|2|all
#
# into ${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}/flink-<version>/ :
#   lib/flink-dist-<v>.jar         rebuilt uber jar (see pom.xml), services merged
#   lib/<files,csv,json,cep,table jars>, lib/log4j-*.jar
#   bin/bash-java-utils.jar        BashJavaUtils + log4j (classpath bin/bash-java-utils.jar:lib/flink-dist-<v>.jar)
#   conf/log4j{,-console,-session,-cli}.properties   copied from templates/
#   examples/streaming/TopSpeedWindowing.jar
#   log/ plugins/ opt/             empty
#   .complete                      written last; holds a hash of the recipe
#
# Idempotent: a home whose .complete matches the current recipe is left alone (no Maven run, no
# network). Otherwise it is built in a temporary directory beside it and renamed into place, so an
# interrupted build is simply redone. Maven runs offline first and only goes online if that fails.
# Prints the home's path (one line per version) on stdout; progress goes to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
CACHE="${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}"
# shellcheck source=/dev/null
source "$HERE/versions.env"

log() { printf '[flink-home] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  echo "usage: $0 <flink-version>|1|2|all   (pinned: $FLINK_1_VERSION, $FLINK_2_VERSION)" >&2
  exit 2
}

# log4j version and Maven profile for a Flink version
log4j_for() {
  case "$1" in
    1.*) echo "$FLINK_1_LOG4J_VERSION" ;;
    2.*) echo "$FLINK_2_LOG4J_VERSION" ;;
    *) die "unsupported Flink version '$1' (only 1.x and 2.x)" ;;
  esac
}
profile_for() { case "$1" in 1.*) echo flink1 ;; *) echo flink2 ;; esac; }

# Everything that determines the content of a home; a change forces a rebuild.
recipe_hash() {
  local v=$1
  {
    echo "version=$v log4j=$(log4j_for "$v")"
    cat "$HERE/pom.xml" "$HERE/resources/bash-java-utils-log4j2.properties"
    cat "$REPO"/templates/log4j.properties "$REPO"/templates/log4j-console.properties \
        "$REPO"/templates/log4j-session.properties "$REPO"/templates/log4j-cli.properties
    echo "layout=4"
  } | sha256sum | cut -d' ' -f1
}

# examples/streaming/TopSpeedWindowing.jar = org.apache.flink:flink-examples-streaming:<v>:jar:TopSpeedWindowing.
# Fetched over HTTPS (checked against Central's .sha1) instead of through Maven: the 2.x POM of
# flink-examples-streaming names a parent POM that Central does not serve, so Maven cannot resolve it.
fetch_example() {
  local v=$1 dest=$2
  local rel="org/apache/flink/flink-examples-streaming/$v/flink-examples-streaming-$v-TopSpeedWindowing.jar"
  local cached="$CACHE/.downloads/$rel"
  if [[ ! -s $cached ]]; then
    local url="${FLINK_TEST_MAVEN_CENTRAL:-https://repo1.maven.org/maven2}/$rel"
    mkdir -p "$(dirname "$cached")"
    curl -fsSL --retry 3 --max-time 300 -o "$cached.part" "$url" || die "download failed: $url"
    local sha
    sha="$(curl -fsSL --retry 3 --max-time 60 "$url.sha1" | cut -c1-40)" || die "download failed: $url.sha1"
    [[ "$(sha1sum "$cached.part" | cut -c1-40)" == "$sha" ]] || die "sha1 mismatch for $url"
    mv "$cached.part" "$cached"
  fi
  mkdir -p "$(dirname "$dest")"
  cp "$cached" "$dest"
}

run_maven() {
  local v=$1 home=$2 work=$3 mode=$4
  local args=(-q -B -f "$HERE/pom.xml" package
    "-P$(profile_for "$v")"
    "-Dflink.version=$v" "-Dlog4j.version=$(log4j_for "$v")"
    "-Dflink.home=$home" "-Dbuild.dir=$work/target")
  [[ $mode == offline ]] && args=(-o "${args[@]}")
  mvn "${args[@]}" >"$work/maven-$mode.log" 2>&1
}

build_one() {
  local v=$1
  local home="$CACHE/flink-$v"
  local want
  want="$(recipe_hash "$v")"

  mkdir -p "$CACHE"
  # one builder per version at a time (parallel test runs share the cache)
  exec {lock_fd}>"$CACHE/.flink-$v.lock"
  flock "$lock_fd"

  if [[ -f "$home/.complete" && "$(cat "$home/.complete")" == "$want" ]]; then
    log "flink-$v: up to date ($home)"
    flock -u "$lock_fd"; exec {lock_fd}>&-
    echo "$home"
    return 0
  fi

  rm -rf "$CACHE/.flink-$v.tmp."*
  local tmp
  tmp="$(mktemp -d "$CACHE/.flink-$v.tmp.XXXXXX")"
  local stage="$tmp/flink-$v" work="$tmp/work"
  mkdir -p "$stage" "$work"
  local t0=$SECONDS

  log "flink-$v: building in $tmp"
  if run_maven "$v" "$stage" "$work" offline; then
    log "flink-$v: resolved offline from ~/.m2"
  else
    log "flink-$v: not everything in ~/.m2, resolving from Maven Central"
    rm -rf "$stage" "$work/target"; mkdir -p "$stage"
    if ! run_maven "$v" "$stage" "$work" online; then
      tail -n 40 "$work/maven-online.log" >&2
      die "flink-$v: Maven build failed (full log: $work/maven-online.log)"
    fi
  fi

  fetch_example "$v" "$stage/examples/streaming/TopSpeedWindowing.jar"
  mkdir -p "$stage/conf" "$stage/log" "$stage/plugins" "$stage/opt"
  local f
  for f in log4j.properties log4j-console.properties log4j-session.properties log4j-cli.properties; do
    cp "$REPO/templates/$f" "$stage/conf/$f"
  done

  # sanity: the layout flinkctl relies on
  for f in "lib/flink-dist-$v.jar" bin/bash-java-utils.jar examples/streaming/TopSpeedWindowing.jar \
           "lib/log4j-core-$(log4j_for "$v").jar" "lib/flink-connector-files-$v.jar"; do
    [[ -s "$stage/$f" ]] || die "flink-$v: $f missing after build"
  done
  if [[ $(find "$stage/lib" -name 'flink-dist*.jar' | wc -l) -ne 1 ]]; then
    die "flink-$v: expected exactly one lib/flink-dist*.jar"
  fi

  rm -rf "$home"
  mv "$stage" "$home"
  rm -rf "$tmp"
  echo "$want" > "$home/.complete.tmp" && mv "$home/.complete.tmp" "$home/.complete"
  log "flink-$v: done in $((SECONDS - t0))s -> $home ($(du -sh "$home" | cut -f1))"
  flock -u "$lock_fd"; exec {lock_fd}>&-
  echo "$home"
}

[[ $# -eq 1 ]] || usage
for tool in mvn curl sha1sum flock; do
  command -v "$tool" >/dev/null || die "$tool is required (Debian: apt-get install maven curl coreutils util-linux)"
done
case "$1" in
  all) build_one "$FLINK_1_VERSION"; build_one "$FLINK_2_VERSION" ;;
  1) build_one "$FLINK_1_VERSION" ;;
  2) build_one "$FLINK_2_VERSION" ;;
  -h|--help) usage ;;
  [12].*) build_one "$1" ;;
  *) usage ;;
esac

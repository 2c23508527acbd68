#!/usr/bin/env bash
# Regenerates src/lib/conf/catalog/flink-<major>.<minor>.json for both pinned Flink versions:
# builds (or reuses) the homes with ../build.sh, compiles ConfigOptionCatalog.java against each
# home's lib/flink-dist-<v>.jar and runs it over every jar in lib/.
#
#   test/ground/flink/catalog/generate.sh [<flink-version>...]   (default: both pinned versions)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../../.." && pwd)"
OUT_DIR="$REPO/src/lib/conf/catalog"
JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}"
# shellcheck source=/dev/null
source "$HERE/../versions.env"

versions=("$@")
[[ ${#versions[@]} -gt 0 ]] || versions=("$FLINK_1_VERSION" "$FLINK_2_VERSION")

work="$(mktemp -d /tmp/flink-catalog.XXXXXX)"
trap 'rm -rf "$work"' EXIT
cat >"$work/log4j2.properties" <<'PROPS'
rootLogger.level = ERROR
rootLogger.appenderRef.console.ref = ConsoleAppender
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %-5p %c - %m%n
PROPS

for v in "${versions[@]}"; do
  home="$("$HERE/../build.sh" "$v" | tail -n 1)"
  mm="$(cut -d. -f1,2 <<<"$v")"
  classes="$work/classes-$v"
  mkdir -p "$classes"
  "${JAVA_BIN}javac" -nowarn -encoding UTF-8 --release 11 -d "$classes" \
    -cp "$home/lib/flink-dist-$v.jar" "$HERE/ConfigOptionCatalog.java"
  jars=("$home"/lib/*.jar)
  cp="$classes"
  for j in "${jars[@]}"; do cp="$cp:$j"; done
  # static initialisers may log: keep it to errors on stderr. Hadoop is not on the classpath
  # (optional for Flink), so classes that need it are skipped.
  "${JAVA_BIN}java" -Xmx1g "-Dlog4j.configurationFile=file:$work/log4j2.properties" -cp "$cp" \
    ConfigOptionCatalog "$OUT_DIR/flink-$mm.json" "${jars[@]}"
done

#!/usr/bin/env bash
# Regenerates src/lib/conf/catalog/options.json, the catalog of Flink's configuration options for
# every minor line flinkctl knows, from the release jars on Maven Central:
#
#   test/ground/flink/catalog/generate.sh [<line>...]   (default: every line of releases.txt; e.g. 1.18 2.0)
#
# Per line: pom.xml (a template) gets the artifacts of artifacts.txt for that line, Maven resolves
# them at the line's release of releases.txt (dependency:build-classpath: nothing is built), and
# ConfigOptionCatalog.java scans every org.apache.flink jar of that classpath. merge.mjs then folds
# the per-line results into options.json (lines not asked for keep their entries). Needs java 11+,
# mvn, node 20+.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../../.." && pwd)"
OUT="$REPO/src/lib/conf/catalog/options.json"
JAVA_BIN="${JAVA_HOME:+$JAVA_HOME/bin/}"

RELEASES="$HERE/releases.txt"
all_lines="$(grep -v '^[[:space:]]*\(#\|$\)' "$RELEASES" | awk '{print $1}')"
lines=("$@")
[[ ${#lines[@]} -gt 0 ]] || mapfile -t lines <<<"$all_lines"

num() { awk -F. '{printf "%d%03d", $1, $2}' <<<"$1"; }

# the <dependency> elements of artifacts.txt for one line; releases.txt may pin an artifact to another
# patch of the line or leave it out (-)
dependencies() {
  local line="$1" n pins
  n="$(num "$line")"
  pins="$(awk -v l="$line" '$1 == l {for (i = 3; i <= NF; i++) print $i}' "$RELEASES")"
  grep -v '^[[:space:]]*\(#\|$\)' "$HERE/artifacts.txt" | while read -r artifact from to flags; do
    [[ "$(num "$from")" -le "$n" && "$n" -le "$(num "$to")" ]] || continue
    local version='${flink.version}' exclusions='' pin
    pin="$(grep -x "$artifact@.*" <<<"$pins" || true)"
    [[ -z "$pin" ]] || version="${pin#*@}"
    [[ "$version" != - ]] || continue
    [[ "${flags:-}" != jar-only ]] || exclusions='<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>'
    echo "    <dependency><groupId>org.apache.flink</groupId><artifactId>$artifact</artifactId><version>$version</version>$exclusions</dependency>"
  done
}

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

# Flink is used by reflection only: one build for every line
"${JAVA_BIN}javac" -nowarn -encoding UTF-8 --release 11 -d "$work/classes" "$HERE/ConfigOptionCatalog.java"

merge_args=()
for line in "${lines[@]}"; do
  version="$(awk -v l="$line" '$1 == l {print $2}' "$RELEASES")"
  [[ -n "$version" ]] || { echo "unknown line $line (known: $(paste -sd' ' <<<"$all_lines"))" >&2; exit 2; }
  dir="$work/$line"
  mkdir -p "$dir"
  deps="$(dependencies "$line")"
  awk -v deps="$deps" '/@DEPENDENCIES@/ {print deps; next} {print}' "$HERE/pom.xml" >"$dir/pom.xml"
  mvn_args=(-B -q -f "$dir/pom.xml" "-Dflink.version=$version" dependency:build-classpath
    "-Dmdep.outputFile=$dir/classpath.txt" -Dmdep.includeScope=runtime)
  # offline first: a complete ~/.m2 needs no network
  if ! mvn -o "${mvn_args[@]}" >"$dir/maven.log" 2>&1; then
    echo "resolving Flink $version artifacts (line $line) from Maven Central..." >&2
    mvn "${mvn_args[@]}" >"$dir/maven.log" 2>&1 || { cat "$dir/maven.log" >&2; exit 1; }
  fi
  cp="$(cat "$dir/classpath.txt")"
  # scan Flink's own jars only, in classpath order (the first copy of a class wins, as in the JVM)
  mapfile -t scan < <(tr ':' '\n' <"$dir/classpath.txt" | grep '/org/apache/flink/')
  "${JAVA_BIN}java" -Xmx1g "-Dlog4j.configurationFile=file:$work/log4j2.properties" -cp "$work/classes:$cp" \
    ConfigOptionCatalog "$dir/options.json" "${scan[@]}"
  merge_args+=("$line=$version=$dir/options.json")
done

node "$HERE/merge.mjs" "$OUT" "${merge_args[@]}"

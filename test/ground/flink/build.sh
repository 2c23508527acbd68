#!/usr/bin/env bash
# Real Flink homes for the tests, assembled from Maven Central by the product's own recipe
# (templates/dist/assemble.sh, the one `flinkctl dist fetch` runs):
#
#   test/ground/flink/build.sh <version>|1|2|all
#
# into ${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}/flink-<version>/ (layout: README.md).
# Idempotent: a complete home is reused without Maven or network; Maven runs offline first.
# Prints the home's path (one line per version) on stdout; progress goes to stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
ASSEMBLE="$REPO/templates/dist/assemble.sh"
CACHE="${FLINKCTL_TEST_CACHE:-$HOME/.cache/flinkctl-test}"
# shellcheck source=/dev/null
source "$HERE/versions.env"

usage() {
  echo "usage: $0 <flink-version>|1|2|all   (pinned: $FLINK_1_VERSION, $FLINK_2_VERSION; assemblable: $(sh "$ASSEMBLE" --versions | paste -sd' '))" >&2
  exit 2
}

# the example jar cache stays inside the test cache, as before
build_one() { FLINKCTL_DOWNLOADS="$CACHE/.downloads" sh "$ASSEMBLE" --dir "$CACHE" "$1"; }

[[ $# -eq 1 ]] || usage
case "$1" in
  all) build_one "$FLINK_1_VERSION"; build_one "$FLINK_2_VERSION" ;;
  1) build_one "$FLINK_1_VERSION" ;;
  2) build_one "$FLINK_2_VERSION" ;;
  -h|--help) usage ;;
  [0-9]*) build_one "$1" ;;
  *) usage ;;
esac

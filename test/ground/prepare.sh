#!/usr/bin/env bash
# Prepares the end-to-end test ground on a fresh machine: the Flink homes and Hadoop's minicluster
# jars from Maven Central (cached under ~/.cache/flinkctl-test and ~/.m2, so a second run stays offline) and, as
# root, the Debian packages the SSH test hosts need. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

bash "$here/flink/build.sh" all
# Hadoop's minicluster and client jars for the yarn-session tests (Maven Central, cached)
bash "$here/yarn/yarn.sh" install
if [ "$(id -u)" -eq 0 ]; then
  bash "$here/hosts/hosts.sh" install
else
  echo "test ground: not root, so no SSH test hosts; the end-to-end tests that need them are skipped"
fi

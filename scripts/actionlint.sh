#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built from its Go module (pinned) into .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v1.7.12
tool=.tools/actionlint-$version
if [ ! -x "$tool/actionlint" ]; then
  command -v go >/dev/null 2>&1 || { echo "actionlint: needs Go to build it (apt-get install golang or https://go.dev)" >&2; exit 1; }
  mkdir -p "$tool"
  GOBIN="$PWD/$tool" go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
"$tool/actionlint" -no-color
echo "actionlint: $(ls .github/workflows | wc -l) workflow files, no problems"

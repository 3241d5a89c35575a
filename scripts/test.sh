#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds in release mode (kernels
# are far too slow unoptimised) and runs every test. No Python, no network.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --build-tests
swift test -c release --skip-build "$@"

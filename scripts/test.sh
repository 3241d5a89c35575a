#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, builds in release mode (kernels
# are far too slow unoptimised) and runs every test. No Python, no network.
# Ends with one plain line "N passed, N failed, N skipped" taken from XCTest's summary (swift test
# also prints Swift Testing's "0 tests" line, since every test here is XCTest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
swift build -c release --build-tests
log=$(mktemp)
status=0
swift test -c release --skip-build "$@" 2>&1 | tee "$log" || status=$?
summary=$(grep -E "Executed [0-9]+ tests?, with" "$log" | tail -n 1 || true)
rm -f "$log"
if [ -n "$summary" ]; then
    total=$(sed -E 's/.*Executed ([0-9]+) tests?.*/\1/' <<<"$summary")
    failed=$(sed -E 's/.* ([0-9]+) failures?.*/\1/' <<<"$summary")
    skipped=0
    if grep -q "skipped" <<<"$summary"; then skipped=$(sed -E 's/.*with ([0-9]+) tests? skipped.*/\1/' <<<"$summary"); fi
    echo "$((total - failed - skipped)) passed, $failed failed, $skipped skipped"
fi
exit "$status"

#!/usr/bin/env bash
# The ShapesWorld ablations of `llava demo`, side by side (issue #5 §7; docs/tutorial.md uses them).
#   scripts/ablations.sh [OUT] [--quick]
# Runs the default demo into OUT/default (unless it is already there), then each ablation into
# OUT/<name> reusing default's CLIP and pretrained Llama (--pretrained), so the runs differ only in
# the LLaVA stages. Every run also reports the blank-image and other-scene-image controls.
# Writes OUT/ablations.md: the held-out test rows and blank-image rows (free-form and short-answer
# prompt) of every run.
# About 30 minutes on 2 cores (full settings: 9 for the default run, 20 for the five ablations).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-ablations-out}
QUICK=${2:-}
bash scripts/bootstrap.sh
swift build -c release --product llava >&2
LLAVA=.build/release/llava
mkdir -p "$OUT"
if [ ! -f "$OUT/default/results.json" ]; then
  $LLAVA demo $QUICK --output "$OUT/default" > "$OUT/default.log"
fi
run() {  # name, flags...
  local name=$1; shift
  [ -f "$OUT/$name/results.json" ] || $LLAVA demo $QUICK --pretrained "$OUT/default" --output "$OUT/$name" "$@" > "$OUT/$name.log"
}
run linear-projector --projector linear
run no-stage1 --skip-stage1
run frozen-llm --freeze-llm
run stage1-only --stage1-only
run quarter-data --train-fraction 0.25
{
  echo "| run | split | colour | shape | count | position | existence | reasoning | overall |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for name in default linear-projector no-stage1 frozen-llm stage1-only quarter-data; do
    grep -E '^\| (test|control: blank image)(, short-answer prompt[^|]*)? \|' "$OUT/$name/results.md" | sed "s/^| /| $name | /"
  done
} > "$OUT/ablations.md"
cat "$OUT/ablations.md"

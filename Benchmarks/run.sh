#!/usr/bin/env bash
# Benchmark: Swift `llava bench` vs transformers (PyTorch, CPU) on the same checkpoint, image and prompt.
#
#   Benchmarks/run.sh [--keep-env] [--threads N] [--prompt-tokens N] [--max-tokens M] [--runs R]
#                     [--model DIR] [--skip-swift] [--skip-torch]
#
# 1. Makes the checkpoint if missing (Tools/bench/make_bench_checkpoint.py: random weights, CLIP ViT-L/14-336
#    + TinyLlama-1.1B-shaped Llama, bf16 safetensors, ~2.8 GB, ~30 s) and the 640x480 bench image.
# 2. Builds `llava` in release mode and runs
#      llava bench --model DIR --image IMG --prompt-tokens N --max-tokens M --runs R --threads N --json
#    which prints one JSON line {encode_s, prefill_s, prefill_tokens, prefill_tok_s, decode_tok_s,
#    peak_rss_gib, blas_kernel}.
# 3. Runs Tools/bench/bench_transformers.py for float32, then bfloat16, each in its own process (peak RSS
#    must not mix), with torch.set_num_threads(N).
# 4. Prints a Markdown table side by side with ratios (Tools/bench/report.py); everything is kept in
#    bench-out/results/llava-bench-<time>/.
# Run one thing at a time: the steps run one after another, and nothing else heavy should run meanwhile.
#
# Environment. This workplace exports OPENBLAS_CORETYPE=Haswell (and OPENBLAS_L2_SIZE), which pins
# OpenBLAS to its AVX2 Haswell kernels on an AVX-512 CPU and roughly halves Swift's BLAS throughput here.
# A benchmark should measure the library as a user gets it, so this script runs every step under
#   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
# (only here: tests and CI keep the workplace's environment). --keep-env runs with them set, to see
# their effect. PyTorch is unaffected either way: its float32 Linear runs on MKL and its bfloat16 Linear
# on oneDNN, which ignore OPENBLAS_*; both sides report which kernel ran (blas_kernel).
# Threads: OPENBLAS_NUM_THREADS and OMP_NUM_THREADS are set to N for every step; PyTorch also gets
# torch.set_num_threads(N).
#
# Python: $PYTHON if set, else python3 if it imports torch and transformers, else ../.venv-fixtures/bin/python
# (needs torch, transformers, safetensors, pillow, numpy, and mistral_common for the tokenizer).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

KEEP_ENV=0
THREADS=2
PROMPT_TOKENS=16
MAX_TOKENS=32
RUNS=3
MODEL="$ROOT/bench-out/llava-bench-1b"
IMAGE="$ROOT/bench-out/bench-image.png"
SKIP_SWIFT=0
SKIP_TORCH=0
while [ $# -gt 0 ]; do
    case "$1" in
        --keep-env) KEEP_ENV=1 ;;
        --threads) THREADS=$2; shift ;;
        --prompt-tokens) PROMPT_TOKENS=$2; shift ;;
        --max-tokens) MAX_TOKENS=$2; shift ;;
        --runs) RUNS=$2; shift ;;
        --model) MODEL=$2; shift ;;
        --skip-swift) SKIP_SWIFT=1 ;;
        --skip-torch) SKIP_TORCH=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

source "$ROOT/Benchmarks/lib.sh"
find_python run.sh torch transformers

if [ "$KEEP_ENV" = 1 ]; then
    RUN=(env)
    ENV_NOTE="Environment: workplace's OPENBLAS_* kept (--keep-env): $(env | grep '^OPENBLAS_' | tr '\n' ' ')"
else
    RUN=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    ENV_NOTE="Environment: OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (OpenBLAS picks its kernels for this CPU)."
fi
RUN+=(OPENBLAS_NUM_THREADS="$THREADS" OMP_NUM_THREADS="$THREADS")

RESULTS="$ROOT/bench-out/results/llava-bench-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS"
log() { echo "run.sh: $*" >&2; }
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${LOAD_BEFORE%% *}" 'BEGIN { exit !(l > 0.5) }'; then
    log "warning: load average is $LOAD_BEFORE; other work on this machine will skew the numbers"
fi

# 1. checkpoint + image
if [ ! -f "$MODEL/config.json" ]; then
    log "making the checkpoint in $MODEL"
    "${RUN[@]}" "$PY" Tools/bench/make_bench_checkpoint.py --out "$MODEL" --threads "$THREADS" >&2
fi
[ -f "$IMAGE" ] || "${RUN[@]}" "$PY" Tools/bench/make_bench_image.py --out "$IMAGE" >/dev/null

# 2. Swift
SWIFT_JSON=""
if [ "$SKIP_SWIFT" = 0 ]; then
    bash scripts/bootstrap.sh
    log "building llava (release)"
    "${RUN[@]}" swift build -c release --product llava >&2
    log "llava bench ($THREADS threads)"
    SWIFT_JSON="$RESULTS/swift.json"
    if ! "${RUN[@]}" .build/release/llava bench --model "$MODEL" --image "$IMAGE" \
            --prompt-tokens "$PROMPT_TOKENS" --max-tokens "$MAX_TOKENS" --runs "$RUNS" --threads "$THREADS" \
            --json >"$SWIFT_JSON" 2>"$RESULTS/swift.log"; then
        log "llava bench failed (see $RESULTS/swift.log); continuing without the Swift column"
        SWIFT_JSON=""
    fi
fi

# 3. PyTorch, one process per dtype
TORCH_JSON_F32=""
TORCH_JSON_BF16=""
if [ "$SKIP_TORCH" = 0 ]; then
    for dtype in float32 bfloat16; do
        log "transformers $dtype ($THREADS threads)"
        "${RUN[@]}" "$PY" Tools/bench/bench_transformers.py --model "$MODEL" --image "$IMAGE" \
            --prompt-tokens "$PROMPT_TOKENS" --max-tokens "$MAX_TOKENS" --threads "$THREADS" \
            --runs "$RUNS" --dtype "$dtype" --json \
            >"$RESULTS/torch-$dtype.json" 2>"$RESULTS/torch-$dtype.log"
    done
    TORCH_JSON_F32="$RESULTS/torch-float32.json"
    TORCH_JSON_BF16="$RESULTS/torch-bfloat16.json"
fi

# 4. table
"$PY" Tools/bench/report.py --model "$MODEL" --swift "$SWIFT_JSON" \
    --torch-f32 "$TORCH_JSON_F32" --torch-bf16 "$TORCH_JSON_BF16" \
    --env-note "$ENV_NOTE Load average at start: $LOAD_BEFORE." | tee "$RESULTS/table.md"
log "results in $RESULTS"

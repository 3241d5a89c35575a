#!/usr/bin/env bash
# Benchmark: training throughput (tokens/s) of `llava train` vs transformers (PyTorch, CPU), float32.
#
#   Benchmarks/train.sh [--runs R] [--batch-size B] [--configs "tiny base100m"] [--stages "1 2"]
#                       [--threads N] [--logits targets|all] [--no-wait]
#
# 1. Makes the checkpoints and datasets if missing (Tools/bench/make_train_bench.py -> bench-out/train/):
#    tiny = the shape of Tests/Fixtures/models/llava15_f32 (190k parameters, 64 samples, 16 image tokens),
#    base100m = ~104M parameters (CLIP ViT-S/16-shaped tower 224 px + Llama hidden 768 x 6 layers, vocab
#    32064; 32 samples, 196 image tokens). Random weights, random PNGs, 2-turn conversations.
# 2. For each config x stage (1: projector only, plain template; 2: projector + LLM, llava_v1 template):
#    - Swift: llava train --stage S --max-steps E*K --batch-size B --lr 1e-5 --no-shuffle (K steps per
#      epoch; E = 6 for tiny, 2 for base100m). The first epoch computes each image's frozen CLIP features
#      once (cached after), so tokens/s is measured over epochs 2..E only, from metrics.jsonl
#      (sum of tokens / sum of seconds).
#    - PyTorch: Tools/bench/bench_train_transformers.py: the same step (frozen parts requires_grad False,
#      masked next-token CE on answer tokens, clip 1.0, AdamW, cosine schedule), vision features computed
#      once per image before the timed loop (the advantage Swift's cache gives it), 2 warm-up steps, then
#      (E-1)*K timed steps over the same batches; tokens = sum of attention_mask (no padding).
#    Each R times; the best run is reported.
# 3. Prints a Markdown table (Tools/bench/train_report.py); everything is kept in bench-out/results/train-<time>/.
#
# Machine: 2 cores. Before every timed run the script waits (30 s at a time, up to 20 min) until no other
# process uses more than 20% CPU (--no-wait skips that).
# Environment: like Benchmarks/run.sh, every step runs under env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE
# (OpenBLAS picks its kernel for this CPU; the workplace pins Haswell). Swift keeps OpenBLAS single-threaded
# and splits products over the cores itself; PyTorch gets torch.set_num_threads(N) and OMP_NUM_THREADS=N.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=2
BATCH=4
CONFIGS="tiny base100m"
STAGES="1 2"
THREADS=2
LOGITS=targets
WAIT=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --batch-size) BATCH=$2; shift ;;
        --configs) CONFIGS=$2; shift ;;
        --stages) STAGES=$2; shift ;;
        --threads) THREADS=$2; shift ;;
        --logits) LOGITS=$2; shift ;;
        --no-wait) WAIT=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "train.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

source "$ROOT/Benchmarks/lib.sh"
find_python train.sh torch transformers
LLAVA="$ROOT/.build/release/llava"
if [ ! -x "$LLAVA" ]; then
    echo "train.sh: $LLAVA missing; build it with: swift build -c release" >&2
    exit 1
fi

RUN=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$THREADS")
DATA="$ROOT/bench-out/train"
"$PY" Tools/bench/make_train_bench.py --out "$DATA"
RESULTS="$ROOT/bench-out/results/train-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS"

# Waits until no process other than this script's own uses more than 20% CPU (sampled over 3 s by top).
wait_idle() {
    [ "$WAIT" = 1 ] || return 0
    local tries=0 busy
    while :; do
        busy=$(top -b -n 2 -d 3 -w 200 | awk '/^top -/{frame++} frame==2 && $1 ~ /^[0-9]+$/ && $9+0 > 20 && $12 != "top" {print $1" "$9"% "$12}')
        [ -z "$busy" ] && return 0
        tries=$((tries + 1))
        if [ "$tries" -gt 40 ]; then
            echo "train.sh: still busy after 20 min, measuring anyway: $busy" >&2
            return 0
        fi
        echo "  waiting for an idle machine: $(echo "$busy" | tr '\n' ';')" >&2
        sleep 30
    done
}

SWIFT_KERNEL=$("${RUN[@]}" "$LLAVA" bench --model "$DATA/base100m" --image "$DATA/base100m/images/0000.png" \
    --runs 1 --prompt-tokens 16 --max-tokens 2 --json 2>/dev/null | "$PY" -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["blas_kernel"] + ", matvec " + d["matvec_isa"])')

CONFIG_JSON=""
for c in $CONFIGS; do
    n=$("$PY" -c "import json; print(len(json.load(open('$DATA/$c/data.json'))))")
    k=$(( (n + BATCH - 1) / BATCH ))
    if [ "$c" = tiny ]; then e=6; else e=2; fi
    CONFIG_JSON+="${CONFIG_JSON:+, }\"$c\": {\"samples\": $n, \"steps_per_epoch\": $k, \"epochs\": $e}"
    for s in $STAGES; do
        for r in $(seq 1 "$RUNS"); do
            out="$RESULTS/swift-$c-s$s-r$r"
            echo "== $c stage $s run $r: Swift ($((e * k)) steps, timed $(((e - 1) * k)))" >&2
            wait_idle
            "${RUN[@]}" "$LLAVA" train --stage "$s" --model "$DATA/$c" --data "$DATA/$c/data.json" \
                --image-folder "$DATA/$c/images" --output "$out" --max-steps $((e * k)) --batch-size "$BATCH" \
                --lr 1e-5 --no-shuffle 2> "$out.stderr" >/dev/null
            mv "$out.stderr" "$out/stderr.txt"
            find "$out" -mindepth 1 ! -name metrics.jsonl ! -name stderr.txt -exec rm -rf {} +  # drop checkpoints
            echo "== $c stage $s run $r: PyTorch" >&2
            wait_idle
            "${RUN[@]}" "$PY" Tools/bench/bench_train_transformers.py --model "$DATA/$c" --data "$DATA/$c/data.json" \
                --image-folder "$DATA/$c/images" --stage "$s" --batch-size "$BATCH" --steps $(((e - 1) * k)) \
                --warmup 2 --threads "$THREADS" --logits "$LOGITS" --json \
                > "$RESULTS/torch-$c-s$s-r$r.json" 2> "$RESULTS/torch-$c-s$s-r$r.stderr"
        done
    done
done

STAGES_JSON=$(echo "$STAGES" | tr ' ' ',')
cat > "$RESULTS/meta.json" <<EOF
{"configs": {$CONFIG_JSON}, "stages": [$STAGES_JSON], "batch_size": $BATCH, "runs": $RUNS, "threads": $THREADS,
 "swift_kernel": "$SWIFT_KERNEL", "env_note": "OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset."}
EOF
"$PY" Tools/bench/train_report.py "$RESULTS" | tee "$RESULTS/table.md"
echo "results: $RESULTS" >&2

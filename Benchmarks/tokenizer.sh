#!/usr/bin/env bash
# Benchmark: tokenizer speed, Swift `llava tokenize` vs Python `tokenizers` (Rust), on ~1 MB of text.
#
#   Benchmarks/tokenizer.sh [--runs R] [--bytes N] [--tokenizer DIR] [--no-wait]
#
# 1. Makes bench-out/tokenizer/text.json: ~N bytes (default 1,000,000) of concatenated Python sources of the
#    installed transformers package, as ONE JSON string on one line (Tools/bench/bench_tokenizer.py make-text).
# 2. Swift: times `llava tokenize --model DIR < text.json` as a whole process, best of R (default 5), and the
#    same on an empty string ("") to measure process start + tokenizer load; reports raw and net = raw − empty.
# 3. Python `tokenizers` (Rust), encode(text) in-process (load excluded), best of R:
#    - the Tokenizer transformers builds, AutoTokenizer.from_pretrained(DIR).backend_tokenizer -- the pipeline
#      `llava tokenize` reproduces -- with RAYON_NUM_THREADS=1 and with the default thread pool;
#    - Tokenizer.from_file(DIR/tokenizer.json), RAYON_NUM_THREADS=1: the file's own pipeline. For the mistral
#      fixture that is the legacy normalizer, which transformers 5 replaces (Metaspace "first"); it differs
#      from transformers (and Swift) after special-token strings like "</s>" inside the text.
# 4. Checks each Python side's ids against Swift's and prints a Markdown table; files in
#    bench-out/results/tokenizer-<time>/.
# Default tokenizer: Tests/Fixtures/tokenizers/mistral (32000-piece SentencePiece BPE). Waits for an idle
# machine (no other process above 20% CPU) before each timed part unless --no-wait.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

RUNS=5
BYTES=1000000
TOK="$ROOT/Tests/Fixtures/tokenizers/mistral"
WAIT=1
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) RUNS=$2; shift ;;
        --bytes) BYTES=$2; shift ;;
        --tokenizer) TOK=$2; shift ;;
        --no-wait) WAIT=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "tokenizer.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

source "$ROOT/Benchmarks/lib.sh"
find_python tokenizer.sh tokenizers transformers
LLAVA="$ROOT/.build/release/llava"
[ -x "$LLAVA" ] || { echo "tokenizer.sh: $LLAVA missing; build it with: swift build -c release" >&2; exit 1; }

wait_idle() {
    [ "$WAIT" = 1 ] || return 0
    local tries=0 busy
    while :; do
        busy=$(top -b -n 2 -d 3 -w 200 | awk '/^top -/{frame++} frame==2 && $1 ~ /^[0-9]+$/ && $9+0 > 20 && $12 != "top" {print $1" "$9"% "$12}')
        [ -z "$busy" ] && return 0
        tries=$((tries + 1))
        if [ "$tries" -gt 40 ]; then echo "tokenizer.sh: still busy after 20 min, measuring anyway: $busy" >&2; return 0; fi
        echo "  waiting for an idle machine: $(echo "$busy" | tr '\n' ';')" >&2
        sleep 30
    done
}

TEXT_DIR="$ROOT/bench-out/tokenizer"
mkdir -p "$TEXT_DIR"
TEXT="$TEXT_DIR/text.json"
[ -s "$TEXT" ] && [ "$(wc -c < "$TEXT")" -gt $((BYTES * 9 / 10)) ] || "$PY" Tools/bench/bench_tokenizer.py make-text "$TEXT" --bytes "$BYTES"
RESULTS="$ROOT/bench-out/results/tokenizer-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS"
printf '""\n' > "$RESULTS/empty.json"

# Best wall time of R runs of `llava tokenize < FILE` (seconds).
time_swift() {
    local file=$1 best="" t0 t1 ns
    for _ in $(seq 1 "$RUNS"); do
        t0=$(date +%s%N)
        "$LLAVA" tokenize --model "$TOK" < "$file" > "$RESULTS/swift-out.txt"
        t1=$(date +%s%N)
        ns=$((t1 - t0))
        if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
    done
    printf '%d.%09d\n' $((best / 1000000000)) $((best % 1000000000))
}

wait_idle
echo "== Swift" >&2
EMPTY=$(time_swift "$RESULTS/empty.json")
RAW=$(time_swift "$TEXT")
cp "$RESULTS/swift-out.txt" "$RESULTS/ids-swift.json"
echo "{\"best_s\": $RAW, \"empty_best_s\": $EMPTY, \"runs\": $RUNS}" > "$RESULTS/swift.json"

py_bench() {  # NAME LOADER RAYON(1|default)
    echo "== Python tokenizers: $2, RAYON_NUM_THREADS=$3" >&2
    wait_idle
    local envs=(env -u RAYON_NUM_THREADS)
    [ "$3" = default ] || envs+=(RAYON_NUM_THREADS="$3")
    "${envs[@]}" "$PY" Tools/bench/bench_tokenizer.py python --tokenizer "$TOK" --text "$TEXT" --runs "$RUNS" \
        --loader "$2" --ids "$RESULTS/ids-$1.json" > "$RESULTS/$1.json" 2> "$RESULTS/$1.stderr"
}
py_bench python-1 transformers 1
py_bench python-default transformers default
py_bench python-file-1 file 1

cat > "$RESULTS/meta.json" <<EOF
{"bytes": $("$PY" -c "import json,sys; print(len(json.loads(open(sys.argv[1]).readline()).encode('utf-8')))" "$TEXT"),
 "source": "concatenated .py files of transformers $("$PY" -c 'import transformers; print(transformers.__version__)')",
 "tokenizer": "$(basename "$TOK") ($(realpath --relative-to="$ROOT" "$TOK"))",
 "tokenizers": "$("$PY" -c 'import tokenizers; print(tokenizers.__version__)')",
 "transformers": "$("$PY" -c 'import transformers; print(transformers.__version__)')", "cores": $(nproc)}
EOF
"$PY" Tools/bench/bench_tokenizer.py report "$RESULTS" | tee "$RESULTS/table.md"
echo "results: $RESULTS" >&2

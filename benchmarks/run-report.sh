#!/usr/bin/env bash
# Reproduce the whole benchmark report (issue "Speed"): every scenario at 50M events,
# 200k sessions, each in a fresh Python process (peers loaded for one scenario do not
# linger into the next), then memory and scaling, then the tables, the README block
# and the plot. About 28 minutes on the 2-core VM once the inputs are generated and cached
# (the first run also writes ~9 GB of seeded inputs); needs `pip install -e ".[bench]"`.
#
#   bash benchmarks/run-report.sh            # everything
#   SKIP_SCALING=1 bash benchmarks/run-report.sh   # targets 1-5 only (~25 minutes)
#   SKIP_GRID=1 ...                                 # without the grid (target 8, ~25 minutes more)
set -euo pipefail
cd "$(dirname "$0")/.."
out=benchmarks/results
mkdir -p "$out"
export AGENTSTATS_BENCH_EVENTS=${AGENTSTATS_BENCH_EVENTS:-50000000}
export AGENTSTATS_BENCH_ROUNDS=${AGENTSTATS_BENCH_ROUNDS:-7}
export AGENTSTATS_BENCH_SLOW_ROUNDS=${AGENTSTATS_BENCH_SLOW_ROUNDS:-1}

python -m benchmarks.generate "$AGENTSTATS_BENCH_EVENTS" 200e3 time grouped shuffled

# target 5 in alternated one/two-thread pairs with the machine's own two-thread ratios,
# first and last (report.py pools both runs: one bad minute of the host does not decide it)
threads() {
    python -m pytest benchmarks/test_bench_threads.py -q -p no:cacheprovider \
        --benchmark-json="$out/threads-$1.json"
    jsons+=("$out/threads-$1.json")
}

jsons=()
threads first
for scenario in "layout and time" "layout and grouped" "layout and shuffled" "string"; do
    name=$(echo "$scenario" | tr ' ' '-')
    python -m pytest benchmarks -q -p no:cacheprovider -k "$scenario" \
        --benchmark-json="$out/bench-$name.json"
    jsons+=("$out/bench-$name.json")
done

if [ -z "${SKIP_SCALING:-}" ]; then
    AGENTSTATS_BENCH_ROUNDS=3 AGENTSTATS_BENCH_MEMORY=1 \
        python -m pytest benchmarks -q -p no:cacheprovider -k "memory" \
        --benchmark-json="$out/memory.json"
    AGENTSTATS_BENCH_ROUNDS=3 AGENTSTATS_BENCH_SCALING=1 \
        python -m pytest benchmarks -q -p no:cacheprovider -k "scaling" \
        --benchmark-json="$out/scaling.json"
    jsons+=("$out/memory.json" "$out/scaling.json")
fi

if [ -z "${SKIP_GRID:-}" ]; then
    # the grid of time-ordered shapes (target 8): every shape in its own pass, inputs cached
    AGENTSTATS_BENCH_GRID=1 python -m pytest benchmarks/test_bench_grid.py -q -p no:cacheprovider \
        --benchmark-json="$out/grid.json"
    jsons+=("$out/grid.json")
fi

threads last

python benchmarks/report.py "${jsons[@]}" --markdown "$out/latest.md" \
    --readme benchmarks/README.md --plot benchmarks/scaling.png

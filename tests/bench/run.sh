#!/usr/bin/env bash
# tests/bench/run.sh BUILD_DIR - run the benchmark programs built by
# `make bench-programs` in BUILD_DIR and print their result lines.
#
# Environment: PJWT_BENCH_SECONDS (seconds per measurement, default 1),
# PJWT_BENCH_ALGS (e.g. EdDSA,ES256; default all).
# Numbers are only meaningful on an otherwise idle machine: the load average
# is printed with them.  Exit 1 when a program fails (not for missed targets).
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
build=$(cd "$1" && pwd)
prog="$build/tests/bench/bench-verify"
[ -x "$prog" ] || { echo "bench: $prog missing: run 'make bench-programs' in $build" >&2; exit 1; }

args=(-t "${PJWT_BENCH_SECONDS:-1}")
[ -n "${PJWT_BENCH_ALGS:-}" ] && args+=(-a "$PJWT_BENCH_ALGS")

echo "==> verify/sign throughput (nproc $(nproc), $(uptime | sed 's/.*load/load/'))"
"$prog" "${args[@]}"

# jwt-issuerd under wrk: token grants and the JWKS (tests/bench/daemon-bench.sh).
"$(dirname "${BASH_SOURCE[0]}")/daemon-bench.sh" "$build"

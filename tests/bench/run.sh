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

# pam_authenticate() through libpam (pam_wrapper) and pam_jwt.so: one login's
# cost, reading and parsing the JWKS file included.
pam_prog="$build/tests/bench/pam-bench"
pam_mod="$build/.libs/pam_jwt.so"
[ -x "$pam_prog" ] && [ -e "$pam_mod" ] ||
	{ echo "bench: $pam_prog or $pam_mod missing: run 'make bench-programs' in $build" >&2; exit 1; }
pam_args=(-t "${PJWT_BENCH_SECONDS:-1}")
[ -n "${PJWT_BENCH_ALGS:-}" ] && pam_args+=(-a "$PJWT_BENCH_ALGS")
echo "==> PAM logins through pam_wrapper + pam_jwt.so ($(uptime | sed 's/.*load/load/'))"
"$pam_prog" "${pam_args[@]}" "$pam_mod"

# jwt-issuerd under wrk: token grants and the JWKS (tests/bench/daemon-bench.sh).
"$(dirname "${BASH_SOURCE[0]}")/daemon-bench.sh" "$build"

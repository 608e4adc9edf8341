#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD_DIR [SECONDS] - build and run the libFuzzer harnesses.
#
# BUILD_DIR: a build configured with --enable-sanitizers CC=clang in which
# `make libpjwt.la` has run (./dev fuzz does both).  The harnesses are built
# with clang -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# into BUILD_DIR/tests/fuzz/.  libFuzzer needs coverage instrumentation in the
# code under test: when BUILD_DIR/.libs/libpjwt.a has it (configured with
# CFLAGS=-fsanitize=fuzzer-no-link) it is linked as is; otherwise the same
# objects are rebuilt from common/ with it (cached in BUILD_DIR/tests/fuzz/obj).
#
# SECONDS (default 60) is the total fuzzing time, shared by the harnesses
# (fuzz-verify 1/2, fuzz-jwks and fuzz-json 1/4 each).  Each runs on a fresh
# copy of its seed corpus (tests/fuzz/corpus/NAME) in a temporary directory;
# crash, leak, timeout (-timeout=10) and OOM (-rss_limit_mb=2048) inputs are
# kept in BUILD_DIR/tests/fuzz/artifacts/.  Exit 0 only when no harness failed; the
# last line of output is a one-line summary.
#
# Environment: PJWT_FUZZ_TARGETS (default "fuzz-verify fuzz-jwks fuzz-json"),
# PJWT_FUZZ_KEEP_CORPUS=DIR (save the grown corpora there), CC_FUZZ (clang).
set -euo pipefail

die() { echo "fuzz: ERROR: $*"; exit 2; }

[ $# -ge 1 ] || die "usage: $0 BUILD_DIR [SECONDS]"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || die "no build directory $1"
secs=${2:-60}
case $secs in ''|*[!0-9]*) die "SECONDS must be a whole number, not '$secs'";; esac
[ "$secs" -ge 1 ] || secs=1
read -r -a targets <<< "${PJWT_FUZZ_TARGETS:-fuzz-verify fuzz-jwks fuzz-json}"
cc=${CC_FUZZ:-clang}
command -v "$cc" >/dev/null || die "$cc not found (apt-get install clang libclang-rt-14-dev)"

lib="$build/.libs/libpjwt.a"
[ -f "$lib" ] || die "$lib missing: run 'make libpjwt.la' in $build first"
[ -f "$build/config.h" ] || die "$build/config.h missing: not a configured build directory"
out="$build/tests/fuzz"
mkdir -p "$out/obj" "$out/artifacts"

san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
# shellcheck disable=SC2207
pc_cflags=($(pkg-config --cflags libcrypto jansson))
# shellcheck disable=SC2207
pc_libs=($(pkg-config --libs libcrypto jansson))
cppflags=(-std=c11 -I"$build" -I"$top/common" -I"$here"
	-DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED "${pc_cflags[@]}")

# ---- libpjwt with coverage instrumentation -------------------------------
# (grep without -q reads all of nm's output: no SIGPIPE under pipefail.)
if nm -A "$lib" 2>/dev/null | grep '__sanitizer_cov_' >/dev/null; then
	pjwt_a=$lib
else
	pjwt_a="$out/libpjwt-fuzz.a"
	objs=()
	newest_h="$build/config.h"
	for h in "$top"/common/*.h; do
		if [ "$h" -nt "$newest_h" ]; then newest_h=$h; fi
	done
	for m in $(ar t "$lib"); do
		# libtool names members libpjwt_la-NAME.o for common/NAME.c.
		name=${m#libpjwt_la-}; name=${name%.o}
		src="$top/common/$name.c"
		[ -f "$src" ] || die "no source $src for archive member $m"
		obj="$out/obj/$name.o"
		objs+=("$obj")
		if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ] ||
		   [ "$here/run.sh" -nt "$obj" ]; then
			"$cc" "${san[@]}" -fsanitize=fuzzer-no-link "${cppflags[@]}" \
				-c "$src" -o "$obj" || die "compiling $src failed"
		fi
	done
	rm -f "$pjwt_a"
	ar rcs "$pjwt_a" "${objs[@]}"
fi

# ---- harnesses -------------------------------------------------------------
for t in "${targets[@]}"; do
	[ -f "$here/$t.c" ] || die "no harness $here/$t.c"
	"$cc" "${san[@]}" -fsanitize=fuzzer "${cppflags[@]}" \
		-DPJWT_FUZZ_KEYDIR="\"$here/keys\"" \
		"$here/$t.c" "$pjwt_a" "${pc_libs[@]}" -o "$out/$t" ||
		die "building $t failed"
done

# ---- run -------------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/pjwt-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Time per target: the first (fuzz-verify) weighs 2, the others 1 each; the
# first also gets what rounding leaves over.  At least 1 s each.
n=${#targets[@]}
share=$(( secs / (n + 1) ))
summary=()
failed=0
for i in "${!targets[@]}"; do
	t=${targets[$i]}
	if [ "$i" -eq 0 ]; then s=$(( secs - share * (n - 1) )); else s=$share; fi
	[ "$s" -ge 1 ] || s=1
	corpus_name=${t#fuzz-}
	mkdir -p "$work/$t"
	cp -R "$here/corpus/$corpus_name/." "$work/$t/"
	dict=()
	[ -f "$here/$corpus_name.dict" ] && dict=(-dict="$here/$corpus_name.dict")
	log="$out/$t.log"
	echo "==> $t for ${s}s (log: $log)"
	rc=0
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$out/$t" -max_total_time="$s" -max_len=16384 -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 -print_pcs=0 \
		-artifact_prefix="$out/artifacts/$t-" "${dict[@]}" \
		"$work/$t" > "$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
	grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE))' "$log" | sed 's/^/    /' || true
	if [ "$rc" -ne 0 ] || grep -Eq '^(==[0-9]+==ERROR|SUMMARY: (Address|Undefined|Leak)Sanitizer|.*runtime error:)' "$log"; then
		failed=1
		echo "---- $t failed (exit $rc); end of $log:"
		tail -60 "$log"
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		[ -n "$art" ] && echo "---- reproduce: $out/$t $art"
		summary+=("$t: FAILED after ${runs:-?} runs (exit $rc${art:+, input $art})")
	else
		summary+=("$t: ${runs:-?} runs in $s s (${cov:-no cov}, corpus $(ls "$work/$t" | wc -l))")
	fi
	if [ -n "${PJWT_FUZZ_KEEP_CORPUS:-}" ]; then
		mkdir -p "$PJWT_FUZZ_KEEP_CORPUS/$corpus_name"
		cp -R "$work/$t/." "$PJWT_FUZZ_KEEP_CORPUS/$corpus_name/"
	fi
done

line=$(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g')
if [ "$failed" -eq 0 ]; then
	echo "$line, no crash"
else
	echo "$line"
	exit 1
fi

#!/bin/sh
# test-pam-valgrind.sh - the vg_* pam_jwt tests under valgrind: a definite
# leak or a memory error anywhere in the module fails the run.
if ! command -v valgrind >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind not installed"
	exit 0
fi
exec "${top_builddir:-.}/tests/pam/test-pam" --valgrind

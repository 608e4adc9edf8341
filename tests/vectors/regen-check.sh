#!/bin/sh
# tests/vectors/regen-check.sh - TAP: the committed generated vectors are
# exactly what tests/vectors/regen.py writes (run it after changing either).
. "$top_srcdir/tests/lib.sh"
py=/usr/bin/python3
if ! "$py" -c 'import cryptography' 2>/dev/null; then
	plan_skip "$py cannot import cryptography (Debian package python3-cryptography)"
fi
"$py" "$top_srcdir/tests/vectors/regen.py" --check

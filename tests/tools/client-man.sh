#!/bin/sh
# client-man.sh - jwtctl(1) documents every subcommand, every option each
# command's --help names, and every exit status; mandoc -T lint is clean.
. "$top_srcdir/tests/lib.sh"

[ -x "$JWTCTL" ] || plan_skip "jwtctl not built ($JWTCTL)"
MAN=$top_srcdir/packaging/man/jwtctl.1
T=$TMPDIR_T
CMDS="keygen jwks sign verify inspect passwd login token ssh logout sync"

if command -v mandoc >/dev/null 2>&1; then
	# mandoc.db staleness is about the system's man pages, not this one.
	mandoc -T lint -W warning "$MAN" 2>&1 | grep -v 'mandoc\.db' >"$T/lint"
	[ ! -s "$T/lint" ] && pass "mandoc -T lint: no errors or warnings" ||
	    { fail "mandoc -T lint: no errors or warnings"; sed 's/^/#   /' "$T/lint"; }
else
	skip "mandoc -T lint" "mandoc not installed"
fi
for c in $CMDS; do
	grep -q "^\.It Cm $c\$" "$MAN" && grep -q "^\.Cm $c\$" "$MAN" &&
	    pass "jwtctl.1: synopsis and description of $c" ||
	    fail "jwtctl.1: synopsis and description of $c"
	# Every long option of the command's help is in the page.
	missing=
	for o in $("$JWTCTL" "$c" --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		[ "$o" = --help ] && continue
		grep -q -- "^\.Op Fl -${o#--}\( \|\$\)\|Fl -${o#--}\( \|\$\)\|Fl -${o#--} Ar" "$MAN" ||
		    missing="$missing $o"
	done
	[ -z "$missing" ] && pass "jwtctl.1: every option of $c" || fail "jwtctl.1: options of $c missing:$missing"
done
sed -n '/^\.Sh EXIT STATUS/,/^\.Sh /p' "$MAN" >"$T/exit"
for s in 0 1 2 3 4; do
	grep -q "^\.It $s\$" "$T/exit" && pass "jwtctl.1: exit status $s" || fail "jwtctl.1: exit status $s"
done
# --help names the same statuses.
"$JWTCTL" --help | tr '\n' ' ' >"$T/help"
grep -q '3 the issuer cannot be reached' "$T/help" && grep -q '4 the issuer answered' "$T/help" &&
    pass "jwtctl --help: exit statuses 3 and 4" || fail "jwtctl --help: exit statuses 3 and 4"

done_testing

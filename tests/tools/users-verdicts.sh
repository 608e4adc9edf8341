#!/bin/sh
# tests/tools/users-verdicts.sh - one users-file grammar (issue 10): a table
# of lines, both readers, same verdicts.  Each row is put on line 2 of a users
# file after a good alice line; `jwt-issuerd -t` (the daemon's loader) and
# `jwtctl passwd` on that existing file (its check before rewriting) must
# both accept it or both refuse it, and when they refuse, name the same
# FILE:LINE: reason.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon/lib-daemon.sh"

: "${JWTCTL:?JWTCTL not set}"
[ -x "$JWTCTL" ] || plan_skip "jwtctl not built"

daemon_setup
H=$($PY "$top_srcdir/tests/daemon/crypt-hash.py" 'row pw')
H6=$($PY "$top_srcdir/tests/daemon/crypt-hash.py" 'row pw' '$6$')
ALICE=$(sed -n 1p "$D/users")
long=$(head -c 400 /dev/zero | tr '\0' a)
ok_salt=${H%\$*}
hash43=${H##*\$}

# expected verdict (0 accepted, 1 refused) | row, printf format (%s = $H)
rows() {
	cat <<'ROWS'
0|bob:%s
0|bob:!%s
0|bob:!
0|# a comment
0|
0|_svc-1.x:%s
0|abcdefghijabcdefghijabcdefghijab:%s
1|no colon here
1|Bob:%s
1| bob:%s
1|abcdefghijabcdefghijabcdefghijabc:%s
1|:%s
1|carol:
1|dave:%s:extra
1|dave:%s extra
1|dave:%s\t
1|erin:abcdefghijklm
1|fred:$1$saltsalt$abcdefghijklmnopqrstuv
1|gina:$y$j9T$salt
1|gina:$y$j9T$$abc
1|gina:$y$$salt$abc
1|hank:%s\r
1|ivy:*
1|ivy:!!%s
1|alice:%s
1|bob:%s\0x
ROWS
}

n=0
verdicts() {   # verdicts EXPECT FORMAT HASH
	exp=$1 fmt=$2 h=$3
	n=$((n + 1))
	U=$TMPDIR_T/users$n
	{ printf '%s\n' "$ALICE"; printf "$fmt\n" "$h"; } >"$U"
	chmod 600 "$U"
	[ -n "$RUN_AS" ] && { chgrp "$RUN_GROUP" "$U"; chmod 640 "$U"; }
	cp "$U" "$U.orig"
	sed "s|^users_file = .*|users_file = $U|" "$D/conf" >"$D/conf$n"
	"$ISSUERD" -t -c "$D/conf$n" >"$U.d" 2>&1; drc=$?
	printf 'x-pw\n' | "$JWTCTL" passwd --file "$U" --password-stdin zed \
	    >"$U.c" 2>&1; crc=$?
	dv=$([ $drc = 0 ] && echo 0 || echo 1)
	cv=$([ $crc = 0 ] && echo 0 || echo 1)
	what="row $n ($(printf '%s' "$fmt" | cut -c1-40))"
	if [ "$dv" != "$exp" ] || [ "$cv" != "$exp" ]; then
		fail "$what: daemon exit $drc, jwtctl passwd exit $crc, want both $([ $exp = 0 ] && echo accept || echo refuse)"
		sed 's/^/#   daemon: /' "$U.d"; sed 's/^/#   jwtctl: /' "$U.c"
		return
	fi
	if [ "$exp" = 1 ]; then
		dm=$(grep -o "$U:2: .*" "$U.d" | head -1)
		cm=$(grep -o "$U:2: .*" "$U.c" | head -1)
		if [ -z "$dm" ] || [ "$dm" != "$cm" ]; then
			fail "$what: reasons differ: daemon '$dm', jwtctl '$cm'"
			return
		fi
		if ! cmp -s "$U" "$U.orig"; then
			fail "$what: jwtctl passwd changed a refused file"
			return
		fi
		pass "$what: both refuse: ${dm#"$U:"}"
	else
		pass "$what: both accept"
	fi
}

rows | while IFS='|' read -r exp fmt; do
	case $fmt in
	*%s*) verdicts "$exp" "$fmt" "$H" ;;
	*) verdicts "$exp" "$(printf '%s' "$fmt" | sed 's/%/%%/g')" "" ;;
	esac
done >"$TMPDIR_T/tap"
cat "$TMPDIR_T/tap"
_tap_n=$(grep -c '^\(not \)\{0,1\}ok ' "$TMPDIR_T/tap")
_tap_failed=$(grep -c '^not ok ' "$TMPDIR_T/tap")

# Rows whose hash is built here: too long, a yescrypt hash one character
# short, a bad salt character, sha512crypt (libcrypt decides, both agree).
n=100
verdicts 1 'kim:$y$%s' "$long"
verdicts 1 'kim:%s' "$ok_salt\$${hash43%?}"
verdicts 1 'kim:%s' "\$y\$j9T\$ab*c\$$hash43"
verdicts "$($PY -c 'import ctypes,sys; lc=ctypes.CDLL("libcrypt.so.1"); lc.crypt_checksalt.argtypes=[ctypes.c_char_p]; print(0 if lc.crypt_checksalt(sys.argv[1].encode())==0 else 1)' "$H6")" 'kim:%s' "$H6"
done_testing

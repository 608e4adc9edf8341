#!/bin/sh
# dev-deps.sh - `./dev package` needs only the build dependencies (issue 9 B):
# the list it would install covers every Build-Depends of
# packaging/debian/control and none of the test toolchain (clang, valgrind,
# Node.js, wrk, hyperfine, rpm, ...); `./dev deps` (everything) still has them.
# Runs ./dev with stubs first on PATH: dpkg-query says nothing is installed
# and id says we are not root, so ./dev stops at "missing packages (LIST)"
# before installing or building anything.
. "$top_srcdir/tests/lib.sh"

DEV=$top_srcdir/dev
CONTROL=$top_srcdir/packaging/debian/control
[ -x "$DEV" ] || plan_skip "$DEV not there (a dist tree has no ./dev)"
[ -r "$CONTROL" ] || plan_skip "$CONTROL not there"
plan 7

S=$TMPDIR_T/stub
mkdir -p "$S"
printf '#!/bin/sh\nexit 1\n' > "$S/dpkg-query"
printf '#!/bin/sh\n[ "${1-}" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n' > "$S/id"
for c in apt-get npm dpkg-buildpackage; do
	printf '#!/bin/sh\necho "stub %s must not run" >&2\nexit 99\n' "$c" > "$S/$c"
done
chmod +x "$S"/*

# missing_list CMD...: the package names ./dev CMD says are missing.
missing_list() {
	PATH="$S:$PATH" "$DEV" "$@" 2>&1 >/dev/null |
	    sed -n 's/.*missing packages (\([^)]*\)).*/\1/p' | tr ' ' '\n' | sed '/^$/d' | sort -u
}
missing_list package > "$TMPDIR_T/package.list"
missing_list deps > "$TMPDIR_T/all.list"
[ -s "$TMPDIR_T/package.list" ] && pass "./dev package names what it needs" ||
	fail "./dev package names what it needs"
[ -s "$TMPDIR_T/all.list" ] && pass "./dev deps names what it needs" ||
	fail "./dev deps names what it needs"

# Build-Depends, one clause a line; alternatives and versions kept.
sed -n '/^Build-Depends:/,/^[A-Z][A-Za-z-]*:/p' "$CONTROL" | sed '$d' |
    sed 's/^Build-Depends://' | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//; /^$/d' \
    > "$TMPDIR_T/bd"
uncovered=
while IFS= read -r clause; do
	hit=
	for alt in $(printf '%s\n' "$clause" | sed 's/([^)]*)//g; s/|/ /g'); do
		case $alt in
			# provided by debhelper itself
			debhelper-compat|dh-sequence-installsysusers) alt=debhelper ;;
		esac
		grep -qx "$alt" "$TMPDIR_T/package.list" && hit=1
	done
	[ -n "$hit" ] || uncovered="$uncovered [$clause]"
done < "$TMPDIR_T/bd"
[ -z "$uncovered" ] && pass "./dev package covers every Build-Depends" ||
	fail "./dev package covers every Build-Depends; not:$uncovered"
for p in dpkg-dev fakeroot; do
	grep -qx "$p" "$TMPDIR_T/package.list" || uncovered="$uncovered $p"
done
[ -z "$uncovered" ] && pass "... and dpkg-buildpackage's own tools" ||
	fail "... and dpkg-buildpackage's own tools; not:$uncovered"

testonly=
for p in clang libclang-rt-14-dev valgrind nodejs npm wrk hyperfine rpm sshpass pamtester \
    openssh-server python3-jwt python3-jwcrypto libjwt-dev; do
	grep -qx "$p" "$TMPDIR_T/package.list" && testonly="$testonly $p"
done
[ -z "$testonly" ] && pass "./dev package does not install the test toolchain" ||
	fail "./dev package does not install the test toolchain:$testonly"
missing=
for p in clang valgrind wrk hyperfine sshpass; do
	grep -qx "$p" "$TMPDIR_T/all.list" || missing="$missing $p"
done
[ -z "$missing" ] && pass "./dev deps still installs the test toolchain" ||
	fail "./dev deps still installs the test toolchain; not:$missing"
if PATH="$S:$PATH" "$DEV" package 2>&1 | grep -q 'stub npm must not run'; then
	fail "./dev package does not run npm"
else
	pass "./dev package does not run npm"
fi
done_testing

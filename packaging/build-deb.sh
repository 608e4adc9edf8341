#!/bin/sh
# packaging/build-deb.sh - build the Debian packages (libpam-jwt, jwt-issuerd,
# jwtctl) from a clean copy of the source tree: `./dev package`.
#
#   packaging/build-deb.sh [OUTDIR]      # default: build-pkg/ at the top
#
# The tree is copied to a temporary directory (in a git checkout: the files
# git knows plus untracked files that are not ignored, i.e. no build output;
# otherwise, e.g. an unpacked release tarball, everything but build*/),
# packaging/debian becomes debian/ there, and `dpkg-buildpackage -us -uc -b`
# runs in it.  The .deb, .changes and .buildinfo files land in OUTDIR, then
# lintian checks them (errors fail the build; warnings are printed).
#
# Environment: PJWT_JOBS (parallel jobs, default 2), DEB_BUILD_OPTIONS (e.g.
# nocheck to skip the unit tests), PJWT_LINTIAN=0 (skip lintian),
# PJWT_KEEP_BUILD=1 (keep the temporary tree; its path is printed).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build-pkg}
jobs=${PJWT_JOBS:-2}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build-deb: %s\n' "$*" >&2; exit 1; }

for c in dpkg-buildpackage dh fakeroot; do
	command -v "$c" >/dev/null 2>&1 ||
	    die "$c not found (apt-get install dpkg-dev debhelper fakeroot, or ./dev package)"
done
[ -d "$top/packaging/debian" ] || die "$top/packaging/debian: not found"

version=$(sed -n '1s/^[^(]*(\([^)-]*\).*/\1/p' "$top/packaging/debian/changelog")
[ -n "$version" ] || die "cannot read the version from packaging/debian/changelog"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pjwt-deb.XXXXXX")
cleanup() {
	if [ "${PJWT_KEEP_BUILD:-0}" = 1 ]; then say "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
src=$tmp/pam-jwt-$version
mkdir -p "$src"

say "copying the source tree to $src"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	# Files deleted in the work tree but still in the index are skipped.
	(cd "$top" && git ls-files -z -c -o --exclude-standard |
	    xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done; true' sh |
	    tar --null -T - -cf -) | tar -C "$src" -xf -
else
	(cd "$top" && tar --exclude='./build' --exclude='./build-*' \
	    --exclude='./autom4te.cache' -cf - .) | tar -C "$src" -xf -
fi
rm -rf "$src/debian"
mv "$src/packaging/debian" "$src/debian"

say "dpkg-buildpackage -us -uc -b -j$jobs (log: $tmp/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -j"$jobs") >"$tmp/build.log" 2>&1; then
	tail -60 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed"
fi

mkdir -p "$out"
for p in libpam-jwt jwt-issuerd jwtctl libpam-jwt-dbgsym jwt-issuerd-dbgsym jwtctl-dbgsym; do
	rm -f "$out/${p}_"*.deb "$out/${p}_"*.ddeb
done
rm -f "$out/pam-jwt_"*.changes "$out/pam-jwt_"*.buildinfo
mv "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$out"/
find "$tmp" -maxdepth 1 -name '*.ddeb' -exec mv {} "$out"/ \;
changes=$(ls "$out"/pam-jwt_*.changes)
say "packages in $out:"
(cd "$out" && ls -1 *.deb) | sed 's/^/    /' >&2

if [ "${PJWT_LINTIAN:-1}" != 0 ]; then
	if command -v lintian >/dev/null 2>&1; then
		say "lintian $(basename "$changes")"
		lintian --fail-on error "$changes" || die "lintian reported errors"
	else
		say "lintian not installed: not checked"
	fi
fi

#!/bin/sh
# tests/pam/shipped-config.sh - the PAM configuration we ship cannot turn
# one service's token into another service's credential (issue 9).
#
#  - /etc/pam.d/jwt-issuerd (Debian file and the RPM spec's) is an explicit
#    stack: no include/substack of common-* or system-auth (which may start
#    with pam_jwt), no pam_jwt: an access token is never the issuer's
#    password.
#  - No pam-auth-update profile: it writes one audience= into common-auth,
#    which sudo, su, chsh ... all include.  The Debian package deregisters
#    the profile an older version registered.
#  - The per-service examples: each pam_jwt auth line has its own audience=
#    and scope=, a revoked=, and the file includes no common-auth; sudo's
#    says Defaults timestamp_timeout=0.
# No root, nothing installed: it reads the source tree.
. "$top_srcdir/tests/lib.sh"

P=$top_srcdir/packaging

# The PAM rules of a file: comments and blank lines dropped, one per line.
rules() { sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$1"; }

# explicit FILE: no include of any other stack, no pam_jwt, pam_unix for
# auth and account.
explicit() {
	r=$(rules "$1")
	if printf '%s\n' "$r" | grep -Eq '(^|[[:space:]])(@include|include|substack)([[:space:]]|$)'; then
		echo "$1 includes another stack:"; printf '%s\n' "$r"; return 1
	fi
	if printf '%s\n' "$r" | grep -q 'pam_jwt'; then
		echo "$1 names pam_jwt"; return 1
	fi
	printf '%s\n' "$r" | grep -Eq '^auth[[:space:]]+.*pam_unix\.so' ||
	    { echo "$1: no auth pam_unix"; return 1; }
	printf '%s\n' "$r" | grep -Eq '^account[[:space:]]+.*pam_unix\.so' ||
	    { echo "$1: no account pam_unix"; return 1; }
}

ok "pam.d/jwt-issuerd is an explicit stack without common-* or pam_jwt" \
    explicit "$P/pam.d/jwt-issuerd"

# The RPM spec's copy: installed from the same file, not written inline.
rpm_issuerd() {
	if grep -q "pam.d/jwt-issuerd <<" "$P/rpm/pam-jwt.spec"; then
		echo "the spec writes its own /etc/pam.d/jwt-issuerd:"
		sed -n '/pam.d\/jwt-issuerd <</,/^EOF/p' "$P/rpm/pam-jwt.spec"
		return 1
	fi
	grep -Eq 'install .*packaging/pam\.d/jwt-issuerd' "$P/rpm/pam-jwt.spec"
}
ok "RPM installs the same explicit pam.d/jwt-issuerd" rpm_issuerd

no_profile() {
	if [ -d "$P/pam-configs" ] && [ -n "$(ls -A "$P/pam-configs")" ]; then
		echo "shipped: $(ls "$P/pam-configs")"; return 1
	fi
	! grep -n 'pam-configs' "$P/Makefile.inc" "$P/debian/libpam-jwt.install"
}
ok "no pam-auth-update profile shipped (common-auth serves every service)" \
    no_profile

deregister() {
	f=$P/debian/libpam-jwt.preinst
	[ -f "$f" ] || { echo "no $f"; return 1; }
	grep -q 'pam-auth-update --package --remove pam-jwt' "$f" && sh -n "$f" &&
	    for s in postinst prerm postrm; do
		[ ! -f "$P/debian/libpam-jwt.$s" ] ||
		    ! grep -q 'pam-auth-update' "$P/debian/libpam-jwt.$s" || return 1
	    done
}
ok "Debian: an upgrade deregisters the old profile (preinst), postinst enables nothing" \
    deregister

# Per service: every pam_jwt auth line of an example has audience=, scope=
# and revoked=; the audiences differ between the examples; no example that
# authenticates with pam_jwt includes common-auth.
aud_of() { rules "$1" | grep -E '^auth[[:space:]].*pam_jwt\.so' | grep -o 'audience=[^ ]*'; }
per_service() {
	for f in "$P"/pam.d/*; do
		rules "$f" | grep -Eq '^auth[[:space:]].*pam_jwt\.so' || continue
		n=0
		for w in audience= scope= revoked=; do
			rules "$f" | grep -E '^auth[[:space:]].*pam_jwt\.so' |
			    grep -vq "$w" && { echo "$f: a pam_jwt line without $w"; n=1; }
		done
		rules "$f" | grep -Eq '^@include[[:space:]]+common-auth' &&
		    { echo "$f includes common-auth"; n=1; }
		[ $n = 0 ] || return 1
	done
	[ "$(aud_of "$P/pam.d/sshd")" != "$(aud_of "$P/pam.d/sudo")" ] ||
	    { echo "sshd and sudo share $(aud_of "$P/pam.d/sshd")"; return 1; }
}
ok "examples: own audience=, scope=, revoked= per service; no common-auth" per_service

ok "sudo example: Defaults timestamp_timeout=0 (sudo's cache skips PAM)" \
    grep -q 'Defaults[[:space:]]*timestamp_timeout=0' "$P/pam.d/sudo"

done_testing

# tests/e2e/sshd-lib.sh - a real OpenSSH server on loopback for end-to-end
# tests (sourced after tests/lib.sh).  Needs root: it adds a local user, a
# PAM service file under /etc/pam.d and runs /usr/sbin/sshd.  Everything it
# creates is removed at exit, sshd is stopped by its PID.
#
#   . "$top_srcdir/tests/lib.sh"
#   . "$top_srcdir/tests/e2e/sshd-lib.sh"
#   e2e_init                  # skip (exit 0, "1..0 # SKIP why") unless root
#                             # and sshd, ssh, sshpass, python3 are there
#   e2e_user_add              # a fresh user $E2E_USER (home $E2E_HOME)
#   e2e_pam_service <<EOF     # /etc/pam.d/$E2E_SERVICE from stdin
#   auth     required $PAM_JWT_SO jwks=$E2E_DIR/jwks.json issuer=... audience=ssh
#   account  required $PAM_JWT_SO
#   account  required pam_permit.so
#   session  required pam_permit.so
#   EOF
#   e2e_syslog_start          # syslog(3) lines (pam_syslog) go to $E2E_SYSLOG
#   sshd_start [LINE...]      # extra sshd_config lines; sets SSHD_PORT,
#                             # SSHD_PID, SSHD_LOG (sshd -E)
#   ssh_login METHOD SECRET [COMMAND...]
#                             # METHOD: password | keyboard-interactive;
#                             # sshpass answers the prompt with SECRET;
#                             # returns ssh's status, output in $E2E_OUT
#   e2e_syslog_wait PATTERN   # wait (5 s) for a grep -E PATTERN in $E2E_SYSLOG
#   sshd_stop
#
# The PAM service name is the basename of sshd's argv[0] (OpenSSH 9.2 has no
# PAMServiceName), so sshd runs through a symlink $E2E_DIR/$E2E_SERVICE ->
# /usr/sbin/sshd: an absolute path, as sshd's re-exec requires.
#
# pam_syslog writes to /dev/log.  e2e_syslog_start binds a small receiver
# (syslog-capture.py) at a socket of this suite's own, $E2E_DIR/log.sock, and
# sshd runs in a private mount namespace whose /dev is a fresh tmpfs holding
# symlinks to the host's devices (an rbind of /dev under $E2E_DIR/host-dev)
# and /dev/log -> that socket; /run likewise, with a /run/sshd of its own.  The host's /dev/log is never created,
# removed or mounted over, so any number of suites (and a host syslog
# daemon) can run at once under `make -j`: nothing another suite does to
# /dev/log can take our capture away.  (A bind mount over the host's
# /dev/log was not enough: when the file under it is unlinked in the host's
# namespace, as another suite's receiver does at exit, the kernel detaches
# the mount in every namespace and our sshd's lines are lost.)  Where mount
# namespaces are not available, the suites are serialised instead with a
# lock ($E2E_LOCK) held for the suite's lifetime and the receiver is bound at
# /dev/log when there is none.
#
# Environment: E2E_PROMPT (the keyboard-interactive prompt sshpass waits
# for, default "Token"), SSHD (default /usr/sbin/sshd), E2E_NO_NAMESPACE=1
# (use the lock fallback even where namespaces work, to test it), E2E_LOCK.

PAM_JWT_SO=${PAM_JWT_SO:-${top_builddir:-.}/.libs/pam_jwt.so}
SSHD=${SSHD:-/usr/sbin/sshd}
E2E_LOCK=${E2E_LOCK:-/run/lock/pjwt-e2e-devlog.lock}
E2E_PROMPT=${E2E_PROMPT:-Token}
E2E_DIR=
E2E_USER=
E2E_HOME=
E2E_SERVICE=
E2E_SYSLOG=
E2E_OUT=
SSHD_PID=
SSHD_PORT=
SSHD_LOG=
_e2e_syslog_pid=
_e2e_syslog_sock=
_e2e_ns=
_e2e_user_made=
_e2e_pam_made=

e2e_init() {
	local missing= c
	[ "$(id -u)" = 0 ] || plan_skip "needs root (adds a user, /etc/pam.d/ file, runs sshd)"
	for c in "$SSHD" ssh ssh-keygen sshpass /usr/bin/python3 useradd userdel; do
		command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
	done
	[ -z "$missing" ] || plan_skip "missing:$missing"
	[ -r "$PAM_JWT_SO" ] || plan_skip "$PAM_JWT_SO not built"
	case $PAM_JWT_SO in /*) ;; *) PAM_JWT_SO=$(cd "$(dirname "$PAM_JWT_SO")" && pwd)/$(basename "$PAM_JWT_SO") ;; esac
	# Root-owned and not group/other-writable, as pam_jwt wants key files;
	# 0711 so the test user can reach its home below it.
	E2E_DIR=$(mktemp -d /tmp/pjwt-e2e.XXXXXX) || plan_skip "mktemp failed"
	chmod 0711 "$E2E_DIR"
	E2E_SERVICE=pjwt-e2e-$$
	E2E_OUT=$E2E_DIR/ssh.out
	at_exit e2e_cleanup
}

e2e_cleanup() {
	sshd_stop
	if [ -n "$_e2e_syslog_pid" ]; then
		kill "$_e2e_syslog_pid" 2>/dev/null
		wait "$_e2e_syslog_pid" 2>/dev/null
		_e2e_syslog_pid=
	fi
	# Always: e2e_pam_service may run in a pipeline's subshell, where its
	# flag never reaches us; the name is ours alone (pjwt-e2e-PID).
	[ -n "$E2E_SERVICE" ] && rm -f "/etc/pam.d/$E2E_SERVICE"
	if [ -n "$_e2e_user_made" ]; then
		userdel "$E2E_USER" 2>/dev/null || diag "userdel $E2E_USER failed"
		_e2e_user_made=
	fi
	[ -n "$E2E_DIR" ] && rm -rf "$E2E_DIR"
	return 0
}

e2e_user_add() {
	E2E_USER=pjwte2e$(od -An -N3 -tu4 /dev/urandom | tr -d ' ')
	E2E_USER=$(printf '%.16s' "$E2E_USER")
	E2E_HOME=$E2E_DIR/home
	useradd -M -N -d "$E2E_HOME" -s /bin/sh "$E2E_USER" || fail "useradd $E2E_USER"
	_e2e_user_made=1
	mkdir -p "$E2E_HOME"
	chown "$E2E_USER" "$E2E_HOME"
	chmod 0700 "$E2E_HOME"
}

e2e_pam_service() {
	umask 022
	cat > "/etc/pam.d/$E2E_SERVICE" || fail "write /etc/pam.d/$E2E_SERVICE"
	_e2e_pam_made=1
}

# Can this process give sshd a private mount namespace with its own /dev?
_e2e_ns_ok() {
	mkdir -p "$E2E_DIR/nsprobe" &&
	    unshare -m sh -c 'mount -t tmpfs pjwt-e2e-probe "$1"' sh "$E2E_DIR/nsprobe" \
	    >/dev/null 2>&1
	local rc=$?
	rmdir "$E2E_DIR/nsprobe" 2>/dev/null
	return $rc
}

# Decide once per suite: _e2e_ns becomes yes or no.
_e2e_ns_decide() {
	[ -z "$_e2e_ns" ] || return 0
	if [ -z "${E2E_NO_NAMESPACE:-}" ] && _e2e_ns_ok; then
		_e2e_ns=yes
	else
		_e2e_ns=no
	fi
}

e2e_syslog_start() {
	E2E_SYSLOG=$E2E_DIR/syslog
	: > "$E2E_SYSLOG"
	_e2e_ns_decide
	if [ "$_e2e_ns" = yes ]; then
		_e2e_syslog_sock=$E2E_DIR/log.sock
	else
		# No namespaces: one suite at a time owns the host's /dev/log.
		# The lock is held until this shell exits (fd 9 stays open);
		# bounded wait, so a stuck suite cannot hang the rest forever.
		diag "no mount namespace for sshd; serialising on $E2E_LOCK"
		mkdir -p "$(dirname "$E2E_LOCK")"
		exec 9>>"$E2E_LOCK"
		flock -w 900 9 || fail "waited 900 s for $E2E_LOCK"
		if [ -e /dev/log ] || [ -L /dev/log ]; then
			diag "/dev/log belongs to the host's syslog: pam_jwt's lines go there, not to \$E2E_SYSLOG"
			_e2e_syslog_sock=$E2E_DIR/log.sock
		else
			_e2e_syslog_sock=/dev/log
		fi
	fi
	/usr/bin/python3 "${top_srcdir:-.}/tests/e2e/syslog-capture.py" \
	    "$_e2e_syslog_sock" "$E2E_SYSLOG" &
	_e2e_syslog_pid=$!
	e2e_syslog_wait '^ready$' || fail "syslog receiver did not start"
}

e2e_syslog_wait() {
	local i=0
	while [ $i -lt 50 ]; do
		grep -Eq -- "$1" "$E2E_SYSLOG" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

_e2e_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Run in sshd's private mount namespace: DIR SOCKET COMMAND...
# /dev and /run become tmpfs directories of symlinks into rbinds of the
# host's (under DIR/host-dev, DIR/host-run), plus /dev/log -> SOCKET and an
# empty /run/sshd (sshd's privilege separation directory) of our own.
# Devices keep working (open follows the links; ptys come from the host's
# /dev/pts).  Nothing another suite creates or removes in the host's /dev or
# /run (its receiver at /dev/log, the /run/sshd it made) can reach us: an
# unlink in the host's namespace would detach a mount over that very file,
# but these mounts sit on /dev and /run themselves.
_e2e_ns_script='set -e
dir=$1 sock=$2
shift 2
private() {  # PATH SKIP: PATH becomes a tmpfs of links to the host copy
	h=$dir/host-${1#/}
	mkdir -p "$h"
	mount --rbind "$1" "$h"
	mount -t tmpfs -o mode=0755,nosuid pjwt-e2e "$1"
	for f in "$h"/* "$h"/.[!.]* "$h"/..?*; do
		n=${f##*/}
		[ "$n" != "$2" ] || continue
		if [ -L "$f" ]; then ln -s "$(readlink "$f")" "$1/$n"
		elif [ -e "$f" ]; then ln -s "$f" "$1/$n"
		fi
	done
}
private /dev log
private /run sshd
[ -z "$sock" ] || ln -s "$sock" /dev/log
mkdir -m 0755 /run/sshd
exec "$@"'

sshd_start() {
	local line i=0
	_e2e_ns_decide
	# Without a namespace sshd needs the host's /run/sshd: made when
	# missing and left there (as openssh-server's tmpfiles.d would make
	# it), since another suite's sshd may be using it by the time we end.
	if [ "$_e2e_ns" = no ] && [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd 2>/dev/null || [ -d /run/sshd ] ||
		    fail "cannot make /run/sshd"
	fi
	[ -f "$E2E_DIR/host_key" ] ||
		ssh-keygen -q -t ed25519 -N '' -f "$E2E_DIR/host_key" || fail "ssh-keygen"
	ln -sf "$SSHD" "$E2E_DIR/$E2E_SERVICE"
	SSHD_PORT=$(_e2e_free_port)
	SSHD_LOG=$E2E_DIR/sshd.log
	{
		echo "Port $SSHD_PORT"
		echo "ListenAddress 127.0.0.1"
		echo "HostKey $E2E_DIR/host_key"
		echo "PidFile $E2E_DIR/sshd.pid"
		echo "UsePAM yes"
		echo "KbdInteractiveAuthentication yes"
		echo "PasswordAuthentication yes"
		echo "PubkeyAuthentication no"
		echo "PermitRootLogin no"
		echo "AllowUsers $E2E_USER"
		echo "UseDNS no"
		echo "LogLevel VERBOSE"
		echo "MaxAuthTries 3"
		echo "PrintMotd no"
		echo "Banner none"
		for line in "$@"; do echo "$line"; done
	} > "$E2E_DIR/sshd_config"
	: > "$SSHD_LOG"
	if [ "$_e2e_ns" = yes ]; then
		# unshare makes the new namespace's mounts private (its
		# default), so none of this is seen by the host; sh execs sshd,
		# so $! is sshd's PID.
		unshare -m sh -c "$_e2e_ns_script" sh "$E2E_DIR" \
		    "$_e2e_syslog_sock" "$E2E_DIR/$E2E_SERVICE" -D \
		    -f "$E2E_DIR/sshd_config" -E "$SSHD_LOG" &
	else
		"$E2E_DIR/$E2E_SERVICE" -D -f "$E2E_DIR/sshd_config" -E "$SSHD_LOG" &
	fi
	SSHD_PID=$!
	while ! grep -q "Server listening on 127.0.0.1 port $SSHD_PORT" "$SSHD_LOG"; do
		if ! kill -0 "$SSHD_PID" 2>/dev/null || [ $i -ge 100 ]; then
			diag "sshd did not start:"
			sed 's/^/#   /' "$SSHD_LOG"
			SSHD_PID=
			return 1
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 0
}

sshd_stop() {
	[ -n "$SSHD_PID" ] || return 0
	kill "$SSHD_PID" 2>/dev/null
	wait "$SSHD_PID" 2>/dev/null
	SSHD_PID=
}

ssh_login() {
	local method=$1 secret=$2 prompt
	shift 2
	case $method in
		password) prompt=assword ;;
		keyboard-interactive) prompt=$E2E_PROMPT ;;
		*) fail "ssh_login: unknown method $method"; return 2 ;;
	esac
	( umask 077; printf '%s\n' "$secret" > "$E2E_DIR/secret" )
	timeout 60 sshpass -f "$E2E_DIR/secret" -P "$prompt" \
	    ssh -F /dev/null -p "$SSHD_PORT" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o GlobalKnownHostsFile=/dev/null \
	    -o PreferredAuthentications="$method" -o PubkeyAuthentication=no \
	    -o NumberOfPasswordPrompts=1 -o ConnectTimeout=10 \
	    -o LogLevel=ERROR "$E2E_USER@127.0.0.1" "$@" > "$E2E_OUT" 2>&1
	local rc=$?
	rm -f "$E2E_DIR/secret"
	return $rc
}

# tests/tools/client-lib.sh - helpers for the jwtctl client tests (login,
# token, ssh, logout, sync), sourced after tests/lib.sh and
# tests/daemon/lib-daemon.sh.  Everything runs on loopback.
#
#   client_env                 private XDG_CACHE_HOME / XDG_CONFIG_HOME
#   run CMD...                 stdout in $out, stderr in $err, status in $rc
#   expect NAME RC CMD...      CMD must exit with RC (shows stderr if not)
#   cache_file                 the (first) cache file (*.json) of this test
#   cache_get FIELD            a top-level field of $CF (default: cache_file)
#   cache_set FIELD JSONVALUE  rewrite one field of it (keeps mode 0600)
#   mode_of PATH               octal mode (e.g. 600)
#   refresh_with RT            curl the refresh grant; prints the HTTP status

[ -x "$JWTCTL" ] || plan_skip "jwtctl not built ($JWTCTL)"
command -v jq >/dev/null 2>&1 || plan_skip "jq is not installed"

client_env() {
	XDG_CACHE_HOME=$TMPDIR_T/cache
	XDG_CONFIG_HOME=$TMPDIR_T/config
	export XDG_CACHE_HOME XDG_CONFIG_HOME
	unset JWTCTL_ISSUER JWTCTL_USER JWTCTL_ASKPASS SSL_CERT_FILE SSL_CERT_DIR
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
}

run() {
	"$@" >"$TMPDIR_T/out" 2>"$TMPDIR_T/err"
	rc=$?
	out=$(cat "$TMPDIR_T/out")
	err=$(cat "$TMPDIR_T/err")
}

show() {
	printf '#   exit %s\n' "$rc"
	sed 's/^/#   stderr: /' "$TMPDIR_T/err" | head -5
}

expect() {
	local name=$1 want=$2
	shift 2
	run "$@"
	if [ "$rc" = "$want" ]; then pass "$name"
	else fail "$name (exit $rc, want $want)"; show; fi
}

# one_line: stderr is exactly one "jwtctl: " line
one_line() {
	[ "$(wc -l <"$TMPDIR_T/err")" = 1 ] && grep -q '^jwtctl: ' "$TMPDIR_T/err"
}

cache_file() {
	ls "$XDG_CACHE_HOME"/jwtctl/*.json 2>/dev/null | head -1
}

cache_get() {
	jq -r --arg f "$1" '.[$f] // empty' "${CF:-$(cache_file)}"
}

cache_set() {
	local f
	f=${CF:-$(cache_file)}
	jq --arg k "$1" --argjson v "$2" '.[$k] = $v' "$f" >"$f.new" &&
	    chmod 600 "$f.new" && mv "$f.new" "$f"
}

mode_of() {
	stat -c %a "$1"
}

refresh_with() {
	curl -sS -o /dev/null -w '%{http_code}' -d grant_type=refresh_token \
	    -d client_id=ssh-cli --data-urlencode "refresh_token=$1" "$URL/token"
}

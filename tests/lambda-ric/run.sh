#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run.sh -- AWS's own Lambda Runtime Interface Client for Node.js (npm aws-lambda-ric, what
# Lambda's Node.js images run as their bootstrap) as a function's runtime under
# `slxrun shim serve` and `slxrun invoke`, unchanged: a client of the Runtime API that slxrun did
# not write.
#
# Usage: tests/lambda-ric/run.sh SLXRUN EXAMPLES CACHE
#   (make test-lambda-ric passes ./slxrun build/examples build/lambda-ric)
# CACHE keeps the RIC, built once by npm (it compiles curl and aws-lambda-cpp from its own
# sources: minutes); EXAMPLES must hold lambda-bootstrap, whose config.json the bundle starts from.
# Needs node and npm (installed from Debian when missing) and the npm registry.
set -eu

SUITE=lambda-ric
say() { printf '%s-test: %s\n' "$SUITE" "$*" >&2; }
die() { say "$*"; exit 1; }

[ $# -eq 3 ] || { echo "usage: $0 SLXRUN EXAMPLES CACHE" >&2; exit 2; }
SLXRUN=$(realpath "$1")
EXAMPLES=$(realpath "$2")
CACHE=$(mkdir -p "$3" && realpath "$3")
HERE=$(cd "$(dirname "$0")" && pwd)
RIC_VERSION=3.3.0
NAME=ricfn

command -v node >/dev/null && command -v npm >/dev/null || "$HERE/../deps.sh" nodejs npm
"$HERE/../deps.sh" cmake autoconf automake libtool g++ make python3
RIC=$CACHE/ric-$RIC_VERSION
if [ ! -f "$RIC/node_modules/aws-lambda-ric/package.json" ]; then
	say "building aws-lambda-ric $RIC_VERSION into $RIC (once)"
	rm -rf "$RIC"
	npm install --prefix "$RIC" --no-audit --no-fund --loglevel=error \
		"aws-lambda-ric@$RIC_VERSION" >&2 || die "npm could not install aws-lambda-ric"
fi

WORK=$(mktemp -d /tmp/slx-ric.XXXXXX)
SHIM_PID=
cleanup() {
	[ -n "$SHIM_PID" ] && kill -TERM "$SHIM_PID" 2>/dev/null && wait "$SHIM_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"

# bundle DIR HANDLER: node with its libraries, the RIC and index.mjs under /var/task, as a
# runtime-api function whose bootstrap is the RIC's own entry point.
bundle() { # bundle DIR HANDLER [TIMEOUT_S]
	local dir=$1 handler=$2 timeout=${3:-20} r=$1/rootfs lib
	mkdir -p "$r/usr/bin" "$r/var/task" "$r/lib64" "$r/proc" "$r/dev" "$r/sys" "$r/tmp" "$r/etc"
	cp "$(command -v node)" "$r/usr/bin/node"
	for lib in $(ldd "$(command -v node)" | awk '/=> \// { print $3 } /^\t\/lib64/ { print $1 }'); do
		mkdir -p "$r$(dirname "$lib")"
		cp -L "$lib" "$r$lib"
	done
	cp -r "$RIC/node_modules" "$r/var/task/"
	cp "$HERE/index.mjs" "$r/var/task/index.mjs"
	sed -e 's#"args": \["/var/runtime/bootstrap"\]#"args": ["/usr/bin/node", "/var/task/node_modules/aws-lambda-ric/bin/index.mjs", "'"$handler"'"]#' \
		-e 's#"_HANDLER=function.handler"#"_HANDLER='"$handler"'"#' \
		-e 's#"cwd": "/"#"cwd": "/var/task"#' \
		-e 's#"org.slxrun.function.timeout": "10"#"org.slxrun.function.timeout": "'"$timeout"'"#' \
		"$EXAMPLES/lambda-bootstrap/config.json" >"$dir/config.json"
	grep -q aws-lambda-ric "$dir/config.json" || die "the example's config.json changed shape"
	chmod -R o+rX "$dir"
}
[ -f "$RIC/node_modules/aws-lambda-ric/bin/index.mjs" ] ||
	die "aws-lambda-ric $RIC_VERSION has no bin/index.mjs: $(ls "$RIC/node_modules/aws-lambda-ric")"
bundle "$WORK/$NAME" index.handler
bundle "$WORK/badinit" nope.handler
bundle "$WORK/slowfn" index.handler 2

SOCK=$WORK/shim.sock LOG=$WORK/shim.log ROOT=$WORK/root
"$SLXRUN" --root "$ROOT" shim serve --listen "unix:$SOCK" --no-auth --time-scale 60 \
	"$WORK/$NAME" "$WORK/badinit" "$WORK/slowfn" >"$LOG" 2>&1 &
SHIM_PID=$!
for _ in $(seq 1 50); do
	curl -s --unix-socket "$SOCK" -o /dev/null http://x/status && break
	sleep 0.1
done

# call FN [HEADER] <<<EVENT: POST the event; STATUS, HDR and BODY hold the answer.
call() {
	local out
	out=$(curl -s -D "$WORK/h" --unix-socket "$SOCK" ${2:+-H "$2"} --data-binary @- \
		"http://x/2015-03-31/functions/$1/invocations") || die "curl failed for $1"
	HDR=$(tr -d '\r' <"$WORK/h")
	BODY=$out
	STATUS=$(head -1 <<<"$HDR" | awk '{ print $2 }')
}
header() { sed -n "s/^$1: //Ip" <<<"$HDR" | head -1; }
json() { node -e 'const v = JSON.parse(process.argv[1]); console.log(v[process.argv[2]] ?? "")' "$BODY" "$1"; }

fails=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then echo "  ok: $what"; else echo "  FAILED: $what"; fails=$((fails + 1)); fi
}
eq() { [ "$1" = "$2" ] || { say "'$1' is not '$2'"; return 1; }; }
has() { case $1 in *"$2"*) return 0 ;; esac; say "no '$2' in: ${1:0:300}"; return 1; }

echo "scenario: a call (cold), the handler's context against the answer's headers"
call $NAME <<<'{"a":1}'
check "200" eq "$STATUS" 200
check "the event reached the handler" eq "$(json got)" '{ a: 1 }'
check "its request id is X-Amzn-RequestId" eq "$(json id)" "$(header X-Amzn-RequestId)"
check "its function name" eq "$(json fn)" $NAME
check "its ARN names the function" has "$(json arn)" ":function:$NAME"
check "time is left before its deadline" node -e 'process.exit(+process.argv[1] > 0 && +process.argv[1] <= 20000 ? 0 : 1)' "$(json left)"
check "cold" eq "$(header X-Slxrun-Start)" cold

echo "scenario: the next call is warm"
call $NAME <<<'{"b":2}'
check "200, warm" eq "$STATUS $(header X-Slxrun-Start)" "200 warm"

echo "scenario: the handler throws"
call $NAME <<<'{"fail":true}'
check "200 with X-Amz-Function-Error: Unhandled" eq "$STATUS $(header X-Amz-Function-Error)" "200 Unhandled"
check "the RIC's error type and message" eq "$(json errorType) $(json errorMessage)" "TypeError asked to fail"
call $NAME <<<'{"c":3}'
check "the runtime serves on" eq "$STATUS $(json got)" "200 { c: 3 }"

echo "scenario: an Event runs after its 202, its log line kept whole"
call $NAME "X-Amz-Invocation-Type: Event" <<<'{"e":5}'
check "202" eq "$STATUS" 202
id=$(header X-Amzn-RequestId)
tab=$(printf '\t')
for _ in $(seq 1 100); do grep -q "ran $id" "$LOG" && break; sleep 0.1; done
check "the handler logged its request id, fields tab-separated" \
	grep -q "\[$NAME\] [0-9T:.-]*Z${tab}$id${tab}INFO${tab}ran $id" "$LOG"

echo "scenario: X-Amz-Log-Type: Tail brings the call's own log"
call $NAME "X-Amz-Log-Type: Tail" <<<'{"t":1}'
id=$(header X-Amzn-RequestId)
log=$(header X-Amz-Log-Result | base64 -d)
check "200" eq "$STATUS" 200
check "its START line" has "$log" "START RequestId: $id Version: \$LATEST"
check "the handler's line, as the RIC wrote it" has "$log" "${tab}$id${tab}INFO${tab}ran $id"
check "its END and REPORT lines" has "$log" "END RequestId: $id
REPORT RequestId: $id${tab}Duration: "
call $NAME <<<'{"t":2}'
check "none unasked" eq "$(header X-Amz-Log-Result)" ""

echo "scenario: a handler the RIC cannot load is an init error"
call badinit "X-Amz-Log-Type: Tail" <<<'{}'
check "200 with X-Amz-Function-Error" eq "$STATUS $(header X-Amz-Function-Error)" "200 Unhandled"
check "the RIC's own error, as Lambda answers it" has "$(json errorType)" "Runtime.ImportModuleError"
check "and its trace, as the RIC posted it" has "$(json trace)" "Runtime.ImportModuleError"
log=$(header X-Amz-Log-Result | base64 -d)
check "its init's log: what the RIC logged" has "$log" "Runtime.ImportModuleError"
check "its REPORT: Status: error" has "$log" "${tab}Status: error${tab}Error Type: Runtime.ImportModuleError"

echo "scenario: a call that times out keeps what it logged"
call slowfn "X-Amz-Log-Type: Tail" <<<'{"sleep":true}'
id=$(header X-Amzn-RequestId)
log=$(header X-Amz-Log-Result | base64 -d)
check "200 with X-Amz-Function-Error" eq "$STATUS $(header X-Amz-Function-Error)" "200 Unhandled"
check "Lambda's timeout message" has "$(json errorMessage)" "Task timed out after 2.00 seconds"
check "its log: the handler's line, then the timeout's" has "$log" "${tab}$id${tab}INFO${tab}sleeping $id
"
check "its log: then the timeout's line" has "$log" " $id Task timed out after 2.00 seconds
END RequestId: $id"

echo "scenario: the shim stops and leaves nothing"
kill -TERM "$SHIM_PID"
wait "$SHIM_PID" && rc=0 || rc=$?
SHIM_PID=
check "it exits 0" eq "$rc" 0
check "no sandbox is left" eq "$(ls "$ROOT/shims" 2>/dev/null | wc -l)" 0

echo "scenario: a one-shot invoke runs the RIC too"
out=$("$SLXRUN" --root "$ROOT" invoke --data '{"one":1}' "$WORK/$NAME" 2>"$WORK/err") && rc=0 || rc=$?
check "exit 0 with the answer" eq "$rc $(BODY=$out json got)" "0 { one: 1 }"

if [ "$fails" -ne 0 ]; then
	say "$fails check(s) failed; the shim's log:"
	tail -20 "$LOG" >&2
	exit 1
fi
say "all scenarios passed (aws-lambda-ric $RIC_VERSION, node $(node --version))"

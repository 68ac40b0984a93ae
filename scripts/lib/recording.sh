# Shared by scripts/record-trace.sh and scripts/record-history.sh, which record a throwaway PostgreSQL cluster
# with `walsim sample`: where things are, messages, stopping a helper process, and starting the sampler.
# Sourced after the caller sets PROG (its name in messages) and `set -euo pipefail`.

REPO=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
CLIENT_BIN=/usr/lib/postgresql/15/bin     # Debian's client tools: psql, pg_receivewal, pg_recvlogical
RUN_USER=${WALSIM_PG_USER:-walsim}         # the unprivileged user a server started as root runs as
WALSIM_DLL=${WALSIM_DLL:-$REPO/src/Cli/bin/Release/net10.0/walsim.dll}

log()  { printf '%s %s: %s\n' "$(date -u +%H:%M:%S)" "$PROG" "$*"; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# stop_pid PID: SIGTERM, then SIGKILL after 10 s.
stop_pid() {
    local pid=$1 i
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# now_us: the wall clock in microseconds.
now_us() { local t=$EPOCHREALTIME; echo $((10#${t/./})); }

# start_sampler FILE PORT USER INTERVAL DURATION LOG: `walsim sample` of the cluster on 127.0.0.1:PORT in the
# background (its pid in SAMPLE_PID), returning once it has written its first sample.
start_sampler() {
    local file=$1 port=$2 user=$3 interval=$4 duration=$5 logfile=$6 i
    dotnet "$WALSIM_DLL" sample --connection "Host=127.0.0.1;Port=$port;Username=$user;Database=postgres" \
        --interval "$interval" --duration "$duration" --out "$file" >"$logfile" 2>&1 &
    SAMPLE_PID=$!
    for ((i = 0; ; i++)); do
        [[ -s $file ]] && break
        kill -0 "$SAMPLE_PID" 2>/dev/null || die "walsim sample exited: $(tail -n 3 "$logfile")"
        ((i < 300)) || die "walsim sample wrote nothing within 30 s"
        sleep 0.1
    done
}

# psql as the recordings run it: no psqlrc, quiet, stopping at the first error.
psql() { "$CLIENT_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }

# start_server PORT USER RUNNER...: starts the cluster in $TMP/data (its log $TMP/server.log; SERVER_UP=1 for the
# caller's cleanup), points psql at it as USER and sets SERVER_VERSION. RUNNER runs a command as the server's
# owner (runuser -u walsim --, or a function that does).
start_server() {
    local port=$1 user=$2
    shift 2
    "$@" "$PG_BIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$TMP/server.log" >&2; die "the server did not start (port $port in use?)"; }
    SERVER_UP=1
    export PGHOST=127.0.0.1 PGPORT=$port PGUSER=$user PGDATABASE=postgres PGCONNECT_TIMEOUT=10
    SERVER_VERSION=$(psql -Atc "SHOW server_version")
}

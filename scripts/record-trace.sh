#!/usr/bin/env bash
# Records a real trace for walsim: a throwaway PostgreSQL cluster with 1 MB WAL
# segments, a physical slot kept up by pg_receivewal, a logical slot whose
# consumer (pg_recvlogical) stops partway and never returns, a WAL load with a
# time-varying rate, and `walsim sample` over the whole run. Writes
# samples.csv, samples.settings.csv, server.log and meta.yaml into --out.
set -euo pipefail

PROG=record-trace.sh
SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/recording.sh
source "$SCRIPT_DIR/lib/recording.sh"

usage() {
    cat <<'EOF'
Usage: scripts/record-trace.sh --out DIR [--preset diurnal|steady-batch] [options]

Records a real WAL-retention trace with `walsim sample` from a throwaway
PostgreSQL cluster, and writes into DIR (which must not exist or be empty):

  samples.csv, samples.settings.csv   what `walsim sample` recorded
  server.log                          the server's log (log_checkpoints=on,
                                      log_line_prefix='%m [%p] ')
  meta.yaml                           the parameters below, the wall-clock
                                      times of the events, and what was observed

The cluster: initdb --wal-segsize=1 (1 MB segments) in a temporary directory,
listening on 127.0.0.1:PORT only (trust authentication), wal_level=logical,
log_checkpoints=on. Two slots:
  standby1  physical, consumed by `pg_receivewal --synchronous` for the whole
            run (received segments are pruned as it goes);
  cdc       logical (test_decoding), consumed by `pg_recvlogical --start
            -f /dev/null` until --stop-cdc-at, when the consumer is killed
            (SIGTERM) and never comes back: the slot goes reserved -> extended
            -> unreserved -> lost as WAL piles up behind it.
The load is pg_logical_emit_message(false, 'load', <payload>) from one psql
session, paced every 0.5 s so that the payload written by time t is the
integral of the rate
  r(t) = MEAN + AMPLITUDE * cos(2*pi*(t - PEAK_AT)/PERIOD) + active batches
(kB are 1024 bytes; the WAL itself is a few percent more than the payload).
Time 0 is the first sample; the load starts right after it.

Presets (options given after --preset override it):
  diurnal       --duration 45min --rate-mean 110 --rate-amplitude 90
                --period 10min --peak-at 5min --stop-cdc-at 17min30s
  steady-batch  --duration 40min --rate-mean 50 --rate-amplitude 0
                --batch 6min,3min,350 --batch 24min,3min,350 --stop-cdc-at 10min

Options:
  --out DIR                   output directory (required)
  --preset NAME               diurnal or steady-batch (default: none; then
                              give the load options yourself)
  --pg MAJOR                  PostgreSQL major, 13..15 (default 15); servers
                              from scripts/install-postgres.sh (installed if
                              missing). Newer majors are refused: Debian's
                              pg_receivewal 15 cannot stream from them.
  --port N                    TCP port on 127.0.0.1 (default 55000+MAJOR)
  --duration D                recording length (default 40min)
  --interval D                `walsim sample --interval` (default 2s)
  --rate-mean KBPS            mean payload rate, kB/s (default 100)
  --rate-amplitude KBPS       amplitude of the cosine, kB/s (default 0)
  --period D                  period of the cosine (default 10min)
  --peak-at D                 time of a peak of the cosine (default 0s)
  --batch AT,DURATION,KBPS    from AT for DURATION, add KBPS kB/s (repeatable)
  --stop-cdc-at D             when the cdc consumer is stopped (default 10min)
  --message-size BYTES        payload per message (default 4000)
  --max-wal-size S            default 32MB
  --min-wal-size S            default 16MB
  --max-slot-wal-keep-size S  default 64MB (above max_wal_size, so the slot
                              is 'extended' before it is 'unreserved')
  --checkpoint-timeout D      default 30s
  --no-build                  use the already built walsim
                              (src/Cli/bin/Release/net10.0/walsim.dll) instead
                              of running `dotnet build src/Cli -c Release`
  --keep                      keep the temporary directory (cluster, logs)
  -h, --help                  show this help

Durations: 90s, 10min, 17min30s, 1h (also 10m). As root, the server runs as
the unprivileged user 'walsim' (created by scripts/install-postgres.sh;
$WALSIM_PG_USER overrides); the clients and walsim run as the caller. The
cluster and every background process are stopped on exit, also on failure or
Ctrl-C.

Example (the committed traces, see scenarios/traces/README.md):
  scripts/record-trace.sh --preset diurnal --pg 15 --out scenarios/traces/diurnal-pg15
  scripts/record-trace.sh --preset steady-batch --pg 13 --out scenarios/traces/steady-batch-pg13
EOF
}


# to_seconds 17min30s -> 1050
to_seconds() {
    local s=$1 total=0 n u
    [[ $s =~ ^([0-9]+(h|min|m|s))+$ ]] || die "expected a duration like 90s, 10min or 1h, got '$1'"
    while [[ $s =~ ^([0-9]+)(h|min|m|s)(.*)$ ]]; do
        n=${BASH_REMATCH[1]}; u=${BASH_REMATCH[2]}; s=${BASH_REMATCH[3]}
        case $u in
            h) total=$((total + 10#$n * 3600)) ;;
            min|m) total=$((total + 10#$n * 60)) ;;
            s) total=$((total + 10#$n)) ;;
        esac
    done
    echo "$total"
}
is_number() { [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]]; }

# ---- arguments ------------------------------------------------------------
COMMAND="scripts/$PROG$(printf ' %q' "$@")"
OUT="" PRESET="" PG=15 PORT=""
DURATION=40min INTERVAL=2s RATE_MEAN=100 RATE_AMP=0 PERIOD=10min PEAK_AT=0s
STOP_CDC_AT=10min MSG_SIZE=4000
MAX_WAL_SIZE=32MB MIN_WAL_SIZE=16MB MAX_SLOT_KEEP=64MB CKPT_TIMEOUT=30s
BUILD=1 KEEP=0
BATCHES=()
batches_given=0

apply_preset() {
    case $1 in
        diurnal)
            DURATION=45min RATE_MEAN=110 RATE_AMP=90 PERIOD=10min PEAK_AT=5min STOP_CDC_AT=17min30s
            BATCHES=() ;;
        steady-batch)
            DURATION=40min RATE_MEAN=50 RATE_AMP=0 PERIOD=10min PEAK_AT=0s STOP_CDC_AT=10min
            BATCHES=('6min,3min,350' '24min,3min,350') ;;
        *) die "unknown preset '$1' (diurnal, steady-batch)" ;;
    esac
}

need() { [[ $# -ge 2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --out) need "$@"; OUT=$2; shift 2 ;;
        --preset) need "$@"; PRESET=$2; apply_preset "$2"; shift 2 ;;
        --pg) need "$@"; PG=$2; shift 2 ;;
        --port) need "$@"; PORT=$2; shift 2 ;;
        --duration) need "$@"; DURATION=$2; shift 2 ;;
        --interval) need "$@"; INTERVAL=$2; shift 2 ;;
        --rate-mean) need "$@"; RATE_MEAN=$2; shift 2 ;;
        --rate-amplitude) need "$@"; RATE_AMP=$2; shift 2 ;;
        --period) need "$@"; PERIOD=$2; shift 2 ;;
        --peak-at) need "$@"; PEAK_AT=$2; shift 2 ;;
        --batch) need "$@"
            if [[ $batches_given -eq 0 ]]; then BATCHES=(); batches_given=1; fi
            BATCHES+=("$2"); shift 2 ;;
        --stop-cdc-at) need "$@"; STOP_CDC_AT=$2; shift 2 ;;
        --message-size) need "$@"; MSG_SIZE=$2; shift 2 ;;
        --max-wal-size) need "$@"; MAX_WAL_SIZE=$2; shift 2 ;;
        --min-wal-size) need "$@"; MIN_WAL_SIZE=$2; shift 2 ;;
        --max-slot-wal-keep-size) need "$@"; MAX_SLOT_KEEP=$2; shift 2 ;;
        --checkpoint-timeout) need "$@"; CKPT_TIMEOUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --keep) KEEP=1; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done

[[ -n $OUT ]] || { usage >&2; die "--out DIR is required"; }
[[ $PG =~ ^[0-9]+$ ]] || die "--pg: expected a major like 15, got '$PG'"
((PG >= 13)) || die "--pg $PG: max_slot_wal_keep_size and wal_status need PostgreSQL 13 or newer"
((PG <= 15)) || die "--pg $PG: Debian's pg_receivewal 15 ($CLIENT_BIN) refuses to stream from a newer server, so the physical slot would have no consumer"
PORT=${PORT:-$((55000 + PG))}
if ! [[ $PORT =~ ^[0-9]+$ ]] || ((PORT <= 1024 || PORT >= 65536)); then die "--port: expected 1025..65535, got '$PORT'"; fi
DUR_S=$(to_seconds "$DURATION")
PERIOD_S=$(to_seconds "$PERIOD")
PEAK_S=$(to_seconds "$PEAK_AT")
STOP_S=$(to_seconds "$STOP_CDC_AT")
to_seconds "$INTERVAL" >/dev/null
to_seconds "$CKPT_TIMEOUT" >/dev/null
((DUR_S > 0 && PERIOD_S > 0)) || die "--duration and --period must be positive"
((STOP_S < DUR_S)) || die "--stop-cdc-at ($STOP_CDC_AT) must be before the end (--duration $DURATION)"
is_number "$RATE_MEAN" || die "--rate-mean: expected kB/s, got '$RATE_MEAN'"
is_number "$RATE_AMP" || die "--rate-amplitude: expected kB/s, got '$RATE_AMP'"
awk -v m="$RATE_MEAN" -v a="$RATE_AMP" 'BEGIN { exit !(a <= m) }' ||
    die "--rate-amplitude ($RATE_AMP) must not exceed --rate-mean ($RATE_MEAN): the rate would go negative"
if ! [[ $MSG_SIZE =~ ^[0-9]+$ ]] || ((MSG_SIZE < 100 || MSG_SIZE > 1000000)); then die "--message-size: expected 100..1000000 bytes"; fi
for size in "$MAX_WAL_SIZE" "$MIN_WAL_SIZE" "$MAX_SLOT_KEEP"; do
    [[ $size =~ ^[0-9]+(kB|MB|GB)$ ]] || die "expected a size like 32MB, got '$size'"
done
BATCH_SPEC=""   # "at dur kbps;..." in seconds, for awk
for b in "${BATCHES[@]}"; do
    IFS=',' read -r b_at b_dur b_rate extra <<< "$b"
    [[ -n ${b_rate:-} && -z ${extra:-} ]] || die "--batch: expected AT,DURATION,KBPS like 24min,3min,350, got '$b'"
    is_number "$b_rate" || die "--batch: rate '$b_rate' is not a number of kB/s"
    BATCH_SPEC+="$(to_seconds "$b_at") $(to_seconds "$b_dur") $b_rate;"
done

if [[ -e $OUT ]]; then
    [[ -d $OUT && -z $(ls -A -- "$OUT") ]] || die "--out $OUT exists and is not an empty directory"
fi

# ---- tools ----------------------------------------------------------------
for tool in psql pg_receivewal pg_recvlogical; do
    [[ -x $CLIENT_BIN/$tool ]] || die "$CLIENT_BIN/$tool missing (scripts/install-postgres.sh installs postgresql-client-15 as root)"
done
command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is required"

is_root=0
if [[ $(id -u) -eq 0 ]]; then is_root=1; fi
if [[ -n ${WALSIM_PG_ROOT:-} ]]; then PG_ROOT=$WALSIM_PG_ROOT
elif [[ $is_root -eq 1 ]]; then PG_ROOT=/opt/walsim/postgres
else PG_ROOT=${XDG_DATA_HOME:-$HOME/.local/share}/walsim/postgres
fi
PG_BIN=$PG_ROOT/$PG/bin
if [[ ! -x $PG_BIN/postgres || ! -x $PG_BIN/initdb || ! -x $PG_BIN/pg_ctl ]]; then
    log "PostgreSQL $PG not in $PG_ROOT: running scripts/install-postgres.sh --majors $PG"
    "$SCRIPT_DIR/install-postgres.sh" --majors "$PG" --root "$PG_ROOT"
fi
if [[ $is_root -eq 1 ]]; then
    id -u "$RUN_USER" >/dev/null 2>&1 || die "user '$RUN_USER' does not exist (scripts/install-postgres.sh creates it)"
    as_server() { runuser -u "$RUN_USER" -- "$@"; }
    DB_USER=$RUN_USER
else
    as_server() { "$@"; }
    DB_USER=$(id -un)
fi

if [[ $BUILD -eq 1 ]]; then
    log "dotnet build src/Cli -c Release"
    dotnet build "$REPO/src/Cli" -c Release -v q -nologo >/dev/null || die "dotnet build src/Cli failed"
fi
[[ -f $WALSIM_DLL ]] || die "$WALSIM_DLL missing: run without --no-build"

# ---- cleanup --------------------------------------------------------------
TMP=""
SERVER_UP=0
LOAD_PID="" RECVWAL_PID="" RECVLOG_PID="" SAMPLE_PID=""
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    exec 3>&-
    stop_pid "$SAMPLE_PID"
    stop_pid "$LOAD_PID"
    stop_pid "$RECVLOG_PID"
    stop_pid "$RECVWAL_PID"
    if [[ $SERVER_UP -eq 1 ]]; then
        as_server "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            as_server "$PG_BIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1
    fi
    if [[ -n $TMP && -d $TMP ]]; then
        if [[ $rc -ne 0 ]]; then
            for f in sample.log recvlogical.log receivewal.log load.log; do
                if [[ -s $TMP/$f ]]; then echo "--- $f (last lines)" >&2; tail -n 5 -- "$TMP/$f" >&2; fi
            done
        fi
        if [[ $KEEP -eq 1 ]]; then log "kept $TMP"; else rm -rf -- "$TMP"; fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- cluster --------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/walsim-trace-pg$PG.XXXXXX")
chmod 755 "$TMP"
if [[ $is_root -eq 1 ]]; then chown "$RUN_USER" "$TMP"; fi
mkdir -p "$TMP/recv" "$TMP/out"

log "initdb PostgreSQL $PG in $TMP/data (1 MB segments)"
as_server "$PG_BIN/initdb" -D "$TMP/data" --wal-segsize=1 -U "$DB_USER" --auth=trust \
    -E UTF8 --no-locale --no-sync >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
cat >> "$TMP/data/postgresql.conf" <<EOF

# scripts/record-trace.sh
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$TMP'
wal_level = logical
max_wal_size = '$MAX_WAL_SIZE'
min_wal_size = '$MIN_WAL_SIZE'
max_slot_wal_keep_size = '$MAX_SLOT_KEEP'
checkpoint_timeout = '$CKPT_TIMEOUT'
log_checkpoints = on
log_line_prefix = '%m [%p] '
logging_collector = off
lc_messages = 'C'
EOF
# pg_ctl -l: the log lives in the cluster's directory, beside data/.
start_server "$PORT" "$DB_USER" as_server
log "PostgreSQL $SERVER_VERSION on 127.0.0.1:$PORT"
psql -Atc "SELECT pg_create_physical_replication_slot('standby1', true)" >/dev/null
psql -Atc "SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')" >/dev/null

"$CLIENT_BIN/pg_receivewal" -D "$TMP/recv" --slot standby1 --synchronous --no-loop -v \
    >"$TMP/receivewal.log" 2>&1 &
RECVWAL_PID=$!
"$CLIENT_BIN/pg_recvlogical" -d postgres --slot cdc --start -f /dev/null --status-interval=1 --fsync-interval=1 --no-loop -v \
    >"$TMP/recvlogical.log" 2>&1 &
RECVLOG_PID=$!

# Both walsenders up before the clock starts.
for ((i = 0; ; i++)); do
    active=$(psql -Atc "SELECT count(*) FROM pg_replication_slots WHERE active")
    [[ $active -eq 2 ]] && break
    kill -0 "$RECVWAL_PID" 2>/dev/null || die "pg_receivewal exited: $(tail -n 3 "$TMP/receivewal.log")"
    kill -0 "$RECVLOG_PID" 2>/dev/null || die "pg_recvlogical exited: $(tail -n 3 "$TMP/recvlogical.log")"
    ((i < 100)) || die "the slots did not become active within 10 s"
    sleep 0.1
done

# ---- sampler --------------------------------------------------------------
SAMPLES=$TMP/out/samples.csv
start_sampler "$SAMPLES" "$PORT" "$DB_USER" "$INTERVAL" "${DUR_S}s" "$TMP/sample.log"

# ---- load -----------------------------------------------------------------
mkfifo "$TMP/load.fifo"
"$CLIENT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$TMP/load.fifo" >/dev/null 2>"$TMP/load.log" &
LOAD_PID=$!
# Read-write: opening never blocks, even if psql is gone; closing it is psql's EOF.
exec 3<>"$TMP/load.fifo"

iso_utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S.%6NZ; }  # iso_utc SECONDS.FRACTION
T0_US=$(now_us)
T0=${T0_US:0:-6}.${T0_US: -6}
log "load started; cdc consumer stops at ${STOP_S}s, end at ${DUR_S}s"

# target_bytes T: the payload due by T seconds, the integral of r(t) from 0 to T.
target_bytes() {
    awk -v t="$1" -v m="$RATE_MEAN" -v a="$RATE_AMP" -v p="$PERIOD_S" -v pk="$PEAK_S" -v spec="$BATCH_SPEC" 'BEGIN {
        pi = atan2(0, -1); w = 2 * pi / p
        kb = m * t + a / w * (sin(w * (t - pk)) - sin(w * (0 - pk)))
        n = split(spec, bs, ";")
        for (i = 1; i <= n; i++) {
            if (split(bs[i], f, " ") != 3) continue
            s = f[1]; e = f[1] + f[2]
            if (t > s) kb += f[3] * ((t < e ? t : e) - s)
        }
        printf "%.0f\n", kb * 1024
    }'
}

emitted=0 messages=0 cdc_stopped=0 STOP_AT="" last_prune=0
while :; do
    el_us=$(( $(now_us) - T0_US ))
    ((el_us < DUR_S * 1000000)) || break
    el=$((el_us / 1000000)).$(printf '%06d' $((el_us % 1000000)))

    if [[ $cdc_stopped -eq 0 ]] && ((el_us >= STOP_S * 1000000)); then
        kill -TERM "$RECVLOG_PID"
        wait "$RECVLOG_PID" 2>/dev/null || true
        RECVLOG_PID=""
        STOP_AT=$el
        cdc_stopped=1
        log "stopped the cdc consumer (pg_recvlogical) at ${el}s"
    fi

    due=$(target_bytes "$el")
    k=$(( (due - emitted) / MSG_SIZE ))
    if ((k > 0)); then
        printf "SELECT count(pg_logical_emit_message(false, 'load', repeat('x', %d))) FROM generate_series(1, %d);\n" \
            "$MSG_SIZE" "$k" >&3
        emitted=$((emitted + k * MSG_SIZE))
        messages=$((messages + k))
    fi

    kill -0 "$LOAD_PID" 2>/dev/null || die "the load's psql exited: $(tail -n 3 "$TMP/load.log")"
    kill -0 "$RECVWAL_PID" 2>/dev/null || die "pg_receivewal exited: $(tail -n 3 "$TMP/receivewal.log")"
    kill -0 "$SAMPLE_PID" 2>/dev/null || die "walsim sample exited early: $(tail -n 3 "$TMP/sample.log")"
    if [[ $cdc_stopped -eq 0 ]]; then
        kill -0 "$RECVLOG_PID" 2>/dev/null || die "pg_recvlogical exited before --stop-cdc-at: $(tail -n 3 "$TMP/recvlogical.log")"
    fi
    # The standby's copy is not kept: only complete segments but the newest two are deleted.
    if ((el_us / 1000000 - last_prune >= 30)); then
        last_prune=$((el_us / 1000000))
        find "$TMP/recv" -maxdepth 1 -regextype posix-extended -regex '.*/[0-9A-F]{24}' -printf '%f\n' |
            sort | head -n -2 | while read -r f; do rm -f -- "$TMP/recv/$f"; done
    fi
    sleep 0.5
done
exec 3>&-
wait "$LOAD_PID" || die "the load's psql failed: $(tail -n 3 "$TMP/load.log")"
LOAD_PID=""
log "load done: $messages messages, $emitted payload bytes"

# The sampler stops on its own (--duration), a few seconds after the load.
for ((i = 0; i < 600; i++)); do
    kill -0 "$SAMPLE_PID" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$SAMPLE_PID" 2>/dev/null; then log "walsim sample still running: stopping it"; stop_pid "$SAMPLE_PID"
else wait "$SAMPLE_PID" || die "walsim sample failed: $(tail -n 3 "$TMP/sample.log")"
fi
SAMPLE_PID=""
stop_pid "$RECVWAL_PID"; RECVWAL_PID=""
as_server "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w -t 60 stop >/dev/null
SERVER_UP=0

# ---- results --------------------------------------------------------------
mkdir -p -- "$OUT"
cp -- "$SAMPLES" "$OUT/samples.csv"
cp -- "$TMP/out/samples.settings.csv" "$OUT/samples.settings.csv"
cp -- "$TMP/server.log" "$OUT/server.log"
chmod 644 -- "$OUT/samples.csv" "$OUT/samples.settings.csv" "$OUT/server.log"

# What happened, from the samples: first time per slot status, pg_wal peak. Times
# relative to the first sample. Plain split on commas: no recorded cell holds one.
first_time=$(awk -F, 'NR == 2 { print $3; exit }' "$OUT/samples.csv")
rel() { # rel ISO-TIME -> seconds since the first sample, 1 decimal
    [[ -n $1 ]] || { echo "never"; return; }
    awk -v a="$(date -u -d "$first_time" +%s.%N)" -v b="$(date -u -d "$1" +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
}
summary=$(awk -F, '
    NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    {
        t = $c["local_time"]; last = t; s = $c["sample"]
        if (!(s in seen)) { seen[s] = 1; n++ ; b = $c["pg_wal_bytes"] + 0
            if (b > peak) { peak = b; peak_t = t; peak_f = $c["pg_wal_files"] } }
        slot = $c["slot_name"]; st = $c["wal_status"]
        if (slot != "" && st != "" && !((slot, st) in first)) { first[slot, st] = t; order[++k] = slot SUBSEP st }
    }
    END {
        print "samples", n; print "last", last; print "peak", peak, peak_t, peak_f
        for (i = 1; i <= k; i++) { split(order[i], p, SUBSEP); print "status", p[1], p[2], first[order[i]] }
    }' "$OUT/samples.csv")
samples=$(awk '$1 == "samples" { print $2 }' <<< "$summary")
last_time=$(awk '$1 == "last" { print $2 }' <<< "$summary")
read -r _ peak_bytes peak_time peak_files < <(grep '^peak ' <<< "$summary")
checkpoints=$(grep -c 'checkpoint complete' "$OUT/server.log" || true)
invalidation=$(grep -m 1 -E 'invalidating (obsolete replication )?slot' "$OUT/server.log" | sed 's/"/\\"/g' || true)

{
    echo "# Recorded by scripts/record-trace.sh; times are UTC, offsets in seconds since the first sample."
    echo "command: '${COMMAND//\'/\'\'}'"
    echo "preset: ${PRESET:-none}"
    echo "server_version: \"$SERVER_VERSION\""
    echo "client_tools: \"$("$CLIENT_BIN/psql" --version)\""
    echo "settings:"
    echo "  wal_segment_size: 1MB"
    echo "  wal_level: logical"
    echo "  max_wal_size: $MAX_WAL_SIZE"
    echo "  min_wal_size: $MIN_WAL_SIZE"
    echo "  max_slot_wal_keep_size: $MAX_SLOT_KEEP"
    echo "  checkpoint_timeout: $CKPT_TIMEOUT"
    echo "  log_checkpoints: on"
    echo "sampling: {interval: $INTERVAL, duration: ${DUR_S}s}"
    echo "load:"
    echo "  how: \"pg_logical_emit_message(false, 'load', repeat('x', $MSG_SIZE)) from one psql session, paced every 0.5 s\""
    echo "  rate: \"payload kB/s (1024 B) = mean + amplitude * cos(2*pi*(t - peak_at)/period) + active batches\""
    echo "  mean_kBps: $RATE_MEAN"
    echo "  amplitude_kBps: $RATE_AMP"
    echo "  period_s: $PERIOD_S"
    echo "  peak_at_s: $PEAK_S"
    echo "  batches:"
    for b in "${BATCHES[@]}"; do
        IFS=',' read -r b_at b_dur b_rate <<< "$b"
        echo "    - {at_s: $(to_seconds "$b_at"), duration_s: $(to_seconds "$b_dur"), extra_kBps: $b_rate}"
    done
    [[ ${#BATCHES[@]} -gt 0 ]] || echo "    []"
    echo "  messages: $messages"
    echo "  payload_bytes: $emitted"
    echo "slots:"
    echo "  standby1: {type: physical, consumer: \"pg_receivewal --slot standby1 --synchronous\", stopped: never}"
    echo "  cdc: {type: logical, plugin: test_decoding, consumer: \"pg_recvlogical --start -f /dev/null --status-interval=1 --fsync-interval=1\", stopped_by: SIGTERM, never returns}"
    echo "times:"
    echo "  first_sample: $first_time"
    echo "  load_start: $(iso_utc "$T0")    # $(rel "$(iso_utc "$T0")")"
    echo "  cdc_consumer_stopped_s: $(awk -v a="$(date -u -d "$first_time" +%s.%N)" -v t0="$T0" -v s="$STOP_AT" 'BEGIN { printf "%.1f\n", t0 + s - a }')"
    echo "  last_sample: $last_time    # $(rel "$last_time")"
    echo "observed:"
    echo "  samples: $samples"
    while read -r _ slot st t; do
        echo "  ${slot}_first_${st}_s: $(rel "$t")"
    done < <(grep '^status ' <<< "$summary")
    echo "  peak_pg_wal: {bytes: $peak_bytes, files: $peak_files, at_s: $(rel "$peak_time")}"
    echo "  checkpoints_logged: $checkpoints"
    echo "  invalidation_log_line: \"$invalidation\""
} > "$OUT/meta.yaml"

log "wrote $OUT: $(du -sh -- "$OUT" | cut -f1), $samples samples over $(rel "$last_time") s"
cat "$OUT/meta.yaml"

#!/usr/bin/env bash
# Records one real-server history for walsim's backtest corpus (scenarios/histories/):
# a throwaway PostgreSQL cluster with 1 MB WAL segments, a WAL load of a named
# shape, slots whose consumers follow a schedule, optionally a failing archiver or
# idle_replication_slot_timeout, and `walsim sample --interval 1s` over the run.
# Writes samples.csv.gz, samples.settings.csv, server.log.gz and meta.yaml into --out.
set -euo pipefail

PROG=record-history.sh
# shellcheck source=scripts/lib/recording.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib/recording.sh"

usage() {
    cat <<'EOF'
Usage: scripts/record-history.sh --shape NAME --pg MAJOR --port N --out DIR [--seed N] [--duration D] [--no-build]

Shapes (each fixes the load, the slots and their consumers' schedules, the
settings; see SHAPES below and scenarios/histories/README.md):
  diurnal       sine rate (mean 100, amplitude 80 kB/s, period 8 min); logical
                cdc stops at 10 min; physical standby1 keeps up
  batch         2 kB/s, plus a random 3-26 MB batch every 20-90 s (seeded);
                logical cdc pauses (110 s, 60 s) and stops for good at 11 min
  archiver      80 kB/s; archive_command fails from 4 to 20 min; physical
                standby1 stops at 8 min
  idle          25 kB/s; idle_replication_slot_timeout = 4min (18+); logical
                cdc stops at 5 min, physical standby1 at 9 min, cdc2 keeps up
  regime        rate steps every 3 min (80,150,50,130,45,160,90 kB/s); a
                forgotten slot nobody ever used; cdc and standby1 keep up
  several       sine (90 +- 40 kB/s, period 12 min); cdc_a stops at 6 min,
                cdc_b at 11 min, standby2 at 15 min, standby1 keeps up
  intermittent  sine (110 +- 60 kB/s, period 10 min); logical cdc pauses 40-120 s
                several times, stops for good at 12 min
  batch-idle    batch load as above (other seed); idle timeout 3min (18+);
                logical cdc stops at 6 min
  batch-forgotten  batch load; physical standby1 stops at 7 min; a forgotten slot

Consumers: logical slots by pg_recvlogical (Debian's 15 client); physical slots by
pg_receivewal on 12-15 and, as Debian's pg_receivewal 15 refuses newer servers,
on 16+ by `pg_replication_slot_advance(slot, pg_current_wal_flush_lsn())` once a
second from a psql session (the slot is then inactive between advances).
Settings: max_wal_size 32MB, min_wal_size 16MB, max_slot_wal_keep_size 64MB
(13+; regime 96MB, batch-forgotten 160MB), checkpoint_timeout 30s, wal_level logical, log_checkpoints.
The server runs as user 'walsim' (run this as root); everything is stopped on exit.
EOF
}

SHAPE="" PG="" PORT="" OUT="" SEED=1 DURATION="" BUILD=1
need() { [[ $# -ge 2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        --shape) need "$@"; SHAPE=$2; shift 2 ;;
        --pg) need "$@"; PG=$2; shift 2 ;;
        --port) need "$@"; PORT=$2; shift 2 ;;
        --out) need "$@"; OUT=$2; shift 2 ;;
        --seed) need "$@"; SEED=$2; shift 2 ;;
        --duration) need "$@"; DURATION=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
[[ -n $SHAPE && -n $PG && -n $PORT && -n $OUT ]] || { usage >&2; die "--shape, --pg, --port and --out are required"; }
[[ $(id -u) -eq 0 ]] || die "run as root: the server runs as user '$RUN_USER'"
awk -v m="$PG" '!/^#/ && $1 == m { found = 1 } END { exit !found }' "$REPO/scripts/postgres-versions.txt" ||
    die "--pg: a major scripts/postgres-versions.txt pins, got '$PG'"
PG_BIN=/opt/walsim/postgres/$PG/bin
[[ -x $PG_BIN/postgres ]] || die "$PG_BIN/postgres missing (scripts/install-postgres.sh --majors $PG)"
if [[ -e $OUT ]]; then [[ -d $OUT && -z $(ls -A -- "$OUT") ]] || die "--out $OUT exists and is not empty"; fi

# ---- shapes -----------------------------------------------------------------
# LOAD lines (seconds, kB/s with kB = 1024 B):  seg START DUR KBPS | sine MEAN AMP PERIOD PEAK
# SLOTS: NAME:TYPE:SCHEDULE where SCHEDULE is on-intervals "a-b+c-d" in seconds
#        (b = end: never stops; "never": created, never consumed).
# EXTRA settings lines; ARCHIVE_FAIL "a-b" seconds; DUR_S.
LOAD="" SLOTS=() EXTRA="" ARCHIVE_FAIL="" DUR_S=1500 KEEP_SIZE=64MB
batches() { # batches SEED FROM TO: a 3-26 MB batch every 20-90 s, written at 2 MB/s, over 2 kB/s
    awk -v seed="$1" -v from="$2" -v to="$3" 'BEGIN {
        srand(seed); printf "seg 0 %d 2\n", to
        t = from + 20 + int(rand() * 71)
        while (t < to) { mb = 3 + int(rand() * 24); printf "seg %d %d 2048\n", t, mb / 2; t += mb / 2 + 20 + int(rand() * 71) }
    }'
}
case $SHAPE in
    diurnal)
        LOAD="sine 100 80 480 120"
        SLOTS=("standby1:physical:0-end" "cdc:logical:0-600") ;;
    batch)
        LOAD=$(batches "$SEED" 0 1500)
        SLOTS=("standby1:physical:0-end" "cdc:logical:0-180+290-450+510-660") ;;
    archiver)
        LOAD="seg 0 1500 80"; ARCHIVE_FAIL="240-1200"
        SLOTS=("standby1:physical:0-480") ;;
    idle)
        LOAD="seg 0 1200 25"; DUR_S=1200
        EXTRA="idle_replication_slot_timeout = '4min'"
        SLOTS=("standby1:physical:0-540" "cdc:logical:0-300" "cdc2:logical:0-end") ;;
    regime)
        LOAD=$'seg 0 180 80\nseg 180 180 150\nseg 360 180 50\nseg 540 180 130\nseg 720 180 45\nseg 900 180 160\nseg 1080 420 90'
        KEEP_SIZE=96MB
        SLOTS=("standby1:physical:0-end" "cdc:logical:0-end" "forgotten:physical:never") ;;
    several)
        LOAD="sine 90 40 720 0"
        SLOTS=("standby1:physical:0-end" "standby2:physical:0-900" "cdc_a:logical:0-360" "cdc_b:logical:0-660") ;;
    intermittent)
        LOAD="sine 110 60 600 300"
        SLOTS=("standby1:physical:0-end" "cdc:logical:0-150+190-330+450-520+600-720") ;;
    batch-idle)
        LOAD=$(batches "$SEED" 0 1200); DUR_S=1200
        EXTRA="idle_replication_slot_timeout = '3min'"
        SLOTS=("standby1:physical:0-end" "cdc:logical:0-360") ;;
    batch-forgotten)
        LOAD=$(batches "$SEED" 0 1500); KEEP_SIZE=160MB
        SLOTS=("standby1:physical:0-420" "forgotten:physical:never") ;;
    *) die "unknown shape '$SHAPE'" ;;
esac
if [[ -n $DURATION ]]; then [[ $DURATION =~ ^[0-9]+$ ]] || die "--duration: seconds"; DUR_S=$DURATION; fi
if [[ -n $EXTRA && $PG -lt 18 ]]; then die "shape $SHAPE needs PostgreSQL 18 (idle_replication_slot_timeout)"; fi

if [[ $BUILD -eq 1 ]]; then dotnet build "$REPO/src/Cli" -c Release -v q -nologo >/dev/null || die "dotnet build failed"; fi
[[ -f $WALSIM_DLL ]] || die "$WALSIM_DLL missing: run without --no-build"

# ---- cleanup ------------------------------------------------------------------
TMP="" SERVER_UP=0 LOAD_PID="" ADV_PID="" SAMPLE_PID=""
declare -A CONSUMER_PID=()
cleanup() {
    local rc=$? p
    set +e; trap - EXIT INT TERM
    exec 3>&- 4>&-
    stop_pid "$SAMPLE_PID"; stop_pid "$LOAD_PID"; stop_pid "$ADV_PID"
    for p in "${CONSUMER_PID[@]}"; do stop_pid "$p"; done
    if [[ $SERVER_UP -eq 1 ]]; then
        runuser -u "$RUN_USER" -- "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
            runuser -u "$RUN_USER" -- "$PG_BIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1
    fi
    if [[ -n $TMP && -d $TMP ]]; then
        [[ $rc -eq 0 ]] || for f in "$TMP"/*.log; do echo "--- $f" >&2; tail -n 5 -- "$f" >&2; done
        rm -rf -- "$TMP"
    fi
    exit "$rc"
}
trap cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM

# ---- cluster ------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/walsim-history-$SHAPE.XXXXXX")
chmod 755 "$TMP"; chown "$RUN_USER" "$TMP"
mkdir -p "$TMP/recv" "$TMP/archive"; chown "$RUN_USER" "$TMP/archive"
runuser -u "$RUN_USER" -- "$PG_BIN/initdb" -D "$TMP/data" --wal-segsize=1 -U "$RUN_USER" --auth=trust \
    -E UTF8 --no-locale --no-sync >"$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
{
    echo "# scripts/record-history.sh --shape $SHAPE"
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PORT"
    echo "unix_socket_directories = '$TMP'"
    echo "wal_level = logical"
    echo "max_wal_size = '32MB'"
    echo "min_wal_size = '16MB'"
    ((PG >= 13)) && echo "max_slot_wal_keep_size = '$KEEP_SIZE'"
    echo "checkpoint_timeout = '30s'"
    echo "log_checkpoints = on"
    echo "log_line_prefix = '%m [%p] '"
    echo "lc_messages = 'C'"
    if [[ -n $ARCHIVE_FAIL ]]; then
        echo "archive_mode = on"
        echo "archive_command = 'test ! -e $TMP/archive.fail && cp %p $TMP/archive/%f'"
    fi
    [[ -z $EXTRA ]] || echo "$EXTRA"
} >> "$TMP/data/postgresql.conf"
start_server "$PORT" "$RUN_USER" runuser -u "$RUN_USER" --
log "$SHAPE: PostgreSQL $SERVER_VERSION on 127.0.0.1:$PORT"

for s in "${SLOTS[@]}"; do
    IFS=: read -r name type _ <<< "$s"
    if [[ $type == logical ]]; then psql -Atc "SELECT pg_create_logical_replication_slot('$name', 'test_decoding')" >/dev/null
    else psql -Atc "SELECT pg_create_physical_replication_slot('$name', true)" >/dev/null; fi
done

# ---- consumers ------------------------------------------------------------------
start_consumer() { # start_consumer NAME TYPE
    local name=$1 type=$2
    if [[ $type == logical ]]; then
        "$CLIENT_BIN/pg_recvlogical" -d postgres --slot "$name" --start -f /dev/null --status-interval=1 \
            --fsync-interval=1 --no-loop >>"$TMP/recv-$name.log" 2>&1 &
        CONSUMER_PID[$name]=$!
    elif ((PG <= 15)); then
        mkdir -p "$TMP/recv/$name"
        "$CLIENT_BIN/pg_receivewal" -D "$TMP/recv/$name" --slot "$name" --synchronous --no-loop \
            >>"$TMP/recv-$name.log" 2>&1 &
        CONSUMER_PID[$name]=$!
    else
        CONSUMER_PID[$name]=advance   # the advancing psql session below
    fi
}
stop_consumer() {
    local name=$1
    [[ ${CONSUMER_PID[$name]} == advance ]] || stop_pid "${CONSUMER_PID[$name]}"
    unset "CONSUMER_PID[$name]"
}
on_at() { # on_at SCHEDULE SECONDS -> exit 0 when the consumer should run
    awk -v s="$1" -v t="$2" 'BEGIN { if (s == "never") exit 1; n = split(s, iv, "+")
        for (i = 1; i <= n; i++) { split(iv[i], ab, "-"); if (t >= ab[1] && (ab[2] == "end" || t < ab[2])) exit 0 }
        exit 1 }'
}
for s in "${SLOTS[@]}"; do
    IFS=: read -r name type sched <<< "$s"
    if on_at "$sched" 0; then start_consumer "$name" "$type"; fi
done
sleep 2

# ---- sampler --------------------------------------------------------------------
SAMPLES=$TMP/samples.csv
start_sampler "$SAMPLES" "$PORT" "$RUN_USER" 1s "$((DUR_S + 5))s" "$TMP/sample.log"

# ---- load and schedule -------------------------------------------------------------
mkfifo "$TMP/load.fifo" "$TMP/advance.fifo"
"$CLIENT_BIN/psql" -X -q -v ON_ERROR_STOP=1 -f "$TMP/load.fifo" >/dev/null 2>"$TMP/load.log" &
LOAD_PID=$!
exec 3<>"$TMP/load.fifo"
"$CLIENT_BIN/psql" -X -q -f "$TMP/advance.fifo" >/dev/null 2>"$TMP/advance.log" &
ADV_PID=$!
exec 4<>"$TMP/advance.fifo"
printf '%s\n' "$LOAD" > "$TMP/load.spec"

due_bytes() { # the payload due by T seconds: the integral of the rate spec
    awk -v t="$1" '
        $1 == "seg" && t > $2 { e = $2 + $3; kb += $4 * ((t < e ? t : e) - $2) }
        $1 == "sine" { pi = atan2(0, -1); w = 2 * pi / $4; kb += $2 * t + $3 / w * (sin(w * (t - $5)) - sin(w * (0 - $5))) }
        END { printf "%.0f\n", kb * 1024 }' "$TMP/load.spec"
}
T0_US=$(now_us)
FIRST=$(awk -F, 'NR == 2 { print $3; exit }' "$SAMPLES")
EVENTS=()
ev() { EVENTS+=("$(( ($(now_us) - T0_US) / 1000000 )) $*"); log "$SHAPE: $*"; }
[[ -z $ARCHIVE_FAIL ]] || rm -f "$TMP/archive.fail"
MSG=4000 emitted=0 last_adv=-1 last_prune=0 archive_failing=0
while :; do
    el_us=$(( $(now_us) - T0_US )); ((el_us < DUR_S * 1000000)) || break
    el_s=$((el_us / 1000000)); el=$el_s.$(printf '%06d' $((el_us % 1000000)))
    for s in "${SLOTS[@]}"; do
        IFS=: read -r name type sched <<< "$s"
        [[ $sched == never ]] && continue
        want=0; if on_at "$sched" "$el"; then want=1; fi
        have=0; [[ -n ${CONSUMER_PID[$name]:-} ]] && have=1
        if ((want && !have)); then start_consumer "$name" "$type"; ev "consumer of $name started"
        elif ((!want && have)); then stop_consumer "$name"; ev "consumer of $name stopped"; fi
    done
    if [[ -n $ARCHIVE_FAIL ]]; then
        IFS=- read -r fa fb <<< "$ARCHIVE_FAIL"
        if ((archive_failing == 0 && el_s >= fa && el_s < fb)); then touch "$TMP/archive.fail"; archive_failing=1; ev "archive_command starts failing"
        elif ((archive_failing == 1 && el_s >= fb)); then rm -f "$TMP/archive.fail"; archive_failing=2; ev "archive_command fixed"; fi
    fi
    due=$(due_bytes "$el"); k=$(( (due - emitted) / MSG ))
    if ((k > 0)); then
        printf "SELECT count(pg_logical_emit_message(false, 'load', repeat('x', %d))) FROM generate_series(1, %d);\n" "$MSG" "$k" >&3
        emitted=$((emitted + k * MSG))
    fi
    if ((el_s != last_adv)); then
        last_adv=$el_s
        for name in "${!CONSUMER_PID[@]}"; do
            [[ ${CONSUMER_PID[$name]} == advance ]] &&
                printf "SELECT pg_replication_slot_advance('%s', pg_current_wal_flush_lsn());\n" "$name" >&4
        done
    fi
    kill -0 "$LOAD_PID" 2>/dev/null || die "the load's psql exited: $(tail -n 3 "$TMP/load.log")"
    kill -0 "$SAMPLE_PID" 2>/dev/null || die "walsim sample exited early: $(tail -n 3 "$TMP/sample.log")"
    if ((el_s - last_prune >= 30)); then
        last_prune=$el_s
        find "$TMP/recv" "$TMP/archive" -mindepth 1 -type f -regextype posix-extended -regex '.*/[0-9A-F]{24}' -mmin +1 -delete 2>/dev/null || true
    fi
    sleep 0.5
done
exec 3>&- 4>&-
wait "$LOAD_PID" || true; LOAD_PID=""
for ((i = 0; i < 600; i++)); do kill -0 "$SAMPLE_PID" 2>/dev/null || break; sleep 0.1; done
stop_pid "$SAMPLE_PID"; SAMPLE_PID=""
stop_pid "$ADV_PID"; ADV_PID=""
for name in "${!CONSUMER_PID[@]}"; do stop_consumer "$name"; done
runuser -u "$RUN_USER" -- "$PG_BIN/pg_ctl" -D "$TMP/data" -m fast -w -t 60 stop >/dev/null; SERVER_UP=0

# ---- results ----------------------------------------------------------------------
mkdir -p -- "$OUT"
gzip -9n < "$SAMPLES" > "$OUT/samples.csv.gz"
cp -- "$TMP/samples.settings.csv" "$OUT/samples.settings.csv"
gzip -9n < "$TMP/server.log" > "$OUT/server.log.gz"
{
    echo "# Recorded by scripts/record-history.sh; event times in seconds since the load started."
    echo "shape: $SHAPE"
    echo "seed: $SEED"
    echo "server_version: \"$SERVER_VERSION\""
    echo "first_sample: $FIRST"
    echo "load_started: $(date -u -d "@${T0_US:0:-6}.${T0_US: -6}" +%Y-%m-%dT%H:%M:%S.%6NZ)"
    echo "duration_s: $DUR_S"
    echo "max_slot_wal_keep_size: $KEEP_SIZE"
    [[ -z $EXTRA ]] || echo "extra_setting: \"$EXTRA\""
    [[ -z $ARCHIVE_FAIL ]] || echo "archive_failing_s: $ARCHIVE_FAIL"
    echo "load:   # seg START DUR KBPS | sine MEAN AMP PERIOD PEAK (kB = 1024 B, payload of pg_logical_emit_message)"
    while read -r line; do echo "  - \"$line\""; done < "$TMP/load.spec"
    echo "slots:   # NAME:TYPE:consumer on-intervals in seconds"
    for s in "${SLOTS[@]}"; do echo "  - \"$s\""; done
    echo "events:"
    for e in "${EVENTS[@]}"; do echo "  - \"$e\""; done
    echo "payload_bytes: $emitted"
    echo "invalidations:"
    grep -E 'invalidating (obsolete replication )?slot' "$TMP/server.log" | sed 's/"/\\"/g; s/^/  - "/; s/$/"/' || echo "  []"
} > "$OUT/meta.yaml"
chmod 644 "$OUT"/*
log "$SHAPE: wrote $OUT ($(du -sh -- "$OUT" | cut -f1))"

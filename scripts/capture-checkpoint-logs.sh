#!/usr/bin/env bash
# Captures real server logs written with log_checkpoints = on, for the fixtures of the server-log reader
# (tests/Walsim.Tests/Sources/logs/). Per major: a throwaway primary with 1 MB segments logging to stderr with a
# pgBadger-style prefix, to csvlog and (15+) to jsonlog; a run of manual, WAL-triggered and immediate checkpoints,
# a slot invalidated by max_slot_wal_keep_size (13+), a reload that changes a setting, a restart in the middle;
# with --standby also a streaming standby whose CHECKPOINT is a restartpoint.
#
# Usage (as root; the servers run as user walsim): scripts/capture-checkpoint-logs.sh OUTDIR [--standby] MAJOR...
# Environment: PREFIX (log_line_prefix, default pgBadger's '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '),
# LOG_TZ (log_timezone, default UTC), SUFFIX (appended to the log file names), EXTRA_CONF (lines appended to
# postgresql.conf, e.g. 'log_checkpoints = off' or 'log_error_verbosity = verbose'), DESTS (log_destination).
set -euo pipefail
prefix=${PREFIX:-'%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '}
tz=${LOG_TZ:-UTC}
suffix=${SUFFIX:-}
out=$1; shift
standby=0
if [[ ${1:-} == --standby ]]; then standby=1; shift; fi
root=${WALSIM_PG_ROOT:-/opt/walsim/postgres}
client=/usr/lib/postgresql/15/bin
mkdir -p "$out"
as() { runuser -u walsim -- "$@"; }
# pg_basebackup 15 (the client the repo installs) backs up servers up to 15 only: --standby is for 12-15.
running=()
cleanup() { for d in "${running[@]}"; do as "$root/${d%%:*}/bin/pg_ctl" -D "${d#*:}" -m immediate stop >/dev/null 2>&1 || true; done; }
trap cleanup EXIT

for major in "$@"; do
  bin=$root/$major/bin
  dir=$(mktemp -d /tmp/walsim-logcap-$major-XXXX); chown walsim "$dir"
  as "$bin/initdb" -D "$dir/data" --wal-segsize=1 -U walsim --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
  dests="stderr,csvlog"; [[ $major -ge 15 ]] && dests="stderr,csvlog,jsonlog"
  dests=${DESTS:-$dests}
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
port = 5432
logging_collector = on
log_destination = '$dests'
log_directory = '$dir/log'
log_filename = 'pg$major$suffix'
log_timezone = '$tz'
log_line_prefix = '$prefix'
lc_messages = 'C'
log_checkpoints = on
autovacuum = off
checkpoint_timeout = '1d'
fsync = off
max_wal_size = '4MB'
min_wal_size = '2MB'
max_wal_senders = 5
wal_level = replica
CONF
  [[ $major -ge 13 ]] && echo "max_slot_wal_keep_size = '2MB'" >>"$dir/data/postgresql.conf"
  [[ -n ${EXTRA_CONF:-} ]] && printf '%s\n' "$EXTRA_CONF" >>"$dir/data/postgresql.conf"
  # hba: allow replication over the socket for the standby
  echo "local replication all trust" >>"$dir/data/pg_hba.conf"
  as "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/startup.log" start >/dev/null
  running+=("$major:$dir/data")
  psql() { as "$client/psql" -X -q -h "$dir" -p 5432 -U walsim -d postgres -v ON_ERROR_STOP=1 "$@"; }
  psql -c "create table t(i int, pad text); insert into t select g, repeat('x', 200) from generate_series(1, 3000) g;"
  psql -c "create table u(k int primary key); insert into u values (1);"
  psql -c "checkpoint;"
  psql -c "select pg_create_physical_replication_slot('stalled', true);" >/dev/null
  # Another session fails with an ERROR + DETAIL + STATEMENT while the checkpoints run: interleaved lines.
  ( for i in 1 2 3 4 5 6; do psql -c "insert into u values (1);" 2>/dev/null || true; sleep 0.2; done ) &
  for i in 1 2 3 4 5 6; do
    psql -c "update t set i = i + 1 where i % 6 = $i;" ; psql -c "select pg_switch_wal();" >/dev/null
    sleep 0.2
  done
  wait
  psql -c "checkpoint;"
  psql -c "alter system set max_wal_size = '6MB';" -c "select pg_reload_conf();" >/dev/null
  sleep 1
  as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart >/dev/null
  for i in 1 2 3 4 5 6; do
    psql -c "select pg_switch_wal() from (select pg_logical_emit_message(false, 'walsim', repeat('y', 300000))) m;" >/dev/null
    sleep 0.3
  done
  psql -c "checkpoint;"
  if [[ $standby == 1 ]]; then
    sdir=$(mktemp -d /tmp/walsim-logcap-$major-standby-XXXX); chown walsim "$sdir"
    # The standby's slot must hold its WAL: lift the cap first (another "parameter changed" line).
    [[ $major -ge 13 ]] && psql -c "alter system set max_slot_wal_keep_size = -1;" -c "select pg_reload_conf();" >/dev/null
    as "$client/pg_basebackup" -D "$sdir/data" -R -X stream -C -S standby -h "$dir" -p 5432 -U walsim --no-sync
    sed -i "s|^unix_socket_directories.*|unix_socket_directories = '$sdir'|; s|^log_directory.*|log_directory = '$sdir/log'|; s|^log_filename.*|log_filename = 'pg$major-standby$suffix'|" "$sdir/data/postgresql.conf"
    echo "hot_standby = on" >>"$sdir/data/postgresql.conf"
    # libpq 12 does not know options (channel_binding, sslsni) pg_basebackup 15 writes into primary_conninfo.
    echo "primary_conninfo = 'host=$dir port=5432 user=walsim'" >>"$sdir/data/postgresql.auto.conf"
    as "$bin/pg_ctl" -D "$sdir/data" -w -t 60 -l "$sdir/startup.log" start >/dev/null
    running+=("$major:$sdir/data")
    for i in 1 2 3; do
      psql -c "update t set i = i + 1 where i % 5 = $i;" -c "select pg_switch_wal();" -c "checkpoint;" >/dev/null
      sleep 1
      as "$client/psql" -X -q -h "$sdir" -p 5432 -U walsim -d postgres -c "checkpoint;"
    done
    as "$bin/pg_ctl" -D "$sdir/data" -m fast -w -t 60 stop >/dev/null
    cp "$sdir"/log/pg$major-standby$suffix* "$out/"
    rm -rf "$sdir"
  fi
  as "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  cp "$dir"/log/pg$major$suffix* "$out/"
  rm -rf "$dir"
done

#!/usr/bin/env python3
"""Builds tests/Walsim.Tests/Sources/corpus/ from real captures (scripts/capture-checkpoint-logs.sh, see the corpus
README) by wrapping them as collectors do: docker logs -t, docker compose, kubectl --timestamps, journald, syslog BSD
and RFC 5424, Heroku, a CI job's log, Cloud Logging JSON, CloudNativePG JSON, compression, rotation, newest-first,
hard wraps, grep. docker and kubectl are not installed here: their exact line formats are reproduced by this script.
Writes manifest.tsv: per file the major, the checkpoint count, the first and last checkpoint-complete times (the
server's own, read from the capture here, not by walsim), the slot losses and the notes walsim must give.
Usage: scripts/make-log-corpus.py RAWDIR OUTDIR"""
import bz2, csv, gzip, io, json, os, re, subprocess, sys
from datetime import datetime, timezone, timedelta

raw, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
manifest = []
PG = re.compile(r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) UTC')

def lines(name): return open(os.path.join(raw, name), encoding='utf-8').read().splitlines()

def facts(ls):
    """Independent of walsim: counts and the server's times of the complete lines in a stderr capture."""
    done = [l for l in ls if re.search(r'(checkpoint|restartpoint) complete', l)]
    times = [PG.search(l).group(1) for l in done if PG.search(l)]
    losses = sum(1 for l in ls if re.search(r'LOG:  (?:\d{5}: )?invalidating (obsolete replication )?slot', l))
    ver = next((re.search(r'starting PostgreSQL (\d+)', l).group(1) for l in ls if 'starting PostgreSQL' in l), '')
    return ver, len(done), times[0] if times else '', times[-1] if times else '', losses

def write(name, text, mode='w'):
    with open(os.path.join(out, name), mode) as f: f.write(text)

def add(name, ls, origin, notes='', data=None, fx=None):
    if data is None: write(name, '\n'.join(data if data else ls) + '\n')
    ver, n, first, last, losses = fx or facts(ls)
    ver = re.match(r'pg(\d+)', name).group(1)  # the capture's major (12 logs no "starting PostgreSQL" line)
    manifest.append([name, ver, str(n), first, last, str(losses), notes, origin])

def pgtime(l):
    m = PG.search(l)
    return datetime.strptime(m.group(1)[:23].ljust(23, '0') if '.' in m.group(1) else m.group(1) + '.000', '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=timezone.utc)

def iso(t, digits=9): return t.strftime('%Y-%m-%dT%H:%M:%S.') + f'{t.microsecond:06d}'.ljust(digits, '0')[:digits] + 'Z'

def stamped(ls):
    """Each line with the time of the last PostgreSQL-stamped line at or before it (what a collector sees)."""
    t = None
    for l in ls:
        if PG.match(l): t = pgtime(l)
        yield t, l

def split_prefix(l):
    """'2026-.. UTC [123] LOG:  msg' -> (pid, 'LOG:  msg')"""
    m = re.match(r'\S+ \S+ UTC \[(\d+)\] (.*)', l)
    return (m.group(1), m.group(2)) if m else (None, l)

# Real captures as they are: Debian/RPM/RDS/Azure prefixes, verbose, csvlog, jsonlog, log_checkpoints off, a standby.
for v in range(12, 19): add(f'pg{v}-debian.log', lines(f'pg{v}-debian'), "capture, log_line_prefix '%m [%p] ' (Debian's default)")
add('pg12-rpm.log', lines('pg12-rpm'), "capture, log_line_prefix '< %m >' (older RPM packages)")
for v in (14, 16): add(f'pg{v}-rds.log', lines(f'pg{v}-rds'), "capture, log_line_prefix '%t:%r:%u@%d:[%p]:' (RDS/Aurora)")
add('pg16-azure.log', lines('pg16-azure'), "capture, log_line_prefix '%t-%c-' (Azure)")
az = [re.sub(r'(checkpoint|restartpoint) (complete|starting):', lambda m: f'{m.group(1)} {m.group(2)} (212):', l) for l in lines('pg16-azure')]
add('pg16-azure-numbered.log', az, "pg16-azure.log with Azure's numbered checkpoint lines ('checkpoint complete (212): ...'), edited by script (Azure's build is not available)")
for v in (15, 17):
    add(f'pg{v}-verbose.log', lines(f'pg{v}-verbose'), "capture, log_error_verbosity = verbose (LOG:  00000: ... and LOCATION: lines)")
    ls = lines(f'pg{v}-verbose')
    fx = facts(ls)
    write(f'pg{v}-verbose.csv', open(os.path.join(raw, f'pg{v}-verbose.csv')).read()); add(f'pg{v}-verbose.csv', ls, 'capture, csvlog of the same server', data=[], fx=fx)
    write(f'pg{v}-verbose.json', open(os.path.join(raw, f'pg{v}-verbose.json')).read()); add(f'pg{v}-verbose.json', ls, 'capture, jsonlog of the same server', data=[], fx=fx)
for v in (13, 14, 16, 18): add(f'pg{v}-nockpt.log', lines(f'pg{v}-nockpt'), 'capture, log_checkpoints = off: only the slot losses')
if os.path.exists(os.path.join(raw, 'pg15-standby-standby')):
    add('pg15-standby.log', lines('pg15-standby-standby'), 'capture, a streaming standby (restartpoints)')

# Collectors, reproduced line for line.
ls = lines('pg16-debian')
add('pg16-docker-t.log', [f'{iso(t)} {l}' for t, l in stamped(ls)], 'pg16-debian.log as docker logs -t prints it (RFC 3339 nanoseconds, then the line)')
ls = lines('pg15-debian')
add('pg15-compose.log', [f'db-1  | {l}' for l in ls], 'pg15-debian.log as docker compose logs prints it (service prefix)')
add('pg15-compose-t.log', [f'db-1  | {iso(t)} {l}' for t, l in stamped(ls)], 'docker compose logs -t')
ls = lines('pg17-debian')
add('pg17-kubectl.log', [f'{iso(t + timedelta(milliseconds=3))} {l}' for t, l in stamped(ls)], 'pg17-debian.log as kubectl logs --timestamps prints it (collector 3 ms late)')
ci0 = pgtime(ls[-1]) + timedelta(minutes=5)
add('pg17-ci.log', [f'{iso(ci0 + timedelta(microseconds=i), 7)} {l}' for i, l in enumerate(ls)], 'a CI job dumping pg17-debian.log at its end: the collector time is the dump time (GitHub Actions format, 7 digits)')
ls = lines('pg14-debian')
def bsd(t): return t.strftime('%b ') + f'{t.day:2d}' + t.strftime(' %H:%M:%S')
add('pg14-journald.log', [f'{bsd(t)} db1 postgres[{split_prefix(l)[0] or 1}]: {l}' for t, l in stamped(ls)], 'pg14-debian.log as journalctl prints it (short format)')
add('pg14-journald-iso.log', [f'{t.strftime("%Y-%m-%dT%H:%M:%S+0000")} db1 postgres[{split_prefix(l)[0] or 1}]: {l}' for t, l in stamped(ls)], 'journalctl -o short-iso')
ls = lines('pg16-debian')
sys_lines, n = [], 0
for t, l in stamped(ls):
    pid, rest = split_prefix(l)
    if pid is None:
        sys_lines.append(f'{bsd(t)} db1 postgres[{last_pid}]: [{n}-2] #011{l}'); continue
    n += 1; last_pid = pid
    sys_lines.append(f'{bsd(t)} db1 postgres[{pid}]: [{n}-1] {rest}')
add('pg16-syslog-bsd.log', sys_lines, "pg16-debian.log through log_destination = syslog with log_line_prefix '' (BSD syslog: no year, no zone)", notes='syslog-year', fx=facts(ls))
ls = lines('pg18-debian')
add('pg18-rfc5424.log', [f'<134>1 {t.strftime("%Y-%m-%dT%H:%M:%S.%f")}+00:00 db1 postgres {split_prefix(l)[0] or "-"} - - {split_prefix(l)[1]}' for t, l in stamped(ls)],
    "pg18-debian.log as RFC 5424 syslog with log_line_prefix ''", notes='collector-time', fx=facts(ls))
ls = lines('pg17-debian')
her = []
for i, (t, l) in enumerate(stamped(ls)):
    pid, rest = split_prefix(l)
    her.append(f'{t.strftime("%Y-%m-%dT%H:%M:%S")}+00:00 app[postgres.{pid or 1}]: [DATABASE] [{i+1}-1] sql_error_code = 00000 time_ms = "{t.strftime("%Y-%m-%d %H:%M:%S.")}{t.microsecond//1000:03d} UTC" pid="{pid or 1}" proc_start_time="2026-01-01 00:00:00 UTC" session_id="6b1.1" vtid="" tid="0" log_line="{i+1}" database="" connection_source="" user="" application_name="" {rest}')
add('pg17-heroku.log', her, 'pg17-debian.log as Heroku Postgres logs it (RFC 5424 header, time_ms= and proc_start_time= fields)')

# JSON exports.
ls = lines('pg15-debian')
entries = [{'textPayload': l, 'insertId': str(i), 'resource': {'type': 'cloudsql_database'}, 'timestamp': iso(t), 'severity': 'INFO',
            'logName': 'projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log'} for i, (t, l) in enumerate(stamped(ls))]
write('pg15-cloud-logging.json', json.dumps(list(reversed(entries)), indent=2) + '\n')
add('pg15-cloud-logging.json', ls, 'pg15-debian.log as gcloud logging read --format=json exports it (a pretty-printed array, newest first, textPayload)', notes='newest-first', data=[])
write('pg15-cloud-logging.jsonl', '\n'.join(json.dumps(e) for e in entries) + '\n')
add('pg15-cloud-logging.jsonl', ls, 'the same entries, one per line, oldest first', data=[])
for v in (17,):
    rows = list(csv.reader(open(os.path.join(raw, f'pg{v}-verbose.csv'), newline='')))
    fields = ['log_time', 'user_name', 'database_name', 'process_id', 'connection_from', 'session_id', 'session_line_num', 'command_tag',
              'session_start_time', 'virtual_transaction_id', 'transaction_id', 'error_severity', 'sql_state_code', 'message', 'detail', 'hint']
    cn = []
    for r in rows:
        rec = {k: r[i] for i, k in enumerate(fields) if i < len(r)}
        ts = datetime.strptime(r[0][:23], '%Y-%m-%d %H:%M:%S.%f').replace(tzinfo=timezone.utc)
        cn.append((ts, json.dumps({'level': 'info', 'ts': iso(ts, 9).replace('Z', '') + 'Z', 'logger': 'postgres', 'msg': 'record', 'logging_pod': 'cluster-example-1', 'record': rec})))
    cn.insert(1, (cn[0][0], json.dumps({'level': 'info', 'ts': iso(cn[0][0]), 'logger': 'instance-manager', 'msg': 'Starting up instance', 'logging_pod': 'cluster-example-1'})))
    fx = facts(lines(f'pg{v}-verbose'))
    write(f'pg{v}-cnpg.json', '\n'.join(j for _, j in cn) + '\n'); add(f'pg{v}-cnpg.json', [], 'pg17-verbose.csv as CloudNativePG logs it (record = csvlog fields by name; an instance-manager line)', data=[], fx=fx)
    write(f'pg{v}-cnpg-kubectl.log', '\n'.join(f'{iso(t)} {j}' for t, j in cn) + '\n'); add(f'pg{v}-cnpg-kubectl.log', [], 'the same through kubectl logs --timestamps', data=[], fx=fx)

# Files as they are kept: compressed, rotated, exported newest-first, hard-wrapped, grepped.
for v, comp in ((12, 'gz'), (13, 'bz2'), (18, 'zst')):
    text = ('\n'.join(lines(f'pg{v}-debian')) + '\n').encode()
    data = gzip.compress(text, mtime=0) if comp == 'gz' else bz2.compress(text) if comp == 'bz2' else subprocess.run(['zstd', '-q', '-c'], input=text, capture_output=True, check=True).stdout
    write(f'pg{v}-debian.log.{comp}', data, 'wb'); add(f'pg{v}-debian.log.{comp}', lines(f'pg{v}-debian'), f'pg{v}-debian.log compressed with {comp}', data=[])
ls = lines('pg14-debian')
rot = os.path.join(out, 'pg14-rotated'); os.makedirs(rot, exist_ok=True)
third = len(ls) // 3
parts = [ls[:third], ls[third:2*third], ls[2*third:]]
open(os.path.join(rot, 'postgresql-14-main.log.2'), 'w').write('\n'.join(parts[0]) + '\n')
open(os.path.join(rot, 'postgresql-14-main.log.1.gz'), 'wb').write(gzip.compress(('\n'.join(parts[1]) + '\n').encode(), mtime=0))
open(os.path.join(rot, 'postgresql-14-main.log'), 'w').write('\n'.join(parts[2]) + '\n')
open(os.path.join(rot, 'notes.txt'), 'w').write('not a log: the set is the files named like logs\n')
add('pg14-rotated', ls, 'pg14-debian.log split as logrotate keeps it (.log.2, .log.1.gz, .log), given as the directory', data=[], notes='set')
ls = lines('pg16-debian')
add('pg16-newest-first.log', list(reversed(ls)), 'pg16-debian.log exported newest first (tac)', notes='newest-first', fx=facts(ls))
wrapped = []
for l in lines('pg13-debian'):
    while len(l) > 100: wrapped.append(l[:100]); l = l[100:]
    wrapped.append(l)
add('pg13-hard-wrapped.log', wrapped, 'pg13-debian.log hard-wrapped at 100 characters by a collector')
ls = lines('pg18-debian')
add('pg18-grepped.log', [l for l in ls if 'checkpoint' in l], "grep checkpoint pg18-debian.log: the restart shows only as a new checkpointer pid", notes='inferred-restart')

with open(os.path.join(out, 'manifest.tsv'), 'w') as f:
    f.write('file\tmajor\tcheckpoints\tfirst_complete\tlast_complete\tslot_losses\tnotes\torigin\n')
    for m in manifest: f.write('\t'.join(m) + '\n')
print(len(manifest), 'files')

#!/usr/bin/env python3
"""Copies other log analyzers' public test fixtures into tests/Walsim.Tests/Sources/corpus/third-party/, with their
licences, and writes third-party/manifest.tsv: per file what the file itself shows, counted here (not by walsim): the
major ("starting PostgreSQL N"), the checkpoint/restartpoint-complete messages, the first and last of their times
(the server's own; a collector's where the line has none, noted "collector-time"), the slot losses, and for a file
without any of those the number of log messages (walsim must refuse it, saying it saw that many and no checkpoint).
Files are copied byte for byte when small; big ones are cut to their first lines (said in the origin column).

Usage: scripts/import-third-party-logs.py PGBADGER_GIT_DIR PGANALYZE_COLLECTOR_GIT_DIR OUTDIR
  (git directories of github:darold/pgbadger and github:pganalyze/collector, e.g. from a bare clone)"""
import bz2, gzip, io, json, os, re, subprocess, sys

PGBADGER = ('darold/pgbadger', 'a1ad95a035a0c2d246fe632eb1c361d4bde0ddae', 'PostgreSQL Licence', 'LICENSE.pgbadger', 'pgbadger-')
PGANALYZE = ('pganalyze/collector', 'a2dadfde4b659d5bd809cf07c0e022b359fc2207', 'BSD-3-Clause', 'LICENSE.pganalyze-collector', 'pganalyze-')

badger_git, pganalyze_git, out = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
rows = []

def show(git, commit, path):
    return subprocess.run(['git', f'--git-dir={git}', 'show', f'{commit}:{path}'], check=True, capture_output=True).stdout

def unpack(name, data):
    if name.endswith('.gz'): return gzip.decompress(data)
    if name.endswith('.bz2'): return bz2.decompress(data)
    return data

LEVEL = re.compile(r'(?<![A-Za-z])(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?|DETAIL|HINT|STATEMENT|CONTEXT|QUERY|LOCATION):  ')
CSV_LEVEL = re.compile(r',(?:LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG[1-5]?),[0-9A-Z]{5},')
SERVER_TIME = re.compile(r'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) [A-Z]{3,4}')
ISO = re.compile(r'(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z')

def messages(text):
    """(time, is_collector_time, message) per log message, in file order, for the formats imported here."""
    for line in text.splitlines():
        if line.startswith('{'):
            o = json.loads(line)
            if 'textPayload' in o:  # Cloud Logging: the stderr line; its own time, else the entry's
                t = o['textPayload']
                if not LEVEL.search(t): continue
                m = SERVER_TIME.search(t)
                yield (m.group(1), False, t[LEVEL.search(t).end():]) if m else (' '.join(ISO.match(o['timestamp']).groups()), True, t[LEVEL.search(t).end():])
            elif 'record' in o:  # CloudNativePG
                yield SERVER_TIME.match(o['record']['log_time']).group(1), False, o['record'].get('message', '')
            elif 'properties' in o:  # Azure Monitor
                p = o['properties']
                line = p['message'] if LEVEL.search(p['message']) else p.get('prefix', '') + p['errorLevel'] + ':  ' + p['message']
                m = SERVER_TIME.search(line)
                yield (m.group(1) if m else p.get('timestamp'), False, line[LEVEL.search(line).end():] if LEVEL.search(line) else p['message'])
            elif 'error_severity' in o:  # jsonlog
                yield SERVER_TIME.match(o['timestamp']).group(1), False, o['message']
        elif CSV_LEVEL.search(line):
            yield SERVER_TIME.match(line).group(1), False, line
        elif LEVEL.search(line):
            m = SERVER_TIME.search(line)
            yield (m.group(1) if m else None), m is None, line[LEVEL.search(line).end():]  # else a syslog or collector header's

def add(name, text, source, path, note='', cut=None):
    repo, commit, licence = source[:3]
    msgs = list(messages(text))
    done = [(t, c) for t, c, m in msgs if re.match(r'(checkpoint|restartpoint) complete', m)]
    losses = sum(1 for _, _, m in msgs if re.match(r'invalidating (obsolete replication )?slot', m))
    ver = next((re.search(r'starting PostgreSQL (\d+)', m).group(1) for _, _, m in msgs if 'starting PostgreSQL' in m), '')
    notes = [note] if note else []
    if any(c for _, c, _ in msgs): notes.append('collector-time')  # walsim must say whose times it took
    starts = sum(1 for _, _, m in msgs if m.startswith('starting PostgreSQL'))
    if starts: notes.append(f'starts:{starts}')
    if not msgs and re.search(r'(?<![A-Za-z])(?:LOG|ERROR|FATAL|WARNING|DETAIL|STATEMENT): \S', text):
        notes.append('collapsed-level')  # "LOG: " with one space: not as PostgreSQL writes it, refused as such
    elif not done and not losses: notes.append(f'refused:{len(msgs)}')
    times = sorted(t for t, _ in done)  # a newest-first file's first checkpoint is its last line's
    origin = f'{repo} {path} @ {commit[:12]} ({licence})' + (f'; {cut}' if cut else '; unchanged')
    rows.append([name, ver or '0', str(len(done)), times[0] if times else '', times[-1] if times else '', str(losses), ' '.join(notes), origin])

def copy(name, source, path, note='', head=None):
    git = badger_git if source is PGBADGER else pganalyze_git
    data = show(git, source[1], path)
    text = unpack(path, data).decode('utf-8')
    if head:
        text = '\n'.join(text.splitlines()[:head]) + '\n'
        with open(os.path.join(out, name), 'w', encoding='utf-8') as f: f.write(text)
        add(name, text, source, path, note, f'its first {head} lines, decompressed')
    else:
        with open(os.path.join(out, name), 'wb') as f: f.write(data)
        add(name, text, source, path, note)

# pgBadger's t/fixtures: real logs of the formats pgBadger reads.
copy('pgbadger-cloudsql.log.gz', PGBADGER, 't/fixtures/cloudsql.log.gz')          # Cloud SQL via Cloud Logging, JSON lines
copy('pgbadger-cnpg.log.gz', PGBADGER, 't/fixtures/cnpg.log.gz', 'newest-first')  # CloudNativePG 15.1, newest first
copy('pgbadger-logplex.gz', PGBADGER, 't/fixtures/logplex.gz')                    # heroku logs (logplex), no checkpoints
copy('pgbadger-light.postgres.log.bz2', PGBADGER, 't/fixtures/light.postgres.log.bz2')  # pgBadger's own prefix
copy('pgbadger-weeknumber.csv', PGBADGER, 't/fixtures/weeknumber.log')            # csvlog, GMT
copy('pgbadger-rds.log', PGBADGER, 't/fixtures/rds.log.bz2', head=150)            # RDS prefix, CET, 12.2
copy('pgbadger-pg-syslog.log', PGBADGER, 't/fixtures/pg-syslog.1.bz2', head=120)  # BSD syslog with a prefix
copy('pgbadger-pg_vacuums.json', PGBADGER, 't/fixtures/pg_vacuums.json.gz', head=20)  # jsonlog, CEST
copy('pgbadger-pg-timezones.log', PGBADGER, 't/fixtures/pg-timezones.log')        # RDS prefix, "LOG: " with one space

# pganalyze collector: the Azure Monitor records of its Azure log test, one per line as a storage export holds them.
src = show(pganalyze_git, PGANALYZE[1], 'input/system/azure/logs_test.go').decode('utf-8')
records = [json.dumps(json.loads(b), separators=(',', ':')) for b in re.findall(r'\{\n\t\t`(\{.*?\})`,', src, re.S)]
text = '\n'.join(records) + '\n'
with open(os.path.join(out, 'pganalyze-azure.jsonl'), 'w', encoding='utf-8') as f: f.write(text)
add('pganalyze-azure.jsonl', text, PGANALYZE, 'input/system/azure/logs_test.go', '',
    f'the {len(records)} JSON records of parseRecordTests, each compacted to one line (Flexible Server, Cosmos DB for PostgreSQL and Single Server)')

for source in (PGBADGER, PGANALYZE):
    git = badger_git if source is PGBADGER else pganalyze_git
    with open(os.path.join(out, source[3]), 'wb') as f:
        f.write(f'Files named {source[4]}* in this folder come from https://github.com/{source[0]} '
                f'(commit {source[1]}), under this licence:\n\n'.encode() + show(git, source[1], 'LICENSE'))

with open(os.path.join(out, 'manifest.tsv'), 'w', encoding='utf-8') as f:
    f.write('file\tmajor\tcheckpoints\tfirst_complete\tlast_complete\tslot_losses\tnotes\torigin\n')
    for r in rows: f.write('\t'.join(r) + '\n')

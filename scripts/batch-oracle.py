#!/usr/bin/env python3
"""The best forecast a batch history allows: an oracle that knows the process which wrote the WAL.

For a history recorded by scripts/record-history.sh with a batch shape (batch, batch-idle, batch-forgotten), the load is
a seeded draw of record-history.sh's batches(): a 3-26 MB batch (mb uniform, written at 2 MB/s for int(mb/2) s) whose
next start follows mb/2 + 20 + U{0..70} s later, over 2 kB/s. At a split, the oracle knows everything before it (the
batch in progress, or how long ago the last one ended) and draws the rest from that very process, conditioning by
rejection on what the split shows. A slot is lost at the first checkpoint whose position is past its threshold:
KeepLogSeg's, (segno(restart_lsn) + max_slot_wal_keep_size in segments + 1) segments, from the restart_lsn the server
logged with the invalidation, in payload bytes through the history's WAL-per-payload ratio (checked to lie between
the real path's last checkpoint that kept the slot and the one that lost it; else that bracket is drawn from).
Checkpoints: timed every checkpoint_timeout from the last start, or
requested after CheckPointSegments of WAL (max_wal_size / (1 + checkpoint_completion_target), PostgreSQL 12-13's
CalculateCheckpointSegments; 2 + target before 11).

Beside it, the best forecaster that knows the process's form but not its numbers: batches as a renewal process whose
durations and gaps are drawn from those of the batches before the split (what a history-only forecast could at best
learn, given the right model).

What it prints per (split, lost slot): the oracle's p10/p50/p90 time to loss, the actual, and how far the outcome falls
from the oracle's p50 over its own futures (the error the best possible p50 makes); the same quantiles of the fitted
form; with --walsim, the expected pinball loss over the oracle's futures of each and how many of them each one's
p10-p90 holds: docs/forecast-quality.md.

  scripts/batch-oracle.py scenarios/histories/batch-forgotten-pg13 [--runs 4000] [--splits 0.35,0.5,0.65]
"""
import argparse, bisect, csv, gzip, json, random, re
from datetime import datetime, timezone

MB, KB = 1024 * 1024, 1024

def parse_time(s):
    s = s.strip().replace(" UTC", "+00:00").replace("Z", "+00:00")
    return datetime.fromisoformat(s).timestamp()

def settings_rows(history):
    return {r["name"]: r["value"] for r in csv.DictReader(open(f"{history}/samples.settings.csv"))}

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("history")
    ap.add_argument("--runs", type=int, default=4000)
    ap.add_argument("--splits", default="0.35,0.5,0.65")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--walsim", help="walsim backtest --format json output: also score its p10/p50/p90 over the oracle's futures")
    a = ap.parse_args()
    meta = open(f"{a.history}/meta.yaml").read()
    load_started = parse_time(re.search(r"load_started: (\S+)", meta).group(1))
    batches = [(int(s), int(d)) for s, d, k in re.findall(r'"seg (\d+) (\d+) (\d+)"', meta) if int(k) == 2048]
    base = [int(k) for s, d, k in re.findall(r'"seg (\d+) (\d+) (\d+)"', meta) if int(k) != 2048][0] * KB
    stopped = {}  # slot -> when its consumer stopped for good (record-history.sh's NAME:TYPE:on-intervals)
    for name, schedule in re.findall(r'"([^":]+):(?:physical|logical):([^"]+)"', meta):
        ends = re.findall(r"-(\w+)", schedule)
        stopped[name] = 0.0 if schedule == "never" else float("inf") if ends[-1] == "end" else float(ends[-1])
    settings = {r["name"]: float(r["value"]) for r in csv.DictReader(open(f"{a.history}/samples.settings.csv")) if re.fullmatch(r"[-\d.]+", r["value"])}
    timeout = settings["checkpoint_timeout"]
    ckpt_wal = int(settings["max_wal_size"] / (1 + settings["checkpoint_completion_target"])) * MB
    def lsn(text): hi, lo = text.split("/"); return (int(hi, 16) << 32) + int(lo, 16)
    with gzip.open(f"{a.history}/samples.csv.gz", "rt") as f:
        head = {}  # time since the load started -> insert LSN, one per sample
        for r in csv.DictReader(f):
            if r["insert_lsn"]: head[parse_time(r["server_time"]) - load_started] = lsn(r["insert_lsn"])
    times = sorted(head)
    first, last = times[0], times[-1]
    def lsn_at(t):
        i = bisect.bisect_left(times, t)
        if i <= 0: return head[times[0]]
        if i >= len(times): return head[times[-1]]
        t0, t1 = times[i - 1], times[i]
        return head[t0] + (head[t1] - head[t0]) * (t - t0) / (t1 - t0)
    seg = int(settings_rows(a.history)["wal_segment_size"])
    keep_segs = int(settings_rows(a.history)["max_slot_wal_keep_size"]) * MB // seg
    log = gzip.open(f"{a.history}/server.log.gz", "rt").read().splitlines()
    starts, losses = [], {}
    for i, line in enumerate(log):
        m = re.match(r"(\S+ \S+ UTC)", line)
        if not m: continue
        t = parse_time(m.group(1)) - load_started
        if "checkpoint starting" in line: starts.append(t)
        # 12-16: 'invalidating slot "x" because ...'; 17+: 'invalidating obsolete replication slot "x"' and a DETAIL
        # line with the reason. Only losses to the WAL cap depend on the load: an idle timeout's does not.
        if (m2 := re.search(r'invalidating (?:obsolete replication )?slot "([^"]+)"', line)) \
                and not any("idle" in l for l in log[i:i + 3]):
            restart = re.search(r"restart_lsn ([0-9A-F]+/[0-9A-F]+)", " ".join(log[i:i + 2]))
            losses[m2.group(1)] = (t, lsn(restart.group(1)) if restart else None)

    class Path:
        """WAL written since time 0 along one path of batches: piecewise linear, exact, with its inverse."""
        def __init__(self, bs):
            self.bs = sorted(bs)
            self.cum = [0.0]  # batch WAL written before each batch starts
            for s0, d0 in self.bs: self.cum.append(self.cum[-1] + 2048 * KB * d0)
        def at(self, t):
            i = bisect.bisect_right([b[0] for b in self.bs], t)
            w = base * t + self.cum[i - 1] if i > 0 else base * t
            if i > 0:
                s0, d0 = self.bs[i - 1]
                w = base * t + self.cum[i - 1] + 2048 * KB * min(max(t - s0, 0), d0)
            return w
        def when(self, w, lo, hi):
            for _ in range(60):
                mid = (lo + hi) / 2
                if self.at(mid) >= w: hi = mid
                else: lo = mid
            return hi

    def future(split, rnd):
        """A path drawn from the process, the same as the history up to the split and conditioned by rejection on
        what the split shows (the batch in progress, or how long ago the last one ended)."""
        s_last, d_last = [b for b in batches if b[0] <= split][-1]
        while True:
            mb = 3 + rnd.randrange(24)
            t_next = s_last + mb / 2 + 20 + rnd.randrange(71)
            in_progress = s_last + d_last > split
            seen = (int(mb / 2) > split - s_last) if in_progress else (int(mb / 2) == d_last)
            if seen and int(t_next) > split: break
        path = [b for b in batches if b[0] < s_last] + [(s_last, int(mb / 2))]
        t = t_next
        while t < split + 7200:
            mb = 3 + rnd.randrange(24)
            path.append((int(t), int(mb / 2)))
            t += mb / 2 + 20 + rnd.randrange(71)
        return Path(path)

    def fitted_future(split, rnd):
        """A path from the best forecaster that knows the process's form but not its numbers: the batches are a renewal
        process, and their durations and the gaps after them are drawn (independently, with replacement) from those
        of the batches before the split; the batch in progress lasts at least as long as it has run, the next one
        starts after the split."""
        seen = [b for b in batches if b[0] <= split]
        s_last, d_last = seen[-1]
        durations = [d for _, d in seen[:-1]]
        gaps = [b1[0] - b0[0] - b0[1] for b0, b1 in zip(seen, seen[1:])]
        pick = lambda xs: xs[rnd.randrange(len(xs))]
        d = d_last
        if s_last + d_last > split:
            d = pick([x for x in durations if x > split - s_last] or [int(split - s_last) + 1])
        path = [b for b in batches if b[0] < s_last] + [(s_last, d)]
        t = s_last + d + pick([g for g in gaps if int(s_last + d + g) > split] or [split - s_last - d + 1])
        while t < split + 7200:
            d = pick(durations)
            path.append((int(t), d))
            t += d + pick(gaps)
        return Path(path)

    def loss_time(path, split, last_start, threshold):
        """The first checkpoint after the split whose redo (WAL since the split) is past the threshold."""
        t, w_ckpt, w0 = last_start, path.at(last_start), path.at(split)
        while t < split + 7200:
            timed = t + timeout
            by_wal = path.when(w_ckpt + ckpt_wal, t, timed) if path.at(timed) >= w_ckpt + ckpt_wal else timed
            t = min(timed, by_wal)
            w_ckpt = path.at(t)
            if t > split and w_ckpt - w0 > threshold: return t - split
        return float("inf")

    real = Path(batches)
    walsim = {}
    if a.walsim:
        name = a.history.rstrip("/").split("/")[-1]
        for c in json.load(open(a.walsim))["cases"]:
            if c["history"] == name: walsim[(c["split"], c["slot"])] = c

    def pinball(q, tau, y): return max(tau * (y - q), (tau - 1) * (y - q))

    print(f"{a.history}: {len(batches)} batches; checkpoints every {timeout:.0f} s or {ckpt_wal // MB} MB; {a.runs} futures per case")
    for frac in [float(x) for x in a.splits.split(",")]:
        split = first + frac * (last - first)
        last_start = max(s for s in starts if s <= split)
        for slot, (lost, restart) in sorted(losses.items()):
            # Only a slot whose consumer had stopped for good: the oracle holds its restart_lsn where it is.
            if lost <= split or stopped.get(slot, float("inf")) > split: continue
            # KeepLogSeg (13+): a checkpoint at position P keeps segments from segno(P) - keep_segs, and a slot whose
            # restart_lsn lies before that is lost — from P = (segno(restart_lsn) + keep_segs + 1) segments on. In
            # payload bytes after the split: the LSN still to go over the WAL-per-payload ratio of the history.
            to_go = (restart // seg + keep_segs + 1) * seg - lsn_at(split)
            ratio = (lsn_at(last) - lsn_at(first)) / (real.at(last) - real.at(first))
            threshold = to_go / ratio
            keep = max(s for s in starts if s < lost - 0.5)  # the last checkpoint that kept the slot
            if not (real.at(max(keep, split)) - real.at(split) < threshold <= real.at(lost) - real.at(split)):
                print(f"  note: {slot}: the threshold from restart_lsn lies outside the real checkpoints' bracket; using the bracket")
                threshold = None
            rnd = random.Random(f"{a.seed}/{frac}/{slot}")  # each case its own stream: its figures do not depend on --splits
            lo, hi = real.at(max(keep, split)) - real.at(split), real.at(lost) - real.at(split)
            def outcomes(draw_path, rnd):
                return sorted(loss_time(draw_path(split, rnd), split, last_start, threshold if threshold is not None else rnd.uniform(lo, hi))
                              for _ in range(a.runs))
            xs = outcomes(future, rnd)
            fitted = outcomes(fitted_future, random.Random(f"{a.seed}/{frac}/{slot}/fitted"))
            q = lambda p: xs[int(p * (len(xs) - 1))]
            fq = lambda p: fitted[int(p * (len(fitted) - 1))]
            p50, actual = q(0.5), lost - split
            errors = sorted(abs(x - p50) for x in xs)
            def holds(lo, hi): return sum(lo - 2 <= x <= hi + 2 for x in xs) / len(xs)
            def expected(q10, q50, q90):
                return sum((pinball(q10, .1, x) + pinball(q50, .5, x) + pinball(q90, .9, x)) / 3 for x in xs) / len(xs)
            line = (f"  split {frac}: {slot} actual {actual:.0f} s; oracle p10/p50/p90 {q(0.1):.0f}/{p50:.0f}/{q(0.9):.0f} s, "
                    f"its p50 error here {abs(p50 - actual):.0f} s; over its own futures its p50 errs by a median {errors[len(errors) // 2]:.0f} s "
                    f"(within 10 s in {sum(e <= 10 for e in errors) / len(errors):.0%})")
            line += (f"\n      the process's form fitted to the history: p10/p50/p90 {fq(0.1):.0f}/{fq(0.5):.0f}/{fq(0.9):.0f} s, "
                     f"its p50 error here {abs(fq(0.5) - actual):.0f} s")
            if (w := walsim.get((frac, slot))):
                line += (f"\n      expected pinball over the oracle's futures: oracle {expected(q(0.1), p50, q(0.9)):.1f} s, "
                         f"form fitted {expected(fq(0.1), fq(0.5), fq(0.9)):.1f} s, "
                         f"walsim {expected(w['p10_s'], w['p50_s'], w['p90_s']):.1f} s ({w['p10_s']:.0f}/{w['p50_s']:.0f}/{w['p90_s']:.0f}), "
                         f"predict_linear {sum(abs(w['linear_s'] - x) / 2 for x in xs) / len(xs):.1f} s ({w['linear_s']:.0f})"
                         f"\n      share of the oracle's futures inside p10-p90 (2 s either side, as the backtest counts): oracle {holds(q(0.1), q(0.9)):.0%}, "
                         f"form fitted {holds(fq(0.1), fq(0.9)):.0%}, walsim {holds(w['p10_s'], w['p90_s']):.0%}")
            print(line)

if __name__ == "__main__":
    main()

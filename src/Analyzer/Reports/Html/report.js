// walsim HTML report: draws the charts from the embedded JSON (#walsim-data) with the inlined uPlot.
// Strings from the data reach the page through textContent and canvas fillText only, never as markup.
// When every chart has drawn, each chart element gets data-drawn="true" and <body> data-walsim-ready="true"
// (the browser test waits for that).
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("walsim-data").textContent);
  var palette = ["#1f6fb4", "#7b3fa0", "#15917f", "#a0522d", "#c2185b", "#6b8e23", "#555555"];
  var statusColor = { reserved: "#66bb6a", extended: "#f2c12e", unreserved: "#f28c28", lost: "#d32f2f" };
  var noneColor = "#e4e4e4";
  var bandHeight = 10, bandGap = 3;

  // ByteCount.Format: PostgreSQL unit spelling, up to two decimals.
  function fmtBytes(b) {
    if (b === null || b === undefined) return "—";
    var abs = Math.abs(b), units = [["TB", Math.pow(1024, 4)], ["GB", Math.pow(1024, 3)], ["MB", 1048576], ["kB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (abs >= units[i][1]) {
        var v = b / units[i][1];
        return (Math.round(v * 100) / 100).toString() + units[i][0];
      }
    }
    return b + "B";
  }

  // The magnitude in microseconds rounded to a multiple of res, halves away from zero (SimDuration.RoundTo).
  function roundTo(us, res) {
    var q = Math.floor(us / res), r = us - q * res;
    return (q + (r * 2 >= res ? 1 : 0)) * res;
  }

  // SimDuration.Display: whole seconds from a minute on (2h54m30.399657s reads 2h54m30s), milliseconds below it
  // (1.5s, 0.25s), to the nearest, halves away from zero, carrying (59.9996s reads 1m); 1d02h03m, 1h05m, 5m30s.
  // resUs (microseconds) overrides the rounding: axis ticks less than a second apart keep their milliseconds.
  function fmtTime(sec, resUs) {
    if (sec === null || sec === undefined) return "never";
    var exact = Math.round(Math.abs(sec) * 1e6);
    var res = resUs || (roundTo(exact, 1e3) >= 60e6 ? 1e6 : 1e3);
    var us = roundTo(exact, res), neg = sec < 0 && us > 0;
    var total = Math.floor(us / 1e6), frac = us % 1e6;
    var d = Math.floor(total / 86400), h = Math.floor(total / 3600) % 24, m = Math.floor(total / 60) % 60, s = total % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var text = d > 0 ? d + "d" + pad(h) + "h" + pad(m) + "m" : h > 0 ? h + "h" + pad(m) + "m" : m > 0 ? m + "m" : "";
    if (s > 0 || frac > 0 || total === 0) {
      var fr = frac > 0 ? ("." + String(frac + 1e6).slice(1)).replace(/0+$/, "") : "";
      text += (text.length > 0 ? pad(s) : String(s)) + fr + "s";
    }
    return (neg ? "-" : "") + text;
  }

  // For the browser test, which checks these against ByteCount.Format and SimDuration.Display.
  window.walsimFormat = { time: fmtTime, bytes: fmtBytes };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function colorOf(i) { return palette[i % palette.length]; }

  // Versions that decide alike draw the same line: every version after the first is dashed, so a line drawn over
  // another still shows both colours.
  var dashes = [[10, 5], [4, 4], [14, 4, 3, 4]];
  function dashOf(i) { return i === 0 ? undefined : dashes[(i - 1) % dashes.length]; }

  // A version as legends name it; a what-if report marks the version its settings are written for and fixed minors.
  function label(v) {
    return (v.label || v.version) + (v.role === "source" ? " (from)" : v.role === "fixed_minor" ? " (fixed minor)" : "");
  }

  // One x array for all versions: the union of their times; a version has null where it has no point.
  function joined(pick) {
    var tables = data.versions.map(function (v) { return [v.timeline.t, pick(v)]; });
    if (tables.length === 1) return [tables[0][0], tables[0][1]];
    return uPlot.join(tables);
  }

  function width(container) { return Math.max(360, container.clientWidth || 900); }

  var pending = 0;
  function drawn(container) {
    if (container.dataset.drawn === "true") return;
    container.dataset.drawn = "true";
    if (--pending === 0) {
      document.body.dataset.walsimReady = "true";
      window.walsimReady = true;
    }
  }

  // Byte ticks at powers of two (1MB, 2MB, 4MB, ...), not at 1.91MB.
  var byteIncrs = [];
  for (var k = 0; k <= 50; k++) byteIncrs.push(Math.pow(2, k));
  // Time ticks at round seconds, minutes, hours and days.
  var timeIncrs = [0.001, 0.01, 0.1, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
    43200, 86400, 172800, 604800, 1209600, 2592000, 7776000, 31536000];

  // Tick labels: fmtTime, to the millisecond when ticks are less than a second apart (past a minute, whole seconds
  // would label two ticks alike).
  function timeTicks(u, splits, axis, space, incr) {
    return splits.map(function (s) { return fmtTime(s, incr < 1 ? 1e3 : undefined); });
  }

  function axes(xLabel) {
    return [
      xLabel ? { values: timeTicks, incrs: timeIncrs, label: "time since start" }
        : { values: timeTicks, incrs: timeIncrs, size: 30 },
      { values: function (u, splits) { return splits.map(fmtBytes); }, incrs: byteIncrs, size: 70 },
    ];
  }

  var timeSeries = { label: "time", value: function (u, v) { return v === null ? "--" : fmtTime(v); } };

  function hline(u, ctx, value, color, label, dash, left) {
    if (value === null || value === undefined) return;
    var y = Math.round(u.valToPos(value, "y", true));
    if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash(dash);
    ctx.beginPath();
    ctx.moveTo(u.bbox.left, y);
    ctx.lineTo(u.bbox.left + u.bbox.width, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.font = (11 * devicePixelRatio) + "px sans-serif";
    ctx.textAlign = left ? "left" : "right";
    ctx.fillText(label, left ? u.bbox.left + 4 : u.bbox.left + u.bbox.width - 4, left ? y + 13 * devicePixelRatio : y - 4 * devicePixelRatio);
    ctx.restore();
  }

  function vline(u, ctx, t, color, label, row) {
    var x = Math.round(u.valToPos(t, "x", true));
    if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return;
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = color;
    ctx.font = (11 * devicePixelRatio) + "px sans-serif";
    ctx.textAlign = "right";
    ctx.fillText(label, x - 3 * devicePixelRatio, u.bbox.top + (12 + 13 * row) * devicePixelRatio);
    ctx.restore();
  }

  function lostMarkers(u, ctx, onlySlot, onlyVersion) {
    var row = 0;
    data.versions.forEach(function (v) {
      if (onlyVersion !== undefined && v !== onlyVersion) return;
      v.slots.forEach(function (s) {
        if (s.lost_s === null || (onlySlot !== null && s.name !== onlySlot)) return;
        vline(u, ctx, s.lost_s, statusColor.lost, s.name + " lost at " + fmtTime(s.lost_s) + " (" + (v.label || v.version) + ")", row++);
      });
      // A topology's failover (the run ends there).
      if (v.failover_s !== undefined && v.failover_s !== null)
        vline(u, ctx, v.failover_s, "#333333", v.failover_text + " at " + fmtTime(v.failover_s), row++);
    });
  }

  function yRange(extra) {
    return function (u, min, max) {
      var top = Math.max(max || 0, 1);
      extra.forEach(function (x) { if (x !== null && x !== undefined && x > top) top = x; });
      return [0, top * 1.08];
    };
  }

  function pgWalChart(container) {
    var limits = [];
    data.versions.forEach(function (v) {
      limits.push(v.limits.disk_wal_space_bytes, v.limits.read_only_wal_bytes, v.limits.max_slot_wal_keep_size_bytes,
        v.summary.peak_pg_wal_bytes);
    });
    var table = joined(function (v) { return v.timeline.pg_wal_bytes; });
    var series = [timeSeries];
    data.versions.forEach(function (v, i) {
      series.push({ label: "pg_wal " + label(v), stroke: colorOf(i), dash: dashOf(i), width: 2, spanGaps: true,
        value: function (u, val) { return fmtBytes(val); } });
    });
    var opts = {
      width: width(container), height: 320,
      scales: { x: { time: false }, y: { range: yRange(limits) } },
      axes: axes(true),
      series: series,
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, seen = {};
          data.versions.forEach(function (v, i) {
            var lines = [
              [v.limits.disk_wal_space_bytes, "#000000", "disk: space for pg_wal " + fmtBytes(v.limits.disk_wal_space_bytes), [], false],
              [v.limits.read_only_wal_bytes, "#8d6e63", "read-only threshold " + fmtBytes(v.limits.read_only_wal_bytes), [8, 4], true],
              [v.limits.max_slot_wal_keep_size_bytes, "#9c27b0", "max_slot_wal_keep_size " + fmtBytes(v.limits.max_slot_wal_keep_size_bytes), [2, 3], false],
            ];
            lines.forEach(function (l) {
              var key = l[2];
              if (l[0] === null || seen[key]) return;
              seen[key] = true;
              hline(u, ctx, l[0], l[1], l[2], l[3].map(function (d) { return d * devicePixelRatio; }), l[4]);
            });
            // The exact peak (the engine's, which may fall between timeline rows).
            var px = u.valToPos(v.summary.peak_at_s, "x", true), py = u.valToPos(v.summary.peak_pg_wal_bytes, "y", true);
            ctx.save();
            ctx.fillStyle = colorOf(i);
            ctx.beginPath();
            ctx.arc(px, py, 4 * devicePixelRatio, 0, 2 * Math.PI);
            ctx.fill();
            ctx.restore();
            // Checkpoint ticks along the bottom, one row per version; taller and red where slots were invalidated.
            ctx.save();
            var base = u.bbox.top + u.bbox.height - i * 8 * devicePixelRatio;
            v.checkpoints.items.forEach(function (c) {
              var x = Math.round(u.valToPos(c.t, "x", true));
              var inv = c.invalidated.length > 0;
              ctx.strokeStyle = inv ? statusColor.lost : colorOf(i);
              ctx.globalAlpha = inv ? 1 : 0.6;
              ctx.lineWidth = (inv ? 2 : 1) * devicePixelRatio;
              ctx.beginPath();
              ctx.moveTo(x, base);
              ctx.lineTo(x, base - (inv ? 14 : 7) * devicePixelRatio);
              ctx.stroke();
            });
            ctx.restore();
          });
          lostMarkers(u, ctx, null);
          drawn(container);
        }],
      },
    };
    new uPlot(opts, table, container);
  }

  function slotChart(container) {
    var name = container.dataset.slot;
    var index = function (v) {
      for (var i = 0; i < v.timeline.slots.length; i++) if (v.timeline.slots[i].name === name) return i;
      return -1;
    };
    var table = joined(function (v) {
      var i = index(v);
      return i < 0 ? v.timeline.t.map(function () { return null; }) : v.timeline.slots[i].retained_bytes;
    });
    var caps = [];
    data.versions.forEach(function (v) {
      caps.push(v.limits.max_slot_wal_keep_size_bytes);
      v.slots.forEach(function (s) { if (s.name === name) caps.push(s.peak_retained_bytes); });
    });
    var series = [timeSeries];
    data.versions.forEach(function (v, i) {
      series.push({ label: name + " " + label(v), stroke: colorOf(i), dash: dashOf(i), width: 2, spanGaps: false,
        value: function (u, val) { return fmtBytes(val); } });
    });
    var bands = data.versions.length * (bandHeight + bandGap);
    var opts = {
      width: width(container), height: 280 + bands,
      padding: [12, 12, bands + 4, 0],
      scales: { x: { time: false }, y: { range: yRange(caps) } },
      axes: axes(false),
      series: series,
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx, dpr = devicePixelRatio, seen = {};
          data.versions.forEach(function (v, vi) {
            var cap = v.limits.max_slot_wal_keep_size_bytes, label = "max_slot_wal_keep_size " + fmtBytes(cap);
            if (cap !== null && !seen[label]) {
              seen[label] = true;
              hline(u, ctx, cap, "#9c27b0", label, [2 * dpr, 3 * dpr]);
            }
            // wal_status band: from each point to the next, coloured by the status at the point.
            var si = index(v), t = v.timeline.t;
            var top = u.bbox.top + u.bbox.height + (32 + vi * (bandHeight + bandGap)) * dpr;
            ctx.save();
            for (var k = 0; k < t.length; k++) {
              var st = si < 0 ? null : v.timeline.slots[si].wal_status[k];
              var present = si >= 0 && v.timeline.slots[si].retained_bytes[k] !== null;
              var x0 = u.valToPos(t[k], "x", true);
              var x1 = k + 1 < t.length ? u.valToPos(t[k + 1], "x", true) : u.bbox.left + u.bbox.width;
              ctx.fillStyle = st ? statusColor[st] : present ? noneColor : "#ffffff";
              ctx.fillRect(x0, top, Math.max(x1 - x0, 1), bandHeight * dpr);
            }
            ctx.fillStyle = "#333333";
            ctx.font = (10 * dpr) + "px sans-serif";
            ctx.textAlign = "right";
            ctx.fillText(v.label || v.version, u.bbox.left - 4 * dpr, top + (bandHeight - 1) * dpr);
            ctx.restore();
          });
          lostMarkers(u, ctx, name);
          drawn(container);
        }],
      },
    };
    new uPlot(opts, table, container);
  }

  // pg_wal by reason for one version (walsim explain's breakdown at each point), stacked: each series is drawn as
  // the running sum up to it, filled down to zero, topmost first so each lower one is painted over it.
  var reasonColor = { redo: "#1f6fb4", not_replayed: "#5c6bc0", wal_keep: "#15917f", archiver: "#c2185b",
    recycled_ahead: "#9e9e9e", removable: "#d7d7d7", other: "#222222" };
  var slotColors = ["#f28c28", "#7b3fa0", "#a0522d", "#6b8e23", "#f2c12e", "#00838f"];

  function reasonsChart(container) {
    var v = data.versions[Number(container.dataset.version)];
    var parts = v.timeline.breakdown, sums = [], running = v.timeline.t.map(function () { return 0; });
    parts.forEach(function (p) {
      running = running.map(function (x, k) { return x + p.bytes[k]; });
      sums.push(running);
    });
    var table = [v.timeline.t], series = [timeSeries], slot = 0;
    var colors = parts.map(function (p) { return p.slot === null ? reasonColor[p.reason] : slotColors[slot++ % slotColors.length]; });
    for (var k = parts.length - 1; k >= 0; k--) {
      (function (p, raw, color) {
        table.push(sums[k]);
        series.push({ label: p.slot === null ? p.reason : "slot " + p.slot, stroke: color, fill: color + "cc", width: 1,
          value: function (u, val, si, idx) { return idx === null || idx === undefined ? "--" : fmtBytes(raw[idx]); } });
      })(parts[k], parts[k].bytes, colors[k]);
    }
    var opts = {
      width: width(container), height: 280,
      scales: { x: { time: false }, y: { range: yRange([v.summary.peak_pg_wal_bytes]) } },
      axes: axes(false),
      series: series,
      hooks: { draw: [function (u) { lostMarkers(u, u.ctx, null, v); drawn(container); }] },
    };
    new uPlot(opts, table, container);
  }

  // The key figures per version, from the same data as the tables, above the charts.
  function figures() {
    var host = document.getElementById("charts");
    var list = el("ul", "figures");
    data.versions.forEach(function (v, i) {
      var li = el("li");
      var sw = el("span", "swatch");
      sw.style.background = colorOf(i);
      li.appendChild(sw);
      li.appendChild(el("strong", null, "PostgreSQL " + label(v) + ": "));
      var peak = el("span", "figure", "peak pg_wal " + fmtBytes(v.summary.peak_pg_wal_bytes));
      peak.dataset.jsKey = "peak_pg_wal_bytes";
      peak.dataset.version = v.label || v.version;
      peak.dataset.value = String(v.summary.peak_pg_wal_bytes);
      li.appendChild(peak);
      li.appendChild(document.createTextNode(" (" + v.summary.peak_pg_wal_files + " files) at " + fmtTime(v.summary.peak_at_s) +
        "; disk full " + fmtTime(v.summary.disk_full_s)));
      v.slots.forEach(function (s) {
        li.appendChild(document.createTextNode("; "));
        var lost = el("span", "figure", s.name + " lost " + fmtTime(s.lost_s));
        lost.dataset.jsKey = "lost_s";
        lost.dataset.version = v.label || v.version;
        lost.dataset.slot = s.name;
        lost.dataset.value = s.lost_s === null ? "" : String(s.lost_s);
        li.appendChild(lost);
      });
      list.appendChild(li);
    });
    host.insertBefore(list, host.children[1]);
  }

  try {
    figures();
    var charts = document.querySelectorAll("#charts .chart");
    pending = charts.length;
    if (pending === 0) { document.body.dataset.walsimReady = "true"; window.walsimReady = true; }
    charts.forEach(function (c) {
      if (c.dataset.chart === "pg_wal") pgWalChart(c);
      else if (c.dataset.chart === "reasons") reasonsChart(c);
      else slotChart(c);
    });
  } catch (e) {
    document.body.dataset.walsimError = String(e);
    throw e;
  }
})();

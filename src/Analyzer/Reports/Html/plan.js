// walsim plan report: draws, per slot, the longest outage survived against max_slot_wal_keep_size from the
// embedded JSON (#walsim-data, the same document as plan.json) with the inlined uPlot. The heatmaps are plain
// HTML tables rendered by walsim; this script only adds the charts. Strings reach the page through textContent
// only. When every chart has drawn, it gets data-drawn="true" and <body> data-walsim-ready="true".
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("walsim-data").textContent);

  function hours(sec) { return sec === null || sec === undefined ? null : sec / 3600; }

  function fmtHours(h) {
    if (h === null || h === undefined) return "—";
    var m = Math.round(h * 60), d = Math.floor(m / 1440), hh = Math.floor(m / 60) % 24, mm = m % 60;
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d > 0 ? d + "d" + pad(hh) + "h" : hh > 0 ? hh + "h" + (mm > 0 ? pad(mm) + "m" : "") : mm + "m";
  }

  // Sizes as walsim writes them; uPlot passes null for the unlabelled ticks of a log axis.
  function fmtGb(gb) {
    if (gb === null || gb === undefined) return "";
    return gb >= 1 ? (Math.round(gb * 100) / 100) + "GB" : Math.round(gb * 1024) + "MB";
  }

  var charts = document.querySelectorAll("[data-chart='survival']");
  var drawn = 0;
  charts.forEach(function (container) {
    var slot = data.slots[Number(container.getAttribute("data-slot-index"))];
    var finite = slot.caps.filter(function (c) { return c.cap_mb > 0; });
    var longest = data.outages_s[data.outages_s.length - 1] / 3600;
    var clip = function (sec) { var h = hours(sec); return h === null || h > longest ? null : h; };
    // x = log2(cap in GB) on a linear scale: caps grow by factors, and every candidate gets its own labelled tick
    // (uPlot's log axis labels only powers of ten).
    var x = finite.map(function (c) { return Math.log2(c.cap_mb / 1024); });
    var atRisk = finite.map(function (c) { return clip(c.survives_s.at_risk); });
    var median = finite.map(function (c) { return clip(c.survives_s.p50); });
    var target = finite.map(function () { return data.target_outage_s / 3600; });
    if (x.length === 0) {
      container.appendChild(document.createTextNode("No finite cap was judged: nothing to chart."));
      container.setAttribute("data-drawn", "true");
      drawn++;
      return;
    }
    var opts = {
      width: Math.max(360, container.clientWidth || 900),
      height: 300,
      scales: { x: { time: false }, y: { range: [0, longest * 1.05] } },
      axes: [
        // Ticks at the candidate caps themselves, not at powers of ten.
        { label: "max_slot_wal_keep_size", splits: function () { return x; },
          values: function (u, vals) { return vals.map(function (v) { return v === null ? "" : fmtGb(Math.pow(2, v)); }); } },
        // Ticks on whole minutes, hours and days rather than uPlot's decimal steps of hours.
        { label: "longest outage survived", values: function (u, vals) { return vals.map(fmtHours); }, size: 70,
          incrs: [1 / 60, 5 / 60, 0.25, 0.5, 1, 2, 3, 6, 12, 24, 48, 96, 168] },
      ],
      series: [
        { label: "cap", value: function (u, v) { return v === null ? "—" : fmtGb(Math.pow(2, v)); } },
        { label: "in " + Math.round((1 - data.risk) * 1000) / 10 + " % of runs", stroke: "#d32f2f", width: 2,
          points: { show: true }, value: function (u, v) { return fmtHours(v); } },
        { label: "median", stroke: "#1f6fb4", width: 2, points: { show: true }, value: function (u, v) { return fmtHours(v); } },
        { label: "target outage", stroke: "#555", dash: [6, 4], width: 1, points: { show: false }, value: function (u, v) { return fmtHours(v); } },
      ],
    };
    new uPlot(opts, [x, atRisk, median, target], container);
    container.setAttribute("data-drawn", "true");
    drawn++;
  });
  if (drawn === charts.length) document.body.setAttribute("data-walsim-ready", "true");
})();

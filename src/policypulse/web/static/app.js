/* policypulse dashboard: charts drawn from the JSON API with the bundled Chart.js (no CDN). */
(function () {
  "use strict";
  var PP = (window.PP = window.PP || {});
  var COLORS = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0f766e", "#a16207", "#be185d"];
  var PHASE_COLORS = {
    latent: "rgba(148,163,184,0.15)", rise: "rgba(34,197,94,0.13)", emergence: "rgba(34,197,94,0.13)",
    peak: "rgba(234,179,8,0.18)", decline: "rgba(249,115,22,0.13)", dormant: "rgba(100,116,139,0.15)",
    dead: "rgba(15,23,42,0.12)", relaunch: "rgba(59,130,246,0.15)", resurrection: "rgba(168,85,247,0.15)"
  };

  function indexAtOrAfter(labels, date) {
    if (!date) return -1;
    for (var i = 0; i < labels.length; i++) if (labels[i] >= date) return i;
    return labels.length - 1;
  }
  function indexAtOrBefore(labels, date) {
    if (!date) return -1;
    for (var i = labels.length - 1; i >= 0; i--) if (labels[i] <= date) return i;
    return 0;
  }

  // Shades phases and coverage gaps, and marks the peak and the last mention, behind the data.
  var lifecyclePlugin = {
    id: "ppLifecycle",
    beforeDatasetsDraw: function (chart, args, opts) {
      var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x, labels = chart.data.labels;
      if (!x || !labels.length) return;
      var half = labels.length > 1 ? (x.getPixelForValue(1) - x.getPixelForValue(0)) / 2 : 10;
      ctx.save();
      (opts.gaps || []).forEach(function (i) {
        ctx.fillStyle = "rgba(220,38,38,0.12)";
        ctx.fillRect(x.getPixelForValue(i) - half, area.top, 2 * half, area.bottom - area.top);
      });
      (opts.phases || []).forEach(function (p) {
        var a = indexAtOrAfter(labels, p.start), b = indexAtOrBefore(labels, p.end || labels[labels.length - 1]);
        if (a < 0 || b < a) return;
        ctx.fillStyle = PHASE_COLORS[(p.phase || "").split(" ")[0].toLowerCase()] || "rgba(148,163,184,0.12)";
        var left = x.getPixelForValue(a) - half, right = x.getPixelForValue(b) + half;
        ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
        ctx.fillStyle = "#475569"; ctx.font = "11px sans-serif";
        ctx.fillText(p.phase, left + 3, area.top + 12);
      });
      (opts.marks || []).forEach(function (m) {
        var i = indexAtOrBefore(labels, m.date);
        if (i < 0) return;
        var px = x.getPixelForValue(i);
        ctx.strokeStyle = m.color; ctx.setLineDash([4, 3]); ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
        ctx.setLineDash([]); ctx.fillStyle = m.color; ctx.font = "11px sans-serif";
        ctx.fillText(m.label, Math.min(px + 3, area.right - 80), area.top + 26);
      });
      ctx.restore();
    }
  };

  function done(canvas, n) {
    canvas.setAttribute("data-points", String(n));
    var box = canvas.parentNode, loading = box && box.querySelector(".loading");
    if (loading) loading.remove();
  }

  PP.drawTimeline = function (canvas, rows, lc) {
    var labels = rows.map(function (r) { return r.period; });
    var gaps = [];
    rows.forEach(function (r, i) { if (r.coverage === "gap") gaps.push(i); });
    var marks = [];
    if (lc && lc.peak) marks.push({ date: lc.peak, label: "peak", color: "#a16207" });
    if (lc && lc.last_mention) marks.push({ date: lc.last_mention, label: "last mention", color: "#b91c1c" });
    var chart = new Chart(canvas, {
      data: {
        labels: labels,
        datasets: [
          { type: "line", label: "share of documents", yAxisID: "y", data: rows.map(function (r) { return r.rate; }),
            borderColor: COLORS[0], backgroundColor: COLORS[0], pointRadius: rows.length > 120 ? 0 : 2, spanGaps: false, tension: 0.15 },
          { type: "bar", label: "documents mentioning", yAxisID: "y2", data: rows.map(function (r) { return r.docs; }),
            backgroundColor: "rgba(100,116,139,0.35)" }
        ]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: "share of documents" } },
                  y2: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "documents" } } },
        plugins: { ppLifecycle: { phases: (lc && lc.phases) || [], gaps: gaps, marks: marks } }
      },
      plugins: [lifecyclePlugin]
    });
    done(canvas, rows.length);
    return chart;
  };

  PP.drawOverview = function (canvas, rows) {
    var chart = new Chart(canvas, {
      type: "bar",
      data: { labels: rows.map(function (r) { return r.period; }),
              datasets: [{ label: "documents", data: rows.map(function (r) { return r.total_docs; }), backgroundColor: COLORS[0] }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 plugins: { ppLifecycle: { gaps: rows.map(function (r, i) { return r.coverage === "gap" ? i : -1; }).filter(function (i) { return i >= 0; }) } } },
      plugins: [lifecyclePlugin]
    });
    done(canvas, rows.length);
    return chart;
  };

  PP.drawCompare = function (canvas, series) {
    var labels = series.length ? series[0].rows.map(function (r) { return r.period; }) : [];
    var chart = new Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: series.map(function (s, k) {
        return { label: s.idea, data: s.rows.map(function (r) { return r.rate; }), borderColor: COLORS[k % COLORS.length],
                 backgroundColor: COLORS[k % COLORS.length], pointRadius: 0, spanGaps: false, tension: 0.15 };
      }) },
      options: { animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: "index", intersect: false },
                 scales: { y: { beginAtZero: true, title: { display: true, text: "share of documents" } } } }
    });
    done(canvas, labels.length);
    return chart;
  };

  PP.drawBars = function (canvas, series, label) {
    var chart = new Chart(canvas, {
      type: "bar",
      data: { labels: series.labels, datasets: [{ label: label, data: series.values, backgroundColor: COLORS[0] }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
                 scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
    done(canvas, series.labels.length);
    return chart;
  };

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.statusText); return body; });
    });
  }
  function fail(canvas, err) {
    var box = canvas.parentNode, p = box.querySelector(".loading") || document.createElement("p");
    p.className = "error"; p.textContent = "Could not load the chart: " + err.message; box.appendChild(p);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var timeline = document.getElementById("timeline");
    if (timeline) {
      var q = encodeURIComponent(timeline.dataset.q), by = encodeURIComponent(timeline.dataset.by);
      Promise.all([getJSON("/api/track?q=" + q + "&by=" + by), getJSON("/api/lifecycle?q=" + q + "&by=" + by)])
        .then(function (res) { PP.drawTimeline(timeline, res[0], res[1]); })
        .catch(function (e) { fail(timeline, e); });
      var png = document.getElementById("export-png");
      if (png) png.addEventListener("click", function () {
        var a = document.createElement("a"); a.href = timeline.toDataURL("image/png");
        a.download = "policypulse-" + timeline.dataset.q.replace(/[^a-z0-9]+/gi, "-") + ".png"; a.click();
      });
    }
    var overview = document.getElementById("overview-chart");
    if (overview) {
      getJSON("/api/overview?by=" + encodeURIComponent(overview.dataset.by))
        .then(function (s) { PP.drawOverview(overview, s.per_period); })
        .catch(function (e) { fail(overview, e); });
    }
    var cmp = document.getElementById("compare-chart");
    if (cmp) {
      var ideas = JSON.parse(cmp.dataset.qs || "[]"), cby = encodeURIComponent(cmp.dataset.by);
      var names = JSON.parse(cmp.dataset.labels || "null") || ideas;
      Promise.all(ideas.map(function (i) { return getJSON("/api/track?q=" + encodeURIComponent(i) + "&by=" + cby); }))
        .then(function (res) { PP.drawCompare(cmp, res.map(function (rows, k) { return { idea: names[k], rows: rows }; })); })
        .catch(function (e) { fail(cmp, e); });
    }
    var bars = document.getElementById("bars-chart");
    if (bars) {
      try { PP.drawBars(bars, JSON.parse(bars.dataset.series), bars.dataset.label || ""); }
      catch (e) { fail(bars, e); }
    }
    // Loading state for the forms whose answer is computed on the server (seconds on a large store).
    Array.prototype.forEach.call(document.querySelectorAll("form.work-form"), function (form) {
      form.addEventListener("submit", function () {
        var note = form.parentNode.querySelector(".busy"), button = form.querySelector("button[type=submit]");
        if (note) note.hidden = false;
        if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      });
      // Ctrl+Enter (Cmd+Enter) submits from a multi-line description.
      Array.prototype.forEach.call(form.querySelectorAll("textarea"), function (area) {
        area.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            if (form.requestSubmit) form.requestSubmit(); else form.submit();
          }
        });
      });
    });
    // Coming back with the browser's Back button shows the page as it was left: not busy any more.
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".busy"), function (n) { n.hidden = true; });
      Array.prototype.forEach.call(document.querySelectorAll("form.work-form button[type=submit]"), function (b) {
        b.disabled = false; b.removeAttribute("aria-busy");
      });
    });
    // Keyboard: "/" jumps to the search box from anywhere.
    document.addEventListener("keydown", function (ev) {
      var box = document.getElementById("q");
      if (ev.key === "/" && box && document.activeElement !== box && !/input|textarea|select/i.test(document.activeElement.tagName)) {
        ev.preventDefault(); box.focus(); box.select();
      }
    });
  });
})();

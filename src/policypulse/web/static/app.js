/* policypulse dashboard: charts drawn with the bundled uPlot (no CDN) from the JSON API.
   The browser never computes a plotted number: it draws the `value` column /api/track sends, which is
   the same column the CSV export and the PNG/SVG figure use. */
(function () {
  "use strict";
  var PP = (window.PP = window.PP || {});
  PP.charts = {};
  PP.rows = {};
  // ten hues told apart at a glance (and in print): no two reds, no red at all (red marks gaps and the last mention)
  var COLORS = ["#1f5fa8", "#e8710a", "#15803d", "#7e22ce", "#0891b2", "#db2777", "#854d0e", "#111827", "#84cc16", "#94a3b8"];
  var PHASE_COLORS = {
    latent: "rgba(148,163,184,0.13)", rise: "rgba(34,197,94,0.16)", emerging: "rgba(34,197,94,0.16)",
    peak: "rgba(234,179,8,0.22)", decline: "rgba(249,115,22,0.15)", sustained: "rgba(14,165,233,0.13)",
    dormant: "rgba(100,116,139,0.16)", dead: "rgba(15,23,42,0.13)", relaunch: "rgba(59,130,246,0.16)",
    resurrection: "rgba(168,85,247,0.16)", "in": "rgba(14,165,233,0.13)"  // "in use": no clear peak
  };
  var GAP_FILL = "rgba(220,38,38,0.16)";
  var STRIP = 16; // CSS pixels of the phase strip at the top of a chart
  var PHASE_STRIP = {};
  Object.keys(PHASE_COLORS).forEach(function (k) { PHASE_STRIP[k] = PHASE_COLORS[k].replace(/[0-9.]+\)$/, "0.55)"); });
  var MEASURE_LABELS = {
    share: "% of documents mentioning it", words: "mentions per million words",
    docs: "documents mentioning it", mentions: "mentions (every occurrence)"
  };
  var DAY = 86400, MO = 30 * DAY, YR = 365 * DAY;
  var INCRS = {
    year: [YR, 2 * YR, 5 * YR, 10 * YR, 20 * YR, 25 * YR, 50 * YR, 100 * YR, 200 * YR, 500 * YR],
    quarter: [3 * MO, 6 * MO, YR, 2 * YR, 5 * YR, 10 * YR, 20 * YR, 50 * YR, 100 * YR],
    month: [MO, 2 * MO, 3 * MO, 6 * MO, YR, 2 * YR, 5 * YR, 10 * YR, 20 * YR, 50 * YR, 100 * YR],
    week: [7 * DAY, 14 * DAY, MO, 3 * MO, 6 * MO, YR, 2 * YR, 5 * YR, 10 * YR, 25 * YR, 50 * YR],
    day: [DAY, 2 * DAY, 7 * DAY, 14 * DAY, MO, 3 * MO, 6 * MO, YR, 2 * YR, 5 * YR, 10 * YR, 25 * YR, 50 * YR]
  };
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  // ---------------------------------------------------------------------------------- dates
  function ts(iso) { // "1965-01-01" -> seconds (UTC), any year from 1 to 9999
    var p = iso.split("-"), d = new Date(0);
    d.setUTCFullYear(+p[0], +p[1] - 1, +p[2]); d.setUTCHours(0, 0, 0, 0);
    return d.getTime() / 1000;
  }
  function dateOf(s) { return new Date(s * 1000); }
  function iso(s) {
    var d = dateOf(s), y = d.getUTCFullYear(), m = d.getUTCMonth() + 1, dd = d.getUTCDate();
    return String(y).padStart(4, "0") + "-" + String(m).padStart(2, "0") + "-" + String(dd).padStart(2, "0");
  }
  function label(s, by) { // how people write a period: 1965, Q1 2014, Mar 2014, 3 Mar 2014
    var d = dateOf(s), y = d.getUTCFullYear(), m = d.getUTCMonth();
    if (by === "year") return String(y);
    if (by === "quarter") return "Q" + (Math.floor(m / 3) + 1) + " " + y;
    if (by === "month") return MONTHS[m] + " " + y;
    if (by === "week") return "week of " + d.getUTCDate() + " " + MONTHS[m] + " " + y;
    return d.getUTCDate() + " " + MONTHS[m] + " " + y;
  }
  function tickLabel(s, incr) {
    var d = dateOf(s);
    if (incr >= YR) return String(d.getUTCFullYear());
    if (incr >= MO) return MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }
  function fmtNum(v, measure) {
    if (v === null || v === undefined || isNaN(v)) return "—";
    if (measure === "docs" || measure === "mentions") return (Math.round(v * 100) / 100).toLocaleString("en");
    if (v === 0) return "0";
    var a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
  }
  PP.label = label;
  PP.ts = ts;

  // ---------------------------------------------------------------------------------- network
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.error || r.statusText); return body; });
    });
  }
  function qs(params) {
    var parts = [];
    Object.keys(params).forEach(function (k) {
      var v = params[k];
      if (v === null || v === undefined || v === "") return;
      (Array.isArray(v) ? v : [v]).forEach(function (x) { parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(x)); });
    });
    return parts.join("&");
  }
  PP.qs = qs;

  // ---------------------------------------------------------------------------------- drawing helpers
  function lonePoints(ys) { // covered periods with no covered neighbour: a line cannot show them
    var out = [];
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] === null) continue;
      var prev = i > 0 ? ys[i - 1] : null, next = i < ys.length - 1 ? ys[i + 1] : null;
      if (prev === null && next === null) out.push(i);
    }
    return out;
  }
  function xpx(u, s) { return u.valToPos(s, "x", true); }
  // uPlot's line runs through a missing value and clips [last covered x, next covered x] away, but the
  // stroke is wider than that edge: a steep segment toward the far side of a gap left a short piece of
  // line standing at the last covered period (and under the next one). Widen each clipped gap by the
  // stroke's half-width and a pixel of antialiasing, in canvas pixels; the covered periods' own line loses
  // no more than that.
  function gapClip(width) {
    return function (u, si, i0, i1, gaps) {
      var pad = width * (devicePixelRatio || 1) / 2 + 1;
      return gaps.map(function (g) { return [g[0] - pad, g[1] + pad]; });
    };
  }
  // a mark's label beside x, on the left of it when it would run off the plot's right edge
  function markText(u, ctx, text, x, y) {
    var pr = devicePixelRatio || 1, w = ctx.measureText(text).width;
    if (x + 8 * pr + w > u.bbox.left + u.bbox.width) ctx.fillText(text, x - 8 * pr - w, y);
    else ctx.fillText(text, x + 8 * pr, y);
  }

  // Bands behind the data: coverage gaps (red), phases (labelled); marks on top: peak, last mention, forecast.
  function bandsPlugin(state) {
    return {
      hooks: {
        drawClear: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, left = u.bbox.left, right = left + u.bbox.width;
          ctx.save();
          ctx.beginPath(); ctx.rect(left, top, u.bbox.width, h); ctx.clip();
          var pr = devicePixelRatio || 1;
          // where most periods are gaps (a yearly corpus by month), a lighter shade keeps the data readable
          var nGaps = state.rows.filter(function (r) { return r.coverage === "gap"; }).length;
          ctx.fillStyle = nGaps > state.rows.length / 2 ? "rgba(220,38,38,0.06)" : GAP_FILL;
          state.rows.forEach(function (r, k) {
            if (r.coverage !== "gap") return;
            var next = r.period_end ? ts(r.period_end) + DAY : (state.rows[k + 1] ? ts(state.rows[k + 1].period) : ts(r.period) + YR);
            var a = xpx(u, ts(r.period)), b = xpx(u, next);
            if (b < left || a > right) return;
            ctx.fillRect(a, top, Math.max(b - a, pr), h);
          });
          ctx.restore();
        }],
        draw: [function (u) {
          var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, pr = devicePixelRatio || 1;
          var left = u.bbox.left, right = left + u.bbox.width;
          ctx.save();
          ctx.beginPath(); ctx.rect(left, top, u.bbox.width, h); ctx.clip();
          ctx.font = (11 * pr) + "px sans-serif";
          ctx.textAlign = "left"; ctx.textBaseline = "alphabetic"; // uPlot leaves its axes' alignment behind
          // phases: a labelled strip along the top, in the headroom above the data (the y range leaves it free),
          // drawn over the grid so that each phase reads as one band
          var labels = [];
          (state.phases || []).forEach(function (p) {
            var a = xpx(u, ts(p.start)), b = xpx(u, state.endOf(p.end));
            if (b < left || a > right) return;
            ctx.fillStyle = "#ffffff"; ctx.fillRect(a, top, b - a, STRIP * pr);
            ctx.fillStyle = PHASE_STRIP[(p.phase || "").split(" ")[0].toLowerCase()] || "rgba(148,163,184,0.5)";
            ctx.fillRect(a, top, b - a, STRIP * pr);
            ctx.strokeStyle = "#ffffff"; ctx.lineWidth = pr; ctx.strokeRect(a, top, b - a, STRIP * pr);
            labels.push([p.phase, Math.max(a, left), Math.min(b, right)]);
          });
          ctx.fillStyle = "#0f172a";
          labels.forEach(function (l) { // after every fill, so that no band covers a label
            if (l[2] - l[1] > ctx.measureText(l[0]).width + 6 * pr) ctx.fillText(l[0], l[1] + 3 * pr, top + 12 * pr);
          });
          var lc = state.lc;
          if (!lc) { ctx.restore(); return; }
          var fi = lc.forecast_interval || [];
          if (lc.forecast_last_mention && fi[0] && fi[1] && lc.display && lc.display.forecast_interval) {
            var fa = xpx(u, ts(fi[0])), fb = xpx(u, state.endOf(fi[1]));
            ctx.fillStyle = "rgba(126,34,206,0.10)"; ctx.fillRect(fa, top, Math.max(fb - fa, pr), h);
            ctx.fillStyle = "#6b21a8"; ctx.fillText("forecast last mention", fa + 3 * pr, top + h - 6 * pr);
          }
          if (lc.last_mention) {
            var lx = xpx(u, ts(lc.last_mention));
            ctx.strokeStyle = "#b91c1c"; ctx.setLineDash([5 * pr, 4 * pr]); ctx.lineWidth = 1.5 * pr;
            ctx.beginPath(); ctx.moveTo(lx, top); ctx.lineTo(lx, top + h); ctx.stroke(); ctx.setLineDash([]);
            ctx.fillStyle = "#b91c1c"; markText(u, ctx, "last mention", lx - 5 * pr, top + 28 * pr);
          }
          (lc.echo_dates || []).forEach(function (d, k) { // retrospective mentions after the death: not uses
            var j = state.index[d], ev = j === undefined ? null : u.data[1][j];
            if (ev === null || ev === undefined) return;
            var ex = xpx(u, ts(d)), ey = u.valToPos(ev, "y", true);
            ctx.strokeStyle = "#7c3aed"; ctx.lineWidth = 2 * pr; ctx.beginPath(); ctx.arc(ex, ey, 6 * pr, 0, 2 * Math.PI); ctx.stroke();
            if (k === 0) { ctx.fillStyle = "#7c3aed"; markText(u, ctx, "echo", ex, ey - 8 * pr); }
          });
          if (lc.peak) {
            var i = state.index[lc.peak];
            var y = i === undefined ? null : u.data[1][i];
            if (y !== null && y !== undefined) {
              var px = xpx(u, ts(lc.peak)), py = u.valToPos(y, "y", true);
              ctx.fillStyle = "#a16207"; ctx.beginPath();
              ctx.moveTo(px - 6 * pr, py - 12 * pr); ctx.lineTo(px + 6 * pr, py - 12 * pr); ctx.lineTo(px, py - 3 * pr); ctx.closePath(); ctx.fill();
              markText(u, ctx, "peak", px, py - 6 * pr);
            }
          }
          ctx.restore();
        }]
      }
    };
  }

  function size(el, height) {
    return { width: Math.max(320, el.clientWidth || el.parentNode.clientWidth || 800), height: height || 340 };
  }

  // ticks on round dates: every 5th year at 1940, 1945, ... (not 1937, 1942), months at quarter starts, ...
  function timeSplits(u, axisIdx, min, max, incr) {
    var out = [], d = dateOf(min), guard = 0, t;
    var at = function (y, m) { return ts(String(y).padStart(4, "0") + "-" + String(m + 1).padStart(2, "0") + "-01"); };
    if (incr >= YR - 2 * DAY) {
      var k = Math.max(1, Math.round(incr / YR));
      for (var y = Math.ceil(d.getUTCFullYear() / k) * k; y <= 9999 && guard++ < 2000; y += k) {
        t = at(y, 0); if (t > max) break; if (t >= min) out.push(t);
      }
    } else if (incr >= 28 * DAY) {
      var km = Math.max(1, Math.round(incr / MO));
      for (var m = Math.ceil((d.getUTCFullYear() * 12 + d.getUTCMonth()) / km) * km; guard++ < 2000; m += km) {
        t = at(Math.floor(m / 12), m % 12); if (t > max) break; if (t >= min) out.push(t);
      }
    } else {
      var kd = Math.max(1, Math.round(incr / DAY));
      for (t = Math.ceil(min / DAY / kd) * kd * DAY; t <= max && guard++ < 2000; t += kd * DAY) out.push(t);
    }
    return out;
  }
  // The legend names the series and, under the cursor, its value: away from the chart it shows the names
  // alone (no "Period:" and no empty values).
  function idleLegend() {
    function mark(u) {
      var lg = u.root.querySelector(".u-legend");
      if (lg) lg.classList.toggle("pp-idle", u.cursor.idx === null || u.cursor.idx === undefined);
    }
    return { hooks: { ready: mark, setLegend: mark } };
  }
  function timeAxis(by) {
    return {
      incrs: INCRS[by] || INCRS.year, splits: timeSplits,
      values: function (u, splits, ax, space, incr) { return splits.map(function (s) { return tickLabel(s, incr); }); },
      grid: { stroke: "#eef2f6" }
    };
  }
  // counts step by whole numbers: an axis of documents never reads 0.2, 0.4, ...
  var COUNT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1e3, 2e3, 2500, 5e3, 1e4, 2e4, 25e3, 5e4, 1e5, 2e5,
                     25e4, 5e5, 1e6, 2e6, 5e6, 1e7];
  function tickNum(v) { // axis ticks as people write them: 80 (not 80.0), 0.25, 12,000
    if (v === null || v === undefined) return "";
    var r = Math.round(v * 1e6) / 1e6;
    return Math.abs(r) >= 1000 ? r.toLocaleString("en") : String(r);
  }
  function valueAxis(measure) {
    var axis = { label: MEASURE_LABELS[measure] || measure, labelSize: 18, size: 60, grid: { stroke: "#eef2f6" },
                 values: function (u, splits) { return splits.map(tickNum); } };
    if (measure === "docs" || measure === "mentions") axis.incrs = COUNT_INCRS;
    // the headroom above the data holds the phase strip and the marks: a share is never labelled above 100%
    if (measure === "share") axis.filter = function (u, splits) { return splits.map(function (v) { return v > 100 + 1e-9 ? null : v; }); };
    return axis;
  }

  // ---------------------------------------------------------------------------------- one idea's chart
  // el: a div with data-q, data-by, data-measure, data-smooth (and data-from/data-to: the zoom).
  PP.lifeChart = function (el, rows, opts) {
    opts = opts || {};
    var by = el.dataset.by, measure = el.dataset.measure;
    var xs = rows.map(function (r) { return ts(r.period); });
    var ys = rows.map(function (r) { return r.value === null || r.value === undefined ? null : r.value; });
    var index = {};
    rows.forEach(function (r, i) { index[r.period] = i; });
    var endOf = function (period) { var i = index[period]; return i === undefined ? ts(period) : ts(rows[i].period_end) + DAY; };
    var state = { rows: rows, lc: opts.lc || null, phases: (opts.lc && opts.lc.phases) || [], index: index, endOf: endOf };
    var lone = lonePoints(ys);
    var showAll = rows.length <= 120;
    var old = PP.charts[el.id];
    if (old) old.destroy();
    el.innerHTML = "";
    var u = new uPlot({
      width: size(el).width, height: opts.height || 340,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.2 : 1]; } } },
      axes: [timeAxis(by), valueAxis(measure)],
      cursor: { drag: { x: true, y: false, setScale: true }, points: { size: 8 } },
      legend: { show: true, live: true },
      series: [
        { label: "Period", value: function (u, v) { return v === null ? "" : label(v, by); } },
        { label: opts.name || el.dataset.q, stroke: COLORS[0], width: 2, spanGaps: false, gaps: gapClip(2),
          value: function (u, v, si, i) { return i === null || i === undefined ? "" : v === null ? "no documents collected" : fmtNum(v, measure); },
          points: { show: true, size: 6, fill: COLORS[0], stroke: COLORS[0],
                    filter: function () { return showAll ? null : lone; } } }
      ],
      plugins: [bandsPlugin(state), idleLegend()]
    }, [xs, ys], el);
    u.ppState = state;
    PP.charts[el.id] = u;
    PP.rows[el.id] = rows;
    el.setAttribute("data-points", String(rows.length));
    el.setAttribute("data-drawn", String(ys.filter(function (v) { return v !== null; }).length));
    return u;
  };

  PP.setLifecycle = function (el, lc) {
    var u = PP.charts[el.id]; if (!u) return;
    u.ppState.lc = lc; u.ppState.phases = lc.phases || [];
    u.redraw(false);
    el.setAttribute("data-lifecycle", "1");
  };

  // ---------------------------------------------------------------------------------- several ideas
  PP.multiChart = function (el, series, by, measure, opts) {
    opts = opts || {};
    var base = series.length ? series[0].rows : [];
    var xs = base.map(function (r) { return ts(r.period); });
    var data = [xs];
    var defs = [{ label: "Period", value: function (u, v) { return v === null ? "" : label(v, by); } }];
    series.forEach(function (s, k) {
      var ys = s.rows.map(function (r) { return r.value === null || r.value === undefined ? null : r.value; });
      var lone = lonePoints(ys), showAll = xs.length <= 120, color = COLORS[k % COLORS.length];
      data.push(ys);
      defs.push({ label: s.name, stroke: color, width: 2, spanGaps: false, gaps: gapClip(2),
                  value: function (u, v, si, i) { return i === null || i === undefined ? "" : v === null ? "no documents collected" : fmtNum(v, measure); },
                  points: { show: true, size: 5, fill: color, stroke: color,
                            filter: function () { return showAll ? null : lone; } } });
    });
    var old = PP.charts[el.id];
    if (old) old.destroy();
    el.innerHTML = "";
    var state = { rows: base, lc: null, phases: [], index: {}, endOf: function (p) { return ts(p); } };
    var u = new uPlot({
      width: size(el).width, height: opts.height || 340,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.12 : 1]; } } },
      axes: [timeAxis(by), valueAxis(measure)],
      cursor: { drag: { x: true, y: false, setScale: true } },
      series: defs, plugins: [bandsPlugin(state), idleLegend()]
    }, data, el);
    u.ppState = state;
    PP.charts[el.id] = u;
    el.setAttribute("data-points", String(xs.length));
    return u;
  };

  PP.barChart = function (el, xs, ys, by, name, rows) {
    var old = PP.charts[el.id];
    if (old) old.destroy();
    el.innerHTML = "";
    var state = { rows: rows || [], lc: null, phases: [], index: {}, endOf: function (p) { return ts(p); } };
    var u = new uPlot({
      width: size(el).width, height: 260,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.1 : 1]; } } },
      axes: [timeAxis(by), { label: name, size: 60, grid: { stroke: "#eef2f6" }, incrs: COUNT_INCRS,
                             values: function (u, splits) { return splits.map(tickNum); } }],
      cursor: { drag: { x: true, y: false, setScale: true } },
      series: [{ label: "Period", value: function (u, v) { return v === null ? "" : label(v, by); } },
               { label: name, fill: "rgba(31,95,168,0.55)", stroke: COLORS[0], width: 1,
                 value: function (u, v, si, i) { return i === null || i === undefined ? "" : v === null ? "—" : v.toLocaleString("en"); },
                 paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } }],
      plugins: [bandsPlugin(state), idleLegend()]
    }, [xs, ys], el);
    PP.charts[el.id] = u;
    el.setAttribute("data-points", String(xs.length));
    return u;
  };

  // ---------------------------------------------------------------------------------- zoom
  function zoomTo(u, from, to) { // to the end of the last period shown, so that its point is not on the edge
    var xs = u.data[0], end = function (p) { return u.ppState ? u.ppState.endOf(p) : ts(p); };
    var last = PP.rows[u.root.parentNode.id] ? PP.rows[u.root.parentNode.id][xs.length - 1].period : null;
    var max = to ? end(to) : (last ? end(last) : xs[xs.length - 1]);
    u.setScale("x", { min: from ? ts(from) : xs[0], max: max });
  }

  // ---------------------------------------------------------------------------------- the idea page
  function ideaPage(el) {
    var st = { q: el.dataset.q, by: el.dataset.by, measure: el.dataset.measure, smooth: +el.dataset.smooth || 1,
               from: el.dataset.from || "", to: el.dataset.to || "" };
    var life = ["", ""]; // the span the idea was said in, padded: from /api/summary
    var lc = null, chart = null, embed = document.body.classList.contains("embed");
    var caption = document.getElementById("chart-caption");

    function describe() {
      var m = MEASURE_LABELS[st.measure] + ", per " + st.by;
      return st.smooth > 1 ? m + ", " + st.smooth + "-" + st.by + " centred moving average (0 where not said)" : m + ", not smoothed";
    }
    function sync() { // URL, export links and caption say what the chart shows
      var view = { q: st.q, by: st.by, measure: st.measure, smooth: st.smooth, from: st.from, to: st.to };
      if (!embed) history.replaceState(null, "", "/idea?" + qs(view));
      var set = function (id, href) { var a = document.getElementById(id); if (a) a.href = href; };
      set("export-csv", "/api/track?" + qs({ q: st.q, by: st.by, measure: st.measure, smooth: st.smooth, format: "csv" }));
      set("export-png", "/api/figure?" + qs({ q: st.q, by: st.by, measure: st.measure, smooth: st.smooth, from: st.from, to: st.to, format: "png" }));
      set("export-svg", "/api/figure?" + qs({ q: st.q, by: st.by, measure: st.measure, smooth: st.smooth, from: st.from, to: st.to, format: "svg" }));
      var emb = document.getElementById("embed-code");
      if (emb) emb.value = '<iframe src="' + location.origin + "/embed?" + qs(view).replace(/&/g, "&amp;") + '" width="720" height="440" style="border:0"></iframe>';
      if (caption) caption.textContent = describe() + ". Shaded red: periods with no documents at all (coverage gaps), drawn as breaks in the line. Drag across the chart to zoom; click a period to list its documents.";
      el.dataset.measure = st.measure; el.dataset.smooth = String(st.smooth);
    }
    function draw(rows) {
      var range = chart ? [chart.scales.x.min, chart.scales.x.max] : null;
      chart = PP.lifeChart(el, rows, { lc: lc });
      if (range && range[0] !== null && range[0] !== undefined) chart.setScale("x", { min: range[0], max: range[1] });
      else zoomTo(chart, st.from || life[0], st.to || life[1]);
      chart.hooks = chart.hooks || {};
      chart.over.addEventListener("mousedown", function (e) { chart._down = e.clientX; });
      chart.over.addEventListener("click", function (e) {
        if (chart._down !== undefined && Math.abs(e.clientX - chart._down) > 3) return; // a drag to zoom, not a click
        var i = chart.cursor.idx;
        if (i !== null && i !== undefined) PP.showPeriod(st.q, rows[i], st.by);
      });
      if (lc) PP.setLifecycle(el, lc);
      loading(el, false);
    }
    function rows() { return getJSON("/api/track?" + qs({ q: st.q, by: st.by, measure: st.measure, smooth: st.smooth })); }
    function load() { return rows().then(draw).catch(function (e) { fail(el, e); }); }
    // the page is painted before anything is counted: the rows and the summary (matches, the span to zoom
    // to, a warning) arrive together, and the chart is drawn once, already zoomed to the idea's life
    function first() {
      var summary = getJSON("/api/summary?" + qs({ q: st.q, by: st.by })).catch(function () { return null; });
      return Promise.all([rows(), summary]).then(function (res) {
        if (res[1]) { if (res[1].window) life = res[1].window; PP.showSummary(res[1]); }
        draw(res[0]);
      }).catch(function (e) { fail(el, e); });
    }
    // the x range the user zoomed to travels in the URL and the figure links
    var watch = setInterval(function () {
      if (!chart) return;
      var a = chart.scales.x.min, b = chart.scales.x.max;
      if (a === null || a === undefined) return;
      var f = iso(a), t = iso(b);
      if (f !== st.from || t !== st.to) { st.from = f; st.to = t; sync(); }
    }, 400);
    window.addEventListener("pagehide", function () { clearInterval(watch); });

    sync();
    first();
    getJSON("/api/lifecycle?" + qs({ q: st.q, by: st.by })).then(function (res) {
      lc = res;
      PP.fillVerdict(res);
      if (chart) PP.setLifecycle(el, res);
    }).catch(function (e) {
      var v = document.getElementById("verdict"); if (v) v.textContent = "The verdict could not be computed: " + e.message;
    });
    var controls = document.getElementById("chart-controls");
    if (controls) {
      controls.addEventListener("change", function (ev) {
        var t = ev.target;
        if (t.name === "by") { controls.submit(); return; }
        if (t.name === "measure") st.measure = t.value;
        else if (t.name === "smooth") st.smooth = +t.value;
        else return;
        sync(); load();
      });
      var reset = document.getElementById("zoom-reset"), all = document.getElementById("zoom-all");
      if (reset) reset.addEventListener("click", function () { zoomTo(chart, life[0], life[1]); });
      if (all) all.addEventListener("click", function () { zoomTo(chart, "", ""); });
    }
    var kw = document.getElementById("kwic-body");
    if (kw) getJSON("/api/kwic?" + qs({ q: st.q, limit: 20 })).then(function (lines) { fillKwic(kw, lines, st.q, "No document mentions this idea."); })
      .catch(function (e) { kw.innerHTML = ""; kw.appendChild(row(["Could not load the quotes: " + e.message], 5)); });
  }

  function row(cells, span) {
    var tr = document.createElement("tr"), td = document.createElement("td");
    td.colSpan = span; td.textContent = cells[0]; tr.appendChild(td); return tr;
  }
  // quotes after the last use, when the lifecycle says later mentions are echoes, are tagged as such
  function markEchoes(body, lc) {
    if (!lc || !lc.last_use || !lc.echoes) return;
    Array.prototype.forEach.call(body.querySelectorAll("tr[data-date]"), function (tr) {
      if (tr.dataset.date > lc.last_use && !tr.classList.contains("echo")) {
        tr.classList.add("echo");
        var tag = document.createElement("span"); tag.className = "echo-tag"; tag.textContent = "echo";
        tag.title = "a retrospective mention after the idea's death, not a use";
        tr.firstChild.appendChild(tag);
      }
    });
  }
  PP.markEchoes = markEchoes;
  // As doc_url in app.py: '/' encoded too, so an id that is a URL stays one path segment; "." and ".."
  // (dot segments a browser would resolve away) go by query string.
  function docUrl(id, q) {
    if (id === "." || id === "..") return "/doc?" + qs({ id: id, q: q });
    return "/doc/" + encodeURIComponent(id) + "?" + qs({ q: q });
  }
  function fillKwic(body, lines, q, empty) {
    body.innerHTML = "";
    if (!lines.length) { body.appendChild(row([empty], 5)); return; }
    lines.forEach(function (l) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-date", l.date);
      var a = document.createElement("a");
      a.className = "kwic-link"; a.href = docUrl(l.doc_id, q) + "#m1";
      a.textContent = l.date;
      var td = document.createElement("td"); td.className = "date"; td.appendChild(a); tr.appendChild(td);
      [["", l.source], ["left", l.left], ["match", null], ["", l.right]].forEach(function (c) {
        var cell = document.createElement("td");
        if (c[0]) cell.className = c[0];
        if (c[0] === "match") { var m = document.createElement("mark"); m.textContent = l.match; cell.appendChild(m); }
        else cell.textContent = c[1] || "";
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    markEchoes(body, PP.lifecycle);
  }

  PP.showPeriod = function (q, r, by) {
    var box = document.getElementById("period-docs"); if (!box) return;
    var head = box.querySelector("h2"), body = box.querySelector("tbody"), note = box.querySelector(".period-note");
    box.hidden = false;
    var name = label(ts(r.period), by);
    head.textContent = "Documents in " + name;
    box.setAttribute("data-period", r.period);
    if (r.coverage === "gap") {
      note.textContent = "No documents at all were collected in " + name + ": a gap in the corpus, not silence.";
      body.innerHTML = ""; return;
    }
    var said = function () { // "4 of the 5 documents of 1966 mention it", "The only document of 1966 mentions it"
      var m = " (" + r.mentions + " mention" + (r.mentions === 1 ? "" : "s") + ")";
      return r.total_docs === 1 ? (r.docs ? "The only document of " + name + " mentions it" + m : "The only document of " + name + " does not mention it")
        : r.docs + " of the " + r.total_docs + " documents of " + name + " mention" + (r.docs === 1 ? "s" : "") + " it" + m;
    };
    note.textContent = said() + ". Loading the quotes…";
    var csv = box.querySelector("#period-csv");
    if (csv) csv.href = "/api/kwic?" + qs({ q: q, from: r.period, to: r.period_end, limit: 500, format: "csv" });
    getJSON("/api/kwic?" + qs({ q: q, from: r.period, to: r.period_end, limit: 100 })).then(function (lines) {
      note.textContent = said() + (lines.length >= 100 ? "; the first 100 quotes:" : ":");
      var lc = PP.lifecycle;
      if (lc && (lc.echo_dates || []).indexOf(r.period) >= 0)
        note.textContent = note.textContent.replace(/:$/, ".") + " The lifecycle counts the mentions of this period as echoes: retrospective mentions after the idea's death, not uses.";
      fillKwic(body, lines, q, "No document of this period mentions it.");
      box.setAttribute("data-loaded", String(lines.length));
      box.scrollIntoView({ block: "nearest" });
    }).catch(function (e) { note.textContent = "Could not load the documents: " + e.message; });
  };

  // what /api/summary says about the query: no match (then "did you mean", from the corpus's vocabulary) or
  // a warning for a query made of very common words
  PP.showSummary = function (sm) {
    el_set("timeline", "data-matches", String(sm.matches));
    var warn = document.getElementById("common-warning");
    if (warn && sm.warning) { warn.textContent = sm.warning; warn.hidden = false; }
    var box = document.getElementById("no-match"), sug = document.getElementById("suggestions");
    if (!box || sm.matches !== 0) return;
    box.hidden = false;
    if (sug) getJSON("/api/help?" + qs({ q: sug.dataset.q, by: sug.dataset.by })).then(function (h) {
      sug.textContent = "";
      if (!h.suggestions.length) { sug.textContent = "No similar words in the corpus either: check the spelling, or try a broader phrase."; return; }
      sug.appendChild(document.createTextNode("Did you mean "));
      h.suggestions.forEach(function (s, k) {
        var a = document.createElement("a"); a.className = "suggestion";
        a.href = "/idea?" + qs({ q: s.query, by: sug.dataset.by }); a.textContent = s.query;
        sug.appendChild(a); sug.appendChild(document.createTextNode(" (" + s.documents.toLocaleString("en") + (s.documents === 1 ? " document)" : " documents)") + (k < h.suggestions.length - 1 ? ", " : "?")));
      });
    }).catch(function (e) { sug.textContent = ""; });
  };
  function el_set(id, attr, value) { var e = document.getElementById(id); if (e) e.setAttribute(attr, value); }

  PP.fillVerdict = function (lc) {
    PP.lifecycle = lc;
    Array.prototype.forEach.call(document.querySelectorAll("table.kwic tbody"), function (b) { markEchoes(b, lc); });
    var v = document.getElementById("verdict");
    if (v) { v.textContent = lc.verdict_text; v.className = "verdict status-" + lc.status; }
    var dl = document.getElementById("facts");
    if (dl && lc.display) {
      dl.innerHTML = "";
      lc.display.facts.forEach(function (f) {
        var dt = document.createElement("dt"), dd = document.createElement("dd");
        dt.textContent = f[0]; dd.textContent = f[1]; dl.appendChild(dt); dl.appendChild(dd);
      });
    }
    var leg = document.getElementById("phase-legend");
    if (leg && lc.display) {
      leg.innerHTML = "";
      lc.display.phases.forEach(function (p) {
        var item = document.createElement("span"), sw = document.createElement("span");
        item.className = "legend-item"; sw.className = "swatch";
        sw.style.background = PHASE_STRIP[p.phase.split(" ")[0].toLowerCase()] || "rgba(148,163,184,0.5)";
        item.appendChild(sw); item.appendChild(document.createTextNode(p.phase + ": " + p.span)); leg.appendChild(item);
      });
      var gap = document.createElement("span"), gs = document.createElement("span");
      gap.className = "legend-item"; gs.className = "swatch"; gs.style.background = GAP_FILL;
      gap.appendChild(gs); gap.appendChild(document.createTextNode("no documents collected (gap)")); leg.appendChild(gap);
    }
    var warn = document.getElementById("coverage-warning");
    if (warn && lc.coverage_warning) { warn.textContent = lc.coverage_warning; warn.hidden = false; }
  };

  function loading(el, on) {
    var box = el.parentNode, p = box && box.querySelector(".loading");
    if (p && !on) p.remove();
  }
  function fail(el, err) {
    var box = el.parentNode, p = box.querySelector(".loading") || document.createElement("p");
    p.className = "error"; p.textContent = "Could not load the chart: " + err.message; box.appendChild(p);
  }

  // zoom on the span where any of the ideas was said (padded), not the whole corpus
  function zoomToSaid(u, series) {
    var a = Infinity, b = -1;
    series.forEach(function (s) { s.rows.forEach(function (r, i) { if (r.docs > 0) { a = Math.min(a, i); b = Math.max(b, i); } }); });
    if (b < 0) return;
    var n = series[0].rows.length, pad = Math.max(3, Math.round(0.15 * (b - a + 1)));
    u.setScale("x", { min: u.data[0][Math.max(0, a - pad)], max: u.data[0][Math.min(n - 1, b + pad)] });
  }

  // ---------------------------------------------------------------------------------- compare
  function comparePage(el) {
    var ideas = JSON.parse(el.dataset.qs || "[]"), names = JSON.parse(el.dataset.labels || "null") || ideas;
    var by = el.dataset.by, measure = el.dataset.measure || "share", smooth = +el.dataset.smooth || 1;
    var flags = document.querySelectorAll("[data-term-flag]");
    var results = ideas.map(function (q) {
      return getJSON("/api/track?" + qs({ q: q, by: by, measure: measure, smooth: smooth }))
        .then(function (rows) { return { ok: true, rows: rows }; }, function (e) { return { ok: false, error: e.message }; });
    });
    Promise.all(results).then(function (res) {
      var series = [], failed = 0;
      res.forEach(function (r, k) {
        var flag = flags[k];
        if (r.ok) {
          var said = r.rows.some(function (x) { return x.docs > 0; });
          series.push({ name: names[k], rows: r.rows });
          if (flag) { flag.textContent = said ? "" : "never mentioned"; flag.className = said ? "term-flag" : "term-flag warn"; }
        } else {
          failed++;
          if (flag) { flag.textContent = r.error; flag.className = "term-flag error"; }
        }
      });
      el.setAttribute("data-failed", String(failed));
      if (!series.length) { fail(el, new Error("no idea could be drawn")); return; }
      var u = PP.multiChart(el, series, by, measure);
      zoomToSaid(u, series);
      loading(el, false);
    });
    var tbody = document.getElementById("compare-body");
    if (tbody) ideas.forEach(function (q, k) {
      var tr = tbody.querySelector("tr[data-index='" + k + "']"); if (!tr) return;
      getJSON("/api/lifecycle?" + qs({ q: q, by: by })).then(function (lc) {
        var cells = tr.querySelectorAll("td");
        cells[1].textContent = lc.verdict_text; cells[1].className = "status-" + lc.status;
        cells[2].textContent = lc.display.facts.filter(function (f) { return f[0] === "First mention"; }).map(function (f) { return f[1]; })[0] || "—";
        cells[3].textContent = lc.display.peak; cells[4].textContent = lc.display.last_mention;
        cells[5].textContent = lc.display.forecast || "—";
      }).catch(function (e) { var c = tr.querySelectorAll("td")[1]; c.textContent = e.message; c.className = "error"; });
    });
  }

  // discovery pages: a few phrases' values on one chart
  function discoveryChart(el) {
    var ideas = JSON.parse(el.dataset.qs || "[]"), names = JSON.parse(el.dataset.labels || "null") || ideas;
    var by = el.dataset.by;
    Promise.all(ideas.map(function (q) { return getJSON("/api/track?" + qs({ q: q, by: by, measure: "share" })); }))
      .then(function (res) {
        var series = res.map(function (rows, k) { return { name: names[k], rows: rows }; });
        zoomToSaid(PP.multiChart(el, series, by, "share"), series);
        loading(el, false);
      }).catch(function (e) { fail(el, e); });
  }

  // ---------------------------------------------------------------------------------- boot
  PP.boot = function () {
    var timeline = document.getElementById("timeline");
    if (timeline) ideaPage(timeline);
    var overview = document.getElementById("overview-chart");
    if (overview) {
      getJSON("/api/overview?by=" + encodeURIComponent(overview.dataset.by)).then(function (s) {
        var rows = s.per_period;
        var u = PP.barChart(overview, rows.map(function (r) { return ts(r.period); }), rows.map(function (r) { return r.total_docs; }),
                            overview.dataset.by, "documents", rows.map(function (r) {
                              return { period: r.period, coverage: r.total_docs > 0 ? "ok" : "gap" };
                            }));
        loading(overview, false);
        return u;
      }).catch(function (e) { fail(overview, e); });
    }
    var cmp = document.getElementById("compare-chart");
    if (cmp && cmp.dataset.mode === "compare") comparePage(cmp);
    else if (cmp) discoveryChart(cmp);
    var bars = document.getElementById("bars-chart");
    if (bars) {
      try {
        var s = JSON.parse(bars.dataset.series);
        PP.barChart(bars, s.labels.map(function (y) { return ts(String(y).padStart(4, "0") + "-01-01"); }), s.values, "year", bars.dataset.label || "");
        loading(bars, false);
      } catch (e) { fail(bars, e); }
    }
  };

  if (typeof document !== "undefined" && !window.PP_NO_BOOT) document.addEventListener("DOMContentLoaded", function () {
    PP.boot();
    // Loading state for the forms whose answer is computed on the server (seconds on a large store).
    Array.prototype.forEach.call(document.querySelectorAll("form.work-form"), function (form) {
      form.addEventListener("submit", function () {
        var note = form.parentNode.querySelector(".busy"), button = form.querySelector("button[type=submit]");
        if (note) note.hidden = false;
        if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      });
      Array.prototype.forEach.call(form.querySelectorAll("textarea"), function (area) {
        area.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            if (form.requestSubmit) form.requestSubmit(); else form.submit();
          }
        });
      });
    });
    window.addEventListener("pageshow", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".busy"), function (n) { n.hidden = true; });
      Array.prototype.forEach.call(document.querySelectorAll("form.work-form button[type=submit]"), function (b) {
        b.disabled = false; b.removeAttribute("aria-busy");
      });
    });
    document.addEventListener("keydown", function (ev) {
      var box = document.getElementById("q");
      if (ev.key === "/" && box && document.activeElement !== box && !/input|textarea|select/i.test(document.activeElement.tagName)) {
        ev.preventDefault(); box.focus(); box.select();
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-copy-link]"), function (b) {
      b.addEventListener("click", function () {
        var done = function () { b.textContent = "Link copied"; setTimeout(function () { b.textContent = "Copy link to this page"; }, 2000); };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(location.href).then(done, function () { prompt("Copy this link:", location.href); });
        else prompt("Copy this link:", location.href);
      });
    });
  });
})();

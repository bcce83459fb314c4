// The backtest report page: reads the embedded JSON and draws the charts and tables.
// No framework, no network: TradingView Lightweight Charts (embedded above) draws the charts.
(function () {
  "use strict";

  var app = document.getElementById("app");

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }

  // ---- formatting ----
  var NAMES = { sqn: "SQN", cagr_pct: "CAGR %", sharpe: "Sharpe ratio", sortino: "Sortino ratio",
    calmar: "Calmar ratio", kelly_criterion: "Kelly criterion", pnl: "P&L", key: "" };
  function label(key) {
    if (Object.prototype.hasOwnProperty.call(NAMES, key)) return NAMES[key];
    var k = key, suffix = "";
    if (/_pct$/.test(k)) { k = k.slice(0, -4); suffix = " %"; }
    else if (/_s$/.test(k)) { k = k.slice(0, -2); }
    k = k.replace(/_/g, " ");
    return k.charAt(0).toUpperCase() + k.slice(1) + suffix;
  }
  function duration(s) {
    if (!isFinite(s)) return "—";
    s = Math.round(s);
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60), r = s % 60;
    var parts = [];
    if (d) parts.push(d + "d");
    if (h) parts.push(h + "h");
    if (m && d < 10) parts.push(m + "m");
    if (r && !d && !h) parts.push(r + "s");
    return parts.length ? parts.join(" ") : "0s";
  }
  function num(v, digits) {
    return v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }
  function fmtNumber(v) {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString("en-US");
    var a = Math.abs(v);
    if (a >= 1000) return num(v, 2);
    if (a >= 1) return num(v, 4).replace(/\.?0+$/, "");
    if (a === 0) return "0";
    return v.toPrecision(4).replace(/\.?0+$/, "").replace(/\.?0+e/, "e");
  }
  function isTime(s) { return typeof s === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(s); }
  function fmtTime(s) { return s.replace("T", " ").replace(/(:00)?(\.0+)?Z$/, "").replace(/Z$/, ""); }
  function fmt(key, v) {
    if (v === null || v === undefined) return "—";
    if (typeof v === "number") {
      if (/_pct$/.test(key)) return num(v, 2) + " %";
      if (/(^|_)s$/.test(key) || /duration/.test(key)) return duration(v);
      return fmtNumber(v);
    }
    if (typeof v === "boolean") return v ? "yes" : "no";
    if (isTime(v)) return fmtTime(v);
    if (Array.isArray(v)) return v.map(function (x) { return typeof x === "object" ? JSON.stringify(x) : fmt(key, x); }).join(", ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  }
  function signClass(v) { return v > 0 ? "pos" : v < 0 ? "neg" : ""; }
  function tsText(t) { return new Date(t * 1000).toISOString().replace("T", " ").replace(/:00\.000Z$|\.000Z$/, "").replace(/Z$/, ""); }

  // ---- tables ----
  function kvTable(obj, keys) {
    var t = el("table", "kv"), body = add(t, el("tbody"));
    keys.forEach(function (k) {
      var tr = add(body, el("tr"));
      add(tr, el("td", null, label(k)));
      var td = add(tr, el("td", null, fmt(k, obj[k])));
      if (typeof obj[k] === "number" && /return|pnl|trade_pct|expectancy/.test(k) && !/drawdown|exposure|rate|volatility|duration/.test(k)) td.className = signClass(obj[k]);
    });
    return t;
  }
  function rowsTable(rows, keyName) {
    var cols = [];
    rows.forEach(function (r) { Object.keys(r).forEach(function (k) { if (cols.indexOf(k) < 0) cols.push(k); }); });
    ["start", "key"].forEach(function (k) { var i = cols.indexOf(k); if (i > 0) { cols.splice(i, 1); cols.unshift(k); } });
    var t = el("table"), head = add(add(t, el("thead")), el("tr")), body = add(t, el("tbody"));
    cols.forEach(function (c, i) { add(head, el("th", null, i === 0 && keyName ? keyName : label(c) || c)); });
    rows.forEach(function (r) {
      var tr = add(body, el("tr"));
      cols.forEach(function (c) {
        var td = add(tr, el("td", null, fmt(c, r[c])));
        if (typeof r[c] === "number" && /pnl|return/.test(c)) td.className = signClass(r[c]);
      });
    });
    return t;
  }
  function collapsible(parent, title, node, open) {
    var d = add(parent, el("details"));
    d.open = !!open;
    add(d, el("summary", null, title));
    var box = add(d, el("div", "scroll"));
    box.appendChild(node);
    return d;
  }

  // ---- charts ----
  var css = getComputedStyle(document.documentElement);
  function cssVar(n) { return css.getPropertyValue(n).trim(); }
  var LC = window.LightweightCharts;
  var chartCount = 0, allCharts = [];
  function makeChart(container, intraday) {
    var opts = {
      autoSize: true,
      layout: { background: { type: "solid", color: cssVar("--bg") }, textColor: cssVar("--muted"),
        fontFamily: cssVar("--font"), attributionLogo: chartCount === 0 },
      grid: { vertLines: { color: cssVar("--grid") }, horzLines: { color: cssVar("--grid") } },
      rightPriceScale: { borderColor: cssVar("--border") },
      timeScale: { borderColor: cssVar("--border"), timeVisible: intraday, secondsVisible: false, minBarSpacing: 0.001 },
      crosshair: { mode: 0 },
    };
    chartCount += 1;
    var chart = LC.createChart(container, opts);
    allCharts.push(chart);
    return chart;
  }
  function chartBox(parent, cls) {
    var box = add(parent, el("div", "chart-box"));
    var c = add(box, el("div", "chart " + (cls || "")));
    var legend = add(box, el("div", "legend"));
    return { box: box, chart: c, legend: legend };
  }
  function precisionFor(price) {
    var a = Math.abs(price);
    if (!(a > 0)) return 2;
    return Math.max(2, Math.min(8, Math.ceil(-Math.log10(a)) + 4));
  }
  function pctFormat() { return { type: "custom", minMove: 0.01, formatter: function (v) { return v.toFixed(2) + "%"; } }; }

  // Keeps the visible range of charts in step.
  function syncRanges(charts) {
    // The curves share their time points, so logical ranges (bar indices) match exactly.
    charts.forEach(function (c) {
      c.timeScale().subscribeVisibleLogicalRangeChange(function (r) {
        if (!r) return;
        charts.forEach(function (o) {
          if (o === c) return;
          var cur = o.timeScale().getVisibleLogicalRange();
          if (!cur || Math.abs(cur.from - r.from) > 1e-6 || Math.abs(cur.to - r.to) > 1e-6) o.timeScale().setVisibleLogicalRange(r);
        });
      });
    });
  }

  function main() {
    var D = JSON.parse(document.getElementById("report-data").textContent);
    var cfg = D.config || {}, metrics = D.metrics || {}, trades = D.trades || [], symbols = D.symbols || [];
    var intraday = symbols.some(function (s) { return typeof s.timeframe === "string" ? !/d|w|M/.test(s.timeframe) : true; });
    if (symbols.length && symbols.every(function (s) { return s.candles.length > 1 && s.candles[1][0] - s.candles[0][0] >= 86400; })) intraday = false;

    var sub = document.getElementById("subtitle");
    sub.textContent = [cfg.from && cfg.to ? fmtTime(cfg.from) + " → " + fmtTime(cfg.to) : null,
      cfg.bars !== undefined ? fmtNumber(cfg.bars) + " bars" : null, D.generator].filter(Boolean).join(" · ");

    // Summary cards.
    var closed = trades.filter(function (t) { return t.exit_time !== null; });
    var wins = closed.filter(function (t) { return parseFloat(t.pnl) > 0; }).length;
    var eq = D.equity || {};
    var ret = eq.first ? (eq.last / eq.first - 1) * 100 : null;
    var cards = add(app, el("div", "cards"));
    function card(k, v, cls) { var c = add(cards, el("div", "card")); add(c, el("div", "k", k)); add(c, el("div", "v " + (cls || ""), v)); }
    card("Start equity", eq.first !== null && eq.first !== undefined ? num(eq.first, 2) : "—");
    card("Final equity", eq.last !== null && eq.last !== undefined ? num(eq.last, 2) : "—", signClass(ret));
    card("Return", ret === null ? "—" : num(ret, 2) + " %", signClass(ret));
    card("Max drawdown", eq.min_drawdown_pct !== undefined ? num(eq.min_drawdown_pct, 2) + " %" : "—", eq.min_drawdown_pct < 0 ? "neg" : "");
    card("Closed trades", fmtNumber(closed.length) + (trades.length > closed.length ? " (+" + (trades.length - closed.length) + " open)" : ""));
    card("Win rate", closed.length ? num(wins / closed.length * 100, 1) + " %" : "—");
    if (typeof metrics.sharpe === "number") card("Sharpe", num(metrics.sharpe, 2));
    if (typeof metrics.profit_factor === "number") card("Profit factor", num(metrics.profit_factor, 2));

    // Equity and drawdown.
    add(app, el("h2", null, "Equity and drawdown"));
    var e1 = chartBox(app, "");
    var equityChart = makeChart(e1.chart, intraday);
    var equitySeries = equityChart.addSeries(LC.AreaSeries, {
      lineColor: cssVar("--accent"), topColor: cssVar("--accent-fill"), bottomColor: "rgba(0,0,0,0)", lineWidth: 2,
      priceFormat: { type: "price", precision: 2, minMove: 0.01 },
    });
    equitySeries.setData(eq.line.map(function (p) { return { time: p[0], value: p[1] }; }));
    e1.legend.innerHTML = "<b>Equity</b>";
    add(app, el("div", null)).style.height = "6px";
    var d1 = chartBox(app, "small");
    var ddChart = makeChart(d1.chart, intraday);
    var ddSeries = ddChart.addSeries(LC.BaselineSeries, {
      baseValue: { type: "price", price: 0 }, topLineColor: cssVar("--neutral"), topFillColor1: "rgba(0,0,0,0)", topFillColor2: "rgba(0,0,0,0)",
      bottomLineColor: cssVar("--down"), bottomFillColor1: "rgba(214,69,93,0.05)", bottomFillColor2: "rgba(214,69,93,0.35)",
      lineWidth: 1, priceFormat: pctFormat(),
    });
    ddSeries.setData(D.drawdown.map(function (p) { return { time: p[0], value: p[1] }; }));
    d1.legend.innerHTML = "<b>Drawdown</b> from the running peak";
    equityChart.timeScale().fitContent();
    ddChart.timeScale().fitContent();
    syncRanges([equityChart, ddChart]);
    if (eq.points > eq.line.length) {
      add(app, el("p", "note", "Curves down-sampled for drawing: " + fmtNumber(eq.line.length) + " of " + fmtNumber(eq.points) +
        " points (per bucket the lowest and highest equity and drawdown are kept)."));
    }

    // Price with the trades, per symbol.
    var symbolCharts = {};
    symbols.forEach(function (s) {
      add(app, el("h2", null, s.symbol + (s.timeframe ? " · " + s.timeframe : "") + " · price and trades"));
      var box = chartBox(app, "tall");
      var tip = add(box.box, el("div", "tip"));
      var chart = makeChart(box.chart, intraday);
      var last = s.candles.length ? s.candles[s.candles.length - 1][4] : 1;
      var prec = precisionFor(last);
      var series = chart.addSeries(LC.CandlestickSeries, {
        upColor: cssVar("--up"), downColor: cssVar("--down"), borderVisible: false,
        wickUpColor: cssVar("--up"), wickDownColor: cssVar("--down"),
        priceFormat: { type: "price", precision: prec, minMove: Math.pow(10, -prec) },
      });
      var times = s.candles.map(function (c) { return c[0]; });
      series.setData(s.candles.map(function (c) { return { time: c[0], open: c[1], high: c[2], low: c[3], close: c[4] }; }));
      function snap(t) {
        var lo = 0, hi = times.length - 1;
        if (hi < 0) return t;
        if (t <= times[0]) return times[0];
        while (lo < hi) { var mid = (lo + hi + 1) >> 1; if (times[mid] <= t) lo = mid; else hi = mid - 1; }
        return times[lo];
      }
      var mine = trades.filter(function (t) { return t.symbol === s.symbol; });
      var withText = mine.length <= 120;
      var markers = [], byTime = {};
      function note(t, text) { (byTime[t] = byTime[t] || []).push(text); }
      mine.forEach(function (t, i) {
        var long = t.direction !== "short", pnl = parseFloat(t.pnl), n = trades.indexOf(t) + 1;
        var et = snap(t.entry_ts);
        markers.push({ time: et, position: long ? "belowBar" : "aboveBar", color: cssVar("--entry"),
          shape: long ? "arrowUp" : "arrowDown", text: "", id: "e" + i });
        note(et, "<b>#" + n + " entry " + esc(t.direction) + "</b> at " + fmtNumber(parseFloat(t.entry_price)) + "<br>" +
          fmtTime(t.entry_time) + " · qty " + fmtNumber(parseFloat(t.quantity)));
        var result = (pnl >= 0 ? "+" : "") + num(pnl, 2) + " (" + (t.return_pct >= 0 ? "+" : "") + num(t.return_pct, 2) + " %)";
        if (t.exit_ts !== null) {
          var xt = snap(t.exit_ts);
          markers.push({ time: xt, position: long ? "aboveBar" : "belowBar", color: pnl >= 0 ? cssVar("--up") : cssVar("--down"),
            shape: long ? "arrowDown" : "arrowUp", text: withText ? (t.return_pct >= 0 ? "+" : "") + num(t.return_pct, 1) + "%" : "", id: "x" + i });
          note(xt, "<b>#" + n + " exit (" + esc(t.exit_reason.replace(/_/g, " ")) + ")</b> at " + fmtNumber(parseFloat(t.exit_price)) + "<br>" +
            fmtTime(t.exit_time) + " · P&amp;L <span class=\"" + signClass(pnl) + "\">" + result + "</span>");
        } else {
          note(times[times.length - 1], "<b>#" + n + " still open</b>, marked at " + fmtNumber(parseFloat(t.exit_price)) +
            " · P&amp;L <span class=\"" + signClass(pnl) + "\">" + result + "</span>");
        }
      });
      markers.sort(function (a, b) { return a.time - b.time; });
      LC.createSeriesMarkers(series, markers);
      chart.timeScale().fitContent();
      box.legend.innerHTML = "<b>" + esc(s.symbol) + "</b>";
      var legendBase = box.legend.innerHTML;
      chart.subscribeCrosshairMove(function (p) {
        var bar = p.time !== undefined ? p.seriesData.get(series) : null;
        box.legend.innerHTML = bar ? legendBase + " " + tsText(p.time) + " O " + bar.open.toFixed(prec) + " H " + bar.high.toFixed(prec) +
          " L " + bar.low.toFixed(prec) + " C " + bar.close.toFixed(prec) : legendBase;
        var notes = p.time !== undefined && p.point ? byTime[p.time] : null;
        if (!notes) { tip.style.display = "none"; return; }
        tip.innerHTML = notes.map(function (x) { return "<div>" + x + "</div>"; }).join("");
        tip.style.display = "block";
        var w = box.box.clientWidth, x = p.point.x + 16;
        if (x + 300 > w) x = Math.max(0, p.point.x - 16 - tip.offsetWidth);
        tip.style.left = x + "px";
        tip.style.top = Math.max(28, Math.min(p.point.y - 20, box.box.clientHeight - tip.offsetHeight - 8)) + "px";
      });
      symbolCharts[s.symbol] = { chart: chart, box: box.box };
      var notes = [fmtNumber(s.bars) + " bars", fmtNumber(mine.length) + " trades",
        "▲ entry, ▼ exit (green: profit, red: loss); hover a marked candle for the details"];
      if (s.per_candle > 1) notes.unshift("down-sampled: " + fmtNumber(s.candles.length) + " candles of " + s.per_candle + " bars each (at most " + fmtNumber(D.limits.max_candles) + " per symbol)");
      add(app, el("p", "note", notes.join(" · ")));
    });

    // Metrics.
    add(app, el("h2", null, "Metrics"));
    var scalar = [], nested = [];
    Object.keys(metrics).forEach(function (k) {
      var v = metrics[k];
      if (v !== null && typeof v === "object") nested.push(k); else scalar.push(k);
    });
    if (!scalar.length && !nested.length) add(app, el("p", "note", "No metrics in this result."));
    if (scalar.length) {
      var grid = add(app, el("div", "tables"));
      var per = Math.ceil(scalar.length / 3);
      for (var i = 0; i < scalar.length; i += per) add(grid, kvTable(metrics, scalar.slice(i, i + per)));
    }
    nested.forEach(function (k) {
      var v = metrics[k], title = label(k);
      if (Array.isArray(v)) {
        if (!v.length) { add(app, el("h3", null, title)); add(app, el("p", "note", "none")); return; }
        var tbl = v.every(function (r) { return r && typeof r === "object" && !Array.isArray(r); }) ? rowsTable(v, /^by_/.test(k) ? label(k.slice(3)) : null) : kvTable({ values: v }, ["values"]);
        if (v.length > 40) collapsible(app, title + " (" + v.length + " rows)", tbl, false);
        else { add(app, el("h3", null, title)); add(add(app, el("div", "scroll")), tbl); }
      } else {
        var keys = Object.keys(v);
        var rows = keys.every(function (x) { return v[x] && typeof v[x] === "object" && !Array.isArray(v[x]); });
        add(app, el("h3", null, title));
        add(app, rows ? rowsTable(keys.map(function (x) { return Object.assign({ key: x }, v[x]); })) : kvTable(v, keys));
      }
    });

    // Trades.
    add(app, el("h2", null, "Trades (" + fmtNumber(trades.length) + ")"));
    tradesTable(trades, symbolCharts);

    // Configuration and conventions.
    add(app, el("h2", null, "Configuration"));
    var simple = [], deep = [];
    Object.keys(cfg).forEach(function (k) {
      var v = cfg[k];
      if (v !== null && typeof v === "object" && !(Array.isArray(v) && v.every(function (x) { return typeof x !== "object"; }))) deep.push(k); else simple.push(k);
    });
    if (simple.length) add(add(app, el("div", "tables")), kvTable(cfg, simple));
    deep.forEach(function (k) {
      var d = add(app, el("details"));
      add(d, el("summary", null, label(k)));
      add(d, el("pre", null, JSON.stringify(cfg[k], null, 2)));
    });
    add(app, el("h2", null, "Conventions"));
    var ul = add(app, el("ul", "conv"));
    (D.conventions || []).forEach(function (c) { add(ul, el("li", null, c)); });

    // Once laid out (autoSize measures the boxes asynchronously), show every chart whole.
    requestAnimationFrame(function () {
      allCharts.forEach(function (c) { c.timeScale().fitContent(); });
    });
    document.body.setAttribute("data-charts", String(chartCount));
    document.body.setAttribute("data-ready", "1");
  }

  function tradesTable(trades, symbolCharts) {
    if (!trades.length) { add(app, el("p", "note", "No trades.")); return; }
    var cols = [
      ["#", function (t) { return t._n; }, function (t) { return t._n; }],
      ["Symbol", function (t) { return t.symbol; }, null, "t"],
      ["Strategy", function (t) { return t.strategy; }, null, "t"],
      ["Side", function (t) { return t.direction; }, null, "t"],
      ["Entry time", function (t) { return t.entry_ts; }, function (t) { return fmtTime(t.entry_time); }, "t"],
      ["Entry", function (t) { return parseFloat(t.entry_price); }, function (t) { return fmtNumber(parseFloat(t.entry_price)); }],
      ["Exit time", function (t) { return t.exit_ts === null ? Infinity : t.exit_ts; }, function (t) { return t.exit_time ? fmtTime(t.exit_time) : "open"; }, "t"],
      ["Exit", function (t) { return parseFloat(t.exit_price); }, function (t) { return fmtNumber(parseFloat(t.exit_price)); }],
      ["Quantity", function (t) { return parseFloat(t.quantity); }, function (t) { return fmtNumber(parseFloat(t.quantity)); }],
      ["P&L", function (t) { return parseFloat(t.pnl); }, function (t) { return num(parseFloat(t.pnl), 2); }, "", true],
      ["Return %", function (t) { return t.return_pct; }, function (t) { return num(t.return_pct, 2); }, "", true],
      ["Fees", function (t) { return parseFloat(t.fees); }, function (t) { return num(parseFloat(t.fees), 2); }],
      ["Held", function (t) { return (t.exit_ts === null ? Infinity : t.exit_ts) - t.entry_ts; }, function (t) { return t.exit_ts === null ? "—" : duration(t.exit_ts - t.entry_ts); }],
      ["Exit reason", function (t) { return t.exit_reason; }, function (t) { return t.exit_reason.replace(/_/g, " "); }, "t"],
    ];
    var rows = trades.map(function (t, i) { return Object.assign({ _n: i + 1 }, t); });
    var PAGE = 100, page = 0, sortCol = 0, asc = true;
    var pager = add(app, el("div", "pager"));
    var prev = add(pager, el("button", null, "‹ previous")), info = add(pager, el("span")), next = add(pager, el("button", null, "next ›"));
    add(pager, el("span", null, "· click a header to sort, a row to show the trade on its chart"));
    var box = add(app, el("div", "scroll"));
    var table = add(box, el("table", "sortable"));
    var headRow = add(add(table, el("thead")), el("tr"));
    var body = add(table, el("tbody"));
    var ths = cols.map(function (c, i) {
      var th = add(headRow, el("th", c[3] || null, c[0]));
      th.addEventListener("click", function () {
        if (sortCol === i) asc = !asc; else { sortCol = i; asc = true; }
        var key = cols[i][1];
        rows.sort(function (a, b) { var x = key(a), y = key(b); return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1); });
        page = 0; draw();
      });
      return th;
    });
    function draw() {
      ths.forEach(function (th, i) { th.classList.toggle("sorted", i === sortCol); th.classList.toggle("asc", i === sortCol && asc); });
      var pages = Math.ceil(rows.length / PAGE);
      info.textContent = "trades " + (page * PAGE + 1) + "–" + Math.min(rows.length, (page + 1) * PAGE) + " of " + rows.length;
      prev.disabled = page === 0; next.disabled = page >= pages - 1;
      body.textContent = "";
      rows.slice(page * PAGE, (page + 1) * PAGE).forEach(function (t) {
        var tr = add(body, el("tr", "click"));
        cols.forEach(function (c) {
          var td = add(tr, el("td", c[3] || null, (c[2] || c[1])(t)));
          if (c[4]) td.className = signClass(c[1](t));
        });
        tr.addEventListener("click", function () {
          var sc = symbolCharts[t.symbol];
          if (!sc) return;
          var end = t.exit_ts === null ? t.entry_ts : t.exit_ts, pad = Math.max(3600, (end - t.entry_ts) * 1.5);
          try { sc.chart.timeScale().setVisibleRange({ from: t.entry_ts - pad, to: end + pad }); } catch (e) { /* outside the data */ }
          sc.box.scrollIntoView({ behavior: "smooth", block: "center" });
        });
      });
    }
    prev.addEventListener("click", function () { if (page > 0) { page -= 1; draw(); } });
    next.addEventListener("click", function () { page += 1; draw(); });
    draw();
  }

  try {
    if (!LC) throw new Error("the charting library did not load");
    main();
  } catch (e) {
    document.body.setAttribute("data-error", String(e && e.message ? e.message : e));
    var p = el("p", "error", "The report could not be drawn: " + (e && e.message ? e.message : e));
    app.insertBefore(p, app.firstChild);
  }
})();

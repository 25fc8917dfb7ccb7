// tracectl report: the page. Plain JavaScript, no dependencies. Trace data is
// untrusted: every value goes into the DOM as text (textContent, text nodes),
// never as HTML.
"use strict";
(function () {
  var t0 = performance.now();
  var DATA = JSON.parse(document.getElementById("tracectl-data").textContent);
  var TAIL = JSON.parse(document.getElementById("tracectl-tail").textContent);
  var traces = DATA.traces, checks = DATA.checks || [];
  var ROW = 22;

  // el makes an element; text (optional) is set as text, never parsed.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }

  // Durations in nanoseconds as text: 1.23s, 45.6ms, 789µs, 12ns.
  function fmtDur(ns) {
    if (ns === undefined || ns === null) return "-";
    var a = Math.abs(ns);
    if (a >= 3600e9) return (ns / 3600e9).toFixed(2) + "h";
    if (a >= 60e9) return (ns / 60e9).toFixed(2) + "m";
    if (a >= 1e9) return trim(ns / 1e9) + "s";
    if (a >= 1e6) return trim(ns / 1e6) + "ms";
    if (a >= 1e3) return trim(ns / 1e3) + "µs";
    return ns + "ns";
  }
  function trim(x) { return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2); }
  // Unix nanoseconds (a decimal string: a number would lose digits) as RFC 3339.
  function fmtTime(ns) {
    if (!ns || ns === "0") return "-";
    try {
      var b = BigInt(ns);
      var d = new Date(Number(b / 1000000n));
      return d.toISOString().slice(0, 19) + "." + (b % 1000000000n).toString().padStart(9, "0") + "Z";
    } catch (e) { return String(ns); }
  }
  function cmpNS(a, b) { // decimal strings of non-negative integers
    a = a || "0"; b = b || "0";
    return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  }
  function tokens(t) { return t.genai && t.genai.total_tokens !== undefined ? t.genai.total_tokens : null; }
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function fmtInt(n) { return n === null || n === undefined ? "-" : n.toLocaleString("en-US"); }

  // Span type colors: known MLflow types fixed, others by a hash.
  var TYPES = { UNKNOWN: 0, LLM: 1, CHAT_MODEL: 1, TOOL: 2, RETRIEVER: 3, AGENT: 4, CHAIN: 5, EMBEDDING: 6, PARSER: 7, RERANKER: 8, WORKFLOW: 9 };
  function typeClass(t) {
    if (Object.prototype.hasOwnProperty.call(TYPES, t)) return "c" + TYPES[t];
    var h = 0;
    for (var i = 0; i < t.length; i++) h = (h * 31 + t.charCodeAt(i)) | 0;
    return "c" + (Math.abs(h) % 10);
  }

  // A virtual list: only the rows in view (and a few around) exist, so
  // 10,000 rows scroll as smoothly as 10.
  function VList(scroller, render) {
    var spacer = el("div"), layer = el("div", "vlayer");
    add(scroller, spacer, layer);
    var count = 0, pending = false, self = this;
    function draw() {
      pending = false;
      var top = scroller.scrollTop, h = scroller.clientHeight || 400;
      var first = Math.max(0, Math.floor(top / ROW) - 10);
      var last = Math.min(count, Math.ceil((top + h) / ROW) + 10);
      layer.style.transform = "translateY(" + first * ROW + "px)";
      var rows = [];
      for (var i = first; i < last; i++) rows.push(render(i));
      layer.replaceChildren.apply(layer, rows);
    }
    this.refresh = function () { if (!pending) { pending = true; requestAnimationFrame(draw); } };
    this.now = draw;
    this.setCount = function (n) { count = n; spacer.style.height = n * ROW + "px"; draw(); };
    this.reveal = function (i) {
      var top = i * ROW, h = scroller.clientHeight;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + ROW > scroller.scrollTop + h) scroller.scrollTop = top + ROW - h;
    };
    this.page = function () { return Math.max(1, Math.floor(scroller.clientHeight / ROW) - 1); };
    scroller.addEventListener("scroll", function () { self.refresh(); });
    window.addEventListener("resize", function () { self.refresh(); });
  }

  // ---- layout ----
  var body = document.body;
  var header = add(el("header"), el("h1", "", "tracectl report"), el("span", "dim title", DATA.title));
  header.lastChild.title = DATA.title;
  var failedTraces = traces.filter(function (t) { return t.state === "ERROR" || t.status_counts.error > 0; }).length;
  add(header, el("span", "", plural(traces.length, "trace", "traces")));
  if (failedTraces) add(header, el("span", "err", failedTraces + " with errors"));
  if (checks.length) {
    var bad = traces.filter(function (t) { return t.failed_checks > 0; }).length;
    add(header, el("span", bad ? "err" : "ok", plural(checks.length, "check", "checks") + ", " + plural(bad, "trace", "traces") + " failing"));
  }
  add(header, add(el("span", "dim"), document.createTextNode("keys: "), el("kbd", "", "/"), document.createTextNode(" search, "),
    el("kbd", "", "↑↓"), document.createTextNode(" move, "), el("kbd", "", "←→"), document.createTextNode(" fold, "),
    el("kbd", "", "Tab"), document.createTextNode(" list ⇄ spans, "), el("kbd", "", "e"), document.createTextNode(" next error")));
  add(body, header);
  TAIL.errors.forEach(function (e) {
    var d = add(body, el("div", "notice", "input error: " + e.split("\n")[0]));
    d.lastChild.title = e;
  });
  if (TAIL.warnings) add(body, el("div", "notice dim", TAIL.warnings + (TAIL.warnings === 1 ? " warning" : " warnings") + " while reading (see tracectl's stderr)"));

  var list = el("section"); list.id = "list";
  var search = el("input"); search.type = "search"; search.placeholder = "search name, id, state, source, tags"; search.setAttribute("aria-label", "search traces");
  var shown = el("span", "dim");
  add(list, add(el("div", "toolbar"), search, shown));
  var cols = [
    { key: "state", label: "State", get: function (t) { return t.state; } },
    { key: "name", label: "Name", get: function (t) { return t.name.toLowerCase(); } },
    { key: "duration", label: "Duration", num: true, get: function (t) { return t.duration_ns; } },
    { key: "spans", label: "Spans", num: true, get: function (t) { return t.span_count; } },
    { key: "tokens", label: "Tokens", num: true, get: function (t) { var n = tokens(t); return n === null ? -1 : n; } },
    { key: "start", label: "Start", cmp: function (a, b) { return cmpNS(a.start_time_unix_nano, b.start_time_unix_nano); } },
    { key: "checks", label: "Failed checks", num: true, get: function (t) { return t.failed_checks; } },
    { key: "source", label: "Source", get: function (t) { return t.source; } }
  ];
  var thead = el("div", "grid-list thead");
  var sortKey = null, sortDir = 1;
  cols.forEach(function (c) {
    var b = el("button", c.num ? "num" : "", c.label);
    b.addEventListener("click", function () {
      if (sortKey === c.key) sortDir = -sortDir; else { sortKey = c.key; sortDir = c.num ? -1 : 1; }
      thead.querySelectorAll("button").forEach(function (x) { x.removeAttribute("aria-sort"); });
      b.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
      applyList();
    });
    c.button = b;
    add(thead, b);
  });
  var listScroll = el("div", "vscroll"); listScroll.tabIndex = 0; listScroll.setAttribute("aria-label", "traces");
  add(list, thead, listScroll);
  add(body, list);

  var traceSec = el("section"); traceSec.id = "trace";
  var thd = el("div"); thd.id = "thead";
  var legend = el("div", "legend");
  var split = el("div", "split");
  var wf = el("div"); wf.id = "wf";
  var axis = el("div", "wgrid axis");
  var axisTicks = el("div", "ticks");
  add(axis, el("div", "wname dim", "span"), axisTicks);
  axis.firstChild.style.paddingLeft = "8px";
  var wfScroll = el("div", "vscroll"); wfScroll.tabIndex = 0; wfScroll.setAttribute("aria-label", "spans");
  add(wf, axis, wfScroll);
  var detail = el("aside"); detail.id = "detail";
  add(split, wf, detail);
  add(traceSec, thd, legend, split);
  add(body, traceSec);

  // ---- trace list ----
  var view = traces.map(function (t, i) { return i; }); // indices shown, in order
  var cur = -1; // the open trace's index in traces
  function haystack(t) {
    var s = [t.name, t.trace_id, t.otel_trace_id, t.state, t.source];
    if (t.tags) for (var k in t.tags) s.push(k + "=" + t.tags[k]);
    return s.join("\n").toLowerCase();
  }
  var hay = traces.map(haystack);
  function applyList() {
    var q = search.value.trim().toLowerCase();
    view = [];
    for (var i = 0; i < traces.length; i++) if (!q || hay[i].indexOf(q) >= 0) view.push(i);
    var c = cols.filter(function (c) { return c.key === sortKey; })[0];
    if (c) {
      view.sort(function (a, b) {
        var ta = traces[a], tb = traces[b], r;
        if (c.cmp) r = c.cmp(ta, tb);
        else { var x = c.get(ta), y = c.get(tb); r = x < y ? -1 : x > y ? 1 : 0; }
        return r * sortDir || a - b;
      });
    }
    shown.textContent = view.length === traces.length ? plural(traces.length, "trace", "traces") : view.length + " of " + plural(traces.length, "trace", "traces");
    traceList.setCount(view.length);
  }
  var traceList = new VList(listScroll, function (k) {
    var i = view[k], t = traces[i];
    var r = el("div", "grid-list trow" + (i === cur ? " sel" : ""));
    r.dataset.k = k;
    add(r, add(el("span"), el("span", "badge " + stateClass(t.state), t.state)),
      el("span", t.status_counts.error ? "err" : "", t.name),
      el("span", "num", fmtDur(t.duration_ns)),
      el("span", "num", fmtInt(t.span_count)),
      el("span", "num", fmtInt(tokens(t))),
      el("span", "mono", t.start_time),
      el("span", "num" + (t.failed_checks ? " err" : ""), t.checks ? t.failed_checks + "/" + t.checks.length : "-"),
      el("span", "dim", t.source));
    r.title = t.trace_id;
    return r;
  });
  function stateClass(s) { return /^[A-Z_]+$/.test(s) ? s : ""; }
  listScroll.addEventListener("click", function (e) {
    var r = e.target.closest(".trow");
    if (r) openTrace(view[+r.dataset.k]);
  });
  search.addEventListener("input", applyList);
  search.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { search.value = ""; applyList(); listScroll.focus(); }
    if (e.key === "Enter" || e.key === "ArrowDown") { e.preventDefault(); if (view.length) openTrace(view[0]); listScroll.focus(); }
  });
  listScroll.addEventListener("keydown", function (e) {
    var k = view.indexOf(cur), n = view.length;
    if (!n) return;
    var to = { ArrowDown: k + 1, j: k + 1, ArrowUp: k - 1, k: k - 1, Home: 0, End: n - 1, PageDown: k + traceList.page(), PageUp: k - traceList.page() }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    to = Math.max(0, Math.min(n - 1, to));
    openTrace(view[to]);
  });

  // ---- one trace ----
  var T = null; // the open trace: spans and per-span figures
  function openTrace(i, spanId) {
    if (i < 0 || i >= traces.length) return;
    cur = i;
    var k = view.indexOf(i);
    if (k >= 0) traceList.reveal(k);
    traceList.refresh();
    var t = traces[i], sp = t.spans, n = sp.length;
    var size = new Int32Array(n), hasErr = new Uint8Array(n);
    for (var j = n - 1; j >= 0; j--) {
      size[j] += 1;
      if (sp[j].status.code === "ERROR") hasErr[j] = 1;
      var p = sp[j].parent;
      if (p >= 0) size[p] += size[j];
    }
    var span = 1;
    for (j = 0; j < n; j++) span = Math.max(span, sp[j].at_ns + sp[j].duration_ns);
    var flagged = {};
    (t.checks || []).forEach(function (r) { (r.spans || []).forEach(function (id) { (flagged[id] = flagged[id] || []).push(r); }); });
    T = { t: t, sp: sp, size: size, collapsed: new Uint8Array(n), vis: [], sel: -1, span: span, flagged: flagged };
    traceHeader(t);
    drawLegend(t);
    drawAxis();
    computeVisible();
    var start = 0;
    if (spanId) for (j = 0; j < n; j++) if (sp[j].span_id === spanId) { start = j; break; }
    selectSpan(n ? start : -1);
    updateHash();
  }

  function fact(parent, label, value, cls) {
    if (value === undefined || value === null || value === "") return;
    add(parent, add(el("span"), el("b", "", label), el("span", cls || "", value)));
  }
  function traceHeader(t) {
    thd.replaceChildren();
    add(thd, el("h2", "", t.name), el("span", "badge " + stateClass(t.state), t.state));
    var f = el("div", "facts");
    fact(f, "trace", t.trace_id, "mono");
    fact(f, "start", t.start_time, "mono");
    fact(f, "duration", fmtDur(t.duration_ns));
    fact(f, "spans", t.span_count + " (" + t.status_counts.ok + " ok, " + t.status_counts.error + " error, " + t.status_counts.unset + " unset)");
    var g = t.genai || {};
    if (g.models) fact(f, "models", g.models.join(", "));
    if (g.total_tokens !== undefined) fact(f, "tokens", fmtInt(g.total_tokens) + (g.input_tokens !== undefined ? " (" + fmtInt(g.input_tokens) + " in, " + fmtInt(g.output_tokens) + " out)" : ""));
    if (g.cost_usd !== undefined) fact(f, "cost", "$" + g.cost_usd.toFixed(4));
    fact(f, "session", g.session); fact(f, "user", g.user);
    fact(f, "source", t.source); fact(f, "schema", t.shape || t.schema);
    add(thd, f);
    if (t.tags) {
      var tg = el("div", "facts");
      Object.keys(t.tags).forEach(function (k) { if (k.indexOf("mlflow.") !== 0) fact(tg, k, t.tags[k]); });
      if (tg.childNodes.length) add(thd, tg);
    }
    if (t.request_preview) add(thd, el("b", "dim", "request"), el("pre", "", t.request_preview));
    if (t.response_preview) add(thd, el("b", "dim", "response"), el("pre", "", t.response_preview));
    if (t.checks && t.checks.length) {
      var ul = el("ul", "checks");
      t.checks.forEach(function (r) {
        var c = checks[r.check] || { name: "?" };
        var li = add(el("li"), el("span", r.passed ? "ok" : "err", r.passed ? "✓ " : "✗ "), el("span", "", c.name));
        if (r.detail) add(li, el("span", "dim", " — " + r.detail));
        (r.spans || []).forEach(function (id) {
          var b = el("button", "badge fail", id);
          b.title = "show this span";
          b.addEventListener("click", function () { selectById(id); wfScroll.focus(); });
          add(li, document.createTextNode(" "), b);
        });
        add(ul, li);
      });
      add(thd, ul);
    }
  }
  function drawLegend(t) {
    legend.replaceChildren();
    var seen = {};
    t.spans.forEach(function (s) { seen[s.span_type] = 1; });
    Object.keys(seen).sort().forEach(function (ty) {
      var i = el("i", typeClass(ty));
      add(legend, add(el("span"), i, document.createTextNode(ty)));
    });
    add(legend, el("span", "mark-err", "✕ error"), el("span", "mark-crit", "◆ critical path"));
  }
  // Time axis: about eight ticks at a round step.
  function drawAxis() {
    axisTicks.replaceChildren();
    var total = T.span, raw = total / 8, p = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    var step = [1, 2, 5, 10].map(function (m) { return m * p; }).filter(function (s) { return s >= raw; })[0] || p * 10;
    for (var x = 0; x < total; x += step) {
      var tk = el("div", "tick", fmtDur(x));
      tk.style.left = (100 * x / total) + "%";
      add(axisTicks, tk);
    }
  }
  function computeVisible() {
    var vis = [], sp = T.sp, n = sp.length;
    for (var i = 0; i < n;) {
      vis.push(i);
      i += T.collapsed[i] ? T.size[i] : 1;
    }
    T.vis = vis;
    T.row = new Int32Array(n).fill(-1);
    for (var k = 0; k < vis.length; k++) T.row[vis[k]] = k;
    spanList.setCount(vis.length);
  }
  var MAXINDENT = 30;
  var spanList = new VList(wfScroll, function (k) {
    var i = T.vis[k], s = T.sp[i];
    var err = s.status.code === "ERROR";
    var r = el("div", "wgrid wrow" + (i === T.sel ? " sel" : "") + (err ? " error" : ""));
    r.dataset.i = i;
    var nm = el("div", "wname");
    nm.style.paddingLeft = (4 + Math.min(s.depth, MAXINDENT) * 12) + "px";
    var tog = el("span", "tog", T.size[i] > 1 ? (T.collapsed[i] ? "▸" : "▾") : "");
    if (T.size[i] > 1) tog.dataset.tog = "1";
    add(nm, tog);
    if (s.depth > MAXINDENT) add(nm, el("span", "deep", "⋯" + s.depth));
    if (err) add(nm, el("span", "mark-err", "✕"));
    add(nm, el("span", "nm", s.name));
    if (s.critical) add(nm, el("span", "mark-crit", "◆"));
    if (T.collapsed[i]) add(nm, el("span", "dim", "+" + (T.size[i] - 1)));
    add(nm, el("span", "type", s.span_type));
    var lane = el("div", "lane");
    var left = 100 * s.at_ns / T.span, width = 100 * s.duration_ns / T.span;
    var bar = el("div", "bar " + typeClass(s.span_type) + (s.critical ? " crit" : "") + (err ? " error" : ""));
    bar.style.left = left + "%";
    bar.style.width = width + "%";
    var d = el("div", "dur", fmtDur(s.duration_ns));
    if (left + width > 85) { d.style.right = (100 - left) + "%"; d.style.paddingRight = "4px"; } else d.style.left = (left + width) + "%";
    add(lane, bar, d);
    r.title = s.name + " — " + fmtDur(s.duration_ns) + (s.status.message ? " — " + s.status.message : "");
    return add(r, nm, lane);
  });
  wfScroll.addEventListener("click", function (e) {
    var r = e.target.closest(".wrow");
    if (!r) return;
    var i = +r.dataset.i;
    if (e.target.dataset.tog) toggle(i);
    selectSpan(i);
  });
  function toggle(i) {
    if (T.size[i] < 2) return;
    T.collapsed[i] ^= 1;
    computeVisible();
  }
  // A span hidden under a folded parent is shown by unfolding its path.
  function unfoldTo(i) {
    var changed = false;
    for (var p = T.sp[i].parent; p >= 0; p = T.sp[p].parent) if (T.collapsed[p]) { T.collapsed[p] = 0; changed = true; }
    if (changed) computeVisible();
  }
  function selectById(id) {
    for (var j = 0; j < T.sp.length; j++) if (T.sp[j].span_id === id) return selectSpan(j);
  }
  function selectSpan(i) {
    if (!T) return;
    T.sel = i;
    if (i >= 0) { unfoldTo(i); spanList.reveal(T.row[i]); }
    spanList.now();
    showDetail(i);
    updateHash();
  }
  wfScroll.addEventListener("keydown", function (e) {
    if (!T || !T.sp.length) return;
    var k = T.row[T.sel], i = T.sel, s = T.sp[i], to = null;
    switch (e.key) {
      case "ArrowDown": case "j": to = T.vis[Math.min(k + 1, T.vis.length - 1)]; break;
      case "ArrowUp": case "k": to = T.vis[Math.max(k - 1, 0)]; break;
      case "PageDown": to = T.vis[Math.min(k + spanList.page(), T.vis.length - 1)]; break;
      case "PageUp": to = T.vis[Math.max(k - spanList.page(), 0)]; break;
      case "Home": to = T.vis[0]; break;
      case "End": to = T.vis[T.vis.length - 1]; break;
      case "ArrowRight": case "l":
        if (T.collapsed[i]) toggle(i); else if (T.size[i] > 1) to = i + 1;
        break;
      case "ArrowLeft": case "h":
        if (T.size[i] > 1 && !T.collapsed[i]) toggle(i); else if (s.parent >= 0) to = s.parent;
        break;
      case "Enter": case " ": toggle(i); break;
      case "e": case "E":
        var n = T.sp.length, dir = e.key === "e" ? 1 : -1;
        for (var step = 1; step <= n; step++) {
          var j = ((i + dir * step) % n + n) % n;
          if (T.sp[j].status.code === "ERROR") { to = j; break; }
        }
        break;
      default: return;
    }
    e.preventDefault();
    if (to !== null && to !== undefined) selectSpan(to); else { spanList.now(); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.target === search) return;
    if (e.key === "/") { e.preventDefault(); search.focus(); search.select(); }
  });

  // ---- span details ----
  function section(title) { return add(detail, el("h4", "", title)); }
  function showDetail(i) {
    detail.replaceChildren();
    if (i < 0) { add(detail, el("div", "empty", T && T.sp.length === 0 ? "This trace has no spans." : "No trace selected.")); return; }
    var s = T.sp[i], t = T.t;
    add(detail, el("h3", s.status.code === "ERROR" ? "err" : "", s.name));
    var kv = el("table", "kv");
    function row(k, v, cls) { if (v === undefined || v === null || v === "") return; add(kv, add(el("tr"), el("td", "", k), el("td", cls || "", v))); }
    row("span id", s.span_id, "mono");
    var par = s.parent >= 0 ? T.sp[s.parent] : null;
    row("parent", par ? par.name + " (" + par.span_id + ")" : s.original_parent_span_id ? s.original_parent_span_id + " (not in the trace: shown as a root)" : "- (root)");
    row("type", s.span_type);
    row("status", s.status.code + (s.status.message ? "  " + s.status.message : ""), s.status.code === "ERROR" ? "err" : "");
    row("kind", s.kind);
    row("start", fmtTime(s.start_time_unix_nano), "mono");
    row("end", fmtTime(s.end_time_unix_nano), "mono");
    row("duration", fmtDur(s.duration_ns));
    row("self", fmtDur(s.self_ns));
    row("offset", "+" + fmtDur(s.at_ns));
    if (s.critical) row("critical path", "yes", "mark-crit");
    var g = s.genai || {};
    row("model", g.model ? g.model + (g.provider ? " (" + g.provider + ")" : "") : "");
    if (g.total_tokens !== undefined || g.input_tokens !== undefined) row("tokens", [g.input_tokens !== undefined ? fmtInt(g.input_tokens) + " in" : "", g.output_tokens !== undefined ? fmtInt(g.output_tokens) + " out" : "", g.total_tokens !== undefined ? fmtInt(g.total_tokens) + " total" : ""].filter(Boolean).join(", "));
    if (g.cost_usd !== undefined) row("cost", "$" + g.cost_usd.toFixed(6));
    row("tool", g.tool_name ? g.tool_name + (g.tool_call_id ? " (call " + g.tool_call_id + ")" : "") : "");
    row("session", g.session); row("user", g.user);
    add(detail, kv);
    var fl = T.flagged[s.span_id];
    if (fl) {
      section("failed checks");
      fl.forEach(function (r) { add(detail, el("div", "err", "✗ " + (checks[r.check] || { name: "?" }).name)); });
    }
    if (s.exception) {
      section("exception");
      add(detail, el("div", "err", [s.exception.type, s.exception.message].filter(Boolean).join(": ")));
      if (s.exception.stacktrace) add(detail, el("pre", "", s.exception.stacktrace));
    }
    if (s.inputs !== undefined) { section("inputs"); add(detail, jsonView(s.inputs, 2)); }
    if (s.outputs !== undefined) { section("outputs"); add(detail, jsonView(s.outputs, 2)); }
    if (s.attributes) { section("attributes"); add(detail, jsonView(s.attributes, 1)); }
    if (s.events) {
      section("events");
      s.events.forEach(function (ev) {
        var off = ev.time_unix_nano && ev.time_unix_nano !== "0" ? "@" + fmtDur(Number(BigInt(ev.time_unix_nano) - BigInt(s.start_time_unix_nano))) : "@-";
        add(detail, add(el("div"), el("span", "dim", off + " "), el("b", ev.name === "exception" ? "err" : "", ev.name), el("span", "dim mono", "  " + fmtTime(ev.time_unix_nano))));
        if (ev.attributes) add(detail, jsonView(ev.attributes, 0));
      });
    }
    if (s.links) {
      section("links");
      s.links.forEach(function (l) {
        add(detail, el("div", "mono", "trace " + l.trace_id + "  span " + l.span_id + (l.trace_state ? "  state " + l.trace_state : "")));
        if (l.attributes) add(detail, jsonView(l.attributes, 0));
      });
    }
    if (s.resource) { section("resource"); add(detail, jsonView(s.resource, 1)); }
    if (s.scope) { section("scope"); add(detail, jsonView(s.scope, 1)); }
    section("trace");
    add(detail, el("div", "mono dim", t.trace_id));
  }

  // Folded JSON: objects and lists fold (the first levels open); children
  // are built when opened, so a huge value costs nothing until looked at.
  function jsonView(v, open) {
    return add(el("div", "json"), jsonNode(v, open));
  }
  function jsonNode(v, open) {
    if (v === null) return el("span", "b", "null");
    // A string with line breaks reads best as its lines; others as JSON.
    if (typeof v === "string") return el("span", "s", v.indexOf("\n") >= 0 ? v : JSON.stringify(v));
    if (typeof v !== "object") return el("span", typeof v === "boolean" ? "b" : "n", String(v));
    var isArr = Array.isArray(v), keys = isArr ? null : Object.keys(v), n = isArr ? v.length : keys.length;
    if (n === 0) return el("span", "dim", isArr ? "[]" : "{}");
    var d = el("details");
    add(d, el("summary", "", isArr ? "[ " + n + (n === 1 ? " item ]" : " items ]") : "{ " + n + (n === 1 ? " key }" : " keys }")));
    var built = false;
    function build() {
      if (built) return;
      built = true;
      var kids = el("div", "kids");
      for (var j = 0; j < n; j++) {
        var key = isArr ? j : keys[j], val = v[key];
        var line = add(el("div"), el("span", "k", isArr ? "[" + j + "]" : key), document.createTextNode(": "));
        add(line, jsonNode(val, open - 1));
        add(kids, line);
      }
      add(d, kids);
    }
    d.addEventListener("toggle", function () { if (d.open) build(); });
    if (open > 0 && n <= 200) { build(); d.open = true; }
    return d;
  }

  // ---- the address: #TRACE_ID/SPAN_ID opens that span ----
  function updateHash() {
    if (!T) return;
    var s = T.sel >= 0 ? T.sp[T.sel].span_id : "";
    try { history.replaceState(null, "", "#" + encodeURIComponent(T.t.trace_id) + "/" + encodeURIComponent(s)); } catch (e) { /* file: URLs in some browsers */ }
  }
  function fromHash() {
    var h = location.hash.slice(1).split("/");
    if (!h[0]) return false;
    var id = decodeURIComponent(h[0]);
    for (var i = 0; i < traces.length; i++) if (traces[i].trace_id === id) { openTrace(i, decodeURIComponent(h[1] || "")); return true; }
    return false;
  }

  listScroll.addEventListener("focus", function () { if (cur < 0 && view.length) openTrace(view[0]); });
  applyList();
  if (!traces.length) add(thd, el("div", "empty", "No traces in the input."));
  else if (!fromHash()) openTrace(view[0]);
  document.documentElement.dataset.ready = "1";
  document.documentElement.dataset.renderMs = String(Math.round(performance.now() - t0));
})();

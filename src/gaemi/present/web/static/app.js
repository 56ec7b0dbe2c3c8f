// gaemi dashboard: sliders → JSON API → Plotly charts and tables. No framework, no CDN.
// Money arrives in USD and moves as fractions; this file only converts for display.
"use strict";

(() => {
  const LADDER = { from: -0.2, to: 0.2, step: 0.01 };
  const HOLDERS = [
    { key: "korean", label: "Korean-held", color: "#c0392b" },
    { key: "non_korean", label: "Other holders (known)", color: "#2e86c1" },
    { key: "unattributed", label: "Unattributed (no Korean data)", color: "#95a5a6" },
  ];
  const STRESS = { from: -0.2, to: 0.2, step: 0.005 };
  const TABLE_ROWS = 12; // largest underlyings by |flow|; the rest in one row
  const TZ_LABEL = { "America/New_York": "ET", "Asia/Seoul": "KST" };

  const state = {
    currency: "USD",
    fx: null,
    tz: "America/New_York",
    meta: null,
    asof: null,
    clock: null,
    ladder: null,
    atMove: null,
    stress: null,
    cascade: null,
    decay: null,
    crypto: null,
    cryptoSeq: 0,
    koreanToday: null,
    updatedAt: null,
    seq: 0,
    controller: null,
    timer: null,
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ formatting
  function finite(v) {
    return typeof v === "number" && Number.isFinite(v);
  }

  // The money rule of gaemi.units, ported once in units.js (loaded first) and checked
  // string for string against the Python in tests/present/test_units_js.py.
  const { formatUsd, formatKrw, formatCell, formatFrac, formatChange } = window.gaemiUnits;

  // Headers (gaemi.units.column_header, in USD) of the keys the sentences write that no
  // table of the page shows: a sentence writes a figure by the cell rule of its key, as the
  // terminal's and the report's tables do (tests/present/test_units_js.py checks these
  // headers against the Python).
  const SENTENCE_HEADERS = {
    amplification: "Amplification (×)",
    total_pressure_ratio: "Total-flow pressure (×)",
    letf_pressure_ratio: "Leveraged-fund pressure (×)",
    long_share_frac: "Longs (% of liquidated)",
    korean_coverage_frac: "Korean share known for (% of AUM)",
    vol_annual: "Volatility (% a year)",
    loss_frac: "Loss (%)",
    rate_annual: "Rate (% a year)",
  };

  // A table cell of a machine column that is not money (a percent, a count): the rule of
  // gaemi.units.format_cell by the key's header from /api/meta (the terminal and the
  // report write the same cell); money goes through money() for the currency switch.
  function cellText(key, value) {
    const h = state.meta && state.meta.column_headers && state.meta.column_headers[key];
    if (h) return formatCell(key, value, h.USD);
    if (key in SENTENCE_HEADERS) return formatCell(key, value, SENTENCE_HEADERS[key]);
    return formatCell(key, value, /_frac$/.test(key) ? "(%)" : "");
  }

  function money(usd) {
    if (!finite(usd)) return "—";
    return state.currency === "KRW" ? formatKrw(usd * state.fx) : formatUsd(usd);
  }

  // Chart axis: USD billions or KRW 조 (trillions of won).
  function chartScale() {
    return state.currency === "KRW"
      ? { factor: state.fx / 1e12, title: "KRW 조 (trillion won), + = buying" }
      : { factor: 1 / 1e9, title: "USD billions, + = buying" };
  }

  function formatTime(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    const text = new Intl.DateTimeFormat("en-GB", {
      timeZone: state.tz,
      weekday: "short",
      day: "numeric",
      month: "short",
      year: "numeric",
      hour: "2-digit",
      minute: "2-digit",
      hour12: false,
    }).format(d);
    return `${text} ${TZ_LABEL[state.tz]}`;
  }

  // ------------------------------------------------------------------ controls
  function koreanAumUsd() {
    return Number($("korean-aum").value) * 1e9;
  }

  function moveFrac() {
    return Number($("move").value) / 100;
  }

  function liquidityScale() {
    return Number($("liquidity").value);
  }

  function renderControlValues() {
    $("korean-aum-value").textContent = money(koreanAumUsd());
    $("move-value").textContent = formatFrac(moveFrac());
    $("liquidity-value").textContent = `×${liquidityScale().toFixed(2)}`;
    $("korean-aum-today").textContent = money(state.koreanToday);
  }

  // ------------------------------------------------------------------ fetching
  async function fetchJson(url, options = {}) {
    const response = await fetch(url, options);
    let body = null;
    try {
      body = await response.json();
    } catch (_err) {
      body = null;
    }
    if (!response.ok) {
      let detail = body && body.detail !== undefined ? body.detail : response.statusText;
      if (Array.isArray(detail)) {
        detail = detail.map((e) => `${(e.loc || []).join(".")}: ${e.msg}`).join("; ");
      }
      throw new Error(`${url.split("?")[0]} answered ${response.status}: ${detail}`);
    }
    return body;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (Array.isArray(v)) v.forEach((x) => q.append(k, String(x)));
      else if (v !== null && v !== undefined) q.append(k, String(v));
    }
    return q.toString();
  }

  function showError(message) {
    const el = $("error-banner");
    if (message) {
      el.textContent = message;
      el.hidden = false;
    } else {
      el.textContent = "";
      el.hidden = true;
    }
  }

  function hasEngine(name) {
    return !!(state.meta && state.meta.engines.includes(name));
  }

  function scheduleRefresh(delayMs = 80) {
    clearTimeout(state.timer);
    state.timer = setTimeout(refresh, delayMs);
  }

  async function refresh() {
    const seq = ++state.seq;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const common = { korean_aum_usd: koreanAumUsd() };
    const jobs = [
      fetchJson(
        `/api/flows/ladder?${query({
          ...common,
          move_from_frac: LADDER.from,
          move_to_frac: LADDER.to,
          move_step_frac: LADDER.step,
          by: "holder",
        })}`,
        { signal: controller.signal },
      ),
      fetchJson(`/api/flows?${query({ ...common, move_frac: moveFrac(), by: "underlying" })}`, {
        signal: controller.signal,
      }),
    ];
    jobs.push(hasEngine("stress") ? fetchStress(controller.signal) : Promise.resolve(null));
    jobs.push(
      hasEngine("cascade")
        ? fetchJson(`/api/cascade?${query({ ...common, shock_frac: moveFrac() })}`, {
            signal: controller.signal,
          })
        : Promise.resolve(null),
    );
    try {
      const [ladder, atMove, stress, cascade] = await Promise.all(jobs);
      if (seq !== state.seq) return;
      state.ladder = ladder;
      state.atMove = atMove;
      state.stress = stress || null;
      state.cascade = cascade || null;
      state.updatedAt = new Date().toISOString();
      showError(null);
      await render();
      bump("renders");
    } catch (err) {
      if (err && err.name === "AbortError") return;
      if (seq === state.seq) showError(String(err && err.message ? err.message : err));
    }
  }

  // The feedback loop of one underlying: the curve over shocks in the direction of the
  // chosen move, and the single shock at the move.
  async function fetchStress(signal) {
    const m = moveFrac();
    const common = {
      underlying: $("stress-underlying").value || "NDX",
      korean_aum_usd: koreanAumUsd(),
      liquidity_scale: liquidityScale(),
    };
    const grid =
      m > 0
        ? { shock_from_frac: 0, shock_to_frac: STRESS.to, shock_step_frac: STRESS.step }
        : { shock_from_frac: STRESS.from, shock_to_frac: 0, shock_step_frac: STRESS.step };
    const shock = Math.max(m, -0.99);
    const [curve, single] = await Promise.all([
      fetchJson(`/api/stress/curve?${query({ ...common, ...grid })}`, { signal }),
      fetchJson(`/api/stress?${query({ ...common, shock_frac: shock })}`, { signal }),
    ]);
    return { curve, single };
  }

  async function fetchStatus() {
    const s = await fetchJson("/api/status");
    const el = $("status-banner");
    el.replaceChildren();
    // The status carries its age, in the words of `gaemi monitor` (issue 19): the newest
    // dated input and how old it is on the served day; past the rules' limit it reads stale.
    const dated = s.indicators.filter((i) => i.as_of && Number.isFinite(i.age_days));
    const newest = dated.reduce((a, i) => (a === null || i.as_of > a.as_of ? i : a), null);
    const strong = document.createElement("strong");
    el.appendChild(strong);
    if (s.status_past_data) {
      // a served day (`gaemi serve --date`) past every observation by more than the limit:
      // no status, the API's headline (`no status: 2030-01-01 is 1,247 days after …`)
      strong.textContent = s.status_text;
    } else {
      strong.textContent = `Status: ${s.status}`;
    }
    if (newest && !s.status_past_data) {
      const days = (n) => `${n} day${n === 1 ? "" : "s"}`;
      const age = document.createElement(s.stale ? "em" : "span");
      age.className = "status-age";
      age.textContent = s.stale
        ? ` — stale: newest market data ${days(newest.age_days)} old (as of ${newest.as_of}; ` +
          `limit ${days(s.stale_after_days)})`
        : ` (data as of ${newest.as_of}, ${days(newest.age_days)} old)`;
      el.appendChild(age);
    }
    if (!s.status_past_data) {
      el.appendChild(document.createTextNode(` — ${s.reason.replace(/^[A-Z]+: /, "")}`));
    }
    el.dataset.pastData = String(Boolean(s.status_past_data));
    el.dataset.stale = String(Boolean(s.stale));
    // no status: no level colour (neither LOW's green nor an alert's)
    el.dataset.level = s.status_past_data ? "n/a" : String(s.level);
    el.hidden = false;
  }

  // ------------------------------------------------------------------ rendering
  // Table headers with their unit in the chosen currency ("Flow at close ($)"), from
  // /api/meta's column_headers: gaemi.units.column_header, the terminal's and the report's
  // rule. The page's own words stay until meta has answered.
  function renderHeaders() {
    const headers = (state.meta && state.meta.column_headers) || {};
    document.querySelectorAll("th[data-key]").forEach((th) => {
      const h = headers[th.dataset.key];
      if (h && h[state.currency]) th.textContent = h[state.currency];
    });
  }

  async function render() {
    renderHeaders();
    renderControlValues();
    renderSummary();
    renderTable();
    renderClock();
    renderAsOf();
    await renderLadderChart();
    await renderStress();
    await renderCascade();
    await renderDecay();
    await renderCrypto();
  }

  // Counters a test (or a curious reader) can watch: one per source of updates.
  function bump(name) {
    const n = Number(document.body.dataset[name] || 0) + 1;
    document.body.dataset[name] = String(n);
  }

  function renderSummary() {
    const r = state.atMove;
    if (!r) return;
    const total = r.total_flow_usd[0];
    const kor = r.korean_flow_usd[0];
    const un = r.unattributed_flow_usd[0];
    const verb = total < 0 ? "sell" : "buy";
    const text =
      `At ${formatFrac(moveFrac())} on every underlying, ${r.n_funds} leveraged and inverse funds ` +
      `must ${verb} ${money(Math.abs(total))} at the close; Korean-held part ` +
      `${money(kor)}, unattributed ${money(un)}.`;
    $("summary").textContent = text;
  }

  function renderTable() {
    const r = state.atMove;
    if (!r) return;
    const tbody = $("ladder-table").querySelector("tbody");
    const sorted = r.rows.slice().sort((a, b) => Math.abs(b.flow_usd) - Math.abs(a.flow_usd));
    const rows = sorted.slice(0, TABLE_ROWS);
    const rest = sorted.slice(TABLE_ROWS);
    if (rest.length) {
      const sum = (key) => rest.reduce((acc, x) => acc + (finite(x[key]) ? x[key] : 0), 0);
      const aum = sum("aum_usd");
      const known = rest.reduce(
        (acc, x) => acc + (finite(x.korean_coverage_frac) ? x.korean_coverage_frac * x.aum_usd : 0),
        0,
      );
      rows.push({
        underlying_id: `${rest.length} other underlyings`,
        n_funds: rest.reduce((acc, x) => acc + x.n_funds, 0),
        aum_usd: aum,
        flow_usd: sum("flow_usd"),
        korean_flow_usd: rest.some((x) => finite(x.korean_flow_usd)) ? sum("korean_flow_usd") : null,
        flow_per_pct_usd: sum("flow_per_pct_usd"),
        korean_coverage_frac: aum > 0 ? known / aum : null,
      });
    }
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      const cells = [
        row.underlying_id,
        cellText("n_funds", row.n_funds),
        money(row.aum_usd),
        money(row.flow_usd),
        money(row.korean_flow_usd),
        money(row.flow_per_pct_usd),
        cellText("korean_coverage_frac", row.korean_coverage_frac),
      ];
      cells.forEach((text, i) => {
        const cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = text;
        tr.appendChild(cell);
      });
      if (row.flow_usd < 0) tr.classList.add("selling");
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    $("ladder-caption").textContent =
      `Required close trade by underlying at ${formatFrac(moveFrac())}, Korean 3x holdings ` +
      `${money(koreanAumUsd())} (${state.currency}).`;
  }

  function renderClock() {
    const c = state.clock;
    const parts = [];
    if (c) {
      parts.push(
        `Next US close: ${formatTime(c.next_close_utc)}` + (c.early_close ? " (early close)" : ""),
      );
    }
    if (state.updatedAt) parts.push(`computed ${formatTime(state.updatedAt)}`);
    $("clock").textContent = parts.join(" · ");
  }

  function renderAsOf() {
    const a = state.asof;
    if (!a) return;
    const u = a.universe;
    const kor =
      u.korean_as_of_min === u.korean_as_of_max
        ? u.korean_as_of_max
        : `${u.korean_as_of_min} … ${u.korean_as_of_max}`;
    $("asof").textContent =
      `${u.n_funds} funds (${u.source}); AUM as of ${u.aum_as_of_max}; Korean holdings as of ` +
      `${kor} (${cellText("korean_coverage_frac", u.korean_known_aum_frac)} of AUM has Korean data).`;
  }

  // Plotly's `responsive` follows window resizes only. A card that changes width without one
  // (a scrollbar appearing, a section shown, the grid re-flowing, the first layout settling)
  // left its chart at the old width, wider than the card (the flow ladder's x axis cut at
  // +10% in a 390 px screenshot). A ResizeObserver redraws a chart at its card's width.
  const fitObserver =
    typeof ResizeObserver === "undefined"
      ? null
      : new ResizeObserver((entries) => {
          for (const e of entries) fitChart(e.target);
        });

  function fitChart(div) {
    if (typeof Plotly === "undefined" || !div._fullLayout) return;
    const w = div.clientWidth;
    if (w > 0 && Math.abs(div._fullLayout.width - w) >= 1) Plotly.Plots.resize(div);
  }

  // An axis title longer than its axis breaks onto a second line (at 390 px the stress and
  // decay titles ran past the card: "closing move after the feedback loo").
  function wrapTitle(text, maxChars) {
    if (!text || text.length <= maxChars) return text;
    const lines = [];
    let cur = "";
    for (const w of text.split(" ")) {
      if (cur && (cur + " " + w).length > maxChars) {
        lines.push(cur);
        cur = w;
      } else {
        cur = cur ? `${cur} ${w}` : w;
      }
    }
    lines.push(cur);
    return lines.join("<br>");
  }

  function fitLayout(layout, width) {
    const out = { ...layout, autosize: true };
    // the plot area: the card less the margins, tick labels and (for y) the legend below
    const axes = { xaxis: width - 100, yaxis: (layout.height || 380) - 170 };
    for (const [key, px] of Object.entries(axes)) {
      const ax = layout[key];
      if (!ax) continue;
      const text = ax.title && ax.title.text;
      const title = text ? { ...ax.title, text: wrapTitle(text, Math.max(12, Math.floor(px / 7))) } : ax.title;
      out[key] = { ...ax, automargin: true, ...(title ? { title } : {}) };
    }
    if (layout.legend && layout.legend.orientation === "h") {
      // below the x axis title (one more step per extra title line), whatever its rows
      const xTitle = out.xaxis && out.xaxis.title && out.xaxis.title.text;
      const extra = xTitle ? xTitle.split("<br>").length - 1 : 0;
      out.legend = { ...layout.legend, yanchor: "top", y: layout.legend.y - 0.06 - 0.08 * extra };
    }
    return out;
  }

  async function drawChart(div, traces, layout) {
    await Plotly.react(div, traces, fitLayout(layout, div.clientWidth || 700), {
      displaylogo: false,
      responsive: true,
    });
    fitChart(div);
    if (fitObserver) fitObserver.observe(div);
  }

  async function renderLadderChart() {
    const r = state.ladder;
    if (!r || typeof Plotly === "undefined") return;
    const scale = chartScale();
    const moves = r.moves_frac.map((m) => m * 100);
    const traces = HOLDERS.map((h) => {
      const rows = r.rows.filter((row) => row.holder === h.key);
      return {
        type: "bar",
        name: h.label,
        x: rows.map((row) => row.move_frac * 100),
        y: rows.map((row) => row.flow_usd * scale.factor),
        marker: { color: h.color },
        hovertemplate: `%{x:+.1f}%: %{y:.2f}<extra>${h.label}</extra>`,
      };
    });
    traces.push({
      type: "scatter",
      mode: "lines",
      name: "All funds",
      x: moves,
      y: r.total_flow_usd.map((v) => v * scale.factor),
      line: { color: "#222", width: 1.5 },
      hovertemplate: "%{x:+.1f}%: %{y:.2f}<extra>total</extra>",
    });
    const m = moveFrac() * 100;
    const layout = {
      barmode: "relative",
      margin: { l: 70, r: 20, t: 24, b: 50 }, // room for the chosen move's label on top
      height: 380,
      xaxis: { title: { text: "move of every underlying, %" }, zeroline: true, ticksuffix: "%" },
      yaxis: { title: { text: scale.title }, zeroline: true },
      legend: { orientation: "h", y: -0.2 },
      shapes: [
        {
          type: "line",
          x0: m,
          x1: m,
          yref: "paper",
          y0: 0,
          y1: 1,
          line: { color: "#e67e22", width: 2, dash: "dot" },
        },
      ],
      annotations: [
        {
          x: m,
          yref: "paper",
          y: 1,
          text: `${formatFrac(moveFrac())}`,
          showarrow: false,
          yanchor: "bottom",
          font: { color: "#e67e22" },
        },
      ],
    };
    const div = $("ladder-chart");
    await drawChart(div, traces, layout);
    div.setAttribute(
      "aria-label",
      `Flow ladder chart: close flow by holder for moves ${formatFrac(LADDER.from)} to ` +
        `${formatFrac(LADDER.to)}; ${$("summary").textContent}`,
    );
  }

  async function renderStress() {
    const st = state.stress;
    if (!st || typeof Plotly === "undefined") return;
    const { curve, single } = st;
    const liq = curve.liquidity;
    $("capacity-value").textContent = `${money(liq.capacity_usd)} at the ${liq.underlying} close`;
    const x = curve.points.map((p) => p.shock_frac * 100);
    const traces = [
      {
        type: "scatter",
        mode: "lines",
        name: "No feedback (close = shock)",
        x,
        y: x,
        line: { color: "#95a5a6", dash: "dash", width: 1 },
        hoverinfo: "skip",
      },
      {
        type: "scatter",
        mode: "lines+markers",
        name: `${liq.underlying} closing move`,
        x,
        y: curve.points.map((p) => p.final_move_frac * 100),
        marker: { size: 4, color: curve.points.map((p) => (p.runaway ? "#c0392b" : "#2e86c1")) },
        line: { color: "#2e86c1" },
        hovertemplate: "shock %{x:+.1f}% → close %{y:+.2f}%<extra></extra>",
      },
      {
        type: "scatter",
        mode: "markers",
        name: "Chosen move",
        x: [single.result.shock_frac * 100],
        y: [single.result.final_move_frac * 100],
        marker: { size: 11, color: "#e67e22", symbol: "diamond" },
        hovertemplate: "shock %{x:+.1f}% → close %{y:+.2f}%<extra>chosen</extra>",
      },
    ];
    const layout = {
      margin: { l: 70, r: 20, t: 10, b: 50 },
      height: 340,
      xaxis: { title: { text: "shock into the close, %" }, ticksuffix: "%" },
      yaxis: { title: { text: "closing move after the feedback loop, %" }, ticksuffix: "%" },
      legend: { orientation: "h", y: -0.25 },
    };
    const div = $("stress-chart");
    await drawChart(div, traces, layout);
    const r = single.result;
    const crit = curve.critical;
    let critText;
    if (crit.unstable) critText = "The loop is unstable: any shock runs to the floor.";
    else if (finite(crit.shock_frac))
      critText =
        `Critical shock ${formatFrac(crit.shock_frac)}: the close jumps from ` +
        `${formatFrac(crit.move_before_frac)} to ${formatFrac(crit.move_after_frac)}.`;
    else critText = "No jump (critical shock) within the searched range.";
    // the leveraged funds' flow alone fills the close at threshold_move_frac, signed like the
    // shock analysed: the single shock's answer, not the curve's (whose grid may differ)
    const threshold = single.liquidity.threshold_move_frac;
    const text =
      `${liq.underlying}: a ${formatFrac(r.shock_frac)} shock into the close ends at ` +
      `${formatFrac(r.final_move_frac)}` +
      (finite(r.amplification) ? ` (${cellText("amplification", r.amplification)})` : "") +
      `; all participants trade ${money(r.total_flow_usd)} ` +
      `(${cellText("total_pressure_ratio", r.total_pressure_ratio)} the close's capacity of ` +
      `${money(liq.capacity_usd)}); leveraged ETFs alone trade ` +
      `${cellText("letf_pressure_ratio", r.letf_pressure_ratio)} it` +
      (finite(threshold) ? ` (1× at a ${formatFrac(threshold)} close).` : ".") +
      (r.runaway ? " The loop runs away to its limit." : "") +
      (r.cb_level > 0 ? ` Market-wide circuit breaker level ${r.cb_level} reached.` : "") +
      ` ${critText}`;
    $("stress-summary").textContent = text;
    div.setAttribute("aria-label", `Feedback curve chart. ${text}`);
  }

  async function renderCascade() {
    const c = state.cascade;
    if (!c || typeof Plotly === "undefined") return;
    const bands = c.bands.slice();
    const trace = {
      type: "bar",
      orientation: "h",
      y: bands.map((b) => (b.unit === "percent" ? `${b.node} (pp)` : b.node)),
      x: bands.map((b) => (b.unit === "percent" ? b.change_mean : b.change_mean * 100)),
      marker: { color: bands.map((b) => (b.change_mean < 0 ? "#c0392b" : "#2e86c1")) },
      hovertemplate: "%{y}: %{x:+.2f}<extra></extra>",
    };
    const layout = {
      margin: { l: 110, r: 20, t: 10, b: 40 },
      height: 360,
      xaxis: { title: { text: `change after ${c.horizon_days} days, % (pp for rates)` } },
      yaxis: { autorange: "reversed" },
    };
    const div = $("cascade-chart");
    await drawChart(div, [trace], layout);
    const tbody = $("cascade-steps").querySelector("tbody");
    const frag = document.createDocumentFragment();
    for (const st of c.steps) {
      const tr = document.createElement("tr");
      // verdict: yes | partly (the reason starts with "partly:") | no
      const v = st.verdict || (st.follows ? "yes" : "no");
      const said = v === "yes" ? "yes" : v === "partly" ? st.reason : `no: ${st.reason}`;
      const cells = [`${st.step}. ${st.title}`, st.claim, said];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 2 && v !== "yes") td.className = v;
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    const get = (node) => c.bands.find((b) => b.node === node);
    const parts = ["KOSPI", "USDKRW", "BTC"]
      .map((n) => get(n))
      .filter((b) => b)
      .map((b) => `${b.node} ${formatChange(b.change_mean, b.change_unit)}`);
    const held = c.steps.filter((x) => x.follows).length;
    const partly = c.steps.filter((x) => x.verdict === "partly").length;
    const text =
      `After ${formatFrac(moveFrac())} on NDX and SOX: ${parts.join(", ")} after ` +
      `${c.horizon_days} days; ${held} of ${c.steps.length} steps of the chain follow` +
      (partly ? `, ${partly} only partly.` : ".");
    $("cascade-summary").textContent = text;
    div.setAttribute("aria-label", `Cascade chart. ${text}`);
  }

  // ------------------------------------------------------------------ decay
  const DECAY_VOLS = [0.2, 0.3, 0.45, 0.6, 0.8, 1.0];
  const DECAY_MONTHS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

  async function refreshDecay() {
    const ticker = $("decay-fund").value;
    const data = await fetchJson(
      `/api/decay/erosion?${query({ ticker, vol_annual: DECAY_VOLS, months: DECAY_MONTHS })}`,
    );
    if ($("decay-fund").value !== ticker) return;
    state.decay = data;
    await render();
    bump("decayRenders");
  }

  async function renderDecay() {
    const d = state.decay;
    if (!d || typeof Plotly === "undefined") return;
    const traces = DECAY_VOLS.map((v) => {
      const rows = d.rows.filter((r) => Math.abs(r.vol_annual - v) < 1e-9);
      return {
        type: "scatter",
        mode: "lines+markers",
        name: `σ ${Math.round(v * 100)}%`,
        x: rows.map((r) => r.months),
        y: rows.map((r) => -r.loss_frac * 100),
        hovertemplate: `σ ${Math.round(v * 100)}%, %{x} months: %{y:.1f}%<extra></extra>`,
      };
    });
    const layout = {
      margin: { l: 70, r: 20, t: 10, b: 50 },
      height: 340,
      xaxis: { title: { text: "months with the underlying back where it started" } },
      yaxis: { title: { text: "change of the fund's value, %" }, ticksuffix: "%" },
      legend: { orientation: "h", y: -0.25 },
    };
    const div = $("decay-chart");
    await drawChart(div, traces, layout);
    const f = d.fund;
    // the sideways answer at the one volatility rule of gaemi.app.decay (the number of
    // `gaemi decay` and the report), with where the volatility comes from
    const sw = d.sideways;
    const at = sw || d.rows.find((r) => Math.abs(r.vol_annual - 0.45) < 1e-9 && r.months === 6);
    const volText = sw
      ? `its ${sw.vol_source} volatility of ${cellText("vol_annual", sw.vol_annual)}` +
        (sw.vol_as_of ? ` (as of ${sw.vol_as_of})` : "")
      : "45% volatility";
    const text = at
      ? `${f.ticker} (${f.leverage > 0 ? "+" : ""}${f.leverage}x): if the underlying ends six ` +
        `months where it started, at ${volText}, the fund loses ` +
        `${cellText("loss_frac", at.loss_frac)} (${cellText("loss_frac", at.drag_only_loss_frac)} ` +
        `from volatility alone, the rest financing at ${cellText("rate_annual", f.rate_annual)} ` +
        `plus spread and fees).`
      : "";
    $("decay-summary").textContent = text;
    div.setAttribute("aria-label", `Decay chart. ${text}`);
  }

  // ------------------------------------------------------------------ crypto
  async function refreshCrypto() {
    const seq = ++state.cryptoSeq;
    const shock = Number($("crypto-move").value) / 100;
    const data = await fetchJson(`/api/crypto?${query({ asset: "BTC", shock_frac: shock })}`);
    if (seq !== state.cryptoSeq) return;
    state.crypto = data;
    await render();
    bump("cryptoRenders");
  }

  async function renderCrypto() {
    const c = state.crypto;
    $("crypto-move-value").textContent = formatFrac(Number($("crypto-move").value) / 100);
    if (!c || typeof Plotly === "undefined") return;
    const scale = chartScale();
    const assets = c.assets;
    const traces = [
      {
        type: "bar",
        name: "Longs liquidated",
        x: assets.map((a) => a.asset),
        y: assets.map((a) => a.liquidated_long_usd * scale.factor),
        marker: { color: "#c0392b" },
      },
      {
        type: "bar",
        name: "Shorts liquidated",
        x: assets.map((a) => a.asset),
        y: assets.map((a) => a.liquidated_short_usd * scale.factor),
        marker: { color: "#2e86c1" },
      },
    ];
    const layout = {
      barmode: "stack",
      margin: { l: 70, r: 20, t: 10, b: 40 },
      height: 320,
      yaxis: { title: { text: scale.title.replace(", + = buying", "") } },
      legend: { orientation: "h", y: -0.2 },
    };
    const div = $("crypto-chart");
    await drawChart(div, traces, layout);
    // KRW figures convert back to USD at the crypto config's own rate (c.usdkrw).
    const krwMoney = (krw) =>
      state.currency === "KRW" ? formatKrw(krw) : formatUsd(krw / c.usdkrw);
    const tbody = $("crypto-korea").querySelector("tbody");
    const frag = document.createDocumentFragment();
    for (const r of c.korea) {
      const tr = document.createElement("tr");
      const cells = [
        r.holder,
        krwMoney(r.holdings_krw),
        cellText("krw_move_frac", r.krw_move_frac),
        krwMoney(r.pnl_krw),
      ];
      cells.forEach((text) => {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      if (r.holder === "total") tr.className = "total";
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    const totalRow = c.korea.find((r) => r.holder === "total");
    const pnl = totalRow ? totalRow.pnl_krw : NaN;
    const moves = assets
      .slice(0, 2)
      .map((a) => `${a.asset} ${formatFrac(a.final_move_frac)}`)
      .join(", ");
    const text =
      `A ${formatFrac(Number($("crypto-move").value) / 100)} BTC move liquidates ` +
      `${money(c.total_liquidated_usd)}` +
      (finite(c.long_share_frac) ? ` (${cellText("long_share_frac", c.long_share_frac)} longs)` : "") +
      ` in ${c.rounds} rounds; at the end ${moves}. Korean holders: ${krwMoney(pnl)} ` +
      `(USD/KRW ${c.usdkrw} of the crypto calibration).`;
    $("crypto-summary").textContent = text;
    div.setAttribute("aria-label", `Crypto chart. ${text}`);
  }

  async function loadStressUnderlyings() {
    const list = await fetchJson("/api/stress/underlyings");
    const sel = $("stress-underlying");
    sel.replaceChildren(
      ...list.map((l) => {
        const o = document.createElement("option");
        o.value = l.underlying;
        o.textContent = l.underlying;
        return o;
      }),
    );
    $("stress-underlying-control").hidden = false;
    $("liquidity-control").hidden = false;
    $("stress-section").hidden = false;
  }

  // ------------------------------------------------------------------ start-up
  function todaysKoreanThreeX(funds) {
    let total = 0;
    for (const f of funds) {
      if (Math.abs(f.leverage) >= 3 && finite(f.korean_aum_usd)) total += f.korean_aum_usd;
    }
    return total;
  }

  function wire() {
    $("stress-underlying").addEventListener("change", () => scheduleRefresh(0));
    $("decay-fund").addEventListener("change", () =>
      refreshDecay().catch((err) => showError(String(err.message || err))),
    );
    let cryptoTimer = null;
    $("crypto-move").addEventListener("input", () => {
      $("crypto-move-value").textContent = formatFrac(Number($("crypto-move").value) / 100);
      clearTimeout(cryptoTimer);
      cryptoTimer = setTimeout(
        () => refreshCrypto().catch((err) => showError(String(err.message || err))),
        80,
      );
    });
    for (const id of ["korean-aum", "move", "liquidity"]) {
      $(id).addEventListener("input", () => {
        renderControlValues();
        scheduleRefresh();
      });
    }
    document.querySelectorAll('input[name="currency"]').forEach((el) =>
      el.addEventListener("change", () => {
        state.currency = el.value;
        render();
      }),
    );
    document.querySelectorAll('input[name="timezone"]').forEach((el) =>
      el.addEventListener("change", () => {
        state.tz = el.value;
        render();
      }),
    );
    $("fx-rate").addEventListener("change", () => {
      const v = Number($("fx-rate").value);
      if (!(v >= 100 && v <= 10000)) {
        showError(`KRW per USD = ${$("fx-rate").value} must be between 100 and 10000`);
        $("fx-rate").value = String(state.fx);
        return;
      }
      showError(null);
      state.fx = v;
      $("ccy-krw").disabled = false;
      render();
    });
  }

  async function start() {
    wire();
    try {
      const [meta, asof, funds] = await Promise.all([
        fetchJson("/api/meta"),
        fetchJson("/api/asof"),
        fetchJson("/api/universe"),
      ]);
      state.meta = meta;
      state.asof = asof;
      if (meta.fx_default) {
        state.fx = meta.fx_default.krw_per_usd;
        $("fx-rate").value = String(state.fx);
        $("fx-help").textContent =
          `Default ${state.fx} (${meta.fx_default.source}, ${meta.fx_default.as_of}); ` +
          "change it for today's rate.";
      } else {
        $("ccy-krw").disabled = true;
        $("fx-help").textContent = "No KRW rate in the data: type one to show KRW.";
      }
      state.koreanToday = todaysKoreanThreeX(funds);
      const slider = $("korean-aum");
      slider.value = String(Math.round((state.koreanToday / 1e9) * 2) / 2);
      if (hasEngine("stress")) await loadStressUnderlyings();
      if (hasEngine("cascade")) $("cascade-section").hidden = false;
      if (hasEngine("decay")) {
        const sel = $("decay-fund");
        const picks = funds
          .filter((f) => Math.abs(f.leverage) >= 2 && finite(f.expense_ratio))
          .sort((a, b) => (b.korean_aum_usd || 0) - (a.korean_aum_usd || 0) || b.aum_usd - a.aum_usd)
          .slice(0, 15);
        sel.replaceChildren(
          ...picks.map((f) => {
            const o = document.createElement("option");
            o.value = f.ticker;
            o.textContent = `${f.ticker} (${f.leverage > 0 ? "+" : ""}${f.leverage}x ${f.underlying_id})`;
            return o;
          }),
        );
        $("decay-section").hidden = false;
        refreshDecay().catch((err) => showError(String(err.message || err)));
      }
      if (hasEngine("crypto")) {
        $("crypto-section").hidden = false;
        refreshCrypto().catch((err) => showError(String(err.message || err)));
      }
      if (hasEngine("monitor")) {
        fetchStatus().catch((err) => showError(String(err.message || err)));
      }
    } catch (err) {
      showError(String(err && err.message ? err.message : err));
      return;
    }
    renderControlValues();
    fetchJson("/api/clock")
      .then((clock) => {
        state.clock = clock;
        renderClock();
      })
      .catch((err) => showError(String(err.message || err)));
    await refresh();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

// gaemi dashboard: the account replay section (issue 20). A small form → POST
// /api/investor/replay → Plotly charts of equity (KRW and USD) with the margin events, the
// drawdown, and the events table. Independent of app.js; no framework, no CDN.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  // A chart follows its card's width, not only the window's (as app.js's drawChart): Plotly's
  // `responsive` misses a card that changes width without a window resize.
  const fitObserver =
    typeof ResizeObserver === "undefined"
      ? null
      : new ResizeObserver((entries) => {
          for (const e of entries) {
            const div = e.target;
            const w = div.clientWidth;
            if (div._fullLayout && w > 0 && Math.abs(div._fullLayout.width - w) >= 1) {
              Plotly.Plots.resize(div);
            }
          }
        });
  function observeFit(div) {
    if (fitObserver) fitObserver.observe(div);
  }
  //: How each event is drawn: label, marker symbol, colour (as the --html page).
  const EVENTS = {
    margin_call: ["margin call", "triangle-down", "#ef6c00"],
    call_cured: ["call cured", "circle-open", "#2e7d32"],
    top_up: ["top-up", "triangle-up", "#1565c0"],
    forced_sale: ["forced sale", "x", "#c62828"],
    stop_loss: ["stop-loss", "square", "#6a1b9a"],
    ruined: ["ruined (−90%)", "star", "#000000"],
    graduated: ["graduated", "star", "#2e7d32"],
  };
  const state = { seq: 0, last: null };
  window.gaemiReplay = state; // for the browser test: renders counted, last answer

  // USD or KRW by the rule of gaemi.units (units.js, loaded first; one formatter of
  // every face): ₩1.40억, -$2.70B.
  function money(v, cur) {
    return window.gaemiUnits.formatMoney(v, cur);
  }

  function parsePositions(text) {
    const out = {};
    for (const part of text.split(",")) {
      if (!part.trim()) continue;
      const [tic, w] = part.split("=");
      out[(tic || "").trim().toUpperCase()] = w === undefined ? NaN : Number(w);
    }
    return out;
  }

  function request() {
    const body = {
      start: $("replay-from").value,
      capital: Number($("replay-capital").value),
      currency: $("replay-currency").value,
      positions: parsePositions($("replay-positions").value),
      margin: Number($("replay-margin").value || 0),
      deposit: Number($("replay-deposit").value || 0),
    };
    if ($("replay-to").value) body.end = $("replay-to").value;
    return body;
  }

  function showError(message) {
    const el = $("replay-error");
    el.textContent = message || "";
    el.hidden = !message;
  }

  async function run(event) {
    if (event) event.preventDefault();
    const seq = ++state.seq;
    showError("");
    $("replay-run").disabled = true;
    $("replay-summary").textContent = "Replaying…";
    try {
      const response = await fetch("/api/investor/replay", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request()),
      });
      let body = null;
      try {
        body = await response.json();
      } catch (_err) {
        body = null;
      }
      if (seq !== state.seq) return;
      if (!response.ok) {
        let detail = body && body.detail !== undefined ? body.detail : response.statusText;
        if (Array.isArray(detail)) {
          detail = detail.map((e) => `${(e.loc || []).slice(1).join(".")}: ${e.msg}`).join("; ");
        }
        throw new Error(detail);
      }
      state.last = body;
      await render(body);
    } catch (err) {
      $("replay-summary").textContent = "";
      showError(String(err.message || err));
    } finally {
      $("replay-run").disabled = false;
    }
  }

  function markers(d, ys, scale, showLegend) {
    const at = new Map(d.records.map((r, i) => [r.date, ys[i]]));
    const cur = d.currency.toLowerCase();
    const out = [];
    for (const [kind, [label, symbol, colour]] of Object.entries(EVENTS)) {
      const hit = d.events.filter((e) => e.event === kind);
      if (!hit.length) continue;
      out.push({
        type: "scatter",
        mode: "markers",
        name: label,
        legendgroup: kind,
        showlegend: showLegend,
        x: hit.map((e) => e.date),
        y: hit.map((e) => at.get(e.date) / scale),
        marker: { symbol, size: 11, color: colour, line: { width: 1.5 } },
        text: hit.map((e) => `${e.date} ${label}: ${money(e[`amount_${cur}`], d.currency)} — ${e.detail}`),
        hoverinfo: "text",
      });
    }
    return out;
  }

  async function render(d) {
    const cur = d.currency;
    const other = cur === "KRW" ? "USD" : "KRW";
    const scale = cur === "KRW" ? 1e8 : 1e3;
    const oscale = other === "KRW" ? 1e8 : 1e3;
    const unit = (c) => (c === "KRW" ? "억 원" : "USD k");
    const x = d.records.map((r) => r.date);
    const eq = d.records.map((r) => r[`equity_${cur.toLowerCase()}`]);
    const traces = [
      {
        type: "scatter",
        name: `equity in ${other} (right)`,
        x,
        y: d.records.map((r) => r[`equity_${other.toLowerCase()}`] / oscale),
        yaxis: "y2",
        line: { color: "#90a4ae", width: 1.2, dash: "dot" },
      },
      { type: "scatter", name: `equity in ${cur}`, x, y: eq.map((v) => v / scale), line: { color: "#1565c0" } },
      ...markers(d, eq, scale, true),
    ];
    const shapes = [];
    const syn = d.records.filter((r) => r.synthetic);
    if (syn.length) {
      shapes.push({
        type: "rect", xref: "x", yref: "paper", x0: syn[0].date, x1: syn[syn.length - 1].date,
        y0: 0, y1: 1, fillcolor: "#9e9e9e", opacity: 0.15, line: { width: 0 },
      });
    }
    const base = { displaylogo: false, responsive: true };
    if (typeof Plotly !== "undefined") {
      await Plotly.react($("replay-chart"), traces, {
        margin: { l: 56, r: 56, t: 10, b: 40 },
        height: 380,
        yaxis: { title: { text: unit(cur) } },
        yaxis2: { title: { text: unit(other) }, overlaying: "y", side: "right", showgrid: false },
        legend: { orientation: "h", y: -0.15 },
        shapes,
      }, base);
      const dd = d.records.map((r) => -(r.drawdown_frac ?? 0) * 100);
      await Plotly.react($("replay-dd-chart"), [
        { type: "scatter", name: "drawdown", x, y: dd, fill: "tozeroy", line: { color: "#c62828", width: 1 } },
        ...markers(d, dd, 1, false),
      ], {
        margin: { l: 56, r: 56, t: 10, b: 40 },
        height: 260,
        yaxis: { title: { text: "drawdown, %" }, ticksuffix: "%" },
        showlegend: false,
        shapes,
      }, base);
      observeFit($("replay-chart"));
      observeFit($("replay-dd-chart"));
    }
    const lines = d.summary.split("\n").map((l) => l.replace(/^- /, ""));
    $("replay-summary").textContent = lines.join(" ");
    $("replay-chart").setAttribute("aria-label", `Replay chart: ${lines.join(" ")}`);
    const body = $("replay-events").querySelector("tbody");
    body.replaceChildren();
    const cur_ = cur.toLowerCase();
    // the amounts are amount_krw or amount_usd: the header carries the unit, as
    // gaemi.units.column_header writes it in the terminal ("Amount (₩)", "Amount ($)")
    const amountTh = $("replay-events").querySelectorAll("thead th")[2];
    if (amountTh) amountTh.textContent = `Amount (${cur === "KRW" ? "₩" : "$"})`;
    const rows = d.events.filter((e) => e.event !== "call_cured");
    for (const e of rows) {
      const tr = document.createElement("tr");
      const cells = [e.date, (EVENTS[e.event] || [e.event])[0], money(e[`amount_${cur_}`], cur),
        e.detail + (e.price_basis ? ` (at the ${e.price_basis})` : "")];
      cells.forEach((c, i) => {
        const td = document.createElement("td");
        td.textContent = c;
        if (i !== 2) td.style.textAlign = "left";
        tr.appendChild(td);
      });
      body.appendChild(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 4;
      td.style.textAlign = "left";
      td.textContent = "No margin call, sale, ruin or graduation.";
      tr.appendChild(td);
      body.appendChild(tr);
    }
    state.renders = (state.renders || 0) + 1;
  }

  function start() {
    const form = $("replay-form");
    if (!form) return;
    form.addEventListener("submit", run);
    run(null);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

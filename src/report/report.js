"use strict";
(function () {
  const errors = [];
  window.addEventListener("error", (e) => { errors.push(String(e.message)); document.body.dataset.errors = errors.join(" | "); });
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const svgNS = "http://www.w3.org/2000/svg";
  const money = new Intl.NumberFormat("en-US", { style: "currency", currency: data.currency, maximumFractionDigits: 0 });
  const exact = new Intl.NumberFormat("en-US", { style: "currency", currency: data.currency, minimumFractionDigits: 2 });
  const pct = (v) => (v === null || v === undefined ? "–" : (v * 100).toFixed(1) + "%");
  const monthAdd = (ym, k) => { const [y, m] = ym.split("-").map(Number); const i = y * 12 + m - 1 + k; return `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`; };

  // Diverging purple-orange scale (ColorBrewer PuOr, colour-blind safe), 100% is neutral.
  const low = [179, 88, 6], mid = [247, 247, 247], high = [84, 39, 136];
  function colour(v) {
    if (v === null || v === undefined) return null;
    const t = Math.max(-1, Math.min(1, (v - 1) / 0.5));
    const end = t < 0 ? low : high, a = Math.abs(t);
    return mid.map((c, i) => Math.round(c + (end[i] - c) * a));
  }
  const css = (rgb) => `rgb(${rgb.join(",")})`;
  const textOn = (rgb) => { const [r, g, b] = rgb.map((c) => c / 255); return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 ? "#fff" : "#1a1a1a"; };

  const el = (tag, attrs = {}, text) => { const e = document.createElement(tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };
  const sv = (tag, attrs = {}, text) => { const e = document.createElementNS(svgNS, tag); for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v); if (text !== undefined) e.textContent = text; return e; };

  const select = document.getElementById("segment");
  data.segments.forEach((s, i) => select.appendChild(el("option", { value: i }, s.name === "all" ? "All customers" : `${s.name} = ${s.value}`)));
  select.value = String(data.selected);

  function metric() { return document.querySelector('input[name="metric"]:checked').value; }

  function heatmap(seg) {
    const m = metric();
    const table = document.getElementById("heatmap");
    table.replaceChildren();
    const width = Math.max(0, ...seg.cohorts.map((c) => c.cells.length));
    const head = el("thead"), hr = el("tr");
    ["Cohort", "Customers", "Cohort MRR"].forEach((h) => hr.appendChild(el("th", { scope: "col" }, h)));
    for (let k = 0; k < width; k++) hr.appendChild(el("th", { scope: "col", title: `${k} months since the cohort month` }, "M" + k));
    head.appendChild(hr);
    table.appendChild(head);
    const body = el("tbody");
    for (const c of seg.cohorts) {
      const tr = el("tr", { class: "cohort" });
      tr.appendChild(el("th", { scope: "row", class: "row" }, c.cohort));
      tr.appendChild(el("td", {}, c.customers.toLocaleString("en-US")));
      tr.appendChild(el("td", {}, money.format(c.mrr)));
      for (let k = 0; k < width; k++) {
        const cell = c.cells[k];
        if (!cell) { tr.appendChild(el("td", { class: "empty" }, "")); continue; }
        const v = cell[m], rgb = colour(v);
        const td = el("td", { title: `Cohort ${c.cohort}, month ${k} (${monthAdd(c.cohort, k)}): NRR ${pct(cell.nrr)}, GRR ${pct(cell.grr)}, logo retention ${pct(cell.logo)}; ${cell.active} of ${c.customers} customers active; MRR ${exact.format(cell.mrr)} of cohort MRR ${exact.format(c.mrr)}` }, pct(v));
        if (rgb) { td.style.background = css(rgb); td.style.color = textOn(rgb); }
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    table.appendChild(body);
    const foot = el("tfoot"), fr = el("tr");
    fr.appendChild(el("th", { scope: "row", class: "row", colspan: 3, title: "Average of the cohorts observed at each month, weighted by cohort MRR" }, "Weighted average"));
    for (let k = 0; k < width; k++) {
      const w = seg.weighted[k], v = w ? w[m] : null, rgb = colour(v);
      const td = el("td", {}, pct(v));
      if (rgb) { td.style.background = css(rgb); td.style.color = textOn(rgb); }
      fr.appendChild(td);
    }
    foot.appendChild(fr);
    table.appendChild(foot);
    const legend = document.getElementById("legend");
    legend.replaceChildren(el("span", {}, "50%"));
    for (const v of [0.5, 0.75, 0.9, 1, 1.1, 1.25, 1.5]) { const s = el("span", { class: "swatch", title: pct(v) }); s.style.background = css(colour(v)); legend.appendChild(s); }
    legend.appendChild(el("span", {}, "150%"));
  }

  function waterfall(figure, bridge, title) {
    figure.replaceChildren(el("figcaption", {}, `${title} ${bridge.label}`));
    // [label, amount, kind, axis label]: eight bars leave room for short axis labels only.
    const steps = [["Start", bridge.start, "total"], ["New", bridge.new, "up"], ["Reactivation", bridge.reactivation, "up", "Reactiv."], ["Expansion", bridge.expansion, "up", "Expans."], ["Contraction", -bridge.contraction, "down", "Contract."], ["Churn", -bridge.churn, "down"], ["FX", bridge.fx, bridge.fx >= 0 ? "up" : "down"], ["End", bridge.end, "total"]];
    const W = 560, H = 260, L = 70, B = 40, T = 24, bw = (W - L - 10) / steps.length;
    let run = 0, top = 0;
    const bars = steps.map(([label, v, kind, short]) => {
      const from = kind === "total" ? 0 : run, to = kind === "total" ? v : run + v;
      run = kind === "total" ? v : to;
      top = Math.max(top, from, to);
      return { label, short: short || label, v, kind, lo: Math.min(from, to), hi: Math.max(from, to) };
    });
    top = top || 1;
    const y = (v) => T + (H - T - B) * (1 - v / top);
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title} waterfall` });
    svg.appendChild(sv("line", { x1: L, x2: W - 5, y1: y(0), y2: y(0), class: "axis" }));
    for (const f of [0, 0.5, 1]) svg.appendChild(sv("text", { x: L - 6, y: y(top * f) + 4, "text-anchor": "end" }, money.format(top * f)));
    const fill = { total: "var(--total)", up: "var(--up)", down: "var(--down)" };
    bars.forEach((b, i) => {
      const x = L + i * bw + 6, h = Math.max(1, y(b.lo) - y(b.hi));
      const rect = sv("rect", { x, y: y(b.hi), width: bw - 12, height: h, fill: fill[b.kind] });
      rect.appendChild(sv("title", {}, `${b.label}: ${exact.format(b.v)}`));
      svg.appendChild(rect);
      const sign = b.kind === "total" ? "" : b.v >= 0 ? "+" : "−";
      svg.appendChild(sv("text", { x: x + (bw - 12) / 2, y: y(b.hi) - 4, "text-anchor": "middle" }, sign + money.format(Math.abs(b.v))));
      svg.appendChild(sv("text", { x: x + (bw - 12) / 2, y: H - B + 16, "text-anchor": "middle" }, b.short));
    });
    figure.appendChild(svg);
  }

  function trend(t) {
    const fig = el("figure");
    fig.appendChild(el("figcaption", {}, `${t.window}-month window`));
    const W = 420, H = 220, L = 44, R = 10, T = 12, B = 34;
    const vals = t.nrr.concat(t.grr).filter((v) => v !== null);
    if (!vals.length) { fig.appendChild(el("p", { class: "hint" }, "Not enough months yet.")); return fig; }
    const lo = Math.min(0.8, ...vals), hi = Math.max(1.1, ...vals);
    const x = (i) => L + (W - L - R) * (t.months.length === 1 ? 0.5 : i / (t.months.length - 1));
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
    const svg = sv("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${t.window}-month NRR and GRR` });
    for (const v of [lo, 1, hi]) {
      svg.appendChild(sv("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), class: v === 1 ? "ref" : "axis" }));
      svg.appendChild(sv("text", { x: L - 4, y: y(v) + 4, "text-anchor": "end" }, pct(v)));
    }
    const pts = (arr) => arr.map((v, i) => (v === null ? null : [x(i), y(v)])).filter(Boolean);
    const n = pts(t.nrr), g = pts(t.grr);
    if (n.length && g.length === n.length) {
      const band = n.map((p) => p.join(",")).concat(g.slice().reverse().map((p) => p.join(","))).join(" ");
      svg.appendChild(sv("polygon", { points: band, fill: "var(--up)", "fill-opacity": 0.15 }));
    }
    svg.appendChild(sv("polyline", { points: n.map((p) => p.join(",")).join(" "), fill: "none", stroke: "var(--up)", "stroke-width": 2 }));
    svg.appendChild(sv("polyline", { points: g.map((p) => p.join(",")).join(" "), fill: "none", stroke: "var(--down)", "stroke-width": 2, "stroke-dasharray": "5 3" }));
    t.months.forEach((mo, i) => {
      if (t.nrr[i] !== null) {
        const c = sv("circle", { cx: x(i), cy: y(t.nrr[i]), r: 5, fill: "transparent" });
        c.appendChild(sv("title", {}, `${mo}: NRR ${pct(t.nrr[i])}, GRR ${pct(t.grr[i])}, gap ${pct(t.nrr[i] - t.grr[i])}`));
        svg.appendChild(c);
      }
      if (i === 0 || i === t.months.length - 1 || i % 6 === 0) svg.appendChild(sv("text", { x: x(i), y: H - B + 16, "text-anchor": "middle" }, mo));
    });
    fig.appendChild(svg);
    return fig;
  }

  function render() {
    const seg = data.segments[Number(select.value)];
    heatmap(seg);
    waterfall(document.getElementById("bridge-month"), seg.month_bridge, "Month");
    waterfall(document.getElementById("bridge-quarter"), seg.quarter_bridge, "Quarter");
    document.getElementById("trend-charts").replaceChildren(...seg.trends.map(trend));
    document.body.dataset.render = "done";
  }
  select.addEventListener("change", render);
  document.querySelectorAll('input[name="metric"]').forEach((r) => r.addEventListener("change", render));
  render();
})();

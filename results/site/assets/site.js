// cmhbench results site: draws the document in data.js (window.CMHBENCH) as
// sortable tables and Plotly figures. The URL's hash names the collection (a
// results folder, by its place) and the view: #0/ (leaderboards), #0/tables,
// #0/figures, #0/heatmap, #0/methods, #0/method/NAME, #0/cells, #0/cell/ID, so every
// view can be linked to.
"use strict";

const DOCUMENT = window.CMHBENCH;
let collection = 0;
let DATA = DOCUMENT.collections[0];
const DIRECTIONS = { i2t: "Image→Text", t2i: "Text→Image" };
const main = document.getElementById("main");

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const fixed = (value, digits = 3) => (value === null ? "" : value.toFixed(digits));
const label = (run) => (DATA.runs[run] ? DATA.runs[run].label : run);
// A run's line: its method's colour and marker, as in the PDF figures.
const style = (run) => {
  const info = DATA.runs[run] || {};
  return { line: { color: info.colour }, marker: { color: info.colour, symbol: info.symbol } };
};
const datasetLabel = (name) => DATA.datasets[name] || name;
const datasets = () => Object.keys(DATA.datasets);
const href = (view, argument = "") => `#${collection}/${view}` + (argument ? "/" + encodeURIComponent(argument) : "");

// A table whose header cells sort its rows (numbers by value, text by name);
// a second click reverses the order.
function sortableTable(headers, rows, numeric) {
  const body = el("tbody", {}, rows.map((row) => row.node));
  const heads = headers.map((text, column) =>
    el("th", { "data-column": column, title: "sort", onclick: () => sortBy(column) }, text)
  );
  const table = el("table", { class: "sortable" }, el("thead", {}, el("tr", {}, heads)), body);
  let current = null;
  let ascending = true;
  function sortBy(column) {
    ascending = current === column ? !ascending : numeric[column] ? false : true;
    current = column;
    const sorted = [...rows].sort((a, b) => {
      const x = a.keys[column];
      const y = b.keys[column];
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    body.replaceChildren(...sorted.map((row) => row.node));
    heads.forEach((head, i) => head.setAttribute("aria-sort", i === column ? (ascending ? "ascending" : "descending") : "none"));
  }
  return table;
}

function select(name, options, value, onchange) {
  return el(
    "label",
    {},
    name + " ",
    el(
      "select",
      { name, onchange: (event) => onchange(event.target.value) },
      options.map(([key, text]) => {
        const option = el("option", { value: key }, text);
        if (String(key) === String(value)) option.selected = true;
        return option;
      })
    )
  );
}

// Leaderboards: per dataset, runs by their average rank over the cases (code
// length, direction) of mAP@all, with the rank test's critical-difference diagram.
function leaderboards() {
  const sections = [];
  for (const dataset of datasets()) {
    const test = DATA.ranks[dataset];
    if (!test) continue;
    const means = meanOver(DATA.tables["mAP@all"].filter((row) => row.dataset === dataset));
    const rows = byRank(test).map(([run, rank], index) => {
      const info = DATA.runs[run] || {};
      const keys = [index + 1, label(run), info.supervised ? "supervised" : "unsupervised", rank, means[run] ?? null];
      const node = el(
        "tr",
        {},
        el("td", {}, index + 1),
        el("td", {}, el("a", { href: href("method", info.method || run) }, label(run))),
        el("td", {}, keys[2]),
        el("td", { class: "number" }, rank.toFixed(2)),
        el("td", { class: "number" }, fixed(keys[4]))
      );
      return { keys, node };
    });
    const figure = el("div", { class: "figure", id: "cd-" + dataset });
    sections.push(
      el(
        "section",
        {},
        el("h2", {}, datasetLabel(dataset)),
        el(
          "p",
          { class: "note" },
          `Average rank of mAP@all over ${test.cases} cases (code length × direction); ` +
            `Friedman p = ${test.friedman_p.toPrecision(2)}. Bars in the diagram join runs the ` +
            `Nemenyi test does not tell apart at level ${DOCUMENT.alpha} ` +
            `(critical difference ${test.critical_difference.toFixed(2)}).` +
            (test.left_out.length ? ` Left out for lacking a case: ${test.left_out.map(label).join(", ")}.` : "")
        ),
        sortableTable(["#", "method", "supervision", "mean rank", "mean mAP@all"], rows, [true, false, false, true, true]),
        figure
      )
    );
    setTimeout(() => cdFigure(figure, test), 0);
  }
  if (!sections.length) sections.push(el("p", {}, "No finished cells to rank."));
  return sections;
}

// The runs of a rank test, best (lowest average rank) first.
const byRank = (test) => Object.entries(test.ranks).sort((a, b) => a[1] - b[1]);

function meanOver(rows) {
  const sums = {};
  for (const row of rows) {
    if (row.mean === null) continue;
    const entry = (sums[row.run] = sums[row.run] || [0, 0]);
    entry[0] += row.mean;
    entry[1] += 1;
  }
  return Object.fromEntries(Object.entries(sums).map(([run, [sum, n]]) => [run, sum / n]));
}

// The critical-difference diagram: each run at its average rank, and one bar per
// group of runs the Nemenyi test does not tell apart.
function cdFigure(node, test) {
  const runs = byRank(test).map(([run]) => run);
  const ranks = runs.map((run) => test.ranks[run]);
  const traces = [
    {
      type: "scatter",
      mode: "markers+text",
      x: ranks,
      y: runs.map((_, i) => 0.35 * (i % 4)),
      text: runs.map(label),
      textposition: "top center",
      hovertemplate: "%{text}: mean rank %{x:.2f}<extra></extra>",
      name: "mean rank",
      showlegend: false,
    },
  ];
  test.cliques.forEach((group, i) => {
    const xs = group.map((run) => test.ranks[run]);
    traces.push({
      type: "scatter",
      mode: "lines",
      x: [Math.min(...xs), Math.max(...xs)],
      y: [-0.4 - 0.25 * i, -0.4 - 0.25 * i],
      line: { width: 5 },
      hovertext: group.map(label).join(", "),
      hoverinfo: "text",
      showlegend: false,
    });
  });
  Plotly.newPlot(
    node,
    traces,
    {
      height: 260 + 18 * test.cliques.length,
      margin: { t: 30, b: 30, l: 30, r: 30 },
      xaxis: { title: { text: "average rank (1 = best)" }, autorange: "reversed", zeroline: false },
      yaxis: { visible: false },
    },
    { displaylogo: false, responsive: true }
  );
}

// mAP tables: one dataset and metric, filtered by supervision, direction and code
// length; a cell shows mean ± std over seeds, best bold, second underlined, and ≈
// where the run is not significantly below the column's best.
const tableState = { dataset: null, metric: "mAP@all", supervision: "all", direction: "all", bits: "all", spread: "std" };
const lengthsOf = (rows) => [...new Set(rows.map((row) => row.bits))].sort((a, b) => a - b);

function tablesView() {
  if (!(tableState.dataset in DATA.datasets)) tableState.dataset = datasets()[0];
  if (!DATA.metrics.includes(tableState.metric)) tableState.metric = DATA.metrics[0];
  const container = el("div", {});
  const lengths = lengthsOf(DATA.tables[DATA.metrics[0]] || []);
  const controls = el(
    "div",
    { class: "controls" },
    select("dataset", datasets().map((d) => [d, datasetLabel(d)]), tableState.dataset, (v) => { tableState.dataset = v; render(); }),
    select("metric", DATA.metrics.map((m) => [m, m]), tableState.metric, (v) => { tableState.metric = v; render(); }),
    select("supervision", [["all", "all"], ["Unsupervised", "unsupervised"], ["Supervised", "supervised"]], tableState.supervision, (v) => { tableState.supervision = v; render(); }),
    select("direction", [["all", "both"], ["i2t", DIRECTIONS.i2t], ["t2i", DIRECTIONS.t2i]], tableState.direction, (v) => { tableState.direction = v; render(); }),
    select("bits", [["all", "all"], ...lengths.map((b) => [b, b + " bits"])], tableState.bits, (v) => { tableState.bits = v; render(); }),
    select("spread", [["std", "std over seeds"], ["interval", "95% interval (mAP@all)"], ["none", "none"]], tableState.spread, (v) => { tableState.spread = v; render(); })
  );
  function render() {
    container.replaceChildren(controls, metricTable());
  }
  render();
  return [el("h2", {}, "Tables"), container];
}

function metricTable() {
  const rows = (DATA.tables[tableState.metric] || []).filter(
    (row) =>
      row.dataset === tableState.dataset &&
      (tableState.supervision === "all" || row.group === tableState.supervision) &&
      (tableState.direction === "all" || row.direction === tableState.direction) &&
      (tableState.bits === "all" || row.bits === Number(tableState.bits))
  );
  if (!rows.length) return el("p", {}, "No cells match.");
  const columns = [...new Set(rows.map((row) => row.direction + ":" + row.bits))].sort((a, b) => {
    const [da, ba] = a.split(":");
    const [db, bb] = b.split(":");
    return da === db ? Number(ba) - Number(bb) : da < db ? -1 : 1;
  });
  const byRun = {};
  for (const row of rows) (byRun[row.run] = byRun[row.run] || {})[row.direction + ":" + row.bits] = row;
  const tableRows = Object.entries(byRun).map(([run, cells]) => {
    const values = columns.map((column) => (cells[column] ? cells[column].mean : null));
    const node = el(
      "tr",
      {},
      el("td", {}, el("a", { href: href("method", DATA.runs[run] ? DATA.runs[run].method : run) }, label(run))),
      columns.map((column) => valueCell(cells[column]))
    );
    return { keys: [label(run), ...values], node };
  });
  const headers = ["method", ...columns.map((column) => {
    const [direction, bits] = column.split(":");
    return `${DIRECTIONS[direction]} ${bits} bits`;
  })];
  const near = rows.some((row) => row.near_best);
  return el(
    "div",
    {},
    sortableTable(headers, tableRows, [false, ...columns.map(() => true)]),
    el(
      "p",
      { class: "note" },
      `${{ std: "Mean ± std over seeds", interval: "Mean [95% bootstrap interval over seeds and queries]", none: "Mean over seeds" }[tableState.spread]} (${DOCUMENT.protocol} protocol); best bold, second underlined.` +
        (near ? ` ≈: not significantly below the column's best (${DOCUMENT.test} over the column; level ${DOCUMENT.alpha}).` : "") +
        " A cell whose every seed failed, timed out or made degenerate codes says so; ! marks a mean that leaves such seeds out (hover for the counts)."
    )
  );
}

// What a cell whose every seed failed reads: why, when one reason covers them all.
const failure = (row) => (row.degenerate === row.failed ? "degenerate" : row.timeout === row.failed ? "timeout" : "failed");

function valueCell(row) {
  if (!row) return el("td", {});
  if (row.mean === null) return el("td", { class: "failed", title: `${row.failed} seed(s): ${failure(row)}` }, failure(row));
  let text = fixed(row.mean);
  if (tableState.spread === "std" && row.seeds > 1 && row.std !== null) text += " ± " + fixed(row.std);
  if (tableState.spread === "interval" && row.low !== null && row.low !== undefined) text += ` [${fixed(row.low)}, ${fixed(row.high)}]`;
  const classes = ["number", row.rank === 1 ? "best" : row.rank === 2 ? "second" : ""];
  const notes = [];
  if (row.failed) notes.push(`${row.failed} seed(s) left out: ${row.degenerate} with degenerate codes, ${row.timeout} out of time, ${row.failed - row.degenerate - row.timeout} failed`);
  if (row.low !== null && row.low !== undefined) notes.push(`95% bootstrap interval [${fixed(row.low)}, ${fixed(row.high)}]`);
  notes.push(`${row.seeds} seed(s)`);
  return el(
    "td",
    { class: classes.join(" "), title: notes.join("; ") },
    text,
    row.near_best ? el("span", { class: "mark" }, " ≈") : null,
    row.failed ? el("span", { class: "mark warn" }, " !") : null
  );
}

// Figures: mAP@all against code length, precision-recall by Hamming radius and
// precision at K, for one dataset and direction (and code length for the curves).
const figureState = { dataset: null, direction: "i2t", bits: null };

function figuresView() {
  if (!(figureState.dataset in DATA.datasets)) figureState.dataset = datasets()[0];
  const container = el("div", {});
  function render() {
    const lengths = [...new Set(DATA.pr.filter((c) => c.dataset === figureState.dataset).map((c) => c.bits))].sort((a, b) => a - b);
    if (!lengths.includes(figureState.bits)) figureState.bits = lengths[lengths.length - 1] ?? null;
    const controls = el(
      "div",
      { class: "controls" },
      select("dataset", datasets().map((d) => [d, datasetLabel(d)]), figureState.dataset, (v) => { figureState.dataset = v; render(); }),
      select("direction", [["i2t", DIRECTIONS.i2t], ["t2i", DIRECTIONS.t2i]], figureState.direction, (v) => { figureState.direction = v; render(); }),
      select("bits", lengths.map((b) => [b, b + " bits"]), figureState.bits, (v) => { figureState.bits = Number(v); render(); })
    );
    const nodes = ["bits", "pr", "topk"].map((kind) => el("div", { class: "figure", id: "figure-" + kind }));
    container.replaceChildren(controls, ...nodes);
    bitsFigure(nodes[0]);
    curveFigure(nodes[1], DATA.pr, "recall", "precision", "Precision-recall by Hamming radius", "recall");
    curveFigure(nodes[2], DATA.topk, "k", "precision", "Precision at K", "K (retrieved items)", "log");
  }
  render();
  return [el("h2", {}, "Figures"), container];
}

function bitsFigure(node) {
  const rows = DATA.tables["mAP@all"].filter((r) => r.dataset === figureState.dataset && r.direction === figureState.direction && r.mean !== null);
  const runs = [...new Set(rows.map((r) => r.run))];
  const traces = runs.map((run) => {
    const mine = rows.filter((r) => r.run === run).sort((a, b) => a.bits - b.bits);
    return {
      type: "scatter",
      mode: "lines+markers",
      name: label(run),
      ...style(run),
      x: mine.map((r) => r.bits),
      y: mine.map((r) => r.mean),
      error_y: { type: "data", array: mine.map((r) => r.std || 0), visible: true },
      hovertemplate: label(run) + ": %{y:.3f} at %{x} bits<extra></extra>",
    };
  });
  const lengths = [...new Set(rows.map((r) => r.bits))].sort((a, b) => a - b);
  plot(node, traces, `mAP@all against code length, ${DIRECTIONS[figureState.direction]}`, "bits", "mAP@all", "log", lengths);
}

function curveFigure(node, curves, xKey, yKey, title, xTitle, xType = "linear") {
  const chosen = curves.filter((c) => c.dataset === figureState.dataset && c.direction === figureState.direction && c.bits === figureState.bits);
  const traces = chosen.map((c) => ({
    type: "scatter",
    mode: "lines+markers",
    name: label(c.run),
    ...style(c.run),
    x: c[xKey],
    y: c[yKey],
    hovertemplate: label(c.run) + `: ${yKey} %{y:.3f}, ${xKey} %{x}<extra></extra>`,
  }));
  plot(node, traces, `${title}, ${DIRECTIONS[figureState.direction]}, ${figureState.bits} bits`, xTitle, yKey, xType);
}

function plot(node, traces, title, xTitle, yTitle, xType, ticks = null) {
  if (!traces.length) {
    node.replaceChildren(el("p", {}, "No finished cells for this figure."));
    return;
  }
  Plotly.newPlot(
    node,
    traces,
    {
      title: { text: title },
      height: 420,
      margin: { t: 50, l: 60, r: 20, b: 50 },
      xaxis: { title: { text: xTitle }, type: xType, ...(ticks ? { tickvals: ticks } : {}) },
      yaxis: { title: { text: yTitle } },
      legend: { itemclick: "toggle" },
    },
    { displaylogo: false, responsive: true }
  );
}

// Heat map: mean mAP@all of every run on every dataset at one code length, a panel
// per direction; failed cells read "failed", degenerate ones carry "!".
const heatState = { bits: null };

function heatmapView() {
  const rows = DATA.tables["mAP@all"] || [];
  const lengths = lengthsOf(rows);
  if (!lengths.includes(heatState.bits)) heatState.bits = lengths[0] ?? null;
  const container = el("div", {});
  function render() {
    const controls = el("div", { class: "controls" }, select("bits", lengths.map((b) => [b, b + " bits"]), heatState.bits, (v) => { heatState.bits = Number(v); render(); }));
    const nodes = Object.keys(DIRECTIONS).map((direction) => el("div", { class: "figure", id: "heatmap-" + direction }));
    container.replaceChildren(controls, ...nodes);
    Object.keys(DIRECTIONS).forEach((direction, i) => heatmap(nodes[i], rows.filter((r) => r.bits === heatState.bits && r.direction === direction), direction));
  }
  render();
  return [el("h2", {}, "Heat map"), el("p", { class: "note" }, "mAP@all, mean over seeds, by dataset and method; a cell whose every seed failed, timed out or made degenerate codes says which; ! marks a mean that leaves such seeds out."), container];
}

function heatmap(node, rows, direction) {
  if (!rows.length) {
    node.replaceChildren(el("p", {}, "No cells at this code length."));
    return;
  }
  const sets = [...new Set(rows.map((r) => r.dataset))].sort();
  const runs = [...new Set(rows.map((r) => r.run))];
  const at = new Map(rows.map((r) => [r.dataset + "|" + r.run, r]));
  const z = sets.map((d) => runs.map((r) => (at.has(d + "|" + r) ? at.get(d + "|" + r).mean : null)));
  const text = sets.map((d) =>
    runs.map((r) => {
      const found = at.get(d + "|" + r);
      if (!found) return "";
      if (found.mean === null) return failure(found);
      return fixed(found.mean) + (found.failed ? " !" : "");
    })
  );
  Plotly.newPlot(
    node,
    [{ type: "heatmap", x: runs.map(label), y: sets.map(datasetLabel), z, text, texttemplate: "%{text}", hovertemplate: "%{y}, %{x}: %{text}<extra></extra>", colorscale: "Viridis", colorbar: { title: { text: "mAP@all" } } }],
    { title: { text: `${DIRECTIONS[direction]}, ${heatState.bits} bits`, y: 0.995, yanchor: "top" }, height: 160 + 28 * sets.length, margin: { l: 160, t: 90, b: 20 }, xaxis: { side: "top" }, yaxis: { autorange: "reversed" } },
    { displaylogo: false, responsive: true }
  );
}

// Methods: each one's paper, code, supervision, native protocol, version, defaults
// with their sources, and its module docstring (deviations included).
function methodsView() {
  const rows = Object.entries(DOCUMENT.methods).map(([name, info]) => {
    const keys = [info.label, info.venue, info.supervised ? "supervised" : "unsupervised", info.native, info.version];
    const node = el(
      "tr",
      {},
      el("td", {}, el("a", { href: href("method", name) }, info.label)),
      keys.slice(1).map((key) => el("td", {}, key))
    );
    return { keys, node };
  });
  return [el("h2", {}, "Methods"), sortableTable(["method", "venue", "supervision", "native protocol", "version"], rows, [false, false, false, false, true])];
}

function methodView(name) {
  const info = DOCUMENT.methods[name];
  if (!info) return [el("p", {}, `No method ${name} in these results.`)];
  const defaults = Object.entries(info.defaults).map(([key, entry]) => {
    const keys = [key, entry.default, entry.source];
    return { keys, node: el("tr", {}, keys.map((k) => el("td", {}, k))) };
  });
  return [
    el("h2", {}, info.label),
    el("p", {}, `${info.authors}. ${info.title}. ${info.venue}.`),
    el(
      "dl",
      {},
      el("dt", {}, "code"), el("dd", {}, info.code ? el("a", { href: info.code }, info.code) : "none published"),
      el("dt", {}, "supervision"), el("dd", {}, info.supervised ? "supervised (uses labels)" : "unsupervised"),
      el("dt", {}, "native protocol"), el("dd", {}, info.native),
      el("dt", {}, "version"), el("dd", {}, info.version)
    ),
    el("h3", {}, "Defaults"),
    sortableTable(["hyper-parameter", "default", "source"], defaults, [false, false, false]),
    el("h3", {}, "From the implementation's docstring"),
    el("pre", { class: "docstring" }, info.docstring),
    el("h3", {}, "Cells"),
    cellsTable(DATA.cells.filter((cell) => cell.method === name)),
  ];
}

// Cells: every record as it is, failed, timed-out and degenerate ones named.
function cellsView() {
  return [el("h2", {}, "Cells"), cellsTable(DATA.cells)];
}

function cellsTable(cells) {
  const rows = cells.map((cell) => {
    const keys = [cell.dataset, label(cell.run), cell.bits, cell.seed, cell.status, cell.status === "ok" ? cell.map.i2t : null, cell.status === "ok" ? cell.map.t2i : null, cell.timings.fit_s ?? null];
    const node = el(
      "tr",
      { class: "status-" + cell.status },
      el("td", {}, cell.dataset),
      el("td", {}, label(cell.run)),
      el("td", { class: "number" }, cell.bits),
      el("td", { class: "number" }, cell.seed),
      el("td", {}, el("a", { href: href("cell", cell.id) }, cell.status)),
      el("td", { class: "number" }, keys[5] === null ? "" : fixed(keys[5])),
      el("td", { class: "number" }, keys[6] === null ? "" : fixed(keys[6])),
      el("td", { class: "number" }, keys[7] === null ? "" : keys[7].toFixed(1))
    );
    return { keys, node };
  });
  return sortableTable(["dataset", "run", "bits", "seed", "status", "mAP i→t", "mAP t→i", "fit (s)"], rows, [false, false, true, true, false, true, true, true]);
}

function cellView(id) {
  const cell = DATA.cells.find((c) => c.id === id);
  if (!cell) return [el("p", {}, `No cell ${id} in these results.`)];
  const pairs = (object) => el("dl", {}, Object.entries(object).flatMap(([key, value]) => [el("dt", {}, key), el("dd", {}, typeof value === "object" && value !== null ? JSON.stringify(value) : String(value))]));
  const outcome =
    cell.status === "ok"
      ? pairs({ "mAP@all image→text": fixed(cell.map.i2t, 4), "mAP@all text→image": fixed(cell.map.t2i, 4) })
      : el("p", { class: "failed" }, `${cell.status}${cell.error ? ": " + cell.error : ""}`);
  return [
    el("h2", {}, `${label(cell.run)} on ${datasetLabel(cell.dataset)}, ${cell.bits} bits, seed ${cell.seed}`),
    outcome,
    el("h3", {}, "Remake"),
    el("pre", {}, cell.command),
    el("h3", {}, "Configuration"),
    pairs(cell.config),
    el("h3", {}, "Provenance"),
    pairs({ revision: cell.revision, tree: cell.revision ? (cell.revision.endsWith("-dirty") ? "dirty (uncommitted changes)" : "clean") : "not a git checkout", "method version": cell.version, device: cell.device, threads: cell.threads, finished: cell.finished_at }),
    el("h3", {}, "Timings (s)"),
    pairs(Object.fromEntries(Object.entries(cell.timings).map(([k, v]) => [k, v.toFixed(2)]))),
    el("h3", {}, "Code health"),
    cell.health ? pairs(cell.health) : el("p", {}, "not recorded"),
  ];
}

// The collection selector, shown when the site holds several results folders.
function collections() {
  const holder = document.getElementById("collections");
  if (DOCUMENT.collections.length < 2) return;
  holder.replaceChildren(
    select("results", DOCUMENT.collections.map((c, i) => [i, c.name]), collection, (v) => {
      location.hash = `#${v}/` + (location.hash.split("/")[1] || "");
    })
  );
}

function route() {
  const parts = (location.hash || "#0/").slice(1).split("/");
  const chosen = Number(parts[0]) || 0;
  collection = chosen < DOCUMENT.collections.length ? chosen : 0;
  DATA = DOCUMENT.collections[collection];
  collections();
  const view = parts[1] || "";
  const argument = decodeURIComponent(parts.slice(2).join("/"));
  const views = {
    "": leaderboards,
    tables: tablesView,
    figures: figuresView,
    heatmap: heatmapView,
    methods: methodsView,
    method: () => methodView(argument),
    cells: cellsView,
    cell: () => cellView(argument),
  };
  main.replaceChildren(...(views[view] || leaderboards)());
  document.querySelectorAll("nav a").forEach((link) => {
    link.setAttribute("href", href(link.dataset.view));
    link.classList.toggle("current", link.dataset.view === view);
  });
}

window.addEventListener("hashchange", route);
route();

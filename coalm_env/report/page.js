// coalm-env report page: sortable tables and a transcript viewer over the embedded JSON.
// Every piece of data goes into the document through textContent (it is model and user text).
"use strict";
const DATA = JSON.parse(document.getElementById("report-data").textContent);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

function fmt(v) {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return String(v);
}

// --- sortable tables -------------------------------------------------------------------
function table(columns, rows, id) {
  const head = el("tr");
  const body = el("tbody");
  const t = el("table", id ? {id} : {}, el("thead", {}, head), body);
  columns.forEach((col, i) => {
    const th = el("th", {text: col.label, "data-col": String(i)});
    th.addEventListener("click", () => sortBy(t, rows, columns, i, body));
    head.appendChild(th);
  });
  fill(body, rows, columns);
  return t;
}

function fill(body, rows, columns) {
  body.replaceChildren(...rows.map(r => el("tr", {}, ...columns.map(c => {
    const v = c.get(r);
    return el("td", {text: c.show ? c.show(r) : fmt(v), class: typeof v === "number" ? "num" : ""});
  }))));
}

function sortBy(t, rows, columns, i, body) {
  const th = t.querySelectorAll("th")[i];
  const desc = th.classList.contains("sorted-asc");
  t.querySelectorAll("th").forEach(h => h.classList.remove("sorted-asc", "sorted-desc"));
  th.classList.add(desc ? "sorted-desc" : "sorted-asc");
  const key = columns[i].get;
  rows.sort((a, b) => {
    const x = key(a), y = key(b);
    const c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
    return desc ? -c : c;
  });
  fill(body, rows, columns);
}

function ci(s) { return s && s.n ? `${s.mean.toFixed(3)} [${s.low.toFixed(3)}, ${s.high.toFixed(3)}]` : "-"; }

function summary() {
  const cells = Object.entries(DATA.cells).map(([label, c]) => ({label, ...c}));
  const top = Math.max(0, ...cells.map(c => Object.keys(c.pass_hat_k).length));
  const cols = [
    {label: "cell", get: r => r.label},
    {label: "episodes", get: r => r.episodes},
    {label: "errored", get: r => r.errored},
    {label: "user faults", get: r => r.user_faults},
    {label: "success [95% CI]", get: r => (r.success.n ? r.success.mean : -1), show: r => ci(r.success)},
  ];
  for (let k = 1; k <= top; k++) cols.push({label: `pass^${k}`, get: r => r.pass_hat_k[String(k)] ?? null});
  cols.push({label: "flip rate", get: r => r.flip_rate});
  document.getElementById("summary").appendChild(table(cols, cells, "summary-table"));
  const box = document.getElementById("breakdowns");
  for (const [by, groups] of Object.entries(DATA.breakdowns)) {
    const rows = Object.entries(groups).map(([key, g]) => ({key, ...g}));
    box.appendChild(el("h3", {text: `policy | ${by.replace("_", " ")}`}));
    box.appendChild(table([
      {label: `policy | ${by}`, get: r => r.key},
      {label: "episodes", get: r => r.episodes},
      {label: "success [95% CI]", get: r => (r.success.n ? r.success.mean : -1), show: r => ci(r.success)},
    ], rows));
  }
}

// --- transcript viewer ---------------------------------------------------------------------
const FILTERS = {"f-cell": "cell", "f-outcome": "outcome", "f-stop": "stop_reason", "f-persona": "persona"};

function setupFilters() {
  for (const [id, field] of Object.entries(FILTERS)) {
    const select = document.getElementById(id);
    const values = [...new Set(DATA.episodes.map(e => e[field]))].sort();
    select.replaceChildren(el("option", {value: "", text: "(all)"}), ...values.map(v => el("option", {value: v, text: v})));
    select.addEventListener("change", listEpisodes);
  }
}

function visible() {
  return DATA.episodes.filter(e => Object.entries(FILTERS).every(
    ([id, field]) => !document.getElementById(id).value || e[field] === document.getElementById(id).value));
}

function listEpisodes() {
  const eps = visible();
  document.getElementById("count").textContent = `${eps.length} of ${DATA.episodes.length} episodes`;
  const cols = [
    {label: "#", get: e => e.index},
    {label: "scenario", get: e => e.scenario_id},
    {label: "policy", get: e => e.policy},
    {label: "outcome", get: e => e.outcome},
    {label: "stop", get: e => e.stop_reason},
  ];
  const t = table(cols, eps, "episodes-table");
  t.addEventListener("click", ev => {
    const row = ev.target.closest("tbody tr");
    if (!row) return;
    t.querySelectorAll("tr.selected").forEach(r => r.classList.remove("selected"));
    row.classList.add("selected");
    showEpisode(DATA.episodes[Number(row.firstChild.textContent)]);
  });
  document.getElementById("episode-list").replaceChildren(t);
}

function kv(obj) {
  return el("pre", {text: Object.entries(obj).map(([k, v]) => `${k}: ${fmt(v)}`).join("\n")});
}

function agentEvent(e) {
  const box = el("div", {class: "event agent"}, el("div", {class: "who", text: `agent · step ${e.t} · ${e.kind}`}));
  if (e.thought) box.appendChild(el("div", {class: "thought", text: `Thought: ${e.thought}`}));
  if (e.reply !== null && e.reply !== undefined) box.appendChild(el("pre", {class: "reply", text: e.reply}));
  else if (!e.calls.length) box.appendChild(el("pre", {class: "action", text: e.action}));
  e.calls.forEach((c, i) => {
    box.appendChild(el("div", {class: "call", text: `${c.name}(${JSON.stringify(c.arguments)})`}));
    const r = e.results[i];
    if (r) box.appendChild(el("pre", {class: r.ok ? "result-ok" : "result-error", text: `→ ${r.content}`}));
  });
  if (e.parse_error) box.appendChild(el("pre", {class: "parse-error", text: `parse error: ${e.parse_error}`}));
  const comps = Object.entries(e.components).map(([k, v]) => `${k}=${fmt(v)}`).join("  ");
  box.appendChild(el("div", {class: "components", text: `reward ${fmt(e.reward)} · ${comps}`}));
  return box;
}

function showEpisode(ep) {
  const meta = el("div", {class: "meta"},
    el("h3", {text: `#${ep.index} ${ep.scenario_id} (rep ${ep.rep})`}),
    el("div", {text: ep.cell}),
    el("div", {class: `outcome-${ep.outcome}`, text: `${ep.outcome} · stop: ${ep.stop_reason} · persona: ${ep.persona}`}),
    Object.keys(ep.user_faults).length ? el("div", {class: "faults", text: `user faults: ${Object.keys(ep.user_faults).join(", ")}`}) : null,
    ep.errors.length ? el("pre", {class: "errors", text: `errors:\n${ep.errors.join("\n")}`}) : null,
    el("details", {}, el("summary", {text: "metrics"}), kv(ep.metrics)));
  const turns = el("div", {id: "turns"}, ...ep.events.map(e => e.who === "user"
    ? el("div", {class: "event user"}, el("div", {class: "who", text: "user"}), el("pre", {text: e.text ?? ""}))
    : agentEvent(e)));
  const goal = el("div", {class: "goal"},
    el("strong", {text: ep.goal_source === "domain" ? "Goal" : "Goal (domain not available: scenario id)"}),
    el("pre", {id: "goal", text: ep.goal}));
  document.getElementById("transcript").replaceChildren(meta, el("div", {class: "episode-body"}, turns, goal));
}

document.getElementById("sources").textContent = DATA.sources.join(", ");
summary();
setupFilters();
listEpisodes();

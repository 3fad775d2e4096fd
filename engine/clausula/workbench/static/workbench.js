// The Clausula workbench: one small script, no library. Every answer comes from the server
// (the checker, the engine, the simulator); this file only shows them and sends edits.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
};
const state = { name: null, digest: null, saved: "", diagnostics: [], scenario: null };
let pending = 0;

// ------------------------------------------------------------------ server calls
function showError(text) { $("errors").textContent = text; }
function clearError() { $("errors").textContent = ""; }
async function api(path, body) {
  pending++;
  document.body.dataset.busy = "true";
  try {
    const init = body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    };
    let response;
    try { response = await fetch("/workbench/api/" + path, init); }
    catch (e) { showError("The workbench server cannot be reached: " + e.message); throw e; }
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : { title: await response.text() };
    if (!response.ok) {
      const error = new Error(data.title || ("HTTP " + response.status));
      error.status = response.status;
      showError(data.title + (data.detail ? ": " + data.detail : ""));
      throw error;
    }
    return data;
  } finally {
    pending--;
    if (!pending) delete document.body.dataset.busy;
  }
}
const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };

// ------------------------------------------------------------------ tabs
const tabs = ["write", "try", "negotiate"];
function showTab(name) {
  for (const t of tabs) {
    const on = t === name;
    $("tab-" + t).setAttribute("aria-selected", String(on));
    $("tab-" + t).tabIndex = on ? 0 : -1;
    $("panel-" + t).hidden = !on;
  }
  // The first visit to Negotiate opens the first scenario.
  if (name === "negotiate" && !state.scenario && !state.opening && $("scenario-list").value) {
    state.opening = true;
    openScenario().finally(() => { state.opening = false; });
  }
}
tabs.forEach((t, i) => {
  $("tab-" + t).addEventListener("click", () => showTab(t));
  $("tab-" + t).addEventListener("keydown", (e) => {
    const step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
    if (step) { const next = tabs[(i + step + tabs.length) % tabs.length]; showTab(next); $("tab-" + next).focus(); }
  });
});

// ------------------------------------------------------------------ highlighting
const KEYWORDS = /^(contract|jurisdiction|vocabulary|clause|rule|parameter|define|permit|deny|pay|require|oblige|notwithstanding|when|unless|and|or|not|in|of|to|for|from|by|per|where|each|every|max|min|licensor|licensee|territory|term|effective|cites|title|purpose|purposes|context|contexts|fact|facts|consent|applies|group|true|false|is|none|any|all|with|within|until|after|before|until|at|least|most|times|share|pro|rata|weight|use)$/;
const TOKEN = /(#[^\n]*)|("(?:[^"\\\n]|\\.)*")|(\d{4}-\d{2}-\d{2}|\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?\s+[A-Z]{3}\b|\d+(?:\.\d+)?)|((?:party|isni|isrc|iswc|ipi|dpid):[\w-]+|§?\d+\.\d+)|([A-Za-z_][\w-]*)/g;
const escapeHtml = (s) => s.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c]));
function highlightLine(line) {
  return line.replace(/[^]/g, (c) => c).replace(TOKEN, (m, comment, string, literal, ref, word) => {
    const e = escapeHtml(m);
    if (comment) return `<span class="tok-comment">${e}</span>`;
    if (string) return `<span class="tok-string">${e}</span>`;
    if (literal) return `<span class="tok-literal">${e}</span>`;
    if (ref) return `<span class="tok-ref">${e}</span>`;
    if (word && KEYWORDS.test(word)) return `<span class="tok-keyword">${e}</span>`;
    return e;
  }).replace(/&(?!amp;|lt;|gt;)/g, "&amp;");
}
function renderHighlight() {
  const text = $("editor").value;
  const lines = text.split("\n");
  const marks = {};
  for (const d of state.diagnostics) (marks[d.line] = marks[d.line] || []).push(d);
  const html = lines.map((line, i) => {
    const here = marks[i + 1];
    if (!here || !state.name || !state.name.endsWith(".clause")) return highlightLine(line);
    const d = here[0];
    const start = Math.max(0, d.column - 1);
    const end = d.end_line === d.line ? Math.max(start + 1, d.end_column - 1) : line.length;
    const cls = d.severity === "warning" ? "diag warning" : "diag";
    return highlightLine(line.slice(0, start)) + `<mark class="${cls}">` +
      escapeHtml(line.slice(start, end) || " ") + "</mark>" + highlightLine(line.slice(end));
  }).join("\n");
  $("highlight").innerHTML = html + "\n";
  syncScroll();
}
function syncScroll() { $("highlight").scrollTop = $("editor").scrollTop; $("highlight").scrollLeft = $("editor").scrollLeft; }
$("editor").addEventListener("scroll", syncScroll);

// ------------------------------------------------------------------ files
async function loadFiles(select) {
  const data = await api("files");
  const list = $("file-list");
  list.replaceChildren(...data.files.map((f) => el("option", { value: f, text: f })));
  const clauses = data.files.filter((f) => f.endsWith(".clause"));
  for (const id of ["diff-old", "diff-new"]) $(id).replaceChildren(...clauses.map((f) => el("option", { value: f, text: f })));
  $("scenario-list").replaceChildren(...data.scenarios.map((f) => el("option", { value: f, text: f })));
  const first = select || clauses.find((f) => f.startsWith("contracts/")) || data.files[0];
  if (first && !state.name) await openFile(first);
}
async function openFile(name, line) {
  if (state.name && $("editor").value !== state.saved && name !== state.name &&
      !confirm(`${state.name} has unsaved changes. Open ${name} and drop them?`)) return;
  if (name !== state.name) {
    const data = await api("read", { name });
    state.name = name; state.digest = data.digest; state.saved = data.text;
    $("editor").value = data.text;
    $("file-name").textContent = name;
    $("file-list").value = name;
    state.diagnostics = [];
    renderHighlight();
    checkNow();
  }
  if (line) goToLine(line);
}
$("file-list").addEventListener("change", (e) => openFile(e.target.value));
$("new-file-button").addEventListener("click", () => {
  // A new file is an empty buffer: the first Save creates it (refused if it exists by then).
  const name = $("new-file").value.trim();
  if (!name) return;
  state.name = name; state.digest = null; state.saved = "";
  $("editor").value = ""; $("file-name").textContent = name + " (new)";
  state.diagnostics = []; renderHighlight(); $("editor").focus();
});
function goToLine(line, column = 1) {
  const lines = $("editor").value.split("\n");
  let offset = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  offset += column - 1;
  const editor = $("editor");
  showTab("write");
  editor.focus();
  editor.setSelectionRange(offset, offset);
  editor.scrollTop = Math.max(0, (line - 5) * 19.5);
  syncScroll();
}

// ------------------------------------------------------------------ diagnostics
let checkSerial = 0;
async function checkNow() {
  if (!state.name) return;
  const serial = ++checkSerial;
  const text = $("editor").value;
  const result = await api("check", { name: state.name, text });
  if (serial !== checkSerial) return; // an older answer: a newer edit is being checked
  clearError();
  state.diagnostics = result.diagnostics;
  showDiagnostics(result);
  renderHighlight();
  refreshSaved();
  if (result.ok) proveSoon(serial, text, result);
}
// The solver's findings (clausula analyze) come after the checker's, never in its way.
async function proveSoon(serial, text, checked) {
  const found = await api("findings", { name: state.name, text });
  if (serial !== checkSerial || !found.diagnostics.length) return;
  state.diagnostics = checked.diagnostics.concat(found.diagnostics);
  showDiagnostics({ ...checked, warnings: checked.warnings + found.diagnostics.length,
    diagnostics: state.diagnostics });
  renderHighlight();
}
function showDiagnostics(result) {
  const summary = $("diagnostic-summary");
  summary.className = result.ok ? "ok" : "";
  summary.textContent = result.ok
    ? (result.warnings ? `No error, ${result.warnings} warning(s).` : "No problem found.")
    : `${result.errors} error(s), ${result.warnings} warning(s).`;
  if (result.other_errors) summary.textContent += ` Other files of the set have ${result.other_errors} error(s).`;
  $("diagnostics").replaceChildren(...result.diagnostics.map((d) => {
    const item = el("li", { class: d.severity });
    const link = el("a", { href: "#", class: "place", text: `line ${d.line}, column ${d.column}` ,
      onclick: (e) => { e.preventDefault(); goToLine(d.line, d.column); } });
    // The sentence in full (it wraps), then the line and the caret under the place.
    const [, ...detail] = d.rendered.split("\n");
    item.append(link, " ", el("span", { class: "message", text: d.message }), el("pre", { text: detail.join("\n") }));
    return item;
  }));
}
const checkSoon = debounce(checkNow, 250);
$("editor").addEventListener("input", () => {
  renderHighlight();
  $("save-status").textContent = $("editor").value === state.saved ? "" : "unsaved";
  checkSoon();
});
$("editor").addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); save(); }
  else if (e.key === "F12") { e.preventDefault(); goToDefinition(); }
  else if (e.key === "Tab" && !e.shiftKey && !e.ctrlKey) {
    // Two spaces, as `fmt` indents; Escape then Tab leaves the editor (keyboard users).
    if (state.escaped) { state.escaped = false; return; }
    e.preventDefault();
    document.execCommand("insertText", false, "  ");
  } else if (e.key === "Escape") state.escaped = true;
});

// ------------------------------------------------------------------ hover, definition
function caret() {
  const editor = $("editor");
  const before = editor.value.slice(0, editor.selectionStart).split("\n");
  return { line: before.length, column: before[before.length - 1].length + 1 };
}
let lastHover = null;
async function hoverNow(place) {
  if (!state.name || !state.name.endsWith(".clause")) return;
  const { line, column } = place && place.line ? place : caret();
  const key = `${line}:${column}:${$("editor").value.length}`;
  if (key === lastHover) return;
  lastHover = key;
  const result = await api("hover", { name: state.name, text: $("editor").value, line, column });
  const box = $("hover");
  box.replaceChildren();
  if (result.hover) box.append(el("div", { text: result.hover.replace(/\*\*|`/g, "") }));
  else box.append(el("p", { class: "muted", text: "Nothing to describe at the caret." }));
  if (result.definition) box.append(el("a", { href: "#", class: "place", text: `defined at line ${result.definition.line}`,
    onclick: (e) => { e.preventDefault(); goToLine(result.definition.line, result.definition.column); } }));
  state.definition = result.definition;
}
const hoverSoon = debounce(() => hoverNow(), 300);
// Hover with the mouse: the line and column under the pointer (the editor's font is
// monospaced), described in the same box as the caret's.
let charWidth = 0;
function pointerPlace(event) {
  const editor = $("editor");
  const style = getComputedStyle(editor);
  if (!charWidth) {
    const context = document.createElement("canvas").getContext("2d");
    context.font = `${style.fontSize} ${style.fontFamily}`;
    charWidth = context.measureText("M").width;
  }
  const box = editor.getBoundingClientRect();
  const pad = parseFloat(style.paddingLeft);
  const y = event.clientY - box.top + editor.scrollTop - parseFloat(style.paddingTop);
  const x = event.clientX - box.left + editor.scrollLeft - pad;
  const line = Math.floor(y / parseFloat(style.lineHeight)) + 1;
  const lines = editor.value.split("\n");
  if (line < 1 || line > lines.length || x < 0) return null;
  const column = Math.floor(x / charWidth) + 1;
  return column <= lines[line - 1].length ? { line, column } : null;
}
const pointerSoon = debounce((place) => { if (place) hoverNow(place); }, 400);
$("editor").addEventListener("mousemove", (e) => pointerSoon(pointerPlace(e)));
$("editor").addEventListener("keyup", hoverSoon);
$("editor").addEventListener("click", hoverSoon);
async function goToDefinition() { lastHover = null; await hoverNow(); if (state.definition) goToLine(state.definition.line, state.definition.column); }

// ------------------------------------------------------------------ format, save
$("format-button").addEventListener("click", async () => {
  // The server's `fmt`, shown in the editor and not written: Save writes.
  const result = await api("format", { name: state.name, text: $("editor").value });
  if (result.problems.length) { $("save-status").textContent = "not formatted: the text has syntax errors"; return; }
  if (result.text !== $("editor").value) { $("editor").value = result.text; renderHighlight(); checkSoon(); }
  $("save-status").textContent = result.text === state.saved ? "" : "formatted, unsaved";
});
async function save() {
  if (!state.name) return;
  $("save-status").textContent = "saving…";
  try {
    const result = await api("save", { name: state.name, text: $("editor").value, digest: state.digest, format: true });
    state.digest = result.digest; state.saved = result.text;
    if ($("editor").value !== result.text) $("editor").value = result.text;
    $("save-status").textContent = result.format_problems.length
      ? "saved, not formatted: the text has syntax errors" : "saved and formatted";
    clearError();
    checkNow();
  } catch (error) {
    if (error.status === 409) {
      $("save-status").textContent = "conflict: the file changed on disk";
      if (confirm(`${state.name} changed on disk since you opened it. Overwrite it with your text?`)) {
        const fresh = await api("read", { name: state.name });
        state.digest = fresh.digest;
        return save();
      }
    } else $("save-status").textContent = "not saved";
  }
}
$("save-button").addEventListener("click", () => save());

// ------------------------------------------------------------------ saved uses (regression)
let savedUses = [];
async function refreshSaved() {
  const draft = state.name && state.name.endsWith(".clause") ? { name: state.name, text: $("editor").value } : {};
  const result = await api("uses", draft);
  savedUses = result.uses;
  const select = $("saved-use");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: "(the form)" }),
    ...savedUses.map((u, i) => el("option", { value: String(i), text: u.label })));
  select.value = chosen;
  const list = $("regression");
  if (!result.ok) {
    list.replaceChildren(el("li", { text: "The draft set has errors: no use decided." }),
      el("li", {}, el("pre", { class: "problem", text: result.problems[0] })));
    $("regression-summary").textContent = "";
    return;
  }
  const changed = result.results.filter((r) => r.changed).length;
  $("regression-summary").textContent = changed ? `${changed} changed by the draft` : "none changed";
  list.replaceChildren(...result.results.map((r) => {
    const outcome = r.error ? "error" : r.decision.decision;
    const item = el("li", { "data-changed": String(!!r.changed) },
      el("span", { class: "badge " + outcome, text: outcome }), " ",
      el("a", { href: "#", text: r.label, onclick: (e) => { e.preventDefault(); tryUse(r.index); } }));
    if (r.changed) item.append(" ", el("span", { class: "changed", text: "changed" }));
    return item;
  }));
}

// ------------------------------------------------------------------ the use form
let choices = null;
function datalist(id, items) {
  return el("datalist", { id }, ...items.map((i) => el("option", { value: i.id ?? i, label: i.label ?? "" })));
}
function field(label, input, id) {
  input.id = id;
  return el("div", { class: "field" }, el("label", { for: id, text: label }), input);
}
async function buildForm() {
  choices = await api("choices");
  const form = $("use-form");
  const props = choices.schema.properties;
  const required = new Set(choices.schema.required || []);
  const lists = [datalist("dl-territory", [...choices.groups, ...choices.countries]),
    datalist("dl-works", choices.works), datalist("dl-parties", choices.parties),
    datalist("dl-licensees", choices.licensees), datalist("dl-contexts", choices.contexts)];
  const parts = [el("h2", { text: "A use" }), ...lists];
  for (const [key, spec] of Object.entries(props)) {
    const label = (spec.title || key) + (required.has(key) ? " (required)" : "");
    const id = "use-" + key;
    if (key === "purpose") {
      parts.push(field(label, el("select", {}, ...choices.purposes.map((p) => el("option", { value: p, text: p }))), id));
    } else if (key === "date") {
      parts.push(field(label, el("input", { type: "date", value: "2026-09-01" }), id));
    } else if (key === "territory") {
      parts.push(field(label + " — ISO code or group", el("input", { type: "text", list: "dl-territory", value: "US" }), id));
    } else if (key === "licensee") {
      parts.push(field(label, el("input", { type: "text", list: "dl-licensees", value: choices.licensees[0] || "" }), id));
    } else if (key === "works" || key === "artists") {
      parts.push(field(label + " — comma-separated, searchable", el("input", { type: "text", list: key === "works" ? "dl-works" : "dl-parties" }), id));
    } else if (key === "context") {
      parts.push(field(label + " — comma-separated", el("input", { type: "text", list: "dl-contexts", placeholder: choices.contexts.slice(0, 3).join(", ") }), id));
    } else if (spec.type === "boolean") {
      const box = el("input", { type: "checkbox", id });
      parts.push(el("div", { class: "field" }, box, el("label", { for: id, text: " " + (spec.title || key) })));
    } else if (key === "output") {
      const ref = choices.schema.$defs.Output.properties;
      parts.push(el("fieldset", {}, el("legend", { text: "Output" }), ...Object.entries(ref).map(([flag, s]) =>
        el("div", {}, el("input", { type: "checkbox", id: "out-" + flag }), el("label", { for: "out-" + flag, text: " " + s.title })))));
    } else if (key === "metrics") {
      parts.push(el("fieldset", {}, el("legend", { text: "Metrics" }),
        field("Revenue amount", el("input", { type: "number", min: "0", step: "0.01" }), "met-amount"),
        field("Revenue currency", el("input", { type: "text", value: "USD", maxlength: "3" }), "met-currency"),
        field("Generations", el("input", { type: "number", min: "0", step: "1", value: "0" }), "met-generations"),
        field("Streams", el("input", { type: "number", min: "0", step: "1", value: "0" }), "met-streams")));
    }
  }
  parts.push(el("button", { type: "submit", text: "Decide this use" }));
  form.replaceChildren(...parts);
}
const csv = (v) => v.split(",").map((s) => s.trim()).filter(Boolean);
function formUse() {
  const use = { date: $("use-date").value, licensee: $("use-licensee").value.trim(),
    purpose: $("use-purpose").value, territory: $("use-territory").value.trim(),
    works: csv($("use-works").value), artists: csv($("use-artists").value),
    context: csv($("use-context").value), commercial: $("use-commercial").checked, output: {},
    metrics: { generations: Number($("met-generations").value || 0), streams: Number($("met-streams").value || 0) } };
  for (const box of document.querySelectorAll("[id^=out-]")) use.output[box.id.slice(4)] = box.checked;
  if ($("met-amount").value) use.metrics.revenue = { amount: $("met-amount").value, currency: $("met-currency").value.trim() };
  return use;
}
function fillForm(use) {
  $("use-date").value = use.date || ""; $("use-licensee").value = use.licensee || "";
  $("use-purpose").value = use.purpose || ""; $("use-territory").value = use.territory || "";
  $("use-works").value = (use.works || []).join(", "); $("use-artists").value = (use.artists || []).join(", ");
  $("use-context").value = (use.context || []).join(", "); $("use-commercial").checked = !!use.commercial;
  for (const box of document.querySelectorAll("[id^=out-]")) box.checked = !!(use.output || {})[box.id.slice(4)];
  const m = use.metrics || {};
  $("met-amount").value = m.revenue ? m.revenue.amount : ""; $("met-currency").value = m.revenue ? m.revenue.currency : "USD";
  $("met-generations").value = m.generations || 0; $("met-streams").value = m.streams || 0;
}
async function decide(use) {
  const draft = state.name && state.name.endsWith(".clause") ? { name: state.name, text: $("editor").value } : {};
  const result = await api("decide", { ...draft, use });
  const box = $("answer");
  if (!result.ok) { box.replaceChildren(el("h2", { text: "This use cannot be decided" }), el("ul", {}, ...result.problems.map((p) => el("li", { text: p })))); return; }
  clearError();
  const d = result.decision;
  const reasons = el("ul", {}, ...d.reasons.map((r) => {
    const item = el("li", {}, el("strong", { text: r.effect }), ` ${r.rule}: ${r.message}`);
    if (r.citation) item.append(el("span", { class: "muted", text: ` (${r.citation})` }));
    if (r.place) item.append(" ", el("a", { href: "#", class: "place", text: `${r.place.file}:${r.place.line}`,
      onclick: (e) => { e.preventDefault(); openFile(r.place.file, r.place.line); } }));
    return item;
  }));
  const payments = d.payments.length ? el("table", {}, el("caption", { text: "Payments" }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Payee" }), el("th", { scope: "col", text: "Amount" }), el("th", { scope: "col", text: "Rule" }))),
    el("tbody", {}, ...d.payments.map((p) => el("tr", {}, el("td", { text: p.payee }), el("td", { class: "num", text: `${p.amount} ${p.currency}` }), el("td", { text: p.rule })))))
    : el("p", { text: "No payment." });
  const duties = d.obligations.length ? el("ul", {}, ...d.obligations.map((o) => el("li", { text: `${o.rule}: ${o.text || o.message || ""}` }))) : el("p", { text: "No obligation." });
  box.replaceChildren(
    el("h2", {}, "Decision: ", el("span", { id: "decision-outcome", class: "badge " + d.decision, text: d.decision })),
    payments, el("h2", { text: "Obligations" }), duties, el("h2", { text: "Reasons" }), reasons,
    el("h2", { text: "Explanation" }), el("div", { class: "explanation", text: result.explanation }));
}
$("use-form").addEventListener("submit", (e) => { e.preventDefault(); $("saved-use").value = ""; decide(formUse()); });
$("decide-button").addEventListener("click", () => {
  const i = $("saved-use").value;
  decide(i === "" ? formUse() : savedUses[Number(i)].use);
});
$("saved-use").addEventListener("change", (e) => { if (e.target.value !== "") fillForm(savedUses[Number(e.target.value)].use); });
function tryUse(index) { showTab("try"); $("saved-use").value = String(index); fillForm(savedUses[index].use); decide(savedUses[index].use); }

// ------------------------------------------------------------------ negotiate
async function openScenario() {
  const name = $("scenario-list").value;
  if (!name) return;
  const data = await api("scenario", { name });
  state.scenario = data;
  const variants = Object.entries(data.variants);
  const withControls = variants.filter(([v]) => data.controls.some((c) => c.variant === v));
  $("variant-list").replaceChildren(...(withControls.length ? withControls : variants).map(([v, t]) => el("option", { value: v, text: t })));
  // The variant the scenario sweeps is the one under negotiation: shown first.
  const swept = data.negotiated.find((v) => data.variants[v]);
  if (swept) $("variant-list").value = swept;
  showControls();
}
function showControls() {
  const variant = $("variant-list").value;
  const box = $("controls");
  box.replaceChildren(el("legend", { text: "Terms of " + variant }));
  for (const c of state.scenario.controls.filter((c) => c.variant === variant)) {
    const key = `${c.contract}.${c.name}`;
    const id = "ctl-" + key.replace(/[^\w-]/g, "_");
    const unit = c.unit === "%" ? "%" : c.unit ? " " + c.unit : "";
    const inputs = c.kind === "date"
      ? [el("input", { type: "date", id, value: c.value, "data-key": key, "data-initial": c.value })]
      : [el("input", { type: "range", id, min: c.minimum, max: c.maximum, step: c.step, value: c.value, "data-key": key, "data-initial": c.value, "aria-valuetext": c.value + unit }),
         el("input", { type: "number", id: id + "-n", min: c.minimum, max: c.maximum, step: c.step, value: c.value, "aria-label": `${c.name} (${c.unit || "number"})` })];
    const control = el("div", { class: "control" },
      el("label", { for: id, text: `${c.name}${unit ? " (" + unit.trim() + ")" : ""}` }),
      el("span", { class: "muted", text: ` ${c.contract}, ` }),
      el("a", { href: "#", class: "place", text: `line ${c.line}`, onclick: (e) => { e.preventDefault(); openFile(c.file, c.line); } }),
      el("div", { class: "row" }, ...inputs));
    if (inputs[1]) {
      inputs[0].addEventListener("input", () => { inputs[1].value = inputs[0].value; inputs[0].setAttribute("aria-valuetext", inputs[0].value + unit); simulateSoon(); });
      inputs[1].addEventListener("change", () => { inputs[0].value = inputs[1].value; simulateSoon(); });
    } else inputs[0].addEventListener("change", simulateSoon);
    box.append(control);
  }
  simulateNow();
}
function controlValues() {
  const values = {};
  for (const input of $("controls").querySelectorAll("[data-key]")) {
    if (input.value !== input.dataset.initial) values[input.dataset.key] = input.value;
  }
  return values;
}
let simSerial = 0;
async function simulateNow() {
  const serial = ++simSerial;
  $("sim-status").textContent = "Simulating…";
  const started = performance.now();
  const result = await api("simulate", { scenario: state.scenario.name, variant: $("variant-list").value, values: controlValues() })
    .catch((e) => { $("sim-status").textContent = "The simulation failed."; throw e; });
  if (serial !== simSerial) return;
  clearError();
  const charts = $("charts");
  charts.innerHTML = result.charts.paid + result.charts.blocked + result.charts.artists;
  $("sim-table").tBodies[0].replaceChildren(...result.rows.map((r) => el("tr", { class: r.changed ? "changed" : "" },
    el("th", { scope: "row", text: r.label }), el("td", { class: "num", text: r.baseline }), el("td", { class: "num", text: r.current }))));
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  $("sim-status").textContent = `${result.uses.toLocaleString()} uses decided; answered in ${seconds} s.`;
  document.body.dataset.simulated = String(serial);
}
const simulateSoon = debounce(simulateNow, 200);
$("scenario-list").addEventListener("change", openScenario);
$("variant-list").addEventListener("change", showControls);
$("reset-button").addEventListener("click", () => {
  for (const input of $("controls").querySelectorAll("input")) {
    const initial = input.dataset.initial ?? document.getElementById(input.id.replace(/-n$/, "")).dataset.initial;
    input.value = initial;
  }
  simulateNow();
});
$("save-variant").addEventListener("click", async () => {
  const result = await api("variant", { scenario: state.scenario.name, variant: $("variant-list").value,
    values: controlValues(), new_name: $("variant-name").value.trim() });
  $("variant-status").textContent = `Saved as ${result.name}.`;
  clearError();
  loadFiles();
});
$("diff-button").addEventListener("click", async () => {
  $("diff").textContent = "Comparing…";
  const result = await api("diff", { old: $("diff-old").value, new: $("diff-new").value,
    shared: $("diff-laws").checked ? ["jurisdictions"] : [] }).catch((e) => { $("diff").textContent = ""; throw e; });
  $("diff").replaceChildren(el("p", { text: result.changes.length
      ? `${result.changes.length} kind(s) of difference over ${result.uses.toLocaleString()} uses compared:`
      : `No difference: over ${result.uses.toLocaleString()} uses, both versions decide, pay and oblige the same.` }),
    el("ul", {}, ...result.changes.map((c) => el("li", { text: c.sentence }))));
});

// ------------------------------------------------------------------ start
window.addEventListener("error", (e) => showError("The page failed: " + e.message));
window.addEventListener("unhandledrejection", (e) => { if (!$("errors").textContent) showError("The page failed: " + (e.reason && e.reason.message)); });
(async () => {
  await loadFiles();
  await buildForm();
  document.body.dataset.ready = "true";
})();

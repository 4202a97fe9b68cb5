// segwise UI: the live parts of the server-rendered pages, over the JSON API (/api/v1).
"use strict";

const API = "/api/v1";

async function api(method, path, body) {
  const response = await fetch(API + path, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-Segwise-Request": "ui" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => { if (k === "class") node.className = v; else node.setAttribute(k, v); });
  children.forEach((c) => node.append(c));
  return node;
}

// A count the service withholds (under the project's k_min) comes as null: "< k_min".
let kMin = 10;
const fmt = (n) => (n === null || n === undefined ? `< ${kMin}` : Number(n).toLocaleString("en"));
const money = (x) => (x === null || x === undefined ? "–" : fmt(Math.round(x)));
const pct = (x) => (x === null || x === undefined ? "–" : (100 * x).toFixed(1) + "%");
const errorText = (r) => (r.data && r.data.error ? r.data.error.message + (r.data.error.hint ? " " + r.data.error.hint : "")
  : r.data && r.data.detail ? String(r.data.detail) : "request failed (" + r.status + ")");

// -- segment page: members, paged by cursor, searchable --------------------------------------
function segmentPage() {
  const box = document.getElementById("segment");
  const rows = document.getElementById("member-rows");
  if (!box || !rows) return;
  const base = `/segmentations/${encodeURIComponent(box.dataset.segmentation)}/segments/${encodeURIComponent(box.dataset.segment)}/members`;
  const more = document.getElementById("more");
  const search = document.getElementById("member-search");
  let cursor = null;
  async function load(reset) {
    if (reset) { rows.replaceChildren(); cursor = null; }
    const query = new URLSearchParams({ limit: "50", run: box.dataset.run });
    if (cursor) { query.delete("run"); query.set("cursor", cursor); }
    if (search.value.trim()) query.set("search", search.value.trim());
    const r = await api("GET", `${base}?${query}`);
    if (!r.ok) { rows.append(el("tr", {}, el("td", { class: "error" }, errorText(r)))); return; }
    r.data.members.forEach((id) => rows.append(el("tr", { class: "member" },
      el("td", {}, el("a", { href: "/ui/customers?id=" + encodeURIComponent(id) }, id)), el("td", {}, ""))));
    cursor = r.data.next_cursor;
    more.hidden = !cursor;
  }
  more.addEventListener("click", () => load(false));
  search.addEventListener("input", debounce(() => load(true), 250));
  load(true);
}

// -- rule editor: live counts, errors underlined, impact, save --------------------------------
function ruleEditor() {
  const editor = document.getElementById("editor");
  if (!editor) return;
  const spec = JSON.parse(document.getElementById("spec").value);
  const status = document.getElementById("status");
  const findings = document.getElementById("findings");
  document.getElementById("segmentation").addEventListener("change", (e) => {
    window.location = "/ui/rules?segmentation=" + encodeURIComponent(e.target.value);
  });

  const rules = () => [...editor.querySelectorAll(".rule")];
  function segments() {
    return rules().map((rule) => {
      const kept = JSON.parse(rule.querySelector(".rule-extra").value || "{}");
      const where = rule.querySelector(".rule-where").value;
      const segment = { ...kept, name: rule.querySelector(".rule-name").value.trim() };
      if (where.trim()) segment.where = where; else delete segment.where;
      return segment;
    });
  }
  function mirror(rule, error) {
    const text = rule.querySelector(".rule-where").value;
    const box = rule.querySelector(".rule-mirror");
    box.replaceChildren();
    rule.classList.toggle("invalid", Boolean(error));
    const message = rule.querySelector(".rule-error");
    message.hidden = !error;
    if (!error) { box.append(text); return; }
    const start = Math.min(error.start, text.length);
    const end = Math.max(start + 1, Math.min(error.end, text.length));
    box.append(text.slice(0, start), el("mark", { class: "err", title: error.message }, text.slice(start, end) || " "), text.slice(end));
    message.textContent = `line ${error.line}, column ${error.column}: ${error.message}` + (error.hint ? `. ${error.hint}` : "");
  }
  function counts(result) {
    if (result.k_min) kMin = result.k_min;
    const bySegment = new Map(result.segments.map((s) => [s.segment, s]));
    rules().forEach((rule) => {
      const found = bySegment.get(rule.querySelector(".rule-name").value.trim());
      const count = rule.querySelector(".count");
      const list = rule.querySelector(".conditions");
      list.replaceChildren();
      if (!found) { count.textContent = ""; return; }
      const kept = spec.exclusive !== false ? found.assigned : found.matches;
      count.replaceChildren(el("strong", {}, fmt(kept)), ` customers · ${pct(found.share)}`);
      found.conditions.forEach((c) => list.append(el("li", {},
        el("span", {}, c.condition), el("span", {}, `${fmt(c.alone)} alone · ${fmt(c.cumulative)} with the conditions before`))));
    });
    const other = result.other === null && spec.exclusive !== false ? null : result.other || 0;
    // An exclusive catalog's unmatched customers are a segment of their own (other:), by its name.
    const rest = spec.exclusive !== false ? `in ${spec.other || "Other"} (no rule matched)` : "in no segment";
    status.textContent = `${fmt(result.customers)} customers in run ${result.run_id} · ${fmt(other)} ${rest}`;
  }
  const refresh = debounce(async () => {
    const wanted = segments();
    const exclusive = spec.exclusive !== false;
    const check = await api("POST", "/rules/check", { segments: wanted.map(({ name, where }) => ({ name, where })), exclusive });
    if (!check.ok) { status.textContent = errorText(check); return; }
    const errors = new Map(check.data.errors.map((e) => [e.index, e]));
    rules().forEach((rule, i) => mirror(rule, errors.get(i)));
    findings.replaceChildren(...check.data.findings.map((f) => el("li", { class: f.level }, `${f.level}: ${f.segment ? f.segment + ": " : ""}${f.message}`)));
    editor.dataset.valid = check.data.valid ? "yes" : "no";
    if (check.data.errors.length) { status.textContent = "fix the underlined rule to see sizes"; return; }
    const preview = await api("POST", "/rules/preview", { segments: wanted.filter((s) => s.where).map(({ name, where }) => ({ name, where })), exclusive, other: spec.other || "Other" });
    if (preview.ok) counts(preview.data); else status.textContent = errorText(preview);
  }, 250);

  function wire(rule) {
    rule.querySelector(".rule-where").addEventListener("input", refresh);
    rule.querySelector(".rule-name").addEventListener("input", refresh);
  }
  rules().forEach(wire);
  document.getElementById("add").addEventListener("click", () => {
    const template = rules()[rules().length - 1];
    const copy = template.cloneNode(true);
    copy.querySelector(".rule-name").value = "New segment";
    copy.querySelector(".rule-where").value = "";
    copy.querySelector(".rule-extra").value = "{}";
    copy.querySelector(".count").textContent = "";
    copy.querySelector(".conditions").replaceChildren();
    template.after(copy);
    wire(copy);
    copy.querySelector(".rule-where").focus();
  });
  const definition = () => ({ ...spec, segments: segments() });
  document.getElementById("impact").addEventListener("click", async () => {
    const target = document.getElementById("impact-result");
    target.replaceChildren(el("p", { class: "muted" }, "Comparing with the latest run…"));
    const r = await api("POST", "/preview", { segmentation: editor.dataset.segmentation, definition: definition() });
    if (!r.ok) { target.replaceChildren(el("p", { class: "error" }, errorText(r))); return; }
    const table = el("table", { class: "compact impact" }, el("thead", {}, el("tr", {},
      ...["segment", "now", "after", "entering", "leaving", "revenue entering", "revenue leaving"].map((h) => el("th", {}, h)))));
    const body = el("tbody");
    r.data.segments.forEach((s) => body.append(el("tr", { "data-segment": s.segment },
      el("td", {}, s.segment), el("td", { class: "n" }, fmt(s.before)), el("td", { class: "n" }, fmt(s.after)),
      el("td", { class: "n plus" }, "+" + fmt(s.entering)), el("td", { class: "n minus" }, "−" + fmt(s.leaving)),
      el("td", { class: "n" }, money(s.revenue_entering)), el("td", { class: "n" }, money(s.revenue_leaving)))));
    table.append(body);
    target.replaceChildren(el("h3", {}, `Impact against run ${r.data.against_run}`), table);
  });
  const save = document.getElementById("save");
  if (save) save.addEventListener("click", async () => {
    save.disabled = true;
    const r = await api("PUT", "/definitions/" + encodeURIComponent(editor.dataset.segmentation),
      { definition: definition(), expected_version: editor.dataset.version });
    save.disabled = false;
    if (!r.ok) {
      status.textContent = "not saved: " + errorText(r);
      if (r.data && r.data.error && r.data.error.rule) {
        const index = segments().findIndex((s) => r.data.error.rule.source && r.data.error.rule.source.includes(`'${s.name}'`));
        if (index >= 0) mirror(rules()[index], r.data.error.rule);
      }
      return;
    }
    editor.dataset.version = r.data.version;
    status.textContent = `saved: version ${r.data.version} (the next run uses it)`;
  });
  refresh();
}

// -- runs and destinations pages: start a job (a run, a sync) and follow it ----------------------
function followJob(buttonId, lineId, kind, done) {
  const start = document.getElementById(buttonId);
  const line = document.getElementById(lineId);
  if (!start) return;
  start.addEventListener("click", async () => {
    start.disabled = true;
    const r = await api("POST", "/" + kind, {});
    if (!r.ok) { line.textContent = errorText(r); start.disabled = false; return; }
    let job = r.data;
    while (job.state === "queued" || job.state === "running") {
      line.textContent = `${job.kind} ${job.state}: ${job.step || "starting"}…`;
      await new Promise((wait) => setTimeout(wait, 800));
      const next = await api("GET", `/${kind}/jobs/` + encodeURIComponent(job.job_id));
      if (!next.ok) { line.textContent = errorText(next); break; }
      job = next.data;
    }
    if (job.state === "succeeded") { line.textContent = done(job); window.location.reload(); }
    else { line.textContent = `the ${job.kind} failed: ${job.error || "unknown error"}`; start.disabled = false; }
  });
}

function runsPage() { followJob("start-run", "job", "runs", (job) => `run ${job.run_id} stored`); }

function destinationsPage() { followJob("start-sync", "sync-job", "sync", () => "synced"); }

// -- customer page: why is this customer in this segment ---------------------------------------
function customerPage() {
  const box = document.getElementById("customer");
  if (!box) return;
  const out = document.getElementById("explanation");
  box.querySelectorAll("button.explain").forEach((button) => button.addEventListener("click", async () => {
    const r = await api("POST", "/rules/explain", {
      segmentation: button.dataset.segmentation, segment: button.dataset.segment, customer_id: box.dataset.customer });
    out.hidden = false;
    out.textContent = r.ok ? r.data.text : errorText(r);
  }));
}

document.addEventListener("DOMContentLoaded", () => { segmentPage(); ruleEditor(); runsPage(); destinationsPage(); customerPage(); });

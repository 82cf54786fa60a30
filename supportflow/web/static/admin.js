// The admin page: sign in with the admin token (sessionStorage), then the summary report as
// figures and Chart.js charts, the knowledge-gap topics, the knowledge base (list, upload,
// delete), the agents (create, availability, rotate token), the teams (admin-teams.js) and the
// websites that embed the chat widget (admin-sites.js). Everything comes from the
// public REST API; Chart.js is served by this server from npm's copy, never a CDN.
import { ApiError, api, el, humanReason, notify } from "/web/static/common.js";
import { loadSites, wireSites } from "/web/static/admin-sites.js";
import { loadTeams, teamChart, wireTeams } from "/web/static/admin-teams.js";
import { loadLearned } from "/web/static/admin-learned.js";

const TOKEN_KEY = "supportflow.admin.token";
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY);
const charts = {};

function setConnection(state, text) {
  const node = $("connection");
  node.dataset.state = state;
  node.textContent = text;
}

async function call(path, options = {}) {
  try {
    return await api(path, { token, ...options });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) signOut("The admin token was refused.");
    throw error;
  }
}

// --- signing in -----------------------------------------------------------------------

async function signIn(candidate) {
  token = candidate;
  try {
    await api("/api/agents", { token });
  } catch (error) {
    token = null;
    throw error;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  $("sign-in").hidden = true;
  $("dashboard").hidden = false;
  $("me").hidden = false;
  setConnection("online", "Signed in as admin");
  await refresh();
}

function signOut(reason = "") {
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("dashboard").hidden = true;
  $("me").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = reason;
  setConnection("idle", "Signed out");
}

function range() {
  const days = Number($("range").value);
  const until = new Date();
  const since = new Date(until.getTime() - days * 86400000);
  return new URLSearchParams({ since: since.toISOString(), until: until.toISOString() });
}

async function refresh() {
  const results = await Promise.allSettled([
    loadSummary(),
    loadGaps(),
    loadKnowledge(),
    loadAgents(),
    loadTeams(call),
    loadSites(call),
    loadLearned(call),
  ]);
  for (const result of results) {
    if (result.status === "rejected") notify(result.reason.message, "error");
  }
}

// --- the summary ----------------------------------------------------------------------

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function figure(label, value, detail = "", key = "") {
  return el("div", { class: "figure", dataset: { figure: key } },
    el("dt", {}, label),
    el("dd", {}, value, detail ? el("small", {}, ` ${detail}`) : null));
}

function renderFigures(report) {
  const share = report.bot_resolved_share === null ? "–" : `${Math.round(report.bot_resolved_share * 100)}%`;
  const csat = report.csat;
  const thumbs = report.thumbs;
  $("figures").replaceChildren(
    figure("Chats", report.chats, "", "chats"),
    figure("Resolved by the bot", share, `${report.bot_resolved} of ${report.closed} closed`, "bot_resolved"),
    figure("Escalations", report.escalations, "", "escalations"),
    figure("Time to first claim", duration(report.time_to_first_claim.p50_seconds),
      `p90 ${duration(report.time_to_first_claim.p90_seconds)}`, "claim"),
    figure("Handle time", duration(report.handle_time.p50_seconds),
      `p90 ${duration(report.handle_time.p90_seconds)}`, "handle"),
    figure("CSAT", csat && csat.average !== null ? csat.average.toFixed(2) : "–",
      csat ? `${csat.count} ratings` : "not recorded", "csat"),
    figure("Thumbs", thumbs ? `${thumbs.up} / ${thumbs.down}` : "–",
      thumbs ? "up / down" : "not recorded", "thumbs"),
  );
  $("summary-notes").textContent = report.notes.join(" ");
}

const PALETTE = ["#0b5cad", "#c2410c", "#15803d", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d"];

function draw(id, config) {
  if (typeof window.Chart !== "function") {
    $("library-missing").hidden = false;
    return;
  }
  if (charts[id]) charts[id].destroy();
  config.options = { responsive: true, maintainAspectRatio: false, animation: false, ...config.options };
  charts[id] = new window.Chart($(id), config);
  $(id).dataset.drawn = "true";
}

function renderCharts(report) {
  const days = report.escalations_by_day.map((day) => day.day);
  const reasons = Object.keys(report.escalations_by_reason);
  draw("chart-escalations", {
    type: "bar",
    data: {
      labels: days,
      datasets: reasons.map((reason, index) => ({
        label: humanReason(reason),
        data: report.escalations_by_day.map((day) => day.by_reason[reason] || 0),
        backgroundColor: PALETTE[index % PALETTE.length],
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  // Minutes once either wait passes two minutes; seconds read better below that.
  const times = [report.time_to_first_claim, report.handle_time];
  const longest = Math.max(0, ...times.map((t) => t.p90_seconds || 0));
  const unit = longest >= 120 ? "minutes" : "seconds";
  $("chart-times-unit").textContent = unit;
  const minutes = (value) => (value === null ? 0 : unit === "minutes" ? value / 60 : value);
  draw("chart-times", {
    type: "bar",
    data: {
      labels: ["first claim", "handle time"],
      datasets: [
        { label: "p50", backgroundColor: PALETTE[0],
          data: [minutes(report.time_to_first_claim.p50_seconds), minutes(report.handle_time.p50_seconds)] },
        { label: "p90", backgroundColor: PALETTE[1],
          data: [minutes(report.time_to_first_claim.p90_seconds), minutes(report.handle_time.p90_seconds)] },
      ],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  const teams = teamChart(report, PALETTE);
  $("chart-teams-unit").textContent = teams.unit;
  draw("chart-teams", teams.config);
  const scores = [1, 2, 3, 4, 5];
  const byScore = (report.csat && report.csat.by_score) || {};
  draw("chart-csat", {
    type: "bar",
    data: {
      labels: scores.map((score) => `${score}★`),
      datasets: [{ label: "chats", backgroundColor: PALETTE[2], data: scores.map((s) => byScore[s] || 0) }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

async function loadSummary() {
  const report = await call(`/api/reports/summary?${range()}`);
  renderFigures(report);
  renderCharts(report);
}

// --- knowledge gaps -------------------------------------------------------------------

async function loadGaps() {
  const gaps = await call(`/api/reports/knowledge-gaps?${range()}&limit=20`);
  $("gaps-count").textContent = gaps.topics.length;
  $("gaps-empty").hidden = gaps.topics.length > 0;
  $("gaps").replaceChildren(...gaps.topics.map((topic) =>
    el("li", { class: "gap", dataset: { testid: "gap-topic", count: topic.count } },
      el("div", { class: "gap-head" },
        el("span", { class: "gap-label" }, topic.label),
        el("span", { class: "gap-count" }, `${topic.count} asked`)),
      el("ul", {}, topic.examples.slice(1).map((example) => el("li", {}, example))))));
}

// --- the knowledge base ---------------------------------------------------------------

async function loadKnowledge() {
  const { documents } = await call("/api/knowledge");
  $("kb-count").textContent = documents.length;
  $("kb-rows").replaceChildren(...documents.map((doc) =>
    el("tr", { dataset: { testid: "kb-row", docId: doc.id } },
      el("td", {}, doc.title, el("br"), el("small", { class: "muted" }, doc.id)),
      el("td", {}, doc.category),
      el("td", {}, doc.passages),
      el("td", {}, new Date(doc.updated_at).toLocaleDateString()),
      el("td", { class: "actions-cell" },
        el("button", { type: "button", dataset: { testid: "kb-delete" }, onclick: () => deleteDocument(doc) }, "Delete")))));
}

async function deleteDocument(doc) {
  if (!window.confirm(`Delete “${doc.title}” from the knowledge base?`)) return;
  try {
    await call(`/api/knowledge/${encodeURIComponent(doc.id)}`, { method: "DELETE" });
    await loadKnowledge();
  } catch (error) {
    notify(error.message, "error");
  }
}

async function upload(event) {
  event.preventDefault();
  const files = $("kb-files").files;
  const status = $("kb-status");
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  status.className = "status";
  status.textContent = `Uploading ${files.length} file(s)…`;
  try {
    // Multipart, so not the JSON helper; same bearer token and error shape.
    const response = await fetch("/api/ingest", {
      method: "POST", headers: { Authorization: `Bearer ${token}` }, body: form,
    });
    const body = await response.json();
    if (!response.ok) throw new ApiError(body.error.code, body.error.message, response.status);
    status.textContent = `Added ${body.ingested} article(s), ${body.chunks} passages.`;
    $("kb-files").value = "";
    await loadKnowledge();
  } catch (error) {
    status.className = "status error";
    status.textContent = error.message;
  }
}

// --- agents ---------------------------------------------------------------------------

async function loadAgents() {
  const { agents } = await call("/api/agents");
  $("agents-count").textContent = agents.length;
  $("agent-rows").replaceChildren(...agents.map((agent) => {
    const toggle = el("input", {
      type: "checkbox", checked: agent.is_available, dataset: { testid: "agent-available" },
      "aria-label": `${agent.name} is available`,
    });
    toggle.addEventListener("change", () => setAvailability(agent, toggle));
    return el("tr", { dataset: { testid: "agent-row", agentId: agent.agent_id } },
      el("td", {}, agent.name, el("br"), el("small", { class: "muted" }, agent.agent_id)),
      el("td", {}, [agent.email, agent.phone].filter(Boolean).join(" · ") || el("span", { class: "muted" }, "–")),
      el("td", {}, `${agent.active_rooms} / ${agent.max_concurrent}`),
      el("td", {}, toggle),
      el("td", { class: "actions-cell" },
        el("button", { type: "button", dataset: { testid: "agent-rotate" }, onclick: () => rotate(agent) }, "New token")));
  }));
}

async function setAvailability(agent, toggle) {
  try {
    await call(`/api/agents/${encodeURIComponent(agent.agent_id)}/availability`, {
      method: "PUT", body: { is_available: toggle.checked },
    });
  } catch (error) {
    toggle.checked = !toggle.checked;
    notify(error.message, "error");
  }
}

function showToken(agent) {
  $("token-owner").textContent = agent.name;
  $("token-value").textContent = agent.token;
  $("token-shown").hidden = false;
}

async function rotate(agent) {
  if (!window.confirm(`Give ${agent.name} a new token? The old one stops working at once.`)) return;
  try {
    showToken(await call(`/api/agents/${encodeURIComponent(agent.agent_id)}/token`, { method: "POST" }));
  } catch (error) {
    notify(error.message, "error");
  }
}

async function createAgent(event) {
  event.preventDefault();
  const data = new FormData(event.target);
  const body = { name: data.get("name").trim(), max_concurrent: Number(data.get("max_concurrent") || 3) };
  for (const field of ["agent_id", "email", "phone"]) {
    const value = String(data.get(field) || "").trim();
    if (value) body[field] = value;
  }
  try {
    showToken(await call("/api/agents", { method: "POST", body }));
    event.target.reset();
    await Promise.all([loadAgents(), loadTeams(call)]); // the teams' agent pickers too
  } catch (error) {
    notify(error.message, "error");
  }
}

// --- wiring ---------------------------------------------------------------------------

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("sign-in-error").textContent = "";
  try {
    await signIn($("token-input").value.trim());
  } catch (error) {
    $("sign-in-error").textContent = error.status === 401 || error.status === 403
      ? "That is not the admin token." : error.message;
  }
});
$("sign-out").addEventListener("click", () => signOut());
$("refresh").addEventListener("click", () => refresh());
$("range").addEventListener("change", () => Promise.all([loadSummary(), loadGaps()]).catch((e) => notify(e.message, "error")));
$("kb-form").addEventListener("submit", upload);
$("agent-form").addEventListener("submit", createAgent);
wireSites(call);
wireTeams(call);

if (token) signIn(token).catch(() => signOut());

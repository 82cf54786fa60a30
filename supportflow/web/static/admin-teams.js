// The admin page's teams: add a team with the topics it takes (knowledge-base categories,
// escalation reasons), put agents in it or take them out, delete it; and the report's split
// by team as a chart. `call(path, options)` is the page's authenticated REST call.
import { el, notify } from "/web/static/common.js";

const $ = (id) => document.getElementById(id);

function topics(text) {
  return String(text || "")
    .split(",")
    .map((topic) => topic.trim().toLowerCase())
    .filter(Boolean);
}

export async function loadTeams(call) {
  const [{ teams }, { agents }] = await Promise.all([call("/api/teams"), call("/api/agents")]);
  const names = Object.fromEntries(agents.map((agent) => [agent.agent_id, agent.name]));
  $("teams-count").textContent = teams.length;
  $("team-rows").replaceChildren(...teams.map((team) => teamRow(call, team, agents, names)));
}

function teamRow(call, team, agents, names) {
  const outside = agents.filter((agent) => !team.agent_ids.includes(agent.agent_id));
  const picker = el(
    "select",
    { "aria-label": `Agent to add to ${team.name}`, dataset: { testid: "team-member-select" } },
    outside.map((agent) => el("option", { value: agent.agent_id }, agent.name)),
  );
  const members = team.agent_ids.map((agentId) =>
    el(
      "li",
      { dataset: { testid: "team-member", agentId } },
      names[agentId] || agentId,
      " ",
      el(
        "button",
        {
          type: "button",
          class: "link",
          "aria-label": `Take ${names[agentId] || agentId} out of ${team.name}`,
          onclick: () => change(call, `/api/teams/${enc(team.team_id)}/members/${enc(agentId)}`, "DELETE"),
        },
        "remove",
      ),
    ),
  );
  return el(
    "tr",
    { dataset: { testid: "team-row", teamId: team.team_id } },
    el("td", {}, team.name, el("br"), el("small", { class: "muted" }, team.team_id)),
    el(
      "td",
      {},
      team.categories.length ? `categories: ${team.categories.join(", ")}` : "",
      team.categories.length && team.reasons.length ? el("br") : null,
      team.reasons.length ? `reasons: ${team.reasons.join(", ")}` : "",
      !team.categories.length && !team.reasons.length ? el("span", { class: "muted" }, "none") : null,
    ),
    el("td", {}, el("ul", { class: "members" }, members)),
    el(
      "td",
      { class: "actions-cell" },
      outside.length ? picker : null,
      outside.length
        ? el(
            "button",
            {
              type: "button",
              dataset: { testid: "team-member-add" },
              onclick: () => change(call, `/api/teams/${enc(team.team_id)}/members/${enc(picker.value)}`, "PUT"),
            },
            "Add agent",
          )
        : null,
      " ",
      el("button", { type: "button", dataset: { testid: "team-delete" }, onclick: () => remove(call, team) }, "Delete"),
    ),
  );
}

function enc(value) {
  return encodeURIComponent(value);
}

async function change(call, path, method) {
  try {
    await call(path, { method });
    await loadTeams(call);
  } catch (error) {
    notify(error.message, "error");
  }
}

async function remove(call, team) {
  if (!window.confirm(`Delete the ${team.name} team? Its chats waiting now go to everyone.`)) return;
  await change(call, `/api/teams/${enc(team.team_id)}`, "DELETE");
}

export function wireTeams(call) {
  $("team-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      name: String(data.get("name")).trim(),
      categories: topics(data.get("categories")),
      reasons: topics(data.get("reasons")),
    };
    try {
      await call("/api/teams", { method: "POST", body });
      event.target.reset();
      await loadTeams(call);
    } catch (error) {
      notify(error.message, "error");
    }
  });
}

/** The report's `by_team` as Chart.js bar chart data: escalations, widened, p50 first claim. */
export function teamChart(report, palette) {
  const rows = report.by_team;
  const longest = Math.max(0, ...rows.map((row) => row.time_to_first_claim.p50_seconds || 0));
  const unit = longest >= 120 ? "minutes" : "seconds";
  const scale = (value) => (value === null ? 0 : unit === "minutes" ? value / 60 : value);
  return {
    unit,
    config: {
      type: "bar",
      data: {
        labels: rows.map((row) => row.name || (row.team_id ? row.team_id : "no team")),
        datasets: [
          { label: "escalations", backgroundColor: palette[0], data: rows.map((row) => row.escalations), yAxisID: "y" },
          { label: "to everyone", backgroundColor: palette[1], data: rows.map((row) => row.widened), yAxisID: "y" },
          {
            label: `first claim p50 (${unit})`,
            backgroundColor: palette[2],
            data: rows.map((row) => scale(row.time_to_first_claim.p50_seconds)),
            yAxisID: "wait",
          },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, position: "left" },
          wait: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false } },
        },
      },
    },
  };
}

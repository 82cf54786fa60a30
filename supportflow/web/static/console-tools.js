// The agent console's room tools, each wired into one room panel by console.js: the context
// of a claimed chat (whole conversation, escalation reasons, articles the bot used), private
// notes, transfer to another agent, and canned replies typed as "/shortcut".
import { api, el, emit, helpUrl, humanReason, notify } from "./common.js";
import { showArticlePick } from "./console-learning.js";

/** A REST transcript message in the shape of a `new_message` event (what Transcript draws). */
export function asEvent(message) {
  const event = { ...message };
  for (const key of ["confidence", "sources", "related", "considered", "csat_request"]) {
    if (message.metadata && key in message.metadata) event[key] = message.metadata[key];
  }
  if (message.visibility !== "agents") delete event.visibility;
  return event;
}

/**
 * Load the whole conversation of a room over REST (the join ack carries only the last 50
 * messages) and show the context an agent needs on taking it: why it was escalated and the
 * knowledge articles the bot answered from.
 */
export async function loadContext(room, { token, reasons }) {
  const path = `/api/sessions/${encodeURIComponent(room.sessionId)}/messages?after_seq=0&limit=1000`;
  const [{ messages }, about] = await Promise.all([
    api(path, { token }),
    api(`/api/sessions/${encodeURIComponent(room.sessionId)}/context`, { token }).catch(() => null),
  ]);
  room.transcript.addAll(messages.map(asEvent));
  let why = reasons;
  if (!why || !why.length) {
    const latest = [...messages].reverse().find((m) => m.metadata && Array.isArray(m.metadata.reasons));
    why = latest ? latest.metadata.reasons : [];
  }
  const articles = new Map();
  for (const message of messages) {
    if (message.sender_type !== "bot") continue;
    for (const source of (message.metadata && message.metadata.sources) || []) {
      const known = articles.get(source.id);
      articles.set(source.id, { ...source, uses: (known ? known.uses : 0) + 1 });
    }
  }
  const box = room.find(".room-context");
  box.replaceChildren(
    el("h4", {}, "Before you"),
    el(
      "p",
      { class: "context-line" },
      `${messages.filter((m) => m.sender_type === "user").length} customer message(s), ` +
        `${messages.filter((m) => m.sender_type === "bot").length} bot answer(s) before the hand-off.`,
    ),
    el(
      "div",
      { class: "context-line" },
      el("span", { class: "context-label" }, "Escalated because: "),
      el(
        "ul",
        { class: "reasons", dataset: { testid: "context-reasons" } },
        why.length ? why.map((reason) => el("li", { class: "chip" }, humanReason(reason))) : el("li", {}, "not recorded"),
      ),
    ),
    el(
      "div",
      { class: "context-line" },
      el("span", { class: "context-label" }, "Articles the bot used: "),
      el(
        "ul",
        { class: "context-articles", dataset: { testid: "context-articles" } },
        articles.size
          ? [...articles.values()].map((a) =>
              el(
                "li",
                { dataset: { sourceId: a.id }, title: a.id },
                el("a", { href: helpUrl(a.id), target: "_blank", rel: "noopener" }, a.title || a.id),
                a.uses > 1 ? ` (×${a.uses})` : "",
              ),
            )
          : el("li", {}, "none"),
      ),
    ),
  );
  if (about) box.append(customerLine(about));
  box.hidden = false;
  showArticlePick(room, messages, { token: () => token });
}

/** Who the customer is, as far as supportflow knows: the site's page and its attributes. */
function customerLine(about) {
  const facts = [];
  if (about.name || about.email) facts.push([about.name, about.email].filter(Boolean).join(" · "));
  if (about.site_id) {
    facts.push(`on ${about.site_name || about.site_id}`);
    facts.push(about.verified ? "signed in (verified by the site)" : "not signed in");
  }
  const attributes = Object.entries(about.attributes || {});
  return el(
    "div",
    { class: "context-line" },
    el("span", { class: "context-label" }, "Customer: "),
    el("span", { dataset: { testid: "context-customer" } }, facts.join(", ") || "anonymous"),
    attributes.length
      ? el(
          "ul",
          { class: "context-articles", dataset: { testid: "context-attributes" } },
          attributes.map(([key, value]) => el("li", { dataset: { key } }, `${key}: ${value}`)),
        )
      : null,
  );
}

/** The "Private note" form: `add_note`, shown to agents and admins only. */
export function wireNotes(room, socket) {
  const form = room.find(".note-form");
  const input = room.find('[data-testid="note-input"]');
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const button = room.find('[data-testid="note-button"]');
    button.disabled = true;
    try {
      await emit(socket(), "add_note", { room_id: room.roomId, text });
      input.value = "";
    } catch (error) {
      notify(`Note refused: ${error.message}`, "error");
    } finally {
      button.disabled = false;
    }
  });
}

/** The Transfer button: pick an available agent, then `transfer_room`. */
export function wireTransfer(room, { socket, token, me, names }) {
  const button = room.find('[data-testid="transfer-button"]');
  const picker = room.find(".transfer-picker");
  const select = room.find('[data-testid="transfer-select"]');
  const confirm = room.find('[data-testid="transfer-confirm"]');
  button.addEventListener("click", async () => {
    if (!picker.hidden) {
      picker.hidden = true;
      return;
    }
    let agents;
    let teams;
    try {
      [{ agents }, { teams }] = await Promise.all([
        api("/api/agents/available", { token: token() }),
        api("/api/teams", { token: token() }),
      ]);
    } catch (error) {
      notify(`Could not list agents and teams: ${error.message}`, "error");
      return;
    }
    const others = agents.filter((agent) => agent.agent_id !== me().agent_id);
    for (const agent of others) names[agent.agent_id] = agent.name;
    for (const team of teams) names[`team:${team.team_id}`] = `the ${team.name} team`;
    // An agent directly, or a team's queue (its available agents are alerted first).
    select.replaceChildren(
      el(
        "optgroup",
        { label: "Agents" },
        others.map((agent) => {
          const full = agent.active_rooms >= agent.max_concurrent;
          return el(
            "option",
            { value: agent.agent_id, disabled: full || undefined },
            `${agent.name} (${agent.active_rooms}/${agent.max_concurrent} chats)${full ? " · full" : ""}`,
          );
        }),
      ),
      el(
        "optgroup",
        { label: "Team queues" },
        teams.map((team) => el("option", { value: `team:${team.team_id}` }, `${team.name} (queue)`)),
      ),
    );
    const open = others.some((agent) => agent.active_rooms < agent.max_concurrent) || teams.length > 0;
    confirm.disabled = !open;
    room.find(".transfer-empty").hidden = open;
    picker.hidden = false;
    select.focus();
  });
  room.find(".transfer-cancel").addEventListener("click", () => {
    picker.hidden = true;
  });
  confirm.addEventListener("click", async () => {
    const target = select.value;
    if (!target) return;
    confirm.disabled = true;
    try {
      const to = target.startsWith("team:")
        ? { team_id: target.slice("team:".length) }
        : { agent_id: target };
      const ack = await emit(socket(), "transfer_room", { room_id: room.roomId, ...to });
      picker.hidden = true;
      room.setState(ack.state, ack.agent_id);
      notify(`Transferred ${room.userId}'s chat to ${names[target] || target}.`);
    } catch (error) {
      notify(`Transfer refused: ${error.message}`, "error");
    } finally {
      confirm.disabled = false;
    }
  });
}

/** "/" plus a shortcut in the reply box offers the matching canned replies, filled in. */
export function wireCannedReplies(room, { token }) {
  const input = room.input;
  const list = room.find(".canned-list");
  let asked = 0;
  const close = () => {
    list.hidden = true;
    list.replaceChildren();
  };
  const choose = (reply) => {
    input.value = reply.rendered || reply.text;
    close();
    input.focus();
  };
  input.addEventListener("input", async () => {
    const match = /^\/([a-z0-9_-]{0,32})$/.exec(input.value);
    if (!match) return close();
    const mine = ++asked;
    let replies;
    try {
      const query = `prefix=${encodeURIComponent(match[1])}&room_id=${encodeURIComponent(room.roomId)}`;
      ({ canned_replies: replies } = await api(`/api/canned-replies?${query}`, { token: token() }));
    } catch {
      return close();
    }
    if (mine !== asked) return; // a later keystroke already asked again
    list.replaceChildren(
      ...replies.map((reply) => {
        const option = el(
          "li",
          { role: "option", tabindex: "-1", dataset: { testid: "canned-option", shortcut: reply.shortcut } },
          el("b", {}, `/${reply.shortcut}`),
          ` ${reply.title || ""} — `,
          el("span", { class: "canned-text" }, reply.rendered || reply.text),
        );
        option.addEventListener("mousedown", (event) => {
          event.preventDefault(); // keep the focus in the reply box
          choose(reply);
        });
        return option;
      }),
    );
    list.hidden = replies.length === 0;
    list.dataset.first = replies.length ? replies[0].shortcut : "";
    list.replies = replies;
  });
  input.addEventListener(
    "keydown",
    (event) => {
      // Tab (or Enter) takes the first offer while the list is open.
      if (!list.hidden && list.replies?.length && (event.key === "Tab" || event.key === "Enter")) {
        event.preventDefault();
        event.stopImmediatePropagation();
        choose(list.replies[0]);
      } else if (event.key === "Escape") close();
    },
    { capture: true },
  );
  input.addEventListener("blur", () => setTimeout(close, 150));
}

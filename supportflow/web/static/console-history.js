// The customer's earlier chats, shown in a room panel when an agent takes the chat
// (GET /api/sessions/<id>/history): date, topic, who handled it, rating; each openable.
import { Transcript, api, el, humanReason } from "./common.js";
import { asEvent } from "./console-tools.js";

/** Fill the room's history box; an unknown or first-time customer leaves it hidden. */
export async function loadHistory(room, { token, names }) {
  const box = room.find(".room-history");
  const base = `/api/sessions/${encodeURIComponent(room.sessionId)}/history`;
  const { conversations } = await api(base, { token });
  if (!conversations.length) {
    box.hidden = true;
    return;
  }
  const viewer = el("div", { class: "history-viewer", dataset: { testid: "history-transcript" }, hidden: true });
  const open = async (chat, button) => {
    button.disabled = true;
    try {
      const { messages } = await api(`${base}/${encodeURIComponent(chat.session_id)}/messages`, { token });
      const list = el("ol", { class: "transcript", tabindex: "0", "aria-label": "Earlier chat" });
      new Transcript(list, { viewer: "agent", names }).addAll(messages.map(asEvent));
      viewer.replaceChildren(
        el("h5", {}, `Chat of ${new Date(chat.started_at).toLocaleDateString()}`),
        list,
        el("button", { type: "button", onclick: () => (viewer.hidden = true) }, "Close"),
      );
      viewer.hidden = false;
    } finally {
      button.disabled = false;
    }
  };
  box.replaceChildren(
    el("h4", {}, `Earlier chats (${conversations.length})`),
    el(
      "ul",
      { class: "history-list", dataset: { testid: "history-list" } },
      conversations.map((chat) => {
        const button = el("button", { type: "button", class: "link", dataset: { testid: "history-open" } }, "Open");
        button.addEventListener("click", () => open(chat, button));
        return el(
          "li",
          { dataset: { testid: "history-item", sessionId: chat.session_id } },
          el("time", { datetime: chat.started_at }, new Date(chat.started_at).toLocaleDateString()),
          " · ",
          el("span", { class: "history-topic" }, chat.topic || "(no message)"),
          " · ",
          chat.agent_id ? `handled by ${chat.agent_name || chat.agent_id}` : "the bot only",
          chat.reasons.length ? ` (${chat.reasons.map(humanReason).join(", ")})` : "",
          " · ",
          el("span", { dataset: { testid: "history-rating" } }, chat.rating ? `rated ${chat.rating}/5` : "not rated"),
          " ",
          button,
        );
      }),
    ),
    viewer,
  );
  box.hidden = false;
}

// What the customer chat does differently on /chat and inside the website widget's frame.
// /chat uses these defaults; the widget's frame (widget-frame.js) replaces them before it
// loads chat.js, so the same chat code serves both.
import { api } from "./common.js";

export const chatOptions = {
  /** Where the chat's session is kept in this origin's localStorage. */
  storeKey: "supportflow.chat.session",
  /** Start a chat; resolves to what is kept: {session_id, room_id, token, user_id, ...}. */
  async createSession() {
    // The server chooses an anonymous user id: a page cannot prove who its visitor is.
    const created = await api("/api/sessions", { method: "POST", body: {} });
    const { session_id, room_id, token, user_id } = created;
    return { session_id, room_id, token, user_id };
  },
  /** Resolves when a stored chat may be reopened (the widget first hears who the visitor is). */
  startup: Promise.resolve(),
};

/** Tell whoever embeds the chat what happened: `chat:<kind>` events on the document. */
export function announce(kind, detail) {
  document.dispatchEvent(new CustomEvent(`chat:${kind}`, { detail }));
}

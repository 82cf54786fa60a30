// Shared by the chat page and the agent console: REST calls, the Socket.IO connection,
// small DOM helpers and message rendering. Plain ES modules, no build step.
import { renderMarkdown } from "./markdown.js";

/** An error the server refused with: `code` is its snake_case error code. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** Call the REST API; resolves to the JSON body (or text), rejects with an ApiError. */
export async function api(path, { token, method = "GET", body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError("network_error", "The server could not be reached.", 0);
  }
  const type = response.headers.get("Content-Type") || "";
  const payload = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = (payload && payload.error) || {};
    throw new ApiError(error.code || "http_error", error.message || response.statusText, response.status);
  }
  return payload;
}

/** Emit a Socket.IO event and wait for its ack; rejects with an ApiError when not ok. */
export function emit(socket, event, payload, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => {
      if (err) return reject(new ApiError("timeout", `No answer to ${event} in time.`, 0));
      if (ack && ack.ok) return resolve(ack);
      const error = (ack && ack.error) || {};
      reject(new ApiError(error.code || "refused", error.message || `${event} was refused.`, 0));
    });
  });
}

/** The Socket.IO client, or null (with the page told why) when it is not installed. */
export function socketIoOrExplain() {
  if (typeof window.io === "function") return window.io;
  const banner = document.getElementById("library-missing");
  if (banner) banner.hidden = false;
  return null;
}

/** Connect with a token in the Socket.IO auth object (never in the URL). */
export function connect(io, token) {
  return io({ auth: { token }, transports: ["websocket", "polling"] });
}

/** True when a connect_error is the server refusing the token (not a network failure). */
export function isRefusal(socket, error) {
  // The server refuses in its connect handler; the client then stops retrying on its own.
  return !socket.active || /unauthorized/.test(String(error && error.message));
}

/**
 * Call `handle({code, message})` when the server says it is dropping this socket because its
 * token died (`disconnect_reason`: token_expired, room_closed, agent_disabled, token_rotated...).
 * socket.io-client never retries a server-side disconnect, so the page must say why and
 * stop: the socket is closed on our side at once, before the server's disconnect lands, so
 * no "reconnecting" state is ever shown for it.
 */
export function onDropped(socket, handle) {
  socket.on("disconnect_reason", (reason) => {
    socket.close();
    handle({ code: String(reason?.code || "unauthorized"), message: String(reason?.message || "") });
  });
}

/** The server's own words as a sentence: capitalised, with a full stop. */
export function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Create an element: el("li", {class: "x", dataset: {testid: "y"}}, child, "text"). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function newClientMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function clockTime(iso) {
  const when = new Date(iso);
  return Number.isNaN(when.getTime())
    ? ""
    : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** "just now", "4 min", "1 h 5 min": how long since `iso`. */
export function waited(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60000));
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function humanReason(reason) {
  return String(reason).replaceAll("_", " ");
}

/** A room transcript on screen, keyed by seq: `lastSeq` is where a `sync` resumes. */
export class Transcript {
  /** Renders `new_message` payloads into `list` once each, in seq order. */
  constructor(list, { viewer, names = {} } = {}) {
    this.list = list;
    this.viewer = viewer; // "user" or "agent": whose messages sit on the right
    this.names = names;
    this.bySeq = new Map();
  }

  get lastSeq() {
    let last = 0;
    for (const seq of this.bySeq.keys()) last = Math.max(last, seq);
    return last;
  }

  clear() {
    this.bySeq.clear();
    this.list.replaceChildren();
  }

  addAll(messages) {
    for (const message of messages || []) this.add(message);
  }

  /** Add one message; a seq already shown is ignored (join and live events overlap). */
  add(message) {
    if (!message || typeof message.seq !== "number" || this.bySeq.has(message.seq)) return false;
    const item = this.render(message);
    this.bySeq.set(message.seq, item);
    const later = [...this.list.children].find((child) => Number(child.dataset.seq) > message.seq);
    this.list.insertBefore(item, later || null);
    this.list.scrollTop = this.list.scrollHeight;
    return true;
  }

  render(message) {
    const kind = message.sender_type;
    const mine = kind === this.viewer;
    const note = message.visibility === "agents"; // a private note (agents' view only)
    const item = el("li", {
      class: `message message-${kind}${mine ? " mine" : ""}${note ? " message-note" : ""}`,
      dataset: { testid: note ? "note-message" : `${kind}-message`, seq: String(message.seq) },
    });
    if (note) {
      item.append(el("span", { class: "sender" }, `Private note · ${this.senderName(message) || "supportflow"}`));
    } else if (kind !== "system") {
      item.append(el("span", { class: "sender" }, this.senderName(message)));
    }
    item.append(messageText(message));
    if (kind === "bot") item.append(...botDetails(message, this.viewer));
    item.append(el("time", { class: "time", datetime: message.created_at }, clockTime(message.created_at)));
    return item;
  }

  senderName(message) {
    switch (message.sender_type) {
      case "user":
        return this.viewer === "user" ? "You" : message.sender_id || "Customer";
      case "bot":
        return "Assistant";
      case "agent":
        if (this.viewer === "agent" && message.sender_id === this.names.self) return "You";
        return this.names[message.sender_id] || message.sender_id || "Agent";
      default:
        return "";
    }
  }
}

/**
 * A message's text: the bot's and agents' as Markdown, rendered safely (markdown.js); a
 * customer's and the system's exactly as typed.
 */
export function messageText(message) {
  const text = String(message.message ?? "");
  if (message.sender_type === "bot" || message.sender_type === "agent") {
    return renderMarkdown(el("div", { class: "text markdown" }), text);
  }
  return el("p", { class: "text" }, text);
}

/** The help-center page of an article (what every citation links to). */
export function helpUrl(articleId) {
  return `/help/${encodeURIComponent(articleId)}`;
}

/** Links to articles' help-center pages, each opening beside the chat. */
export function articleLinks(articles, testid) {
  return el(
    "ul",
    {},
    articles.map((article) =>
      el(
        "li",
        { dataset: { testid, sourceId: article.id } },
        el("a", { href: helpUrl(article.id), target: "_blank", rel: "noopener" }, article.title || article.id),
      ),
    ),
  );
}

function botDetails(message, viewer) {
  const parts = [];
  if (viewer === "agent" && typeof message.query === "string" && message.query !== message.message) {
    // Why the bot answered what it did: the query it searched (a follow-up's is fused).
    parts.push(el("p", { class: "searched", dataset: { testid: "searched-query" } }, `Searched: ${message.query}`));
  }
  const sources = Array.isArray(message.sources) ? message.sources : [];
  if (sources.length) {
    parts.push(
      el(
        "div",
        { class: "sources" },
        el("span", { class: "sources-label" }, sources.length > 1 ? "Sources:" : "Source:"),
        articleLinks(sources, "citation"),
      ),
    );
  }
  const quoted = new Set(sources.map((source) => source.id));
  const considered = (Array.isArray(message.considered) ? message.considered : []).filter((a) => !quoted.has(a.id));
  if (viewer === "agent" && considered.length) {
    // What else retrieval ranked: where an agent looks when the bot's article was not it.
    parts.push(
      el(
        "div",
        { class: "sources sources-considered" },
        el("span", { class: "sources-label" }, "Also considered:"),
        articleLinks(considered, "considered"),
      ),
    );
  }
  if (typeof message.confidence === "number") {
    const level = message.confidence >= 0.75 ? "high" : message.confidence >= 0.5 ? "medium" : "low";
    const words = { high: "confident", medium: "fairly sure", low: "unsure" }[level];
    parts.push(
      el(
        "span",
        {
          class: `confidence confidence-${level}`,
          dataset: { testid: "confidence" },
          title: `Answer confidence ${Math.round(message.confidence * 100)}%`,
        },
        words,
      ),
    );
  }
  return parts;
}

/** Show a short notice in the page's live region (screen readers announce it too). */
export function notify(text, kind = "info") {
  const region = document.getElementById("notices");
  if (!region) return;
  const notice = el("p", { class: `notice notice-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
  region.append(notice);
  setTimeout(() => notice.remove(), kind === "error" ? 9000 : 5000);
}

/** Send `typing` on input, and `is_typing: false` after a pause or on send. */
export function typingSender(send) {
  let timer = null;
  let typing = false;
  const stop = () => {
    clearTimeout(timer);
    timer = null;
    if (typing) {
      typing = false;
      send(false);
    }
  };
  return {
    input() {
      if (!typing) {
        typing = true;
        send(true);
      }
      clearTimeout(timer);
      timer = setTimeout(stop, 2500);
    },
    stop,
  };
}

export const STATE_LABELS = {
  bot_active: "Assistant",
  escalating: "Waiting for an agent",
  agent_assigned: "With an agent",
  closed: "Closed",
};

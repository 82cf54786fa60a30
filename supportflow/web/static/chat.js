// The customer chat page: one session (kept in localStorage so a reload resumes it), its
// room over Socket.IO, and the transcript restored by `sync` after every (re)connect. The
// website widget's frame runs this same module (chat-options.js says what differs).
import {
  ApiError,
  STATE_LABELS,
  Transcript,
  connect,
  el,
  emit,
  isRefusal,
  newClientMsgId,
  notify,
  onDropped,
  sentence,
  socketIoOrExplain,
  typingSender,
} from "./common.js";
import { offerFeedback, resetFeedback, retireFeedback } from "./chat-feedback.js";
import { announce, chatOptions } from "./chat-options.js";
import { renderMarkdown } from "./markdown.js";

const STORE_KEY = chatOptions.storeKey;
const $ = (id) => document.getElementById(id);

const ui = {
  connection: $("connection"),
  state: $("room-state"),
  queue: $("queue-info"),
  agent: $("agent-info"),
  typing: $("typing"),
  welcome: $("welcome"),
  composer: $("composer"),
  input: $("message-input"),
  send: document.querySelector('[data-testid="send-button"]'),
  escalate: $("escalate-button"),
  close: $("close-button"),
  newChat: $("new-chat-button"),
  ended: $("chat-ended"),
};

// What the customer reads when the server drops the socket (`disconnect_reason`); any other
// code shows the server's own message.
const ENDED_TEXT = {
  room_closed: "This chat has ended. Thank you for contacting us! Start a new chat if you need anything else.",
  token_expired: "This chat has expired. Start a new chat to keep going.",
};

const transcript = new Transcript($("transcript"), { viewer: "user" });
const streamed = new Map(); // reply_id -> the text of a reply being written (message_delta)
let session = loadSession();
Object.assign(transcript.names, session?.agent_names || {});
let socket = null;
let roomState = null;
let joining = null; // the join + sync of the latest (re)connect
let ended = false; // the server dropped this chat's socket: nothing more can be sent in it
const io = socketIoOrExplain();

function loadSession() {
  try {
    const stored = JSON.parse(localStorage.getItem(STORE_KEY) || "null");
    return stored && stored.token && stored.room_id ? stored : null;
  } catch {
    return null;
  }
}

function saveSession(value) {
  session = value;
  if (value) localStorage.setItem(STORE_KEY, JSON.stringify(value));
  else localStorage.removeItem(STORE_KEY);
}

function setConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

function showState(state, agentName) {
  roomState = state;
  ui.state.dataset.state = state || "none";
  ui.state.textContent = state ? STATE_LABELS[state] || state : "New chat";
  if (state !== "escalating") ui.queue.textContent = "";
  if (state !== "agent_assigned") ui.agent.textContent = "";
  else if (agentName) ui.agent.textContent = `${agentName} is helping you`;
  const closed = state === "closed" || ended;
  if (closed) for (const old of document.querySelectorAll(".quick-replies")) old.remove();
  // A closed room accepts only `rate`: anything else from this socket would get it dropped.
  for (const thumb of document.querySelectorAll(".thumb")) thumb.disabled = closed;
  ui.escalate.hidden = closed;
  ui.escalate.disabled = Boolean(state) && state !== "bot_active";
  ui.close.hidden = closed || !session;
  ui.newChat.hidden = !closed;
  ui.input.disabled = closed || !io;
  ui.send.disabled = closed || !io;
  ui.welcome.hidden = transcript.bySeq.size > 0 || closed;
}

function showQueue(message) {
  if (typeof message.queue_position !== "number") return;
  const wait = message.estimated_wait_seconds;
  const waitText = typeof wait === "number" ? ` · about ${Math.max(1, Math.round(wait / 60))} min` : "";
  ui.queue.textContent = `You are number ${message.queue_position} in the queue${waitText}`;
}

async function startSession() {
  saveSession(await chatOptions.createSession());
  announce("session", session);
  openSocket();
  // Send only once the room is joined, so our own message and the reply arrive live.
  await new Promise((resolve) => socket.once("connect", resolve));
  await joining;
}

function openSocket() {
  if (socket) socket.close();
  setConnection("connecting", "Connecting…");
  socket = connect(io, session.token);
  socket.on("connect", () => {
    joining = joinAndCatchUp().catch(reportError);
  });
  onDropped(socket, endChat);
  socket.on("disconnect", (reason) => {
    if (reason === "io client disconnect") return;
    setConnection("offline", "Connection lost — reconnecting…");
  });
  socket.on("connect_error", (error) => {
    if (isRefusal(socket, error)) {
      // The token stops working when its room closes: this chat is over for good.
      saveSession(null);
      setConnection("idle", "Not connected");
      transcript.clear();
      showState(null);
      notify("Your previous chat has ended. Ask a new question to start another.");
    } else {
      setConnection("offline", "Cannot reach the server — retrying…");
    }
  });
  socket.on("new_message", (message) => {
    if (message.room_id !== session.room_id) return;
    if (message.reply_id) {
      document.querySelector(`[data-reply-id="${message.reply_id}"]`)?.remove();
      streamed.delete(message.reply_id);
    }
    if (transcript.add(message)) {
      offerThumbs(message);
      offerQuickReplies(message);
      announce("message", message);
    }
    showQueue(message);
    ui.welcome.hidden = true;
    offerFeedback(message, () => socket);
  });
  socket.on("message_delta", (delta) => {
    // The bot's reply as it is written (Groq streaming); the stored new_message replaces it.
    if (delta.room_id !== session.room_id || typeof delta.text !== "string") return;
    let item = document.querySelector(`[data-reply-id="${delta.reply_id}"]`);
    if (!item) {
      item = el(
        "li",
        { class: "message message-bot streaming", dataset: { replyId: delta.reply_id, testid: "streaming-reply" } },
        el("span", { class: "sender" }, "Assistant"),
        el("div", { class: "text markdown" }),
      );
      $("transcript").append(item);
      ui.welcome.hidden = true;
    }
    // The whole text so far, rendered again: a list being written stays one list.
    streamed.set(delta.reply_id, (streamed.get(delta.reply_id) || "") + delta.text);
    renderMarkdown(item.querySelector(".text"), streamed.get(delta.reply_id));
    $("transcript").scrollTop = $("transcript").scrollHeight;
  });
  socket.on("room_state", (change) => {
    if (change.room_id !== session.room_id) return;
    showState(change.state);
    announce("state", change);
  });
  socket.on("agent_joined", (joined) => {
    if (joined.room_id !== session.room_id) return;
    transcript.names[joined.agent_id] = joined.name;
    // agent_joined is not replayed after a reload: remember the name with the session.
    saveSession({ ...session, agent_names: { ...transcript.names } });
    ui.agent.textContent = `${joined.name} is helping you`;
  });
  socket.on("typing", (event) => {
    if (event.room_id !== session.room_id || event.sender_type === "user") return;
    const who =
      event.sender_type === "agent"
        ? transcript.names[event.sender_id] || "The agent"
        : event.sender_type === "bot"
          ? "The assistant"
          : "Someone";
    ui.typing.textContent = event.is_typing ? `${who} is typing…` : "";
  });
}

/** The server dropped the socket (its token died): say why, for good, and offer a new chat. */
function endChat({ code, message }) {
  ended = true;
  localStorage.removeItem(STORE_KEY); // its token no longer opens anything
  typing.stop();
  retireFeedback();
  ui.typing.textContent = "";
  ui.ended.dataset.code = code;
  ui.ended.textContent = ENDED_TEXT[code] || `${sentence(message) || "This chat cannot go on."} Start a new chat to keep going.`;
  ui.ended.hidden = false;
  setConnection("ended", "Chat ended");
  showState(code === "room_closed" ? "closed" : roomState);
}

/** Join the room, then `sync` everything after the last seq on screen (0 after a reload). */
async function joinAndCatchUp() {
  const wasReconnect = ui.connection.dataset.state === "offline";
  const joined = await emit(socket, "join_room", { room_id: session.room_id });
  setConnection("online", "Connected");
  transcript.addAll(joined.messages);
  // The state is shown before the sync: any room_state arriving meanwhile is newer and wins.
  showState(joined.state);
  if (joined.state === "agent_assigned" && joined.agent_id) {
    ui.agent.textContent = `${transcript.names[joined.agent_id] || "An agent"} is helping you`;
  }
  const synced = await emit(socket, "sync", { room_id: session.room_id, after_seq: transcript.lastSeq });
  transcript.addAll(synced.messages);
  for (const message of [...joined.messages, ...synced.messages]) offerThumbs(message);
  const latest = [...joined.messages, ...synced.messages].at(-1);
  if (latest) offerQuickReplies(latest);
  const notices = [...joined.messages, ...synced.messages].filter((m) => typeof m.queue_position === "number");
  if (notices.length && roomState === "escalating") showQueue(notices[notices.length - 1]);
  ui.welcome.hidden = transcript.bySeq.size > 0 || roomState === "closed";
  if (wasReconnect) notify("Reconnected — you are up to date.");
}

async function sendMessage(event) {
  event.preventDefault();
  const text = ui.input.value.trim();
  if (!text || !io || ended || roomState === "closed") return;
  ui.send.disabled = true;
  try {
    if (!session) await startSession();
    typing.stop();
    await emit(socket, "send_message", {
      room_id: session.room_id,
      message: text,
      client_msg_id: newClientMsgId(),
    });
    ui.input.value = "";
  } catch (error) {
    reportError(error);
  } finally {
    ui.send.disabled = roomState === "closed";
    ui.input.focus();
  }
}

async function roomAction(eventName, button) {
  if (!io) return;
  button.disabled = true;
  try {
    // "Talk to a person" is a fine first move: it starts the chat it escalates.
    if (!session && eventName === "escalate") await startSession();
    if (!session) return;
    await emit(socket, eventName, { room_id: session.room_id });
  } catch (error) {
    reportError(error);
  } finally {
    button.disabled = false;
    showState(roomState);
  }
}

/** Thumbs up / down under a bot answer (one that cites articles); down hands over. */
function offerThumbs(message) {
  const sources = Array.isArray(message.sources) ? message.sources : [];
  if (message.sender_type !== "bot" || !sources.length) return;
  const item = transcript.bySeq.get(message.seq);
  if (!item || item.querySelector(".thumbs")) return;
  const send = async (verdict, button) => {
    try {
      await emit(socket, "feedback", { room_id: session.room_id, seq: message.seq, verdict });
      for (const other of item.querySelectorAll(".thumb")) other.setAttribute("aria-pressed", "false");
      button.setAttribute("aria-pressed", "true");
    } catch (error) {
      reportError(error);
    }
  };
  const thumb = (verdict, label, symbol) => {
    const button = el("button", { type: "button", class: "thumb", "aria-label": label, "aria-pressed": "false", dataset: { testid: `thumb-${verdict}` } }, symbol);
    button.addEventListener("click", () => send(verdict, button));
    return button;
  };
  item.append(el("div", { class: "thumbs", role: "group", "aria-label": "Was this helpful?" }, thumb("up", "This helped", "👍"), thumb("down", "This didn't help", "👎")));
}

/**
 * Quick replies under the latest bot message: a clarifying question's suggestions (and "None
 * of these"), an off-topic reply's topics (and "Talk to a person"), or the related articles
 * of an answer ("Also: ..."). A click sends that title
 * as the customer's reply.
 */
function offerQuickReplies(message) {
  for (const old of document.querySelectorAll(".quick-replies")) old.remove();
  if (message.sender_type !== "bot" || roomState === "closed") return;
  const suggestions = Array.isArray(message.suggestions) ? message.suggestions : [];
  const related = Array.isArray(message.related) ? message.related : [];
  const item = transcript.bySeq.get(message.seq);
  if (!item || (!suggestions.length && !related.length)) return;
  const choose = (text) => {
    for (const old of document.querySelectorAll(".quick-replies")) old.remove();
    ui.input.value = text;
    ui.composer.requestSubmit();
  };
  const button = (text, label, testid, extra = "") =>
    el("button", { type: "button", class: `quick-reply${extra}`, dataset: { testid }, onclick: () => choose(text) }, label);
  let buttons;
  let label;
  if (suggestions.length && message.act === "off_topic") {
    // Off the knowledge base: two likely topics, or a person (docs/reading.md).
    buttons = suggestions.map((suggestion) => button(suggestion.title, suggestion.title, "quick-reply"));
    buttons.push(button("Talk to a person", "Talk to a person", "quick-reply", " quick-reply-none"));
    label = "Topics I can help with";
  } else if (suggestions.length) {
    buttons = suggestions.map((suggestion) => button(suggestion.title, suggestion.title, "quick-reply"));
    buttons.push(button("None of these", "None of these", "quick-reply", " quick-reply-none"));
    label = "Suggested answers";
  } else {
    buttons = related.map((article) => button(article.title, `Also: ${article.title}`, "related-reply"));
    label = "Related questions";
  }
  item.append(el("div", { class: "quick-replies", role: "group", "aria-label": label }, buttons));
}

function reportError(error) {
  const text = error instanceof ApiError ? error.message : "Something went wrong.";
  notify(text.charAt(0).toUpperCase() + text.slice(1), "error");
}

const typing = typingSender((isTyping) => {
  // Not into a closed room, even "stopped typing": the socket would be dropped, and with it
  // the customer's chance to rate the chat.
  if (socket && socket.connected && session && !ended && roomState !== "closed") {
    socket.emit("typing", { room_id: session.room_id, is_typing: isTyping });
  }
});

ui.composer.addEventListener("submit", sendMessage);
ui.input.addEventListener("input", () => typing.input());
ui.input.addEventListener("keydown", (event) => {
  // Enter sends, Shift+Enter is a new line: what every chat box does.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.composer.requestSubmit();
  }
});
ui.escalate.addEventListener("click", () => roomAction("escalate", ui.escalate));
ui.close.addEventListener("click", () => roomAction("close_room", ui.close));
ui.newChat.addEventListener("click", () => {
  useSession(null);
  ui.input.focus();
});

/** The chat on screen (what is kept in storage), or null before the first message. */
export function currentSession() {
  return session;
}

/** Show `value`'s chat instead of the current one (null: none until the next message). */
export function useSession(value) {
  if (socket) socket.close();
  socket = null;
  ended = false;
  ui.ended.hidden = true;
  saveSession(value);
  transcript.clear();
  Object.assign(transcript.names, value?.agent_names || {});
  resetFeedback();
  setConnection("idle", "Not connected");
  showState(null);
  announce("session", session);
  if (session && io) openSocket();
}

showState(null);
if (!io) {
  setConnection("offline", "Live chat unavailable");
} else {
  chatOptions.startup.then(() => {
    if (session && !socket) openSocket();
  });
}

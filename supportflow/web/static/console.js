// The agent console: sign in with an agent token (sessionStorage), keep a live queue
// (GET /api/escalations on sign-in and reconnect, then escalation_alert / escalation_claimed /
// room_state), and work several claimed rooms at once, each caught up with `sync`. The queue
// shows every waiting chat ("All") or those routed to the agent's teams ("My teams").
import {
  ApiError,
  STATE_LABELS,
  Transcript,
  api,
  connect,
  el,
  emit,
  humanReason,
  isRefusal,
  onDropped,
  sentence,
  newClientMsgId,
  notify,
  socketIoOrExplain,
  typingSender,
  waited,
} from "./common.js";
import { wireAssist } from "./console-assist.js";
import { loadHistory } from "./console-history.js";
import { loadContext, wireCannedReplies, wireNotes, wireTransfer } from "./console-tools.js";
import { mountSearch } from "./search-panel.js";
import { drawStatechart } from "./statechart.js";

const TOKEN_KEY = "supportflow.console.token";
const $ = (id) => document.getElementById(id);

const ui = {
  connection: $("connection"),
  signIn: $("sign-in"),
  signInError: $("sign-in-error"),
  tokenInput: $("token-input"),
  workspace: $("workspace"),
  me: $("me"),
  meName: $("me-name"),
  availability: $("availability"),
  availabilityLabel: $("availability-label"),
  signOut: $("sign-out"),
  queue: $("queue"),
  queueCount: $("queue-count"),
  queueEmpty: $("queue-empty"),
  queueNote: $("queue-note"),
  queueMine: $("queue-mine"),
  queueAll: $("queue-all"),
  tabs: $("room-tabs"),
  panels: $("room-panels"),
  roomsEmpty: $("rooms-empty"),
  template: $("room-template"),
  search: $("search"),
  searchToggle: $("search-toggle"),
};

const io = socketIoOrExplain();
let token = sessionStorage.getItem(TOKEN_KEY);
let me = null;
let socket = null;
let connectedBefore = false;
const queue = new Map(); // room_id -> {entry, item}
const rooms = new Map(); // room_id -> Room
const names = {}; // agent_id -> display name, for transcripts
let queueReload = null;
const teams = { names: {}, mine: new Set(), view: "all" }; // team_id -> name; my team ids

// ---------------------------------------------------------------- sign in and out

// Why the server dropped this console's socket (`disconnect_reason`), said to the agent on the
// sign-in form; any other code shows the server's own message.
const DROPPED_TEXT = {
  agent_disabled: "Your access was disabled by an administrator. Ask them to enable it again, then sign in.",
  token_rotated: "Your agent token was replaced. Sign in again with the new one.",
  token_expired: "Your token has expired. Sign in again.",
};

async function signIn(candidate) {
  ui.signInError.textContent = "";
  try {
    me = await api("/api/agents/me", { token: candidate });
  } catch (error) {
    ui.signInError.textContent =
      error.status === 401 || error.status === 403
        ? "That is not a valid agent token."
        : `Could not sign in: ${error.message}`;
    sessionStorage.removeItem(TOKEN_KEY);
    return;
  }
  token = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  names[me.agent_id] = me.name;
  names.self = me.agent_id;
  ui.signIn.hidden = true;
  ui.workspace.hidden = false;
  ui.me.hidden = false;
  ui.meName.textContent = me.name;
  showAvailability(me.is_available);
  await loadTeams();
  if (!io) {
    setConnection("offline", "Live updates unavailable");
    await loadQueue();
    return;
  }
  openSocket();
}

function signOut(message) {
  if (socket) socket.close();
  ui.search.hidden = true;
  ui.searchToggle.setAttribute("aria-expanded", "false");
  socket = null;
  connectedBefore = false;
  token = null;
  me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  for (const room of rooms.values()) room.destroy();
  rooms.clear();
  for (const { item } of queue.values()) item.remove();
  queue.clear();
  refreshLists();
  ui.workspace.hidden = true;
  ui.me.hidden = true;
  ui.signIn.hidden = false;
  ui.tokenInput.value = "";
  ui.signInError.textContent = message || "";
  setConnection("idle", "Signed out");
  ui.tokenInput.focus();
}

function setConnection(state, text) {
  ui.connection.dataset.state = state;
  ui.connection.textContent = text;
}

function showAvailability(isAvailable) {
  ui.availability.checked = isAvailable;
  ui.availabilityLabel.textContent = isAvailable ? "Available" : "Away";
  ui.queueNote.textContent = isAvailable ? "" : "You are away: new chats will not alert you.";
}

async function setAvailability() {
  const wanted = ui.availability.checked;
  try {
    const agent = await api(`/api/agents/${encodeURIComponent(me.agent_id)}/availability`, {
      token,
      method: "PUT",
      body: { is_available: wanted },
    });
    showAvailability(agent.is_available);
    if (agent.is_available) await loadQueue();
  } catch (error) {
    showAvailability(!wanted);
    notify(`Could not change availability: ${error.message}`, "error");
  }
}

// ---------------------------------------------------------------- the socket

function openSocket() {
  setConnection("connecting", "Connecting…");
  socket = connect(io, token);
  socket.on("connect", () => onConnect().catch(report));
  onDropped(socket, ({ code, message }) => signOut(DROPPED_TEXT[code] || `${sentence(message)} Sign in again.`));
  socket.on("disconnect", (reason) => {
    if (reason !== "io client disconnect") setConnection("offline", "Connection lost — reconnecting…");
  });
  socket.on("connect_error", (error) => {
    if (isRefusal(socket, error)) signOut("The server refused this token; sign in again.");
    else setConnection("offline", "Cannot reach the server — retrying…");
  });
  socket.on("escalation_alert", (alert) => {
    // A re-alert of a chat already listed: say so. One new to this agent (its team's time
    // ran out, so everyone is alerted now) just joins the queue.
    const known = queue.has(alert.room_id);
    upsertQueueItem({ ...alert });
    if (alert.realert && known) notify(`${alert.user_id} is still waiting.`);
  });
  socket.on("escalation_claimed", ({ room_id, agent_id }) => {
    removeQueueItem(room_id);
    const room = rooms.get(room_id);
    if (room && room.attached && agent_id !== me.agent_id) {
      notify(`${names[agent_id] || agent_id} took over ${room.userId}'s chat.`, "warn");
    }
  });
  socket.on("room_state", (change) => {
    const room = rooms.get(change.room_id);
    if (room) room.setState(change.state, change.agent_id);
    if (change.state === "escalating") scheduleQueueReload();
    else removeQueueItem(change.room_id);
  });
  socket.on("new_message", (message) => rooms.get(message.room_id)?.receive(message));
  socket.on("transfer_alert", (alert) => receiveTransfer(alert).catch(report));
  socket.on("agent_joined", (joined) => {
    names[joined.agent_id] = joined.name;
  });
  socket.on("typing", (event) => rooms.get(event.room_id)?.showTyping(event));
}

async function onConnect() {
  const reconnect = connectedBefore;
  connectedBefore = true;
  setConnection("online", "Connected");
  // Alerts and claims missed while offline are not replayed: read the queue again, and
  // rejoin every open room (Socket.IO rooms do not survive a reconnect), then sync.
  await loadQueue();
  if (reconnect) {
    const results = await Promise.allSettled([...rooms.values()].map((room) => room.rejoin()));
    const caughtUp = results.reduce((sum, r) => sum + (r.status === "fulfilled" ? r.value : 0), 0);
    notify(`Reconnected${caughtUp ? ` — ${caughtUp} missed message(s) caught up` : ""}.`);
  } else {
    await restoreHeldRooms();
  }
}

// ---------------------------------------------------------------- the queue

async function loadTeams() {
  try {
    const listed = await api("/api/teams", { token });
    teams.names = Object.fromEntries(listed.teams.map((team) => [team.team_id, team.name]));
    teams.mine = new Set(
      listed.teams.filter((team) => team.agent_ids.includes(me.agent_id)).map((team) => team.team_id),
    );
  } catch (error) {
    notify(`Could not load your teams: ${error.message}`, "error");
  }
  showQueueView(teams.mine.size ? "mine" : "all");
}

function showQueueView(view) {
  teams.view = view;
  ui.queueMine.setAttribute("aria-pressed", String(view === "mine"));
  ui.queueAll.setAttribute("aria-pressed", String(view === "all"));
  ui.queueMine.disabled = teams.mine.size === 0;
  ui.queueMine.title = teams.mine.size ? "" : "You are in no team";
  for (const { entry, item } of queue.values()) item.hidden = !inView(entry);
  refreshLists();
}

function inView(entry) {
  return teams.view === "all" || teams.mine.has(entry.team_id);
}

async function loadQueue() {
  let pending;
  try {
    pending = await api("/api/escalations?status=pending", { token });
  } catch (error) {
    notify(`Could not load the queue: ${error.message}`, "error");
    return;
  }
  const current = new Set();
  for (const escalation of pending.escalations) {
    current.add(escalation.room_id);
    upsertQueueItem({ ...escalation, queued_at: escalation.triggered_at });
  }
  for (const roomId of [...queue.keys()]) if (!current.has(roomId)) removeQueueItem(roomId);
}

function scheduleQueueReload() {
  clearTimeout(queueReload);
  queueReload = setTimeout(() => loadQueue(), 400);
}

function upsertQueueItem(entry) {
  if (rooms.get(entry.room_id)?.state === "agent_assigned") return;
  const known = queue.get(entry.room_id);
  const merged = { ...(known ? known.entry : {}), ...entry };
  if (!merged.preview && known) merged.preview = known.entry.preview;
  const item = renderQueueItem(merged);
  item.hidden = !inView(merged);
  if (known) known.item.replaceWith(item);
  queue.set(entry.room_id, { entry: merged, item });
  placeInOrder(item, merged);
  refreshLists();
  if (!merged.preview) loadPreview(merged).catch(() => {});
}

function placeInOrder(item, entry) {
  // Oldest first: whoever has waited longest is served first.
  const later = [...ui.queue.children].find(
    (other) => other !== item && other.dataset.queuedAt > entry.queued_at,
  );
  ui.queue.insertBefore(item, later || null);
}

async function loadPreview(entry) {
  const session = await api(`/api/sessions/${encodeURIComponent(entry.session_id)}`, { token });
  const after = Math.max(0, session.last_seq - 6);
  const { messages } = await api(
    `/api/sessions/${encodeURIComponent(entry.session_id)}/messages?after_seq=${after}`,
    { token },
  );
  const preview = messages
    .filter((m) => m.sender_type !== "system")
    .slice(-3)
    .map((m) => ({ sender_type: m.sender_type, message: m.message.slice(0, 200) }));
  if (queue.has(entry.room_id)) upsertQueueItem({ room_id: entry.room_id, preview });
}

function renderQueueItem(entry) {
  const claimButton = el(
    "button",
    { type: "button", class: "primary", dataset: { testid: "claim-button" } },
    "Claim",
  );
  claimButton.addEventListener("click", () => claim(entry, claimButton));
  const preview = (entry.preview || []).map((line) =>
    el("li", { class: `preview-${line.sender_type}` }, el("b", {}, `${line.sender_type}: `), clip(line.message)),
  );
  const teamName = entry.team_id ? entry.team_name || teams.names[entry.team_id] || entry.team_id : null;
  return el(
    "li",
    {
      class: "queue-item",
      dataset: {
        testid: "queue-item",
        roomId: entry.room_id,
        queuedAt: entry.queued_at,
        teamId: entry.team_id || "",
      },
    },
    el(
      "div",
      { class: "queue-head" },
      el("strong", { class: "customer" }, entry.user_id),
      el("time", { class: "waited", datetime: entry.queued_at, title: entry.queued_at }, waited(entry.queued_at)),
    ),
    el(
      "ul",
      { class: "reasons", "aria-label": "Reasons" },
      (entry.reasons || []).map((reason) => el("li", { class: "chip" }, humanReason(reason))),
    ),
    teamName
      ? el("p", { class: "team", dataset: { testid: "queue-team" } }, `Team: ${teamName}`)
      : null,
    preview.length ? el("ul", { class: "preview", "aria-label": "Last messages" }, preview) : null,
    claimButton,
  );
}

function clip(text, limit = 160) {
  return text.length > limit ? `${text.slice(0, limit).trimEnd()}…` : text;
}

function removeQueueItem(roomId) {
  const known = queue.get(roomId);
  if (!known) return;
  known.item.remove();
  queue.delete(roomId);
  refreshLists();
}

function refreshLists() {
  const shown = [...queue.values()].filter(({ entry }) => inView(entry)).length;
  ui.queueCount.textContent = String(shown);
  ui.queueEmpty.hidden = shown > 0;
  ui.queueEmpty.textContent = teams.view === "mine" ? "No one is waiting for your teams." : "No one is waiting.";
  ui.roomsEmpty.hidden = rooms.size > 0;
}

// ---------------------------------------------------------------- claiming

async function claim(entry, button) {
  if (!socket || !socket.connected) {
    notify("Not connected: wait for the connection to come back.", "error");
    return;
  }
  button.disabled = true;
  const room = new Room(entry);
  rooms.set(entry.room_id, room);
  try {
    // Join first, then claim: a claimer that joined hears its own agent_joined and notices.
    const joined = await emit(socket, "join_room", { room_id: entry.room_id });
    room.transcript.addAll(joined.messages);
    const claimed = await emit(socket, "claim_room", { room_id: entry.room_id });
    removeQueueItem(entry.room_id);
    room.attach();
    room.setState(claimed.state, claimed.agent_id);
    await room.catchUp();
    room.select();
    // The whole conversation before the hand-off, why it came, what the bot used.
    await loadContext(room, { token, reasons: entry.reasons }).catch((error) =>
      notify(`Could not load the conversation so far: ${error.message}`, "error"),
    );
    await room.loadAids();
  } catch (error) {
    rooms.delete(entry.room_id);
    room.destroy();
    socket.emit("leave_room", { room_id: entry.room_id });
    if (error.code === "already_claimed") {
      removeQueueItem(entry.room_id);
      notify(`Another agent claimed ${entry.user_id}'s chat first.`, "warn");
    } else if (error.code === "at_capacity") {
      notify("You are at capacity: close or hand back a chat first.", "error");
    } else {
      notify(`Claim refused: ${error.message}`, "error");
    }
    button.disabled = false;
    if (["invalid_transition", "room_closed", "session_not_found"].includes(error.code)) {
      removeQueueItem(entry.room_id);
    }
  }
  refreshLists();
}

/** Another agent handed this agent a chat: open it, with its context, and say so. */
async function receiveTransfer(alert) {
  notify(`${alert.from_name} transferred ${alert.user_id}'s chat to you.`);
  let room = rooms.get(alert.room_id);
  if (!room) {
    room = new Room(alert);
    rooms.set(room.roomId, room);
    room.attach();
  }
  await room.rejoin();
  await loadContext(room, { token }).catch(() => {});
  await room.loadAids();
  room.select();
  refreshLists();
}

/** After a console reload: reopen the rooms this agent still holds. */
async function restoreHeldRooms() {
  let claimed;
  try {
    claimed = await api("/api/escalations?status=claimed&limit=1000", { token });
  } catch {
    return;
  }
  const mine = claimed.escalations.filter((e) => e.handled_by === me.agent_id && !rooms.has(e.room_id));
  for (const escalation of mine) {
    try {
      const session = await api(`/api/sessions/${encodeURIComponent(escalation.session_id)}`, { token });
      if (session.agent_id !== me.agent_id || session.status !== "agent_assigned" || rooms.has(session.room_id)) {
        continue;
      }
      const room = new Room(escalation);
      rooms.set(room.roomId, room);
      room.attach();
      await room.rejoin();
      await loadContext(room, { token, reasons: escalation.reasons });
      await room.loadAids();
    } catch {
      // A room that closed or moved on meanwhile is simply not reopened.
    }
  }
  if (rooms.size) [...rooms.values()][0].select();
  refreshLists();
}

// ---------------------------------------------------------------- an open room

class Room {
  constructor(entry) {
    this.roomId = entry.room_id;
    this.sessionId = entry.session_id;
    this.userId = entry.user_id;
    this.state = null;
    this.attached = false;
    this.unread = 0;
    const panel = ui.template.content.firstElementChild.cloneNode(true);
    const slug = this.roomId.replace(/[^A-Za-z0-9_-]/g, "-");
    panel.id = `panel-${slug}`;
    this.panel = panel;
    this.find = (selector) => panel.querySelector(selector);
    this.find(".room-title").textContent = this.userId;
    this.badge = this.find('[data-testid="room-state"]');
    this.transcript = new Transcript(this.find('[data-testid="transcript"]'), { viewer: "agent", names });
    this.input = this.find('[data-testid="message-input"]');
    this.input.id = `reply-${slug}`;
    this.find(".composer label").setAttribute("for", this.input.id);
    this.tab = el("button", {
      type: "button",
      role: "tab",
      id: `tab-${slug}`,
      class: "room-tab",
      "aria-controls": panel.id,
      "aria-selected": "false",
      dataset: { roomId: this.roomId },
    });
    panel.setAttribute("aria-labelledby", this.tab.id);
    this.tab.addEventListener("click", () => this.select());
    this.typing = typingSender((isTyping) => {
      if (socket && socket.connected) socket.emit("typing", { room_id: this.roomId, is_typing: isTyping });
    });
    this.wire();
    wireNotes(this, () => socket);
    wireTransfer(this, { socket: () => socket, token: () => token, me: () => me, names });
    wireCannedReplies(this, { token: () => token });
    this.assist = wireAssist(this, { token: () => token });
  }

  /** The customer's earlier chats and a suggested answer, for the agent who took the chat. */
  async loadAids() {
    await loadHistory(this, { token, names }).catch((error) =>
      notify(`Could not load the customer's earlier chats: ${error.message}`, "error"),
    );
    if (this.mine) await this.assist.refresh();
  }

  get mine() {
    return this.state === "agent_assigned" && this.agentId === me.agent_id;
  }

  wire() {
    this.find(".composer").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener("input", () => this.typing.input());
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.find(".composer").requestSubmit();
      }
    });
    this.find('[data-testid="release-button"]').addEventListener("click", (e) => this.act("release_room", e.target));
    this.find('[data-testid="close-button"]').addEventListener("click", (e) => this.act("close_room", e.target));
    this.find(".dismiss").addEventListener("click", () => this.dismiss());
    this.find(".statechart-button").addEventListener("click", (e) => this.toggleStatechart(e.target));
  }

  attach() {
    this.attached = true;
    ui.tabs.append(this.tab);
    ui.panels.append(this.panel);
    this.panel.hidden = true;
    this.renderTab();
    refreshLists();
  }

  select() {
    for (const room of rooms.values()) {
      room.panel.hidden = room !== this;
      room.tab.setAttribute("aria-selected", String(room === this));
    }
    this.unread = 0;
    this.renderTab();
    if (!this.input.disabled) this.input.focus();
  }

  renderTab() {
    const label = `${this.userId} · ${STATE_LABELS[this.state] || "…"}`;
    this.tab.textContent = this.unread ? `${label} (${this.unread})` : label;
    this.tab.dataset.state = this.state || "";
  }

  /** Show the room's state; only the agent holding it may talk, hand back or close. */
  setState(state, agentId) {
    const mine = state === "agent_assigned" && agentId === me.agent_id;
    this.state = state;
    this.agentId = agentId;
    this.assist.show(mine);
    this.badge.textContent =
      state === "agent_assigned" && !mine ? `With ${names[agentId] || agentId}` : STATE_LABELS[state] || state;
    this.badge.dataset.state = state;
    this.input.disabled = !mine;
    this.find('[data-testid="send-button"]').disabled = !mine;
    this.find('[data-testid="release-button"]').hidden = !mine;
    this.find('[data-testid="close-button"]').hidden = state === "closed" || !mine;
    this.find(".dismiss").hidden = mine;
    this.find('[data-testid="transfer-button"]').hidden = !mine;
    if (!mine) this.find(".transfer-picker").hidden = true;
    this.find(".note-form").hidden = !mine;
    if (!this.find(".statechart").hidden) this.loadStatechart();
    this.renderTab();
  }

  receive(message) {
    const added = this.transcript.add(message);
    // A new customer message: a new suggestion (never sent: the agent decides).
    if (added && message.sender_type === "user" && this.mine) this.assist.refresh();
    if (added && this.panel.hidden) {
      this.unread += 1;
      this.renderTab();
    }
  }

  showTyping(event) {
    if (event.sender_id === me.agent_id) return;
    const who = event.sender_type === "user" ? this.userId : names[event.sender_id] || event.sender_id;
    this.find(".typing").textContent = event.is_typing ? `${who} is typing…` : "";
  }

  /** Fetch what was missed since the last seq on screen; returns how many were new. */
  async catchUp() {
    const synced = await emit(socket, "sync", { room_id: this.roomId, after_seq: this.transcript.lastSeq });
    return synced.messages.filter((message) => this.transcript.add(message)).length;
  }

  async rejoin() {
    const joined = await emit(socket, "join_room", { room_id: this.roomId });
    this.transcript.addAll(joined.messages);
    this.setState(joined.state, joined.agent_id);
    return this.catchUp();
  }

  async send() {
    const text = this.input.value.trim();
    if (!text) return;
    const button = this.find('[data-testid="send-button"]');
    button.disabled = true;
    this.typing.stop();
    try {
      await emit(socket, "send_message", { room_id: this.roomId, message: text, client_msg_id: newClientMsgId() });
      this.input.value = "";
    } catch (error) {
      report(error);
    } finally {
      button.disabled = this.state !== "agent_assigned";
      this.input.focus();
    }
  }

  async act(eventName, button) {
    button.disabled = true;
    try {
      const ack = await emit(socket, eventName, { room_id: this.roomId });
      this.setState(ack.state, ack.agent_id);
    } catch (error) {
      report(error);
    } finally {
      button.disabled = false;
    }
  }

  async toggleStatechart(button) {
    const box = this.find(".statechart");
    box.hidden = !box.hidden;
    button.setAttribute("aria-expanded", String(!box.hidden));
    if (!box.hidden) await this.loadStatechart();
  }

  /**
   * Draw the room's machine, its current state highlighted by the server's Mermaid text.
   * An ack and a room_state event both announce one change: draws run one after another,
   * and a state already on screen is not drawn again.
   */
  loadStatechart() {
    this.charting = (this.charting || Promise.resolve()).then(() => this.drawStatechart());
    return this.charting;
  }

  async drawStatechart() {
    const figure = this.find(".statechart-figure");
    if (this.chartState === this.state && figure.querySelector("img")) return;
    let text;
    try {
      text = await api(`/api/sessions/${encodeURIComponent(this.sessionId)}/statechart`, { token });
    } catch (error) {
      // After a hand-back or a close the room is no longer this agent's to read.
      figure.textContent =
        error.status === 403
          ? "This chat is no longer yours: its statechart is not available."
          : `The statechart is not available: ${error.message}`;
      this.find(".statechart-source").textContent = "";
      this.chartState = null;
      return;
    }
    this.find(".statechart-source").textContent = text;
    const current = text.match(/^\s*class (\w+) current$/m)?.[1];
    try {
      await drawStatechart(figure, text, { title: `Room state machine, now ${current}`, current });
      this.chartState = current;
    } catch (error) {
      figure.textContent = `The diagram could not be drawn (${error.message}); its source is below.`;
    }
  }

  dismiss() {
    if (socket && socket.connected) socket.emit("leave_room", { room_id: this.roomId });
    rooms.delete(this.roomId);
    this.destroy();
    const next = [...rooms.values()][0];
    if (next) next.select();
    refreshLists();
  }

  destroy() {
    this.tab.remove();
    this.panel.remove();
  }
}

function report(error) {
  const text = error instanceof ApiError ? error.message : String(error);
  notify(`Refused: ${text}`, "error");
}

// ---------------------------------------------------------------- start

ui.signIn.addEventListener("submit", (event) => {
  event.preventDefault();
  const candidate = ui.tokenInput.value.trim();
  if (candidate) signIn(candidate);
});
ui.signOut.addEventListener("click", () => signOut());
let searchMounted = false;
ui.searchToggle.addEventListener("click", () => {
  if (!searchMounted) {
    mountSearch(ui.search, { token: () => token, names });
    searchMounted = true;
  }
  ui.search.hidden = !ui.search.hidden;
  ui.searchToggle.setAttribute("aria-expanded", String(!ui.search.hidden));
  if (!ui.search.hidden) ui.search.querySelector("input").focus();
});
ui.availability.addEventListener("change", setAvailability);
ui.queueMine.addEventListener("click", () => showQueueView("mine"));
ui.queueAll.addEventListener("click", () => showQueueView("all"));
setInterval(() => {
  for (const { item, entry } of queue.values()) {
    const time = item.querySelector(".waited");
    if (time) time.textContent = waited(entry.queued_at);
  }
}, 15000);

refreshLists();
if (token) signIn(token);
else ui.tokenInput.focus();

// The website widget's frame: the /chat page's code (chat.js) inside an iframe on a company's
// site, plus what only a widget needs: its site's look, a pre-chat form, the visitor the page
// vouches for (`identify`), the page's attributes (`set`), and messages with the host page.
//
// Where things live. The chat's session (its token) and the panel's open state are kept in
// this frame's own localStorage, never in the host page's: the page's scripts cannot read the
// token. Browsers partition a third-party frame's storage by the top-level site (Chromium
// does by default), which is the scope wanted anyway: one chat per website, shared by its
// tabs and reloads. Where the frame's storage is blocked altogether, the chat lasts as long
// as the page; an identified customer still finds their chat again through `identify`.
//
// Messages with the host page. The frame is served only inside `origin` (frame-ancestors,
// checked by the server against the site's allowed origins), so the parent is that origin:
// messages are posted to it alone, and only messages from the parent window with that exact
// origin are read.
import { api, notify } from "./common.js";
import { chatOptions } from "./chat-options.js";

const params = new URLSearchParams(location.search);
const site = params.get("site") || "";
const hostOrigin = params.get("origin") || "";
const sitePath = `/api/sites/${encodeURIComponent(site)}`;
const UI_KEY = `supportflow.widget.${site}.ui`;
const $ = (id) => document.getElementById(id);

let look = null; // the site's public look (brand, greeting, pre-chat form)
let identity = null; // {user_id, user_hash, name?, email?}, once the server accepted it
let visitor = null; // what the pre-chat form was given: {name?, email?}
let pendingAttributes = {}; // `set` before the chat exists: sent when it starts
let uiState = loadUiState(); // {open, unread}, shared by the site's tabs
let chat = null; // chat.js, once loaded
let releaseStartup;

chatOptions.storeKey = `supportflow.widget.${site}.session`;
chatOptions.startup = new Promise((resolve) => {
  releaseStartup = resolve;
});
chatOptions.createSession = async () => {
  const body = identity ? { identity: { user_id: identity.user_id, user_hash: identity.user_hash } } : {};
  for (const key of ["name", "email"]) {
    const value = identity?.[key] ?? visitor?.[key];
    if (value) body[key] = value;
  }
  if (Object.keys(pendingAttributes).length) body.attributes = pendingAttributes;
  const created = await api(`${sitePath}/sessions`, { method: "POST", body });
  pendingAttributes = {};
  return kept(created);
};

function kept({ session_id, room_id, token, user_id, verified }) {
  return { session_id, room_id, token, user_id, verified: Boolean(verified) };
}

// ---------------------------------------------------------------- the host page

function tellHost(type, detail = {}) {
  if (window.parent !== window) window.parent.postMessage({ supportflow: 1, type, ...detail }, hostOrigin);
}

const handlers = {
  init: async ({ identify: who, attributes, open }) => {
    // A refused identify or set is the page's to hear of; the chat still starts.
    await (who ? identifyVisitor(who) : forgetVouchedChat()).catch(reportToHost);
    if (attributes) await setAttributes(attributes).catch(reportToHost);
    if (typeof open === "boolean") uiState.open = open;
    releaseStartup();
    showPrechat();
    tellHost("ready", { open: uiState.open, unread: uiState.unread });
  },
  visibility: ({ open, focus }) => {
    uiState.open = Boolean(open);
    if (uiState.open) uiState.unread = 0;
    saveUiState();
    tellHost("state", { open: uiState.open, unread: uiState.unread });
    if (uiState.open && focus) focusFirstField();
  },
  identify: ({ identify: who }) => identifyVisitor(who),
  set: ({ attributes }) => setAttributes(attributes),
};

window.addEventListener("message", (event) => {
  if (event.source !== window.parent || event.origin !== hostOrigin) return;
  const data = event.data;
  if (!data || data.supportflow !== 1 || !Object.hasOwn(handlers, data.type)) return;
  Promise.resolve(handlers[data.type](data)).catch((error) => reportToHost(error));
});

function reportToHost(error) {
  const code = error?.code || "widget_error";
  const message = error?.message || "Something went wrong in the chat widget.";
  tellHost("error", { code, message });
}

// ---------------------------------------------------------------- identity and attributes

/** The page vouches for its signed-in customer: show their open chat, never someone else's. */
async function identifyVisitor(who) {
  if (!who || typeof who.user_id !== "string" || typeof who.user_hash !== "string") {
    throw Object.assign(new Error("identify needs {user_id, user_hash} as strings"), { code: "invalid_input" });
  }
  const current = chat ? chat.currentSession() : storedSession();
  let result;
  try {
    const body = { user_id: who.user_id, user_hash: who.user_hash };
    for (const key of ["name", "email"]) if (typeof who[key] === "string" && who[key]) body[key] = who[key];
    result = await api(`${sitePath}/identify`, { method: "POST", body });
  } catch (error) {
    identity = null;
    forgetVouchedChat();
    notify("We could not confirm your account, so this chat is anonymous.", "warn");
    showPrechat();
    throw error;
  }
  identity = { ...who };
  if (current?.verified && current.user_id === who.user_id) return; // already on screen
  if (result.session) switchTo(kept(result.session));
  else if (current?.verified) switchTo(null); // another customer's chat: not for this one
  showPrechat();
}

/** A chat the page no longer vouches for (signed out, someone else) is not shown. */
async function forgetVouchedChat() {
  const current = chat ? chat.currentSession() : storedSession();
  if (current?.verified && current.user_id !== identity?.user_id) switchTo(null);
}

function switchTo(value) {
  if (chat) chat.useSession(value);
  else if (value) localStorage.setItem(chatOptions.storeKey, JSON.stringify(value));
  else safely(() => localStorage.removeItem(chatOptions.storeKey));
}

async function setAttributes(attributes) {
  if (!attributes || typeof attributes !== "object" || Array.isArray(attributes)) {
    throw Object.assign(new Error("set needs an object of attributes"), { code: "invalid_input" });
  }
  const current = chat ? chat.currentSession() : storedSession();
  if (!current) {
    pendingAttributes = { ...pendingAttributes, ...attributes };
    return;
  }
  await api(`/api/sessions/${encodeURIComponent(current.session_id)}/context`, {
    method: "PATCH",
    token: current.token,
    body: { attributes },
  });
}

// ---------------------------------------------------------------- the panel

function storedSession() {
  return safely(() => JSON.parse(localStorage.getItem(chatOptions.storeKey) || "null"));
}

function loadUiState() {
  const stored = safely(() => JSON.parse(localStorage.getItem(UI_KEY) || "null"));
  return { open: Boolean(stored?.open), unread: Number(stored?.unread) || 0 };
}

function saveUiState() {
  safely(() => localStorage.setItem(UI_KEY, JSON.stringify(uiState)));
}

function safely(read) {
  try {
    return read();
  } catch {
    return null; // storage blocked: the chat lasts as long as the page
  }
}

/** An anonymous visitor's first step on a site that asks who they are. */
function showPrechat() {
  const fields = look?.prechat_fields || [];
  const needed = fields.length > 0 && !identity && !visitor && !(chat && chat.currentSession());
  $("prechat").hidden = !needed;
  $("composer").hidden = needed;
  $("prechat-name-field").hidden = !fields.includes("name");
  $("prechat-email-field").hidden = !fields.includes("email");
  $("prechat-name").required = fields.includes("name");
  $("prechat-email").required = fields.includes("email");
}

function focusFirstField() {
  const target = !$("prechat").hidden
    ? $("prechat").querySelector("input:not([hidden]):not(:disabled)")
    : $("message-input");
  (target && !target.disabled ? target : $("widget-close")).focus();
}

function applyLook() {
  document.documentElement.style.setProperty("--brand", look.brand_color);
  document.documentElement.style.setProperty("--brand-ink", look.brand_ink);
  $("site-name").textContent = look.name;
  document.title = `Chat with ${look.name}`;
  $("welcome").textContent = look.greeting;
}

$("prechat").addEventListener("submit", (event) => {
  event.preventDefault();
  const name = $("prechat-name").value.trim();
  const email = $("prechat-email").value.trim();
  visitor = { name: name || undefined, email: email || undefined };
  showPrechat();
  $("message-input").focus();
});

$("widget-close").addEventListener("click", () => tellHost("close"));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.defaultPrevented) tellHost("close");
});

// What the host page hears: a message (to count while the panel is closed), a hand-over.
document.addEventListener("chat:message", ({ detail: message }) => {
  if (message.sender_type === "user") return;
  if (!uiState.open && (message.sender_type === "agent" || message.sender_type === "bot")) {
    uiState.unread += 1;
    saveUiState();
  }
  tellHost("message", { sender_type: message.sender_type, created_at: message.created_at, unread: uiState.unread });
});
document.addEventListener("chat:state", ({ detail: change }) => {
  if (change.state === "escalating" && change.previous !== "escalating") tellHost("escalated", { room_id: change.room_id });
});
document.addEventListener("chat:session", () => showPrechat());
// Another tab of the site opened the panel and read the messages: the badge follows.
window.addEventListener("storage", (event) => {
  if (event.key !== UI_KEY) return;
  uiState = { ...loadUiState(), open: uiState.open };
  tellHost("state", { open: uiState.open, unread: uiState.unread });
});

async function start() {
  try {
    look = await api(`${sitePath}/widget`);
  } catch (error) {
    $("library-missing").hidden = false;
    reportToHost(error);
    return;
  }
  applyLook();
  // chat.js reads chatOptions when it loads: only now are they the widget's.
  chat = await import("./chat.js");
  showPrechat();
  tellHost("hello");
}

start();

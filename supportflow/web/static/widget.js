/*
 * supportflow's website widget. A site pastes:
 *
 *   <script>window.supportflow=window.supportflow||function(){(supportflow.q=supportflow.q||[]).push(arguments)};</script>
 *   <script src="https://support.example.com/widget.js" data-site="SITE_ID" async></script>
 *
 * This script runs in the host page and draws only a launcher button (in a shadow root, so
 * the page's CSS cannot restyle it); the chat is an iframe served by supportflow, which the
 * page's scripts cannot reach. It asks supportflow first whether this page's origin may
 * use the site: if not, it installs nothing.
 *
 * The page's API: supportflow("open"), supportflow("close"),
 * supportflow("identify", {user_id, user_hash, name?, email?}), supportflow("set", {plan: "pro"}).
 * Calls made before this script loaded wait in supportflow.q (the first line above).
 * Events on document: supportflow:ready, supportflow:message, supportflow:escalated,
 * supportflow:error (a refused identify or set), with their details in event.detail.
 */
(function () {
  "use strict";
  if (window.supportflow && window.supportflow.loaded) return;

  var script = document.currentScript;
  var siteId = script && script.getAttribute("data-site");
  var queued = (window.supportflow && window.supportflow.q) || [];
  if (!script || !siteId) {
    console.error("supportflow: the widget's <script> tag needs data-site=\"<site id>\"");
    return;
  }
  var server = new URL(script.src).origin;
  var pageOrigin = window.location.origin;

  var ready = false;
  var frameReady = false;
  var pending = { identify: null, attributes: null, open: null };
  var parts = null; // the launcher, its badge, the panel and the frame once drawn
  var isOpen = false;

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent("supportflow:" + name, { detail: detail || {}, bubbles: true }));
  }

  function fail(code, message) {
    console.warn("supportflow: " + message);
    emit("error", { code: code, message: message });
  }

  function post(type, detail) {
    if (!parts) return;
    var data = Object.assign({ supportflow: 1, type: type }, detail || {});
    parts.frame.contentWindow.postMessage(data, server);
  }

  /** The page's API; calls before the frame is ready are kept for it. */
  function api(command, argument) {
    if (command === "open" || command === "close") {
      if (!frameReady) pending.open = command === "open";
      else setOpen(command === "open", false);
    } else if (command === "identify") {
      if (!argument || typeof argument.user_id !== "string" || typeof argument.user_hash !== "string") {
        return fail("invalid_input", "identify needs {user_id, user_hash} as strings (user_hash from your server)");
      }
      if (!frameReady) pending.identify = argument;
      else post("identify", { identify: argument });
    } else if (command === "set") {
      if (!argument || typeof argument !== "object" || Array.isArray(argument)) {
        return fail("invalid_input", "set needs an object of attributes, such as {plan: \"pro\"}");
      }
      if (!frameReady) pending.attributes = Object.assign({}, pending.attributes, argument);
      else post("set", { attributes: argument });
    } else {
      fail("unknown_command", "unknown command " + JSON.stringify(String(command)) + " (open, close, identify, set)");
    }
  }

  window.supportflow = function () {
    api.apply(null, arguments);
  };
  window.supportflow.loaded = true;
  for (var i = 0; i < queued.length; i++) api.apply(null, queued[i]);

  var lookUrl = server + "/api/sites/" + encodeURIComponent(siteId) + "/widget";
  fetch(lookUrl, { credentials: "omit" })
    .then(function (response) {
      if (!response.ok) throw new Error("status " + response.status);
      return response.json();
    })
    .then(draw, function () {
      // A refused origin gets no CORS headers, so the browser hides the reason from us.
      fail("site_unavailable", "site " + JSON.stringify(siteId) + " is unknown, or does not allow pages of " + pageOrigin + "; nothing installed");
    });

  var CSS =
    ":host { all: initial; }" +
    ".launcher { position: fixed; bottom: 20px; width: 60px; height: 60px; border-radius: 50%; border: 2px solid transparent;" +
    "  background: var(--brand); color: var(--ink); cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483000;" +
    "  display: flex; align-items: center; justify-content: center; padding: 0; }" +
    ".launcher:focus-visible { outline: 3px solid #f0a500; outline-offset: 3px; }" +
    ".launcher svg { width: 28px; height: 28px; fill: currentColor; }" +
    ".count { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 5px; box-sizing: border-box;" +
    "  border-radius: 11px; background: #a4161a; color: #fff; font: 600 13px/22px system-ui, sans-serif; text-align: center; }" +
    ".panel { position: fixed; bottom: 92px; width: 380px; height: min(620px, calc(100vh - 112px)); z-index: 2147483000;" +
    "  border-radius: 12px; overflow: hidden; box-shadow: 0 8px 30px rgba(0,0,0,.3); background: #fff;" +
    "  opacity: 0; transform: translateY(12px); visibility: hidden; transition: opacity .2s ease, transform .2s ease, visibility 0s linear .2s; }" +
    ".panel.open { opacity: 1; transform: none; visibility: visible; transition: opacity .2s ease, transform .2s ease; }" +
    ".right { right: 20px; } .left { left: 20px; }" +
    "iframe { border: 0; width: 100%; height: 100%; display: block; }" +
    "@media (max-width: 480px) { .panel { inset: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; bottom: 0; }" +
    "  .panel.open + .launcher, .launcher.covered { display: none; } }" +
    "@media (prefers-reduced-motion: reduce) { .panel, .panel.open { transition: none; transform: none; } }";

  var ICON =
    '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6v2h2V9H7zm4 0v2h2V9h-2zm4 0v2h2V9h-2z"/></svg>';

  function draw(look) {
    var host = document.createElement("div");
    host.id = "supportflow-widget";
    host.setAttribute("data-site", siteId);
    var root = host.attachShadow({ mode: "open" });
    var side = look.launcher_position === "bottom-left" ? "left" : "right";
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      // Not a <style> element: a host page's CSP without 'unsafe-inline' would block one.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      var style = document.createElement("style");
      style.textContent = CSS;
      root.appendChild(style);
    }
    host.style.setProperty("--brand", look.brand_color);
    host.style.setProperty("--ink", look.brand_ink);

    var panel = document.createElement("div");
    panel.className = "panel " + side;
    panel.setAttribute("data-testid", "widget-panel");
    var frame = document.createElement("iframe");
    frame.title = "Chat with " + look.name;
    frame.setAttribute("data-testid", "widget-frame");
    frame.src = server + "/widget/frame?site=" + encodeURIComponent(siteId) + "&origin=" + encodeURIComponent(pageOrigin);
    panel.appendChild(frame);

    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher " + side;
    launcher.setAttribute("data-testid", "widget-launcher");
    launcher.setAttribute("aria-expanded", "false");
    launcher.innerHTML = ICON;
    var count = document.createElement("span");
    count.className = "count";
    count.setAttribute("aria-hidden", "true");
    count.setAttribute("data-testid", "widget-unread");
    count.hidden = true;
    launcher.appendChild(count);
    launcher.addEventListener("click", function () {
      setOpen(!isOpen, true);
    });

    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(host);
    parts = { host: host, panel: panel, frame: frame, launcher: launcher, count: count, look: look };
    showUnread(0);
  }

  function showUnread(unread) {
    if (!parts) return;
    parts.count.textContent = unread > 99 ? "99+" : String(unread);
    parts.count.hidden = !unread;
    var label = (isOpen ? "Close" : "Open") + " the chat with " + parts.look.name;
    if (unread) label += " (" + unread + " unread message" + (unread === 1 ? "" : "s") + ")";
    parts.launcher.setAttribute("aria-label", label);
  }

  function setOpen(open, byUser) {
    if (!parts) return;
    var hadFocus = parts.host.shadowRoot.activeElement === parts.frame || document.activeElement === parts.host;
    if (!frameReady) pending.open = open; // the stored state must not undo a click made first
    isOpen = open;
    parts.panel.classList.toggle("open", open);
    parts.launcher.setAttribute("aria-expanded", String(open));
    parts.launcher.classList.toggle("covered", open);
    showUnread(open ? 0 : Number(parts.count.textContent) || 0);
    post("visibility", { open: open, focus: byUser });
    if (open && byUser) parts.frame.focus();
    if (!open && (byUser || hadFocus)) parts.launcher.focus();
  }

  window.addEventListener("message", function (event) {
    if (!parts || event.origin !== server || event.source !== parts.frame.contentWindow) return;
    var data = event.data;
    if (!data || data.supportflow !== 1) return;
    if (data.type === "hello") {
      post("init", { identify: pending.identify, attributes: pending.attributes });
      pending.identify = pending.attributes = null;
    } else if (data.type === "ready") {
      frameReady = true;
      var open = pending.open !== null ? pending.open : Boolean(data.open);
      pending.open = null;
      setOpen(open, false);
      showUnread(open ? 0 : data.unread || 0);
      if (!ready) {
        ready = true;
        emit("ready", { site_id: siteId, open: open });
      }
    } else if (data.type === "state") {
      showUnread(isOpen ? 0 : data.unread || 0);
    } else if (data.type === "message") {
      if (!isOpen) showUnread(data.unread || 0);
      emit("message", { sender_type: data.sender_type, created_at: data.created_at, unread: isOpen ? 0 : data.unread || 0 });
    } else if (data.type === "escalated") {
      emit("escalated", { room_id: data.room_id });
    } else if (data.type === "close") {
      setOpen(false, true);
    } else if (data.type === "error") {
      fail(String(data.code || "widget_error"), String(data.message || "the chat refused a request"));
    }
  });
})();

// Agent assist in a room panel (GET /api/sessions/<id>/assist): for the customer's latest
// message, the best articles with the passage that matched, and a draft reply grounded in
// them. Nothing is sent from here: "Use draft" puts the draft in the reply box, where the
// agent edits it and sends it like any reply.
import { api, el, helpUrl } from "./common.js";

/** Wire the room's assist box; returns `refresh()`, to call when the customer writes. */
export function wireAssist(room, { token }) {
  const box = room.find(".assist");
  const body = el("div", { class: "assist-body", dataset: { testid: "assist-body" } });
  const refreshButton = el("button", { type: "button", class: "link", dataset: { testid: "assist-refresh" } }, "Refresh");
  box.replaceChildren(el("h4", {}, "Suggested answer ", refreshButton), body);
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked; // a slower earlier answer never replaces a newer one
    body.replaceChildren(el("p", { class: "empty" }, "Looking in the knowledge base…"));
    let found;
    try {
      found = await api(`/api/sessions/${encodeURIComponent(room.sessionId)}/assist`, { token: token() });
    } catch (error) {
      if (mine === asked) body.replaceChildren(el("p", { class: "empty" }, `No suggestion: ${error.message}`));
      return;
    }
    if (mine === asked) render(body, found, room);
  };
  refreshButton.addEventListener("click", refresh);
  return { refresh, show: (visible) => (box.hidden = !visible) };
}

function render(body, found, room) {
  if (!found.message) {
    body.replaceChildren(el("p", { class: "empty" }, "The customer has not written anything yet."));
    return;
  }
  const articles = found.articles.map((article) =>
    el(
      "li",
      // data-doc-id: where the "this article answered" mark (learned examples) will hook in.
      { dataset: { testid: "assist-article", docId: article.doc_id } },
      el("a", { href: helpUrl(article.doc_id), target: "_blank", rel: "noopener" }, article.title),
      ` · ${Math.round(article.similarity * 100)}%`,
      el("blockquote", { class: "assist-passage", dataset: { testid: "assist-passage" } }, passageWithSentence(article)),
    ),
  );
  const parts = [
    el("p", { class: "assist-for" }, "For: ", el("q", {}, found.message.message)),
    articles.length
      ? el("ol", { class: "assist-articles" }, articles)
      : el("p", { class: "empty" }, "No article matches this message."),
  ];
  if (found.draft) {
    const use = el("button", { type: "button", class: "primary", dataset: { testid: "assist-use" } }, "Use draft");
    use.addEventListener("click", () => {
      room.input.value = found.draft.text;
      room.input.focus();
      room.input.dispatchEvent(new Event("input")); // the typing indicator, as if typed
    });
    parts.push(
      el("p", { class: "context-label" }, `Draft (${found.draft.provider}, confidence ${found.draft.confidence.toFixed(2)}):`),
      el("pre", { class: "assist-draft", dataset: { testid: "assist-draft" } }, found.draft.text),
      use,
    );
  }
  body.replaceChildren(...parts);
}

/** The passage as text, its best-matching sentence inside <mark>. */
function passageWithSentence(article) {
  const at = article.sentence ? article.passage.indexOf(article.sentence) : -1;
  if (at < 0) return [article.passage];
  return [
    article.passage.slice(0, at),
    el("mark", {}, article.sentence),
    article.passage.slice(at + article.sentence.length),
  ];
}

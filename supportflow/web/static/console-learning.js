// "Which article answered this?": the agent marks the knowledge article that answered a
// claimed chat, in one click, and the customer's question becomes a learned example the bot
// answers from next time (docs/learned-examples.md). Offered: the articles the bot considered
// in this chat, and a search of the help center for any other.
import { api, el, notify } from "./common.js";

const SEARCH_DELAY_MS = 250;

/** The articles the bot considered in `messages`, in the order it first named them. */
export function consideredArticles(messages) {
  const seen = new Map();
  for (const message of messages) {
    if (message.sender_type !== "bot" || !message.metadata) continue;
    const named = [...(message.metadata.sources || []), ...(message.metadata.considered || [])];
    for (const source of named) {
      if (source.id && !seen.has(source.id)) seen.set(source.id, source.title || source.id);
    }
  }
  return [...seen].map(([id, title]) => ({ id, title }));
}

/** Fill the room's pick panel: the considered articles as buttons, and the search. */
export function showArticlePick(room, messages, { token }) {
  const box = room.find(".article-pick");
  if (!box) return;
  const status = el("p", { class: "note", role: "status", dataset: { testid: "pick-status" } });
  const picked = new Set();
  const button = (article) => {
    const pick = el(
      "button",
      {
        type: "button",
        class: "chip pick-article",
        "aria-pressed": picked.has(article.id) ? "true" : "false",
        title: article.id,
        dataset: { testid: "pick-article", articleId: article.id },
      },
      article.title,
    );
    pick.addEventListener("click", () => mark(article, pick));
    return el("li", {}, pick);
  };
  const mark = async (article, pick) => {
    pick.disabled = true;
    try {
      await api(`/api/sessions/${encodeURIComponent(room.sessionId)}/learned-examples`, {
        token: token(),
        method: "POST",
        body: { article_ids: [article.id] },
      });
      picked.add(article.id);
      for (const same of box.querySelectorAll(`[data-article-id="${CSS.escape(article.id)}"]`)) {
        same.setAttribute("aria-pressed", "true");
      }
      status.textContent = `Thanks: “${article.title}” will answer questions like this one.`;
    } catch (error) {
      status.textContent = "";
      notify(`Could not save the article: ${error.message}`, "error");
    } finally {
      pick.disabled = false;
    }
  };
  const considered = consideredArticles(messages);
  const results = el("ul", { class: "pick-list", dataset: { testid: "pick-results" } });
  const search = el("input", {
    type: "search",
    maxlength: "500",
    placeholder: "Search the help articles…",
    "aria-label": "Search the help articles",
    dataset: { testid: "pick-search" },
  });
  let timer = 0;
  let asked = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const query = search.value.trim();
      const mine = ++asked;
      if (!query) return results.replaceChildren();
      try {
        const found = await api(`/api/help/search?q=${encodeURIComponent(query)}`);
        if (mine === asked) results.replaceChildren(...found.results.map(button));
      } catch (error) {
        notify(`Search failed: ${error.message}`, "error");
      }
    }, SEARCH_DELAY_MS);
  });
  box.replaceChildren(
    el("h4", {}, "Which article answered this?"),
    el(
      "ul",
      { class: "pick-list", dataset: { testid: "pick-considered" } },
      considered.length ? considered.map(button) : el("li", { class: "note" }, "The bot named no article."),
    ),
    search,
    results,
    status,
  );
  box.hidden = false;
}

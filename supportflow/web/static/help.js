// The help center: /help lists the knowledge base's articles by category and searches them
// with the bot's own retrieval; /help/<id> shows one article, rendered from its Markdown
// (markdown.js), and asks "Was this helpful?". Everything comes from /api/help.
import { ApiError, api, el, notify } from "./common.js";
import { renderMarkdown } from "./markdown.js";

const $ = (id) => document.getElementById(id);
const VOTED_KEY = "supportflow.help.voted";

async function showIndex() {
  const status = $("help-index-status");
  try {
    const { categories } = await api("/api/help/articles");
    $("help-categories").replaceChildren(
      ...categories.map((category) =>
        el(
          "li",
          { dataset: { testid: "help-category" } },
          el("h3", {}, category.name),
          el(
            "ul",
            {},
            category.articles.map((article) => el("li", {}, el("a", { href: article.url }, article.title))),
          ),
        ),
      ),
    );
    status.textContent = categories.length ? "" : "There are no articles yet.";
  } catch (error) {
    status.textContent = `The articles could not be loaded: ${reason(error)}`;
  }
  const query = new URLSearchParams(location.search).get("q");
  if (query) {
    $("help-query").value = query;
    await search(query);
  }
}

async function search(query) {
  const section = $("help-results-section");
  const status = $("help-results-status");
  section.hidden = false;
  status.textContent = "Searching…";
  try {
    const { results } = await api(`/api/help/search?q=${encodeURIComponent(query)}`);
    $("help-results").replaceChildren(
      ...results.map((result) =>
        el(
          "li",
          { dataset: { testid: "help-result", articleId: result.id } },
          el("a", { href: result.url }, result.title),
          el("p", { class: "excerpt" }, result.excerpt),
        ),
      ),
    );
    status.textContent = results.length ? `${results.length} article(s) for “${query}”` : `No article matches “${query}”.`;
  } catch (error) {
    $("help-results").replaceChildren();
    status.textContent = `The search failed: ${reason(error)}`;
  }
}

async function showArticle(articleId) {
  const box = $("article");
  try {
    const article = await api(`/api/help/articles/${encodeURIComponent(articleId)}`);
    document.title = `${article.title} · Nimbus Mobile help center`;
    $("article-title").textContent = article.title;
    $("article-meta").textContent = `${article.category}${article.updated_at ? ` · updated ${article.updated_at.slice(0, 10)}` : ""}`;
    renderMarkdown($("article-body"), article.content, "article");
    offerVote(articleId);
  } catch (error) {
    const missing = error instanceof ApiError && error.status === 404;
    $("article-title").textContent = missing ? "Article not found" : "The article could not be loaded";
    $("article-body").replaceChildren(
      el("p", {}, missing ? "It may have been removed. " : `${reason(error)} `, el("a", { href: "/help" }, "See all articles")),
    );
  } finally {
    box.setAttribute("aria-busy", "false");
  }
}

/** "Was this helpful?": one vote per article and browser (remembered locally). */
function offerVote(articleId) {
  const box = $("helpful");
  const thanks = $("helpful-thanks");
  const voted = JSON.parse(localStorage.getItem(VOTED_KEY) || "{}");
  box.hidden = false;
  const buttons = [...box.querySelectorAll("button")];
  const done = (verdict) => {
    for (const button of buttons) {
      button.disabled = true;
      button.setAttribute("aria-pressed", String(button.dataset.verdict === verdict));
    }
    thanks.textContent = "Thank you for your feedback.";
  };
  if (voted[articleId]) done(voted[articleId]);
  for (const button of buttons) {
    button.addEventListener("click", async () => {
      const verdict = button.dataset.verdict;
      try {
        await api(`/api/help/feedback/${encodeURIComponent(articleId)}`, { method: "POST", body: { verdict } });
        localStorage.setItem(VOTED_KEY, JSON.stringify({ ...voted, [articleId]: verdict }));
        done(verdict);
      } catch (error) {
        notify(`Your vote was not counted: ${reason(error)}`, "error");
      }
    });
  }
}

function reason(error) {
  return error instanceof ApiError ? error.message : "something went wrong";
}

const onArticle = location.pathname.match(/^\/help\/(.+)$/);
if (onArticle) {
  showArticle(decodeURIComponent(onArticle[1]));
} else {
  $("help-search").addEventListener("submit", (event) => {
    event.preventDefault();
    const query = $("help-query").value.trim();
    if (!query) return;
    history.replaceState(null, "", `/help?q=${encodeURIComponent(query)}`);
    search(query);
  });
  showIndex();
}

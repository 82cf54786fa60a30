// Transcript search (GET /api/search), shared by the agent console and the /search page:
// a form of filters, pages of results with the matched words highlighted, and each result
// openable (GET /api/search/conversations/<id>). Snippets arrive as parts flagged `match`;
// they are put on the page as text, inside <mark> for matches, never as HTML.
import { Transcript, api, el, humanReason } from "./common.js";
import { asEvent } from "./console-tools.js";

const STATES = [
  ["", "Any state"],
  ["closed", "Closed"],
  ["agent_assigned", "With an agent"],
  ["escalating", "Queued"],
  ["bot_active", "With the bot"],
];

/** Build the search UI inside `root`; `token()` gives the caller's bearer token. */
export function mountSearch(root, { token, names = {} }) {
  const field = (label, input) => el("label", { class: "search-field" }, label, input);
  const inputs = {
    q: el("input", { type: "search", maxlength: "200", dataset: { testid: "search-text" }, placeholder: 'words or "a phrase"' }),
    customer: el("input", { maxlength: "200", dataset: { testid: "search-customer" }, placeholder: "id, email or name" }),
    agent: el("input", { maxlength: "200", dataset: { testid: "search-agent" }, placeholder: "agent id" }),
    state: el("select", { dataset: { testid: "search-state" } }, STATES.map(([value, label]) => el("option", { value }, label))),
    since: el("input", { type: "date", dataset: { testid: "search-since" } }),
    until: el("input", { type: "date", dataset: { testid: "search-until" } }),
  };
  const form = el(
    "form",
    { class: "search-form", role: "search", "aria-label": "Search transcripts" },
    field("Text", inputs.q),
    field("Customer", inputs.customer),
    field("Agent", inputs.agent),
    field("State", inputs.state),
    field("From", inputs.since),
    field("To", inputs.until),
    el("button", { type: "submit", class: "primary", dataset: { testid: "search-button" } }, "Search"),
  );
  const status = el("p", { class: "empty", role: "status", "aria-live": "polite" });
  const results = el("ol", { class: "search-results", dataset: { testid: "search-results" } });
  const previous = el("button", { type: "button", dataset: { testid: "search-previous" } }, "Previous");
  const next = el("button", { type: "button", dataset: { testid: "search-next" } }, "Next");
  const pageLabel = el("span", { class: "search-page", dataset: { testid: "search-page" } });
  const pager = el("div", { class: "search-pager" }, previous, pageLabel, next);
  const viewer = el("section", { class: "search-viewer", dataset: { testid: "search-viewer" }, hidden: true });
  root.replaceChildren(form, status, results, pager, viewer);
  pager.hidden = true;

  let page = 1;
  const run = async (wanted) => {
    const params = new URLSearchParams({ page: String(wanted), per_page: "10" });
    for (const [name, input] of Object.entries(inputs)) {
      if (input.value.trim()) params.set(name, input.value.trim());
    }
    status.textContent = "Searching…";
    try {
      const found = await api(`/api/search?${params}`, { token: token() });
      page = found.page;
      results.replaceChildren(...found.results.map((result) => renderResult(result, open)));
      status.textContent = found.results.length ? "" : "Nothing found.";
      pageLabel.textContent = `Page ${found.page}`;
      previous.disabled = found.page <= 1;
      next.disabled = !found.has_more;
      pager.hidden = found.page <= 1 && !found.has_more;
    } catch (error) {
      status.textContent = `Search failed: ${error.message}`;
    }
  };
  const open = async (result) => {
    viewer.hidden = false;
    viewer.replaceChildren(el("h2", { class: "search-viewer-title" }, `${result.customer.name || result.customer.user_id} · ${humanReason(result.state)}`));
    // Focusable: a scrolling transcript must be readable from the keyboard too.
    const list = el("ol", { class: "transcript", tabindex: "0", "aria-label": "Conversation", dataset: { testid: "search-transcript" } });
    viewer.append(list, el("button", { type: "button", onclick: () => (viewer.hidden = true) }, "Close"));
    try {
      const { messages } = await api(`/api/search/conversations/${encodeURIComponent(result.session_id)}`, { token: token() });
      new Transcript(list, { viewer: "agent", names }).addAll(messages.map(asEvent));
      const seq = result.match && result.match.seq;
      const hit = seq && list.querySelector(`[data-seq="${seq}"]`);
      if (hit) {
        hit.classList.add("search-hit");
        hit.scrollIntoView({ block: "nearest" });
      }
    } catch (error) {
      viewer.append(el("p", { class: "form-error" }, `Could not open it: ${error.message}`));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run(1);
  });
  previous.addEventListener("click", () => run(page - 1));
  next.addEventListener("click", () => run(page + 1));
  return { run, inputs };
}

function renderResult(result, open) {
  const when = (result.match && result.match.created_at) || result.updated_at;
  const who = result.customer.name ? `${result.customer.name} (${result.customer.user_id})` : result.customer.user_id;
  const snippet = result.match
    ? el(
        "p",
        { class: "snippet", dataset: { testid: "search-snippet" } },
        result.match.private ? el("span", { class: "chip" }, "Private note") : null,
        result.match.snippet.map((part) => (part.match ? el("mark", {}, part.text) : part.text)),
      )
    : null;
  return el(
    "li",
    { class: "search-result", dataset: { testid: "search-result", sessionId: result.session_id } },
    el(
      "div",
      { class: "search-meta" },
      el("strong", {}, who),
      ` · ${humanReason(result.state)}`,
      result.agent_id ? ` · ${result.agent_id}` : "",
      el("time", { datetime: when }, ` · ${new Date(when).toLocaleString()}`),
    ),
    snippet,
    el("button", { type: "button", class: "link", dataset: { testid: "search-open" }, onclick: () => open(result) }, "Open"),
  );
}

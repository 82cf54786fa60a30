// The admin page's learned examples: the customer wording agents confirmed an article
// answers (docs/learned-examples.md), who confirmed each and when; edit one's wording or
// article in place, or remove it. `call(path, options)` is the page's authenticated REST call.
import { el, notify } from "/web/static/common.js";

const $ = (id) => document.getElementById(id);

export async function loadLearned(call) {
  const { examples } = await call("/api/learned-examples");
  $("learned-count").textContent = examples.length;
  $("learned-empty").hidden = examples.length > 0;
  $("learned-rows").replaceChildren(...examples.map((example) => row(call, example)));
}

function row(call, example) {
  const who = example.confirmed_by_name || example.confirmed_by;
  return el(
    "tr",
    { dataset: { testid: "learned-row", exampleId: example.example_id } },
    el("td", { class: "learned-text", dataset: { testid: "learned-text" } }, example.text),
    el(
      "td",
      { dataset: { testid: "learned-article" } },
      example.article_title || example.article_id,
      el("br"),
      el("small", { class: "muted" }, example.article_id),
      example.article_missing
        ? el("span", { class: "chip warn", title: "This article no longer exists: the example is not used" }, " article missing")
        : null,
    ),
    el("td", { dataset: { testid: "learned-who" } }, who, el("br"), el("small", { class: "muted" }, example.origin)),
    el("td", {}, el("time", { datetime: example.confirmed_at }, new Date(example.confirmed_at).toLocaleString())),
    el(
      "td",
      { class: "actions-cell" },
      el("button", { type: "button", dataset: { testid: "learned-edit" }, onclick: (event) => edit(call, example, event.target) }, "Edit"),
      " ",
      el("button", { type: "button", dataset: { testid: "learned-delete" }, onclick: () => remove(call, example) }, "Remove"),
    ),
  );
}

function edit(call, example, button) {
  const cell = button.closest("tr").querySelector(".learned-text");
  const text = el("textarea", { rows: "3", maxlength: "2000", "aria-label": "Customer wording", dataset: { testid: "learned-text-input" } });
  text.value = example.text;
  const article = el("input", { maxlength: "200", "aria-label": "Article id", dataset: { testid: "learned-article-input" } });
  article.value = example.article_id;
  const save = el("button", { type: "submit", class: "primary", dataset: { testid: "learned-save" } }, "Save");
  const form = el(
    "form",
    { class: "learned-form" },
    text,
    el("label", {}, "Article id ", article),
    save,
    " ",
    el("button", { type: "button", onclick: () => loadLearned(call).catch((e) => notify(e.message, "error")) }, "Cancel"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      await call(`/api/learned-examples/${encodeURIComponent(example.example_id)}`, {
        method: "PATCH",
        body: { text: text.value.trim(), article_id: article.value.trim() },
      });
      await loadLearned(call);
    } catch (error) {
      notify(error.message, "error");
      save.disabled = false;
    }
  });
  cell.replaceChildren(form);
  text.focus();
}

async function remove(call, example) {
  if (!window.confirm("Remove this learned example? The bot stops using it at once.")) return;
  try {
    await call(`/api/learned-examples/${encodeURIComponent(example.example_id)}`, { method: "DELETE" });
    await loadLearned(call);
  } catch (error) {
    notify(error.message, "error");
  }
}

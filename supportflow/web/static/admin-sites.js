// The admin page's websites: add a site that embeds the chat widget (its secret and script
// tag shown once), list them, give one a new secret, delete one. `call(path, options)` is
// the page's authenticated REST call.
import { el, notify } from "/web/static/common.js";

const $ = (id) => document.getElementById(id);

export async function loadSites(call) {
  const { sites } = await call("/api/sites");
  $("sites-count").textContent = sites.length;
  $("site-rows").replaceChildren(
    ...sites.map((site) =>
      el(
        "tr",
        { dataset: { testid: "site-row", siteId: site.site_id } },
        el("td", {}, site.name, el("br"), el("small", { class: "muted" }, site.site_id)),
        el("td", {}, site.allowed_origins.join(" ")),
        el(
          "td",
          {},
          swatch(site.brand_color),
          `${site.brand_color}, ${site.launcher_position.replace("-", " ")}`,
          site.prechat_fields.length ? `, asks ${site.prechat_fields.join(" and ")}` : "",
        ),
        el(
          "td",
          { class: "actions-cell" },
          el("button", { type: "button", dataset: { testid: "site-rotate" }, onclick: () => rotate(call, site) }, "New secret"),
          " ",
          el("button", { type: "button", dataset: { testid: "site-delete" }, onclick: () => remove(call, site) }, "Delete"),
        ),
      ),
    ),
  );
}

function swatch(colour) {
  const box = el("span", { class: "swatch", "aria-hidden": "true" });
  box.style.background = colour; // CSSOM, not a style attribute: the page's CSP allows only this
  return box;
}

function showSecret(site) {
  $("site-secret-owner").textContent = site.name;
  $("site-secret-value").textContent = site.secret;
  $("site-snippet").textContent = site.snippet;
  $("site-secret").hidden = false;
}

async function rotate(call, site) {
  if (!window.confirm(`Give ${site.name} a new secret? Hashes signed with the old one are refused at once.`)) return;
  try {
    showSecret(await call(`/api/sites/${encodeURIComponent(site.site_id)}/secret`, { method: "POST" }));
  } catch (error) {
    notify(error.message, "error");
  }
}

async function remove(call, site) {
  if (!window.confirm(`Delete ${site.name}? The chat stops loading on its pages; its chats are kept.`)) return;
  try {
    await call(`/api/sites/${encodeURIComponent(site.site_id)}`, { method: "DELETE" });
    await loadSites(call);
  } catch (error) {
    notify(error.message, "error");
  }
}

export function wireSites(call) {
  $("site-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const body = {
      name: String(data.get("name")).trim(),
      allowed_origins: String(data.get("allowed_origins")).split(/\s+/).filter(Boolean),
      brand_color: String(data.get("brand_color")),
      launcher_position: String(data.get("launcher_position")),
      prechat_fields: data.getAll("prechat_fields").map(String),
    };
    for (const field of ["site_id", "greeting"]) {
      const value = String(data.get(field) || "").trim();
      if (value) body[field] = value;
    }
    try {
      showSecret(await call("/api/sites", { method: "POST", body }));
      event.target.reset();
      await loadSites(call);
    } catch (error) {
      notify(error.message, "error");
    }
  });
}

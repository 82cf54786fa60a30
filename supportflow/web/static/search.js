// The /search page: transcript search for the admin (everything) or an agent (their own chats
// and the queue). The token is the one this tab already signed in with on /admin or
// /console (sessionStorage), else asked for here.
import { api } from "./common.js";
import { mountSearch } from "./search-panel.js";

const TOKEN_KEY = "supportflow.search.token";
const SIGNED_IN_ELSEWHERE = ["supportflow.admin.token", "supportflow.console.token"];
const $ = (id) => document.getElementById(id);

async function start(candidate) {
  $("sign-in-error").textContent = "";
  try {
    await api("/api/search?per_page=1", { token: candidate });
  } catch (error) {
    $("sign-in-error").textContent =
      error.status === 401 || error.status === 403 ? "That token may not search." : error.message;
    $("sign-in").hidden = false;
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, candidate);
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("search").hidden = false;
  mountSearch($("search"), { token: () => candidate });
  $("search").querySelector("input").focus();
}

$("sign-in").addEventListener("submit", (event) => {
  event.preventDefault();
  start($("token-input").value.trim());
});
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
});

const known = [TOKEN_KEY, ...SIGNED_IN_ELSEWHERE].map((key) => sessionStorage.getItem(key)).find(Boolean);
if (known) start(known);
else $("sign-in").hidden = false;

// The console shell: sign-in, the section router (#/today, #/calls/CA…), the header.
import { claims, signIn, signOut } from "/api.js";
import { connectLive, disconnectLive } from "/live.js";
import { status } from "/dom.js";
import today from "/pages/today.js";
import calls from "/pages/calls.js";
import board from "/pages/board.js";
import customers from "/pages/customers.js";
import settings from "/pages/settings.js";

const pages = { today, calls, appointments: board, customers, settings };
const page = document.getElementById("page");
const login = document.getElementById("login");
const nav = document.querySelector("nav");
let cleanup = null;

function showLogin() {
  disconnectLive();
  nav.hidden = true;
  document.getElementById("signout").hidden = true;
  page.replaceChildren();
  document.getElementById("who").textContent = "";
  login.hidden = false;
  login.querySelector("input").focus();
}

async function route() {
  const user = claims();
  if (!user) return showLogin();
  login.hidden = true;
  nav.hidden = false;
  document.getElementById("signout").hidden = false;
  const groups = user["cognito:groups"] || [];
  document.getElementById("who").textContent = `${user.username} (${groups.join(", ")})`;
  connectLive();
  const [name = "today", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const render = pages[name] || today;
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (cleanup) cleanup();
  cleanup = null;
  page.replaceChildren(status("Loading…"));
  try {
    cleanup = (await render(page, rest, { canEditSettings: groups.includes("owners") })) || null;
  } catch (error) {
    page.replaceChildren(status(error.message, "error"));
  }
}

login.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  try {
    await signIn(login.username.value, login.password.value);
    login.reset();
    await route();
    document.getElementById("main").focus();
  } catch (failure) {
    error.textContent = failure.message;
  }
});

window.addEventListener("hashchange", route);
window.addEventListener("pitstop:signed-out", showLogin);
document.getElementById("signout").addEventListener("click", () => {
  signOut();
  showLogin();
});
route();

// The console shell: sign-in, the section router (#/today, #/calls/CA…), the header.
import { claims, setNewPassword, signIn, signOut } from "/api.js";
import { connectLive, disconnectLive } from "/live.js";
import { status } from "/dom.js";
import { forgetLanguage, loadLanguage, register, translate } from "/i18n.js";
import shellLabels from "/labels/shell.js";
import today from "/pages/today.js";
import calls from "/pages/calls.js";
import board from "/pages/board.js";
import customers from "/pages/customers.js";
import settings from "/pages/settings.js";
import testCall from "/pages/test-call.js";
import reports from "/pages/reports.js";

const pages = { today, calls, appointments: board, customers, reports, settings, "test-call": testCall };
const t = register("shell", shellLabels);
const page = document.getElementById("page");
const login = document.getElementById("login");
const newPassword = document.getElementById("new-password");
let challenge = null; // Cognito's NEW_PASSWORD_REQUIRED, between the two forms
const nav = document.querySelector("nav");
let cleanup = null;

function showLogin() {
  disconnectLive();
  forgetLanguage();
  translate();
  nav.hidden = true;
  document.getElementById("signout").hidden = true;
  page.replaceChildren();
  document.getElementById("who").textContent = "";
  newPassword.hidden = true;
  challenge = null;
  login.hidden = false;
  login.querySelector("input").focus();
}

async function route() {
  const user = claims();
  if (!user) return showLogin();
  await loadLanguage();
  translate();
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
  page.replaceChildren(status(t("loading")));
  try {
    cleanup = (await render(page, rest, { canEditSettings: groups.includes("owners") })) || null;
  } catch (error) {
    page.replaceChildren(status(error.message, "error"));
  }
}

async function signedIn() {
  login.reset();
  newPassword.reset();
  newPassword.hidden = true;
  challenge = null;
  await route();
  document.getElementById("main").focus();
}

login.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.textContent = "";
  try {
    challenge = await signIn(login.username.value, login.password.value);
    if (!challenge) return await signedIn();
    login.hidden = true;
    newPassword.hidden = false;
    newPassword.querySelector("input").focus();
  } catch (failure) {
    error.textContent = failure.message;
  }
});

newPassword.addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("new-password-error");
  error.textContent = "";
  if (newPassword.password.value !== newPassword.repeat.value) {
    error.textContent = "The two passwords differ.";
    return;
  }
  try {
    challenge = await setNewPassword(challenge, newPassword.password.value);
    if (!challenge) await signedIn();
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

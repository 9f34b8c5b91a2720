// Test call: the staff member is the caller (a known customer or a new one), this browser is the
// phone (`/phone.js`), and the live view (`/live.js`) shows the call's transcript, tools and the
// texts it held, beside the call controls. `window.pitstopPhone` is the current call's phone.
import { api } from "/api.js";
import { h, status, time } from "/dom.js";
import { register } from "/i18n.js";
import labels from "/labels/test-call.js";
import { onLive } from "/live.js";
import { transcriptList } from "/pages/calls.js";
import { Phone } from "/phone.js";

const t = register("test-call", labels);

function heldList(texts) {
  if (!texts?.length) return [h("li", { class: "muted" }, t("noHeld"))];
  return texts.map((text) => h("li", {}, h("time", { datetime: text.at }, time(text.at)), " ", h("b", {}, t("heldTo", { to: text.to })), ": ", text.body));
}

// Who is calling, as the admin API takes it: `{new_caller: true}` or `{customer_id}`.
async function caller(kind, phone) {
  if (kind === "new") return { new_caller: true };
  const { customers } = await api("GET", `/admin/customers?phone=${encodeURIComponent(phone)}`);
  if (!customers.length) throw new Error(t("noCustomer"));
  return { customer_id: customers[0].customer.customer_id };
}

export default async function testCall(page) {
  const notice = h("div", { "aria-live": "polite" });
  const say = (message, kind) => notice.replaceChildren(status(message, kind));
  const kind = h("select", { id: "test-call-kind" },
    h("option", { value: "new" }, t("newCaller")), h("option", { value: "known" }, t("knownCustomer")));
  const number = h("input", { id: "test-call-phone", type: "tel", autocomplete: "off", disabled: true });
  kind.addEventListener("change", () => { number.disabled = kind.value === "new"; });
  const callButton = h("button", { type: "submit" }, t("call"));
  const hangUp = h("button", { type: "button", class: "danger", disabled: true }, t("hangUp"));
  const state = h("p", { class: "status", role: "status", id: "test-call-state" }, t("idle"));
  const link = h("p");
  const transcript = transcriptList([]);
  const tools = h("ul", { class: "tools", "aria-label": t("tools") });
  const held = h("ul", { class: "held", "aria-label": t("held") }, heldList([]));
  let phone = null;

  const show = (name) => {
    state.textContent = t(name);
    state.dataset.state = name;
    callButton.disabled = name === "connecting" || name === "connected";
    hangUp.disabled = name !== "connecting" && name !== "connected";
  };
  const place = async (event) => {
    event.preventDefault();
    transcript.replaceChildren();
    tools.replaceChildren();
    held.replaceChildren(...heldList([]));
    try {
      const grant = await api("POST", "/admin/test-calls", await caller(kind.value, number.value.trim()));
      phone = window.pitstopPhone = new Phone(grant);
      phone.addEventListener("state", ({ detail }) => show(detail.state));
      link.replaceChildren(h("a", { href: `#/calls/${grant.call_sid}` }, t("callLink")));
      await phone.call();
    } catch (error) {
      phone?.release();
      show("idle");
      say(error.name === "NotAllowedError" || error.name === "NotFoundError" ? t("noMicrophone", { error: error.message }) : error.message, "error");
    }
  };
  hangUp.addEventListener("click", () => phone?.hangUp());

  const stop = onLive((message) => {
    if (!phone || message.call_sid !== phone.grant.call_sid && message.call?.call_sid !== phone.grant.call_sid) return;
    if (message.type === "call") held.replaceChildren(...heldList(message.call.held_texts));
    else if (message.type === "turn") transcript.append(transcriptList([message]).firstChild);
    else if (message.type === "tool") {
      phone.playback.note(`tool:${message.name}`);
      tools.append(h("li", { class: message.ok ? "" : "failed" }, `${message.name}: ${message.summary}`));
    }
  });

  page.replaceChildren(
    h("h1", {}, t("title")),
    h("p", { class: "muted" }, t("intro")),
    notice,
    h("div", { class: "test-call" },
      h("section", { class: "controls", "aria-label": t("title") },
        h("form", { onsubmit: place },
          h("div", { class: "field" }, h("label", { for: "test-call-kind" }, t("who")), kind),
          h("div", { class: "field" }, h("label", { for: "test-call-phone" }, t("phone")), number),
          h("div", { class: "actions" }, callButton, hangUp)),
        state,
        link),
      h("section", { class: "live" },
        h("h2", {}, t("transcript")), transcript,
        h("h2", {}, t("tools")), tools,
        h("h2", {}, t("held")), held)),
  );
  return () => {
    stop();
    phone?.hangUp();
  };
}

// Today: calls in progress, live (transcript as it is spoken, tools as they run, elapsed time),
// with "hand to me now" and "end call"; today's board; messages waiting to be handled.
import { api } from "/api.js";
import { h, status, time } from "/dom.js";
import { register } from "/i18n.js";
import labels from "/labels/today.js";
import { onLive } from "/live.js";
import { renderBoard } from "/pages/board.js";
import { transcriptList } from "/pages/calls.js";

const FINAL = new Set(["completed", "busy", "no-answer", "failed", "canceled"]);
const t = register("today", labels);
const PHASES = { queued: "ringing", initiated: "ringing", ringing: "ringing", "in-progress": "in_progress", answered: "in_progress" };

// What staff read on the card: ringing, in progress, or ended with how (`ended · booked`).
function phase(call) {
  if (!FINAL.has(call.status)) return PHASES[call.status] ? t(PHASES[call.status]) : call.status;
  const how = call.outcome || (call.status === "completed" ? "" : call.status);
  return how ? t("ended_how", { how: how.replace(/[_-]/g, " ") }) : t("ended");
}

function elapsed(since) {
  const seconds = Math.max(0, Math.round((Date.now() - new Date(since)) / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

// A message left for the shop (take_message, voicemail): who, about what, and "Handle" to close it.
function messageItem(message, say) {
  const handle = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const { message: closed } = await api("POST", `/admin/messages/${message.message_id}/handle`, {});
      item.classList.add("handled");
      button.replaceWith(h("span", { class: "muted" }, t("handled_by", { who: closed.handled_by })));
      say(t("handled", { who: message.caller_name || message.callback_number || t("a_caller") }));
    } catch (error) {
      button.disabled = false;
      say(error.message, "error");
    }
  };
  const who = message.caller_name || t("unknown_caller");
  const item = h(
    "li",
    { class: `message ${message.urgency}`, dataset: { id: message.message_id } },
    h("strong", {}, who),
    message.callback_number ? ` · ${message.callback_number}` : "",
    message.urgency !== "routine" ? h("span", { class: "tag" }, message.urgency) : null,
    h("span", { class: "muted" }, ` ${time(message.created_at, true)}`),
    h("p", {}, message.about, message.vehicle ? ` (${message.vehicle})` : "",
      message.callback_when ? t("call_back", { when: message.callback_when }) : ""),
    message.call_sid ? h("a", { href: `#/calls/${message.call_sid}` }, t("the_call")) : null,
    " ",
    h("button", { type: "button", onclick: handle, "aria-label": t("handle_label", { who }) }, t("handle")),
  );
  return item;
}

function liveCard(call, say) {
  const sid = call.call_sid;
  const control = (action, label) => async () => {
    try {
      await api("POST", `/admin/calls/${sid}/${action}`, {});
      say(t("done_for", { action: label, number: call.customer_number }));
    } catch (error) {
      say(error.message, "error");
    }
  };
  const clock = h("span", { class: "clock", "aria-label": t("elapsed") }, elapsed(call.started_at));
  const transcript = transcriptList([]);
  const tools = h("ul", { class: "tools", "aria-label": t("tools_run") });
  const node = h(
    "article",
    { class: "live-call", dataset: { sid }, "aria-label": t("live_call", { number: call.customer_number }) },
    h("h3", {}, `${call.customer_number} · ${call.direction}`, " ", clock),
    h("p", { class: "muted" }, call.customer_id || t("new_caller"), " · ", h("span", { class: "call-status" }, phase(call))),
    h("div", { class: "actions" },
      h("button", { type: "button", onclick: control("handoff", t("handed")) }, t("hand_to_me")),
      h("button", { type: "button", class: "danger", onclick: control("end", t("call_ended")) }, t("end_call"))),
    transcript,
    tools,
  );
  return { node, clock, transcript, tools, call };
}

export default async function today(page) {
  const notice = h("div", { "aria-live": "polite" });
  const say = (message, kind) => notice.replaceChildren(status(message, kind));
  const liveList = h("div", { class: "live-calls", "aria-live": "polite" });
  const empty = h("p", { class: "muted" }, t("no_calls"));
  const messages = h("ul", { class: "messages", "aria-label": t("messages_waiting") });
  const boardArea = h("div");
  page.replaceChildren(
    h("h1", {}, t("title")),
    notice,
    h("h2", {}, t("calls_in_progress")),
    empty,
    liveList,
    h("h2", {}, t("board")),
    boardArea,
    h("h2", {}, t("messages")),
    messages,
  );
  const cards = new Map();
  const seenTurns = new Set();
  const addTurn = (sid, turn) => {
    const key = `${sid}#${turn.at}#${turn.role}#${turn.text}`;
    const card = cards.get(sid);
    if (!card || seenTurns.has(key)) return;
    seenTurns.add(key);
    card.transcript.append(transcriptList([turn]).firstChild);
  };
  const show = (call) => {
    const existing = cards.get(call.call_sid);
    if (existing) {
      existing.call = call;
      existing.node.querySelector(".call-status").textContent = phase(call);
      existing.node.classList.toggle("ended", FINAL.has(call.status));
      return;
    }
    if (FINAL.has(call.status)) return;
    const card = liveCard(call, say);
    cards.set(call.call_sid, card);
    liveList.append(card.node);
    empty.hidden = true;
  };
  // A call whose first record went by before the live view connected (or while it was
  // reconnecting) is fetched once, on its first line or tool, with what was said so far.
  const asked = new Set();
  const catchUp = async (sid) => {
    asked.add(sid);
    const detail = await api("GET", `/admin/calls/${sid}`);
    show(detail.call);
    detail.transcript.forEach((t) => addTurn(sid, t));
  };
  const stop = onLive((message) => {
    if (message.type !== "call" && !cards.has(message.call_sid) && !asked.has(message.call_sid)) {
      catchUp(message.call_sid).catch((error) => say(error.message, "error"));
    }
    if (message.type === "call") show(message.call);
    else if (message.type === "turn") addTurn(message.call_sid, message);
    else if (message.type === "tool") {
      const card = cards.get(message.call_sid);
      if (card) card.tools.append(h("li", { class: message.ok ? "" : "failed" }, `${message.name}: ${message.summary}`));
    }
  });
  const live = await api("GET", "/admin/calls?live=true");
  await Promise.all(live.calls.map((call) => catchUp(call.call_sid)));
  const waiting = await api("GET", "/admin/messages?status=new");
  messages.replaceChildren(...waiting.messages.map((m) => messageItem(m, say)));
  if (!messages.childElementCount) messages.append(h("li", { class: "muted" }, t("no_messages")));
  await renderBoard(boardArea, "", { compact: true });
  // An ended call's clock stops where it ended.
  const tick = setInterval(() => cards.forEach((c) => {
    if (!FINAL.has(c.call.status)) c.clock.textContent = elapsed(c.call.started_at);
  }), 1000);
  return () => { stop(); clearInterval(tick); };
}

// Calls: the day's log with filters, and one call's page (transcript, tools, outcome, cost).
import { api } from "/api.js";
import { h, status, time } from "/dom.js";

const OUTCOMES = ["", "completed", "caller_hung_up", "booked", "rescheduled", "cancelled",
  "confirmed", "handed_off", "voicemail", "no_answer", "busy", "failed"];

function field(id, label, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

export function transcriptList(turns) {
  return h(
    "ol",
    { class: "transcript", "aria-label": "Transcript" },
    turns.map((t) =>
      h("li", { class: t.role }, h("time", { datetime: t.at }, time(t.at)), h("b", {}, `${t.role}: `), t.text),
    ),
  );
}

async function detail(page, sid) {
  const { call, transcript, tool_calls: tools } = await api("GET", `/admin/calls/${sid}`);
  const facts = [
    ["Direction", call.direction],
    ["Caller", call.customer_number],
    ["Customer", call.customer_id || "not identified"],
    ["Status", call.status],
    ["Outcome", call.outcome || "—"],
    ["Handoff reason", call.handoff_reason || "—"],
    ["Started", time(call.started_at, true)],
    ["Duration", call.duration_seconds ? `${call.duration_seconds} s` : "—"],
    ["Estimated cost", call.estimated_cost_usd != null ? `$${call.estimated_cost_usd.toFixed(3)}` : "—"],
  ];
  page.replaceChildren(
    h("p", {}, h("a", { href: "#/calls" }, "← All calls")),
    h("h1", {}, `Call ${sid}`),
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", {}, "Transcript"),
    transcript.length ? transcriptList(transcript) : h("p", { class: "muted" }, "No transcript."),
    h("h2", {}, "Tool calls"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, ["Time", "Tool", "Arguments", "Result", "ms"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, tools.map((t) =>
        h("tr", { class: t.ok ? "" : "failed" },
          h("td", {}, time(t.at)), h("td", {}, t.name),
          h("td", {}, h("code", {}, JSON.stringify(t.arguments))),
          h("td", {}, t.result_summary), h("td", {}, Math.round(t.latency_ms))))),
    ),
    h("h2", {}, "Usage"),
    h("pre", {}, JSON.stringify(call.usage || {}, null, 2)),
  );
}

export default async function calls(page, [sid]) {
  if (sid) return detail(page, sid);
  const date = h("input", { type: "date" });
  const direction = h("select", {}, ["", "inbound", "reminder"].map((d) => h("option", { value: d }, d || "any")));
  const outcome = h("select", {}, OUTCOMES.map((o) => h("option", { value: o }, o || "any")));
  const customer = h("input", { type: "text", placeholder: "cus_…" });
  const results = h("div", { "aria-live": "polite" });
  const load = async () => {
    const query = new URLSearchParams();
    if (date.value) query.set("date", date.value);
    if (direction.value) query.set("direction", direction.value);
    if (outcome.value) query.set("outcome", outcome.value);
    if (customer.value) query.set("customer_id", customer.value.trim());
    try {
      const data = await api("GET", `/admin/calls?${query}`);
      date.value = data.date;
      results.replaceChildren(
        data.calls.length
          ? h("table", {},
              h("thead", {}, h("tr", {}, ["Started", "Direction", "Caller", "Status", "Outcome"].map((c) => h("th", { scope: "col" }, c)))),
              h("tbody", {}, data.calls.map((c) =>
                h("tr", {},
                  h("td", {}, h("a", { href: `#/calls/${c.call_sid}` }, time(c.started_at))),
                  h("td", {}, c.direction), h("td", {}, c.customer_number),
                  h("td", {}, c.status), h("td", {}, c.outcome || "—")))))
          : status("No calls match."),
      );
    } catch (error) {
      results.replaceChildren(status(error.message, "error"));
    }
  };
  const form = h(
    "form",
    { class: "filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    field("calls-date", "Day", date),
    field("calls-direction", "Direction", direction),
    field("calls-outcome", "Outcome", outcome),
    field("calls-customer", "Customer id", customer),
    h("button", { type: "submit" }, "Show"),
  );
  page.replaceChildren(h("h1", {}, "Calls"), form, results);
  await load();
}

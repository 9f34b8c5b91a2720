// Calls: the day's log with filters, and one call's page (transcript, tools, outcome, and
// after the call its summary, recording, latency and cost; labels in /labels/calls.js).
import { api } from "/api.js";
import { h, status, time } from "/dom.js";
import { register } from "/i18n.js";
import labels from "/labels/calls.js";

const t = register("calls", labels);

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
  ];
  page.replaceChildren(
    h("p", {}, h("a", { href: "#/calls" }, "← All calls")),
    h("h1", {}, `Call ${sid}`),
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("section", { "aria-labelledby": "call-summary" }, h("h2", { id: "call-summary" }, t("summary")), summaryView(call.summary)),
    h("section", { "aria-labelledby": "call-recording" }, h("h2", { id: "call-recording" }, t("recording")), await recordingView(sid)),
    h("section", { "aria-labelledby": "call-latency" }, h("h2", { id: "call-latency" }, t("latency")), latencyView(call.latency, tools)),
    h("section", { "aria-labelledby": "call-cost" }, h("h2", { id: "call-cost" }, t("cost")), costView(call.cost)),
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

function definitions(rows) {
  return h("dl", { class: "facts" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

function summaryView(summary) {
  if (!summary) return h("p", { class: "muted" }, t("no_summary"));
  return h(
    "div",
    { class: "summary" },
    definitions([
      [t("wanted"), summary.caller_wanted],
      [t("done"), summary.done],
      [t("left_to_do"), summary.left_to_do || t("nothing_left")],
      [t("callback"), summary.callback_needed ? t("callback_yes") : t("callback_no")],
      [t("mood"), t(`mood_${summary.caller_mood}`)],
    ]),
    h("p", { class: "muted source" }, summary.source === "model" ? t("summary_model", { model: summary.model }) : t("summary_facts")),
  );
}

// The recording plays from a short-lived link the admin API hands out (a presigned S3 URL in
// AWS, the local stack's folder here); 404: none was made.
async function recordingView(sid) {
  try {
    const { url, source } = await api("GET", `/admin/calls/${sid}/recording`);
    return h(
      "div",
      { class: "recording" },
      h("audio", { controls: true, preload: "metadata", src: url, "aria-label": t("recording_label", { sid }) }),
      source === "twilio" ? h("p", { class: "muted" }, t("recording_twilio")) : null,
    );
  } catch (error) {
    if (error.status === 404) return h("p", { class: "muted" }, t("no_recording"));
    return status(error.message, "error");
  }
}

const ms = (value) => (value == null ? "—" : `${Math.round(value)} ms`);

function latencyView(latency, tools) {
  const rows = [];
  if (latency?.response) rows.push([t("response"), latency.response]);
  if (latency?.greeting_ms != null) rows.push([t("greeting"), { count: 1, p50_ms: latency.greeting_ms, p95_ms: latency.greeting_ms, max_ms: latency.greeting_ms }]);
  if (latency?.tool) rows.push([t("tool"), latency.tool]);
  if (!rows.length) return h("p", { class: "muted" }, t("no_latency"));
  return h(
    "table",
    { class: "latency" },
    h("thead", {}, h("tr", {}, t("latency_cols").split(",").map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows.map(([what, s]) =>
      h("tr", {}, h("th", { scope: "row" }, what), h("td", {}, s.count), h("td", {}, ms(s.p50_ms)), h("td", {}, ms(s.p95_ms)), h("td", {}, ms(s.max_ms))))),
  );
}

export const usd = (value) => (value == null ? "—" : `$${Number(value).toFixed(4)}`);

function costView(cost) {
  if (!cost) return h("p", { class: "muted" }, t("no_cost"));
  return h(
    "div",
    { class: "cost" },
    definitions([
      [t("realtime"), usd(cost.realtime_usd)],
      [t("transcription"), usd(cost.transcription_usd)],
      [t("twilio", { minutes: cost.twilio_minutes }), usd(cost.twilio_usd)],
      [t("sms", { segments: cost.sms_segments }), usd(cost.sms_usd)],
      [t("total"), h("strong", {}, usd(cost.total_usd))],
    ]),
    h("p", { class: "muted" }, t("prices_version", { version: cost.prices_version })),
  );
}

export default async function calls(page, [sid]) {
  if (sid) return detail(page, sid);
  const date = h("input", { type: "date" });
  const direction = h("select", {}, ["", "inbound", "reminder", "test"].map((d) => h("option", { value: d }, d || "any")));
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
              h("thead", {}, h("tr", {}, ["Started", "Direction", "Caller", "Status", "Outcome", t("cost")].map((c) => h("th", { scope: "col" }, c)))),
              h("tbody", {}, data.calls.map((c) =>
                h("tr", {},
                  h("td", {}, h("a", { href: `#/calls/${c.call_sid}` }, time(c.started_at))),
                  h("td", {}, c.direction), h("td", {}, c.customer_number),
                  h("td", {}, c.status), h("td", {}, c.outcome || "—"),
                  h("td", { class: "number" }, c.cost ? usd(c.cost.total_usd) : "—")))))
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

// Reports: cost and response latency per day, as plain SVG charts and a table (no chart
// library), from `GET /admin/reports/costs` (the same report as `pitstop report`).
import { api } from "/api.js";
import { h, status, today } from "/dom.js";
import { clearErrors, field, showErrors } from "/forms.js";
import { register } from "/i18n.js";
import labels from "/labels/reports.js";
import { usd } from "/pages/calls.js";

const t = register("reports", labels);
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 640;
const HEIGHT = 180;
const PAD = { top: 12, right: 8, bottom: 28, left: 56 };
// Drawn with attributes, not the stylesheet: a chart reads the same wherever it is shown.
const FILL = { cost: "#2f6fad", latency: "#7b52b8" };
const TICK = { "font-size": 11, fill: "#555" };

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  for (const child of children.flat()) {
    if (child == null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// One bar per day, its value in a <title> (the tooltip, and what a screen reader reads).
export function barChart(days, value, format, label, kind) {
  const values = days.map((d) => value(d) ?? 0);
  const top = Math.max(...values, 0) || 1;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = plotW / Math.max(days.length, 1);
  const bars = days.map((d, i) => {
    const v = values[i];
    const barH = (v / top) * plotH;
    const x = PAD.left + i * step + step * 0.15;
    return svg(
      "rect",
      { class: "bar", fill: FILL[kind], x: x.toFixed(1), y: (PAD.top + plotH - barH).toFixed(1), width: (step * 0.7).toFixed(1), height: barH.toFixed(1), "data-day": d.day, "data-value": v },
      svg("title", {}, `${d.day}: ${value(d) == null ? t("none") : format(v)}`),
    );
  });
  const every = Math.ceil(days.length / 7); // at most ~7 day labels under the axis
  const ticks = days.map((d, i) =>
    i % every ? null : svg("text", { class: "tick", ...TICK, x: (PAD.left + i * step + step / 2).toFixed(1), y: HEIGHT - 8, "text-anchor": "middle" }, d.day.slice(5)),
  );
  return svg(
    "svg",
    { class: `chart ${kind}`, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": label },
    svg("line", { class: "axis", stroke: "#888", x1: PAD.left, y1: PAD.top + plotH, x2: WIDTH - PAD.right, y2: PAD.top + plotH }),
    svg("text", { class: "tick", ...TICK, x: PAD.left - 6, y: PAD.top + 10, "text-anchor": "end" }, format(top)),
    svg("text", { class: "tick", ...TICK, x: PAD.left - 6, y: PAD.top + plotH, "text-anchor": "end" }, format(0)),
    bars,
    ticks,
  );
}

const ms = (v) => `${Math.round(v)} ms`;

function table(report) {
  const row = (d, name) =>
    h("tr", {},
      h(name ? "th" : "td", name ? { scope: "row" } : {}, name || d.day),
      h("td", {}, d.calls), h("td", {}, usd(d.cost_usd)), h("td", {}, d.bookings),
      h("td", {}, d.confirmed_reminders), h("td", {}, d.handoffs),
      h("td", {}, d.latency_p95_ms == null ? t("none") : ms(d.latency_p95_ms)));
  return h(
    "table",
    { class: "report" },
    h("thead", {}, h("tr", {}, t("cols").split(",").map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, report.days.map((d) => row(d))),
    h("tfoot", {}, row({ ...report.total, latency_p95_ms: null }, t("total"))),
  );
}

function render(report) {
  const range = { since: report.since, until: report.until };
  return [
    h("h2", {}, t("cost_chart")),
    barChart(report.days, (d) => d.cost_usd, usd, t("chart_label", { what: t("cost_chart"), ...range }), "cost"),
    h("h2", {}, t("latency_chart")),
    barChart(report.days, (d) => d.latency_p95_ms, ms, t("chart_label", { what: t("latency_chart"), ...range }), "latency"),
    h("dl", { class: "facts per" },
      [[t("per_booking"), report.per_booking_usd], [t("per_confirmed"), report.per_confirmed_reminder_usd], [t("per_handoff"), report.per_handoff_usd]]
        .flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, usd(v))])),
    table(report),
    report.total.unpriced ? h("p", { class: "muted" }, t("unpriced", { count: report.total.unpriced })) : null,
  ];
}

// The one price table the costs are worked out with: owners change it, everyone reads it.
// Inputs are named by their path in `Prices` (`realtime.gpt-realtime.output_audio`).
const SCALARS = ["twilio_inbound_per_minute", "twilio_outbound_per_minute", "sms_per_segment"];
const TOKENS = ["input_text", "cached_text", "input_audio", "cached_audio", "output_text", "output_audio"];

function priceInput(path, value, disabled) {
  const id = `prices-${path.join("-")}`;
  const input = h("input", { id, type: "number", step: "any", min: 0, value, disabled, dataset: { path: path.join("|") } });
  return field(id, t(`price_${path.at(-1)}`), input);
}

function collect(form, prices) {
  const copy = structuredClone(prices);
  for (const input of form.querySelectorAll("input[data-path]")) {
    const path = input.dataset.path.split("|");
    let node = copy;
    for (const part of path.slice(0, -1)) node = node[part];
    node[path.at(-1)] = Number(input.value);
  }
  return copy;
}

async function pricesSection(canEdit) {
  const { version, prices } = await api("GET", "/admin/prices");
  const disabled = !canEdit;
  const said = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "prices", "aria-label": t("prices") },
    h("fieldset", {}, h("legend", {}, t("prices_phone")),
      SCALARS.map((k) => priceInput([k], prices[k], disabled)),
      priceInput(["transcription", "per_minute"], prices.transcription.per_minute, disabled)),
    Object.entries(prices.realtime).map(([model, rates]) =>
      h("fieldset", {}, h("legend", {}, t("prices_model", { model })),
        TOKENS.map((k) => priceInput(["realtime", model, k], rates[k], disabled)))),
    canEdit ? h("button", { type: "submit" }, t("prices_save")) : h("p", { class: "muted" }, t("prices_owners")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const saved = await api("PUT", "/admin/prices", { version, prices: collect(form, prices) });
      const section = await pricesSection(canEdit);
      section.querySelector("[aria-live]").replaceChildren(status(t("prices_saved", { version: saved.version })));
      form.closest("section").replaceWith(section);
    } catch (error) {
      showErrors(error, "prices", (message, kind) => said.replaceChildren(status(message, kind)));
    }
  });
  return h("section", { "aria-labelledby": "prices-title" },
    h("h2", { id: "prices-title" }, t("prices")),
    h("p", { class: "muted" }, t("prices_version", { version })),
    said, form);
}

export default async function reports(page, _rest, { canEditSettings } = {}) {
  const until = h("input", { type: "date", id: "reports-until", value: today() });
  const since = h("input", { type: "date", id: "reports-since" });
  const start = new Date(`${today()}T12:00:00`);
  start.setDate(start.getDate() - 13);
  since.value = start.toISOString().slice(0, 10);
  const results = h("div", { "aria-live": "polite" });
  const load = async () => {
    try {
      const query = new URLSearchParams({ since: since.value, until: until.value });
      results.replaceChildren(...render(await api("GET", `/admin/reports/costs?${query}`)));
    } catch (error) {
      results.replaceChildren(status(error.message, "error"));
    }
  };
  const form = h(
    "form",
    { class: "filters", onsubmit: (e) => { e.preventDefault(); load(); } },
    h("div", { class: "field" }, h("label", { for: "reports-since" }, t("since")), since),
    h("div", { class: "field" }, h("label", { for: "reports-until" }, t("until")), until),
    h("button", { type: "submit" }, t("show")),
  );
  page.replaceChildren(h("h1", {}, t("title")), form, results);
  await load();
  page.append(await pricesSection(Boolean(canEditSettings)));
}

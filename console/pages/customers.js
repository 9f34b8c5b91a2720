// Customers: search by full name, phone, plate or VIN (full or its last 6+ characters); a
// customer's vehicles, history, appointments and consent.
import { api } from "/api.js";
import { h, status, time } from "/dom.js";
import { register } from "/i18n.js";
import labels from "/labels/customers.js";

const t = register("customers", labels);
const yesNo = (value) => t(value ? "yes" : "no");

function file(data) {
  const c = data.customer;
  return h(
    "article",
    { class: "customer" },
    h("h2", {}, c.name),
    h("dl", { class: "facts" },
      h("dt", {}, t("phone")), h("dd", {}, c.phone),
      h("dt", {}, t("email")), h("dd", {}, c.email || "—"),
      h("dt", {}, t("sms_consent")), h("dd", {}, yesNo(c.sms_opt_in)),
      h("dt", {}, t("do_not_call")), h("dd", {}, yesNo(c.do_not_call))),
    h("h3", {}, t("vehicles")),
    h("ul", {}, data.vehicles.map((v) => h("li", {}, `${v.year} ${v.make} ${v.model}`, v.plate ? t("plate", { plate: v.plate }) : "", v.vin ? t("vin", { vin: v.vin }) : ""))),
    h("h3", {}, t("appointments")),
    h("ul", {}, data.appointments.map((a) => h("li", {}, `${time(a.start, true)} ${a.service_type} (${a.status})`))),
    h("h3", {}, t("history")),
    h("ul", {}, data.history.map((r) => h("li", {}, `${r.day} ${r.service_type} ${r.description}`))),
    h("p", {}, h("a", { href: `#/calls` }, t("calls")), t("calls_filter", { id: c.customer_id })),
  );
}

// What each kind of search sends (`/admin/customers?<param>=…`); its label is `kind_<param>`,
// what it says when nobody matches `none_<param>`.
const KINDS = ["name", "phone", "plate", "vin"];

export default async function customers(page) {
  const kind = h("select", { id: "customer-kind" }, KINDS.map((value) => h("option", { value }, t(`kind_${value}`))));
  const query = h("input", { id: "customer-query", type: "search", required: true, autocomplete: "off" });
  const results = h("div", { "aria-live": "polite" });
  const search = async (event) => {
    event.preventDefault();
    const param = kind.value;
    try {
      const data = await api("GET", `/admin/customers?${param}=${encodeURIComponent(query.value.trim())}`);
      results.replaceChildren(...(data.customers.length ? data.customers.map(file) : [status(t(`none_${param}`))]));
    } catch (error) {
      results.replaceChildren(status(error.message, "error"));
    }
  };
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": t("find"), onsubmit: search },
    h("div", { class: "field" }, h("label", { for: "customer-kind" }, t("search_by")), kind),
    h("div", { class: "field" }, h("label", { for: "customer-query" }, t("search_for")), query),
    h("button", { type: "submit" }, t("search")),
  );
  page.replaceChildren(h("h1", {}, t("title")), form, results);
}

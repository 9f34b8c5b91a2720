// Customers: search by full name, phone, plate or VIN (full or its last 6+ characters); a
// customer's vehicles, history, appointments and consent.
import { api } from "/api.js";
import { h, status, time } from "/dom.js";

function file(data) {
  const c = data.customer;
  return h(
    "article",
    { class: "customer" },
    h("h2", {}, c.name),
    h("dl", { class: "facts" },
      h("dt", {}, "Phone"), h("dd", {}, c.phone),
      h("dt", {}, "Email"), h("dd", {}, c.email || "—"),
      h("dt", {}, "SMS consent"), h("dd", {}, c.sms_opt_in ? "yes" : "no"),
      h("dt", {}, "Do not call"), h("dd", {}, c.do_not_call ? "yes" : "no")),
    h("h3", {}, "Vehicles"),
    h("ul", {}, data.vehicles.map((v) => h("li", {}, `${v.year} ${v.make} ${v.model}`, v.plate ? ` · plate ${v.plate}` : "", v.vin ? ` · VIN ${v.vin}` : ""))),
    h("h3", {}, "Appointments"),
    h("ul", {}, data.appointments.map((a) => h("li", {}, `${time(a.start, true)} ${a.service_type} (${a.status})`))),
    h("h3", {}, "Service history"),
    h("ul", {}, data.history.map((r) => h("li", {}, `${r.day} ${r.service_type} ${r.description}`))),
    h("p", {}, h("a", { href: `#/calls` }, "Calls"), ` — filter by customer id ${c.customer_id}`),
  );
}

// What each kind of search sends (`/admin/customers?<param>=…`) and says when nobody matches.
const KINDS = [
  ["name", "Full name", "Nobody by that full name."],
  ["phone", "Phone number", "Nobody with that number."],
  ["plate", "Plate", "No vehicle with that plate."],
  ["vin", "VIN (full or last 6+ characters)", "No vehicle with that VIN."],
];

export default async function customers(page) {
  const kind = h("select", { id: "customer-kind" }, KINDS.map(([value, label]) => h("option", { value }, label)));
  const query = h("input", { id: "customer-query", type: "search", required: true, autocomplete: "off" });
  const results = h("div", { "aria-live": "polite" });
  const search = async (event) => {
    event.preventDefault();
    const [param, , none] = KINDS.find(([value]) => value === kind.value);
    try {
      const data = await api("GET", `/admin/customers?${param}=${encodeURIComponent(query.value.trim())}`);
      results.replaceChildren(...(data.customers.length ? data.customers.map(file) : [status(none)]));
    } catch (error) {
      results.replaceChildren(status(error.message, "error"));
    }
  };
  const form = h(
    "form",
    { class: "filters", role: "search", "aria-label": "Find a customer", onsubmit: search },
    h("div", { class: "field" }, h("label", { for: "customer-kind" }, "Search by"), kind),
    h("div", { class: "field" }, h("label", { for: "customer-query" }, "Search for"), query),
    h("button", { type: "submit" }, "Search"),
  );
  page.replaceChildren(h("h1", {}, "Customers"), form, results);
}

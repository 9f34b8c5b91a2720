// Customers: search by full name or phone; a customer's vehicles, history, appointments and consent.
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

export default async function customers(page) {
  const query = h("input", { id: "customer-query", type: "search", required: true, autocomplete: "off" });
  const results = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          // Digits and phone punctuation only: a number; anything else: a full name.
          const byPhone = /^[\d\s()+.-]+$/.test(query.value.trim());
          const param = byPhone ? "phone" : "name";
          const data = await api("GET", `/admin/customers?${param}=${encodeURIComponent(query.value.trim())}`);
          const none = byPhone ? "Nobody with that number." : "Nobody by that full name.";
          results.replaceChildren(...(data.customers.length ? data.customers.map(file) : [status(none)]));
        } catch (error) {
          results.replaceChildren(status(error.message, "error"));
        }
      },
    },
    h("label", { for: "customer-query" }, "Full name or phone number"),
    query,
    h("button", { type: "submit" }, "Search"),
  );
  page.replaceChildren(h("h1", {}, "Customers"), form, results);
}

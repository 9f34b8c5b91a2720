// The appointments board: one column per bay, the day's appointments in time order; move and
// cancel go through the admin API to the agent's own tools (same checks, same SMS).
import { api } from "/api.js";
import { h, status, time } from "/dom.js";
import { register } from "/i18n.js";
import labels from "/labels/board.js";

const t = register("board", labels);

function moveForm(appointment, bays, refresh, say) {
  const id = appointment.appointment_id;
  const local = appointment.start.slice(0, 16);
  const start = h("input", { type: "datetime-local", id: `move-${id}`, value: local, step: 1800 });
  const bay = h(
    "select",
    { id: `bay-${id}`, "aria-label": t("bay") },
    bays.map((b) => h("option", { value: b.bay, selected: b.bay === appointment.bay }, b.name)),
  );
  return h(
    "form",
    {
      class: "inline",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const moved = await api("POST", `/admin/appointments/${id}/move`, {
            customer_id: appointment.customer_id,
            start: start.value,
            bay: bay.value,
          });
          refresh(moved.message || t("moved"));
        } catch (error) {
          say(error.message, "error");
        }
      },
    },
    h("label", { for: `move-${id}` }, t("move_to")),
    start,
    bay,
    h("button", { type: "submit" }, t("move")),
  );
}

function card(appointment, bays, refresh, say) {
  const cancel = async () => {
    if (!confirm(t("cancel_confirm", { customer: appointment.customer_name, service: appointment.service_name }))) return;
    try {
      const done = await api("POST", `/admin/appointments/${appointment.appointment_id}/cancel`, {
        customer_id: appointment.customer_id,
      });
      refresh(done.message || t("cancelled"));
    } catch (error) {
      say(error.message, "error");
    }
  };
  const active = ["scheduled", "confirmed"].includes(appointment.status);
  return h(
    "li",
    { class: `appointment ${appointment.status}`, dataset: { id: appointment.appointment_id } },
    h("strong", {}, `${time(appointment.start)}–${time(appointment.end)}`),
    ` ${appointment.service_name} · ${appointment.customer_name}`,
    h("span", { class: "tag" }, appointment.status),
    h("span", { class: "tag" }, t("reminder", { status: appointment.reminder_status })),
    active && moveForm(appointment, bays, refresh, say),
    active && h("button", { type: "button", class: "danger", onclick: cancel }, t("cancel")),
  );
}

export async function renderBoard(container, day, { compact = false, message = null } = {}) {
  const query = day ? `?date=${day}` : "";
  const data = await api("GET", `/admin/appointments${query}`);
  const notice = h("div", { "aria-live": "polite" });
  const say = (message, kind) => notice.replaceChildren(status(message, kind));
  // A change redraws the day from the server, with the outcome above it.
  const refresh = (said) => renderBoard(container, data.date, { compact, message: said });
  if (message) say(message);
  const columns = data.bays.map((bay) => {
    const mine = data.appointments.filter((a) => a.bay === bay.bay);
    return h(
      "section",
      { class: "bay", "aria-label": bay.name },
      h("h3", {}, bay.name),
      mine.length
        ? h("ol", {}, mine.map((a) => (compact ? h("li", {}, `${time(a.start)} ${a.service_name} · ${a.customer_name}`) : card(a, data.bays, refresh, say))))
        : h("p", { class: "muted" }, t("free_all_day")),
    );
  });
  container.replaceChildren(notice, h("div", { class: "board" }, columns));
  return data;
}

export default async function board(page) {
  const picker = h("input", { type: "date", id: "board-date" });
  const area = h("div");
  page.replaceChildren(
    h("h1", {}, t("title")),
    h("label", { for: "board-date" }, t("day")),
    picker,
    area,
  );
  picker.addEventListener("change", () => renderBoard(area, picker.value));
  const data = await renderBoard(area, "");
  if (!picker.value) picker.value = data.date;
}

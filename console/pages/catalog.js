// Settings › Services and bays: the catalogue the agent books from (each service's duration,
// price range and the bays equipped for it; the bays and their names), saved as one versioned
// change with the version it was read at. The form edits a copy and is redrawn from it on every
// add or remove, so a redraw never loses what was typed.
import { api } from "/api.js";
import { h, status } from "/dom.js";
import { clearErrors, field, history, showErrors } from "/forms.js";
import { register } from "/i18n.js";
import labels from "/labels/catalog.js";

const t = register("catalog", labels);

const list = (text) => text.split(",").map((w) => w.trim()).filter(Boolean);
const number = (text) => (text.trim() === "" ? null : Number(text));

// [key, label key, input type, from the input's text, extra attributes]
const SERVICE_FIELDS = [
  ["name", "name", "text", String],
  ["duration_minutes", "duration", "number", number, { min: 0 }],
  ["price_min", "price_min", "number", number, { min: 0, step: 0.01 }],
  ["price_max", "price_max", "number", number, { min: 0, step: 0.01 }],
  ["aliases", "aliases", "text", list],
];

function serviceRow(service, i, state, ctx) {
  const id = `catalog-services-${i}`;
  const known = ctx.saved.has(service.code);
  const bind = (key, parse) => (event) => { service[key] = parse(event.target.value); };
  const shown = (key) => (key === "aliases" ? service.aliases.join(", ") : service[key] ?? "");
  const bays = state.bays.map((bay) => {
    const box = `${id}-bay-${bay.bay}`;
    const toggle = (event) => {
      service.bays = event.target.checked ? [...service.bays, bay.bay] : service.bays.filter((b) => b !== bay.bay);
    };
    return h("span", { class: "check" },
      h("input", { id: box, type: "checkbox", checked: service.bays.includes(bay.bay), disabled: ctx.disabled, onchange: toggle }),
      h("label", { for: box }, bay.name || bay.bay));
  });
  const title = service.name || t("new_service");
  return h("fieldset", { class: "service", dataset: { code: service.code } },
    h("legend", {}, title),
    field(`${id}-code`, t("code"), h("input", {
      id: `${id}-code`, type: "text", value: service.code, readonly: known, disabled: ctx.disabled,
      oninput: bind("code", (v) => v.trim()),
    })),
    SERVICE_FIELDS.map(([key, label, type, parse, attrs = {}]) => field(`${id}-${key}`, t(label),
      h("input", { id: `${id}-${key}`, type, value: shown(key), disabled: ctx.disabled, oninput: bind(key, parse), ...attrs }))),
    h("fieldset", { class: "bays-for" }, h("legend", {}, t("bays_for")), bays,
      h("span", { class: "field-error", id: `${id}-bays-error`, role: "alert" })),
    h("span", { class: "field-error", id: `${id}-error`, role: "alert" }),
    ctx.disabled ? null : h("button", {
      type: "button", class: "danger", "aria-label": t("remove", { name: title }),
      onclick: () => { state.services.splice(i, 1); ctx.redraw(); },
    }, t("remove_service")));
}

function bayRow(bay, i, state, ctx) {
  const id = `catalog-bays-${i}`;
  const known = ctx.saved.has(`bay:${bay.bay}`);
  const rename = (event) => { bay.name = event.target.value; };
  // A new bay's id is also the services' checkbox key: redraw them once it is typed.
  const retag = (event) => {
    const old = bay.bay;
    bay.bay = event.target.value.trim();
    state.services.forEach((s) => { s.bays = s.bays.map((b) => (b === old ? bay.bay : b)); });
    ctx.redraw();
  };
  return h("div", { class: "bay-row", dataset: { bay: bay.bay } },
    field(`${id}-bay`, t("bay_id", { n: i + 1 }), h("input", {
      id: `${id}-bay`, type: "text", value: bay.bay, readonly: known, disabled: ctx.disabled, onchange: known ? null : retag,
    })),
    field(`${id}-name`, t("bay_name", { n: i + 1 }), h("input", {
      id: `${id}-name`, type: "text", value: bay.name, disabled: ctx.disabled, oninput: rename,
    })),
    h("span", { class: "field-error", id: `${id}-error`, role: "alert" }),
    ctx.disabled ? null : h("button", {
      type: "button", class: "danger", "aria-label": t("remove_bay_label", { name: bay.name || i + 1 }),
      onclick: () => {
        state.bays.splice(i, 1);
        state.services.forEach((s) => { s.bays = s.bays.filter((b) => b !== bay.bay); });
        ctx.redraw();
      },
    }, t("remove_bay")));
}

// The section: `rerender(said)` draws the whole settings page anew after a save or roll back.
export async function catalogSection({ canEditSettings, rerender }) {
  let catalog;
  let versions;
  try {
    [catalog, { versions }] = await Promise.all([api("GET", "/admin/catalog"), api("GET", "/admin/catalog/versions")]);
  } catch (error) {
    return [h("h2", {}, t("title")), status(t("unavailable", { error: error.message }), "error")];
  }
  const state = structuredClone({ services: catalog.services, bays: catalog.bays });
  const notice = h("div", { "aria-live": "polite" });
  const say = (said, kind) => notice.replaceChildren(status(said, kind));
  const rows = h("div");
  const ctx = {
    disabled: !canEditSettings,
    saved: new Set([...catalog.services.map((s) => s.code), ...catalog.bays.map((b) => `bay:${b.bay}`)]),
    redraw: () => rows.replaceChildren(h("div", {},
      h("h3", {}, t("bays")), state.bays.map((b, i) => bayRow(b, i, state, ctx)),
      h("span", { class: "field-error", id: "catalog-bays-error", role: "alert" }),
      ctx.disabled ? null : h("button", { type: "button", onclick: () => { state.bays.push({ bay: "", name: "" }); ctx.redraw(); } }, t("add_bay")),
      h("h3", {}, t("services")), state.services.map((s, i) => serviceRow(s, i, state, ctx)),
      h("span", { class: "field-error", id: "catalog-services-error", role: "alert" }),
      ctx.disabled ? null : h("button", {
        type: "button",
        onclick: () => {
          state.services.push({ code: "", name: "", duration_minutes: 60, price_min: 0, price_max: 0, bays: [], aliases: [] });
          ctx.redraw();
        },
      }, t("add_service")))),
  };
  ctx.redraw();
  const save = async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await api("PUT", "/admin/catalog", { version: catalog.version, ...state });
      await rerender(t("saved"));
    } catch (error) {
      showErrors(error, "catalog", say);
    }
  };
  const rollback = (version) => async () => {
    try {
      await api("POST", `/admin/catalog/versions/${version}/rollback`, { version: catalog.version });
      await rerender(t("rolled_back", { version }));
    } catch (error) {
      say(error.message, "error");
    }
  };
  const form = h("form", { class: "settings catalog", onsubmit: save, novalidate: true, "aria-label": t("title") },
    h("h2", {}, t("title")),
    h("p", { class: "muted" }, t("version", { version: catalog.version })),
    rows,
    notice,
    h("button", { type: "submit", disabled: ctx.disabled }, t("save")));
  return [form, h("h2", {}, t("history")), history(t("history"), versions, catalog.version, canEditSettings, rollback)];
}

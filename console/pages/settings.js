// Settings: the agent's form, the shop's hours and its services and bays (owners save; advisors
// read), each with its change history and roll back. Values are checked by the server's models;
// a refusal is shown beside the field it names.
import { api } from "/api.js";
import { h, status } from "/dom.js";
import { clearErrors, field, history, showErrors } from "/forms.js";
import { LANGUAGES, register, setLanguage, translate } from "/i18n.js";
import labels from "/labels/settings.js";
import { catalogSection } from "/pages/catalog.js";

// [name (also its label's key), kind, extra attributes]
const FIELDS = [
  ["persona_name", "text"],
  ["greeting", "textarea"],
  ["voice", "voice"],
  ["speed", "number", { step: 0.05, min: 0.25, max: 1.5 }],
  ["noise_reduction", "choice", { choices: ["near_field", "far_field", "off"] }],
  ["turn_detection", "turns"],
  ["language", "choice", { choices: LANGUAGES }],
  ["model", "text"],
  ["fallback_model", "optional"],
  ["extra_instructions", "textarea"],
  ["escalation_words", "list"],
  ["escalation_actions", "actions"],
  ["prohibited_phrases", "lines"],
  ["handoff_numbers", "list"],
  ["handoff_ring_seconds", "number", { min: 5, max: 60 }],
  ["advisor_number", "optional"],
  ["max_call_seconds", "number"],
  ["silence_timeout_seconds", "number"],
  ["recording_notice", "optional"],
  ["agent_enabled", "checkbox"],
];
const t = register("settings", labels);
const TURN_FIELDS = [
  ["threshold", { step: 0.05, min: 0, max: 1 }],
  ["prefix_padding_ms", { min: 0, max: 2000 }],
  ["silence_duration_ms", { min: 100, max: 5000 }],
];

function select(id, choices, value, disabled) {
  return h("select", { id, disabled }, choices.map((c) => h("option", { value: c, selected: c === value }, c)));
}

function turnsControl(value, disabled) {
  const id = "setting-turn_detection";
  const type = select(`${id}-type`, ["server_vad", "semantic_vad"], value.type, disabled);
  const vad = TURN_FIELDS.map(([name, attrs]) =>
    field(`${id}-${name}`, t(name), h("input", { id: `${id}-${name}`, type: "number", value: value[name] ?? "", disabled, ...attrs })));
  const eagerness = field(`${id}-eagerness`, t("eagerness"),
    select(`${id}-eagerness`, ["auto", "low", "medium", "high"], value.eagerness || "auto", disabled));
  const sync = () => {
    vad.forEach((n) => { n.hidden = type.value !== "server_vad"; });
    eagerness.hidden = type.value !== "semantic_vad";
  };
  type.addEventListener("change", sync);
  sync();
  return h("fieldset", { id }, h("legend", {}, t("turn_detection")), field(`${id}-type`, t("type"), type), vad, eagerness,
    h("span", { class: "field-error", id: `${id}-error`, role: "alert" }));
}

// Fields whose text may hold template variables, checked on save.
const TEMPLATED = new Set(["greeting", "extra_instructions"]);

function input([name, kind, attrs = {}], value, data, disabled) {
  const id = `setting-${name}`;
  if (kind === "turns") return turnsControl(value, disabled);
  let control;
  if (kind === "textarea" || kind === "lines") {
    control = h("textarea", { id, rows: 4, disabled }, kind === "lines" ? (value || []).join("\n") : value || "");
  } else if (kind === "voice") control = select(id, data.voices, value, disabled);
  else if (kind === "choice") control = select(id, attrs.choices, value, disabled);
  else if (kind === "checkbox") control = h("input", { id, type: "checkbox", checked: Boolean(value), disabled });
  else {
    const shown = kind === "list" ? (value || []).join(", ")
      : kind === "actions" ? Object.keys(value || {}).filter((w) => value[w] === "handoff").join(", ")
      : value ?? "";
    const { choices, ...rest } = attrs;
    control = h("input", { id, type: kind === "number" ? "number" : "text", value: shown, disabled, ...rest });
  }
  if (TEMPLATED.has(name)) {
    const hint = h("small", { id: `${id}-hint` }, t("variables", { names: data.template_variables.map((v) => `{${v}}`).join(" ") }));
    control.setAttribute("aria-describedby", `${id}-hint`);
    control = [control, hint];
  }
  return field(id, t(name), control, kind !== "checkbox");
}

const words = (text) => text.split(",").map((w) => w.trim()).filter(Boolean);

function readTurns() {
  const get = (name) => document.getElementById(`setting-turn_detection-${name}`).value;
  if (get("type") === "semantic_vad") return { type: "semantic_vad", eagerness: get("eagerness") };
  return { type: "server_vad", ...Object.fromEntries(TURN_FIELDS.map(([n]) => [n, Number(get(n))])) };
}

function read(name, kind) {
  if (kind === "turns") return readTurns();
  const node = document.getElementById(`setting-${name}`);
  if (kind === "checkbox") return node.checked;
  if (kind === "number") return Number(node.value);
  if (kind === "list") return words(node.value);
  if (kind === "lines") return node.value.split("\n").map((w) => w.trim()).filter(Boolean);
  if (kind === "actions") return Object.fromEntries(words(node.value).map((w) => [w.toLowerCase(), "handoff"]));
  if (kind === "optional") return node.value.trim() || null;
  return node.value;
}

function hoursRow(day, hours, disabled) {
  const id = `shop-${day}`;
  const open = h("input", { id: `${id}-open`, type: "checkbox", checked: Boolean(hours), disabled });
  const opens = h("input", { id: `${id}-opens`, type: "time", value: hours?.opens?.slice(0, 5) || "08:00", disabled, "aria-label": t("opens", { day: t(day) }) });
  const closes = h("input", { id: `${id}-closes`, type: "time", value: hours?.closes?.slice(0, 5) || "17:00", disabled, "aria-label": t("closes", { day: t(day) }) });
  return h("div", { class: "hours-row" },
    h("label", { for: `${id}-open` }, t(day)), open, opens, "–", closes,
    h("span", { class: "field-error", id: `shop-opening_hours-${day}-error`, role: "alert" }));
}

function readHours(weekdays) {
  return Object.fromEntries(weekdays.map((day) => {
    const get = (part) => document.getElementById(`shop-${day}-${part}`);
    return [day, get("open").checked ? { opens: get("opens").value, closes: get("closes").value } : null];
  }));
}

export default async function settings(page, _rest, { canEditSettings }, message = null) {
  const [data, { versions }, shop, { versions: shopVersions }] = await Promise.all([
    api("GET", "/admin/settings"), api("GET", "/admin/settings/versions"),
    api("GET", "/admin/shop"), api("GET", "/admin/shop/versions"),
  ]);
  const notice = h("div", { "aria-live": "polite" });
  const say = (said, kind) => notice.replaceChildren(status(said, kind));
  // After a change the page is drawn anew from the server, with the outcome on top.
  const rerender = (said) => settings(page, _rest, { canEditSettings }, said);
  // The fields this server's settings have (a newer console may know more than an older API).
  const fields = FIELDS.filter(([name]) => name in data.settings);
  const save = async (event) => {
    event.preventDefault();
    clearErrors(page);
    const changes = {};
    for (const [name, kind] of fields) {
      const value = read(name, kind);
      if (JSON.stringify(value) !== JSON.stringify(data.settings[name] ?? null)) changes[name] = value;
    }
    try {
      await api("PUT", "/admin/settings", { version: data.version, settings: changes });
      await rerender(t("saved"));
    } catch (error) {
      showErrors(error, "setting", say);
    }
  };
  const holidays = h("textarea", { id: "shop-holidays", rows: 4, disabled: !canEditSettings },
    shop.shop.holidays.join("\n"));
  const saveShop = async (event) => {
    event.preventDefault();
    clearErrors(page);
    const changes = {
      opening_hours: readHours(shop.weekdays),
      holidays: holidays.value.split(/[\s,]+/).filter(Boolean),
    };
    try {
      await api("PUT", "/admin/shop", { version: shop.version, shop: changes });
      await rerender(t("hours_saved"));
    } catch (error) {
      showErrors(error, "shop", say);
    }
  };
  const rollback = (path, live) => (version) => async () => {
    try {
      await api("POST", `${path}/versions/${version}/rollback`, { version: live });
      await rerender(t("rolled_back", { version }));
    } catch (error) {
      say(error.message, "error");
    }
  };
  // The page (and the header) speak the language just read: a saved change of it shows at once.
  setLanguage(data.settings.language);
  translate();
  if (message) say(message);
  const disabled = !canEditSettings;
  const catalog = await catalogSection({ canEditSettings, rerender });
  page.replaceChildren(...[
    h("h1", {}, t("title")),
    notice,
    disabled ? status(t("owners_only")) : null,
    h("form", { class: "settings", onsubmit: save, "aria-label": t("agent_settings") },
      h("h2", {}, t("the_agent")),
      h("p", { class: "muted" }, t("version", { version: data.version })),
      fields.map((f) => input(f, data.settings[f[0]], data, disabled)),
      h("button", { type: "submit", disabled }, t("save"))),
    h("h2", {}, t("agent_history")),
    history(t("agent_history"), versions, data.version, canEditSettings, rollback("/admin/settings", data.version)),
    h("form", { class: "settings", onsubmit: saveShop, "aria-label": t("shop_hours") },
      h("h2", {}, t("hours_title")),
      h("p", { class: "muted" }, t("version", { version: shop.version })),
      shop.weekdays.map((day) => hoursRow(day, shop.shop.opening_hours[day], disabled)),
      field("shop-holidays", t("holidays"), holidays),
      h("button", { type: "submit", disabled }, t("save_hours"))),
    h("h2", {}, t("shop_history")),
    history(t("shop_history"), shopVersions, shop.version, canEditSettings, rollback("/admin/shop", shop.version)),
    ...catalog,
  ].filter(Boolean));
}

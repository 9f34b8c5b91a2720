// Settings: the agent's form, the shop's hours and its services and bays (owners save; advisors
// read), each with its change history and roll back. Values are checked by the server's models;
// a refusal is shown beside the field it names.
import { api } from "/api.js";
import { h, status } from "/dom.js";
import { clearErrors, field, history, showErrors } from "/forms.js";
import { catalogSection } from "/pages/catalog.js";

// [name, label, kind, extra attributes]
const FIELDS = [
  ["persona_name", "Persona name", "text"],
  ["greeting", "Greeting (empty: the default one)", "textarea"],
  ["voice", "Voice", "voice"],
  ["speed", "Speaking speed (0.25–1.5)", "number", { step: 0.05, min: 0.25, max: 1.5 }],
  ["noise_reduction", "Noise reduction", "choice", { choices: ["near_field", "far_field", "off"] }],
  ["turn_detection", "Turn detection", "turns"],
  ["language", "Language", "text"],
  ["model", "Model", "text"],
  ["fallback_model", "Fallback model (when the model is unavailable)", "optional"],
  ["extra_instructions", "The shop's own instructions", "textarea"],
  ["escalation_words", "Escalation words (comma separated)", "list"],
  ["escalation_actions", "Words that hand off at once (comma separated; others offer a person)", "actions"],
  ["prohibited_phrases", "Phrases the agent must never say (one a line)", "lines"],
  ["handoff_numbers", "Handoff numbers, tried in order (comma separated; empty: the shop's line)", "list"],
  ["handoff_ring_seconds", "Ring each handoff number (seconds)", "number", { min: 5, max: 60 }],
  ["advisor_number", "Advisor's SMS number for messages", "optional"],
  ["max_call_seconds", "Longest call (seconds)", "number"],
  ["silence_timeout_seconds", "Silence limit (seconds)", "number"],
  ["recording_notice", "Recording notice", "optional"],
  ["agent_enabled", "Agent answers calls", "checkbox"],
];
const TURN_FIELDS = [
  ["threshold", "Voice threshold (0–1)", { step: 0.05, min: 0, max: 1 }],
  ["prefix_padding_ms", "Audio kept before speech (ms)", { min: 0, max: 2000 }],
  ["silence_duration_ms", "Silence that ends a turn (ms)", { min: 100, max: 5000 }],
];

function select(id, choices, value, disabled) {
  return h("select", { id, disabled }, choices.map((c) => h("option", { value: c, selected: c === value }, c)));
}

function turnsControl(value, disabled) {
  const id = "setting-turn_detection";
  const type = select(`${id}-type`, ["server_vad", "semantic_vad"], value.type, disabled);
  const vad = TURN_FIELDS.map(([name, label, attrs]) =>
    field(`${id}-${name}`, label, h("input", { id: `${id}-${name}`, type: "number", value: value[name] ?? "", disabled, ...attrs })));
  const eagerness = field(`${id}-eagerness`, "Eagerness",
    select(`${id}-eagerness`, ["auto", "low", "medium", "high"], value.eagerness || "auto", disabled));
  const sync = () => {
    vad.forEach((n) => { n.hidden = type.value !== "server_vad"; });
    eagerness.hidden = type.value !== "semantic_vad";
  };
  type.addEventListener("change", sync);
  sync();
  return h("fieldset", { id }, h("legend", {}, "Turn detection"), field(`${id}-type`, "Type", type), vad, eagerness,
    h("span", { class: "field-error", id: `${id}-error`, role: "alert" }));
}

// Fields whose text may hold template variables, checked on save.
const TEMPLATED = new Set(["greeting", "extra_instructions"]);

function input([name, label, kind, attrs = {}], value, data, disabled) {
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
    const hint = h("small", { id: `${id}-hint` }, `Variables: ${data.template_variables.map((v) => `{${v}}`).join(" ")}`);
    control.setAttribute("aria-describedby", `${id}-hint`);
    control = [control, hint];
  }
  return field(id, label, control, kind !== "checkbox");
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

const HOUR_DAYS = { mon: "Monday", tue: "Tuesday", wed: "Wednesday", thu: "Thursday", fri: "Friday", sat: "Saturday", sun: "Sunday" };

function hoursRow(day, hours, disabled) {
  const id = `shop-${day}`;
  const open = h("input", { id: `${id}-open`, type: "checkbox", checked: Boolean(hours), disabled });
  const opens = h("input", { id: `${id}-opens`, type: "time", value: hours?.opens?.slice(0, 5) || "08:00", disabled, "aria-label": `${HOUR_DAYS[day]} opens` });
  const closes = h("input", { id: `${id}-closes`, type: "time", value: hours?.closes?.slice(0, 5) || "17:00", disabled, "aria-label": `${HOUR_DAYS[day]} closes` });
  return h("div", { class: "hours-row" },
    h("label", { for: `${id}-open` }, HOUR_DAYS[day]), open, opens, "–", closes,
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
    for (const [name, , kind] of fields) {
      const value = read(name, kind);
      if (JSON.stringify(value) !== JSON.stringify(data.settings[name] ?? null)) changes[name] = value;
    }
    try {
      await api("PUT", "/admin/settings", { version: data.version, settings: changes });
      await rerender("Saved. The next call uses it.");
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
      await rerender("Shop hours saved. The next call uses them.");
    } catch (error) {
      showErrors(error, "shop", say);
    }
  };
  const rollback = (path, live) => (version) => async () => {
    try {
      await api("POST", `${path}/versions/${version}/rollback`, { version: live });
      await rerender(`Rolled back to version ${version}.`);
    } catch (error) {
      say(error.message, "error");
    }
  };
  if (message) say(message);
  const disabled = !canEditSettings;
  const catalog = await catalogSection({ canEditSettings, rerender });
  page.replaceChildren(...[
    h("h1", {}, "Settings"),
    notice,
    disabled ? status("Only owners can change the settings.") : null,
    h("form", { class: "settings", onsubmit: save, "aria-label": "Agent settings" },
      h("h2", {}, "The agent"),
      h("p", { class: "muted" }, `Version ${data.version}`),
      fields.map((f) => input(f, data.settings[f[0]], data, disabled)),
      h("button", { type: "submit", disabled }, "Save")),
    h("h2", {}, "Agent history"),
    history("Agent history", versions, data.version, canEditSettings, rollback("/admin/settings", data.version)),
    h("form", { class: "settings", onsubmit: saveShop, "aria-label": "Shop hours" },
      h("h2", {}, "Opening hours and holidays"),
      h("p", { class: "muted" }, `Version ${shop.version}`),
      shop.weekdays.map((day) => hoursRow(day, shop.shop.opening_hours[day], disabled)),
      field("shop-holidays", "Holidays (YYYY-MM-DD, one a line)", holidays),
      h("button", { type: "submit", disabled }, "Save hours")),
    h("h2", {}, "Shop history"),
    history("Shop history", shopVersions, shop.version, canEditSettings, rollback("/admin/shop", shop.version)),
    ...catalog,
  ].filter(Boolean));
}

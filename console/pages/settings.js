// Settings: the agent's form (owners save; advisors read), the change history, roll back.
import { api } from "/api.js";
import { h, status, time } from "/dom.js";

const FIELDS = [
  ["persona_name", "Persona name", "text"],
  ["voice", "Voice", "voice"],
  ["language", "Language", "text"],
  ["model", "Model", "text"],
  ["extra_instructions", "The shop's own instructions", "textarea"],
  ["escalation_words", "Escalation words (comma separated)", "list"],
  ["max_call_seconds", "Longest call (seconds)", "number"],
  ["silence_timeout_seconds", "Silence limit (seconds)", "number"],
  ["recording_notice", "Recording notice", "text"],
  ["agent_enabled", "Agent answers calls", "checkbox"],
];

function input([name, label, kind], value, data, disabled) {
  const id = `setting-${name}`;
  let control;
  if (kind === "textarea") control = h("textarea", { id, rows: 4, disabled }, value || "");
  else if (kind === "voice") control = h("select", { id, disabled }, data.voices.map((v) => h("option", { value: v, selected: v === value }, v)));
  else if (kind === "checkbox") control = h("input", { id, type: "checkbox", checked: Boolean(value), disabled });
  else control = h("input", { id, type: kind === "number" ? "number" : "text", value: kind === "list" ? (value || []).join(", ") : value ?? "", disabled });
  const hint = name === "extra_instructions"
    ? h("small", { id: `${id}-hint` }, `Variables: ${data.template_variables.map((v) => `{${v}}`).join(" ")}`)
    : null;
  if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: kind === "checkbox" ? "field check" : "field" },
    h("label", { for: id }, label), control, hint, h("span", { class: "field-error", id: `${id}-error`, role: "alert" }));
}

function read(name, kind) {
  const node = document.getElementById(`setting-${name}`);
  if (kind === "checkbox") return node.checked;
  if (kind === "number") return Number(node.value);
  if (kind === "list") return node.value.split(",").map((w) => w.trim()).filter(Boolean);
  if (name === "recording_notice") return node.value || null;
  return node.value;
}

export default async function settings(page, _rest, { canEditSettings }, message = null) {
  const data = await api("GET", "/admin/settings");
  const { versions } = await api("GET", "/admin/settings/versions");
  const notice = h("div", { "aria-live": "polite" });
  const say = (message, kind) => notice.replaceChildren(status(message, kind));
  // After a change the form is drawn anew from the server, with the outcome on top.
  const rerender = (said) => settings(page, _rest, { canEditSettings }, said);
  const save = async (event) => {
    event.preventDefault();
    page.querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });
    const changes = {};
    for (const [name, , kind] of FIELDS) {
      const value = read(name, kind);
      if (JSON.stringify(value) !== JSON.stringify(data.settings[name] ?? null)) changes[name] = value;
    }
    try {
      await api("PUT", "/admin/settings", { version: data.version, settings: changes });
      await rerender("Saved. The next call uses it.");
    } catch (error) {
      for (const e of error.body?.errors || []) {
        const slot = document.getElementById(`setting-${e.loc[e.loc.length - 1]}-error`);
        if (slot) slot.textContent = e.msg;
      }
      say(error.message, "error");
    }
  };
  const rollback = (version) => async () => {
    try {
      await api("POST", `/admin/settings/versions/${version}/rollback`, { version: data.version });
      await rerender(`Rolled back to version ${version}.`);
    } catch (error) {
      say(error.message, "error");
    }
  };
  if (message) say(message);
  const disabled = !canEditSettings;
  page.replaceChildren(
    h("h1", {}, "Settings"),
    notice,
    disabled ? status("Only owners can change the agent's settings.") : null,
    h("form", { class: "settings", onsubmit: save, "aria-label": "Agent settings" },
      h("p", { class: "muted" }, `Version ${data.version}`),
      FIELDS.map((f) => input(f, data.settings[f[0]], data, disabled)),
      h("button", { type: "submit", disabled }, "Save")),
    h("h2", {}, "History"),
    h("ol", { class: "versions", reversed: true }, versions.map((v) =>
      h("li", {},
        h("strong", {}, `v${v.version}`), ` ${time(v.at, true)} by ${v.by}`,
        v.rollback_of != null ? ` (roll back to v${v.rollback_of})` : "",
        h("ul", {}, Object.entries(v.changes).map(([k, c]) => h("li", {}, `${k}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`))),
        canEditSettings && v.version !== data.version
          ? h("button", { type: "button", onclick: rollback(v.version) }, `Roll back to v${v.version}`)
          : null))),
  );
}

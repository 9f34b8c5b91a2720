// Pieces the settings forms share: a labelled field with its error slot, a version history with
// roll back, and a refusal's errors shown beside the fields they name.
import { h, time } from "/dom.js";

export const field = (id, label, control, wide = true) =>
  h("div", { class: wide ? "field" : "field check" }, h("label", { for: id }, label), control,
    h("span", { class: "field-error", id: `${id}-error`, role: "alert" }));

export function history(label, versions, live, canEdit, rollback) {
  return h("ol", { class: "versions", reversed: true, "aria-label": label }, versions.map((v) =>
    h("li", {},
      h("strong", {}, `v${v.version}`), ` ${time(v.at, true)} by ${v.by}`,
      v.rollback_of != null ? ` (roll back to v${v.rollback_of})` : "",
      h("ul", {}, Object.entries(v.changes).map(([k, c]) => h("li", {}, `${k}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`))),
      canEdit && v.version !== live
        ? h("button", { type: "button", onclick: rollback(v.version) }, `Roll back to v${v.version}`)
        : null)));
}

// Each error of a 422 (`errors: [{loc, msg}]`) goes to the slot of the longest part of its
// `loc` that has one (`services.0.price_max`, else `services.0`, else `services`); the API's
// message goes to `say` either way, so a refusal is never silent.
export function showErrors(error, prefix, say) {
  for (const e of error.body?.errors || []) {
    for (let depth = e.loc.length; depth > 0; depth -= 1) {
      const slot = document.getElementById(`${prefix}-${e.loc.slice(0, depth).join("-")}-error`);
      if (slot) {
        slot.textContent = e.msg;
        break;
      }
    }
  }
  say(error.message, "error");
}

export const clearErrors = (root) => root.querySelectorAll(".field-error").forEach((n) => { n.textContent = ""; });

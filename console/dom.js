// Building DOM nodes from data. Text goes in as text (never as HTML), so nothing a caller says
// in a transcript can run in the console.
import { locale } from "/i18n.js";

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function time(iso, withDate = false) {
  if (!iso) return "";
  const options = withDate
    ? { dateStyle: "medium", timeStyle: "short" }
    : { hour: "numeric", minute: "2-digit" };
  return new Date(iso).toLocaleString(locale(), options);
}

export function status(message, kind = "info") {
  return h("p", { class: `status ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
}

export function today() {
  const now = new Date();
  const local = new Date(now.getTime() - now.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 10);
}

// The console's words in the shop's language (`AgentSettings.language`). Each area of the
// console keeps its labels in `/labels/<area>.js` (`export default { en: {...}, ja: {...},
// es: {...} }`) and registers them from the page that shows them, so whoever adds a page adds
// its labels beside it: `const t = register("today", labels); t("title")`, or anywhere
// `t("today.title")`. A test loads every label file and fails on a key one language lacks.
import { api } from "/api.js";

export const LANGUAGES = ["en", "ja", "es"];
// The BCP 47 locale each language's dates and numbers are shown in.
const LOCALES = { en: "en-US", ja: "ja-JP", es: "es-ES" };
const areas = {};
let language = "en";
let loaded = null; // the signed-in member's one settings read, shared by every route

export function register(area, labels) {
  areas[area] = labels;
  return (key, values) => t(`${area}.${key}`, values);
}

export function setLanguage(lang) {
  language = LANGUAGES.includes(lang) ? lang : "en";
  document.documentElement.lang = language;
  return language;
}

export const currentLanguage = () => language;
export const locale = () => LOCALES[language];

// The shop's language, from the settings every signed-in member may read (read once per
// sign-in; the settings page sets it again after a save); English if it cannot be read.
export function loadLanguage() {
  loaded ||= api("GET", "/admin/settings").then(
    ({ settings }) => setLanguage(settings.language),
    () => setLanguage("en"),
  );
  return loaded;
}

// Signed out: the next member may belong to another shop.
export function forgetLanguage() {
  loaded = null;
  setLanguage("en");
}

// `t("area.key", { name: "…" })`: the label in the shop's language with `{name}` filled in;
// English when the language lacks it, the key itself when no language has it (visible, never
// blank, so a missing label is noticed).
export function t(key, values = {}) {
  const dot = key.indexOf(".");
  const labels = areas[key.slice(0, dot)] || {};
  const name = key.slice(dot + 1);
  const text = labels[language]?.[name] ?? labels.en?.[name] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, v) => (v in values ? String(values[v]) : whole));
}

// Elements of static HTML that carry `data-label="area.key"` get their text in the language.
export function translate(root = document) {
  for (const node of root.querySelectorAll("[data-label]")) node.textContent = t(node.dataset.label);
}

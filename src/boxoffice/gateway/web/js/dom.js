// @ts-check
// Small DOM helpers: build elements without innerHTML (text is always text), format money and
// dates, toasts and alerts.

import { describe } from "./http.js";

const SVG_NS = "http://www.w3.org/2000/svg";

function build(el, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === "class") {
      el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (key === "style" && typeof value === "object") {
      for (const [prop, v] of Object.entries(value)) {
        if (prop.startsWith("--")) el.style.setProperty(prop, v);
        else el.style[prop] = v;
      }
    } else if (key === "value" || key === "checked" || key === "selected" || key === "disabled") {
      el[key] = value;
      if (value === true) el.setAttribute(key, "");
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** h("a", {href: "#/"}, "Home") → <a href="#/">Home</a> */
export const h = (tag, attrs, ...children) => build(document.createElement(tag), attrs, children);
export const s = (tag, attrs, ...children) => build(document.createElementNS(SVG_NS, tag), attrs, children);

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

export function money(cents, currency = "EUR") {
  try {
    return new Intl.NumberFormat("en-IE", { style: "currency", currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

/** "50.00 EUR": the plain form used in screen-reader labels. */
export const plainMoney = (cents, currency = "EUR") => `${(cents / 100).toFixed(2)} ${currency}`;

/** A date as people read it; show times pass the venue's time zone, so a show at 20:00 in
 * Berlin reads 20:00 CET wherever the reader is. Without a zone: the browser's. */
export function when(iso, style = "long", timeZone = undefined) {
  const date = new Date(iso);
  /** @type {Intl.DateTimeFormatOptions} */
  const options =
    style === "short"
      ? { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }
      : { weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" };
  if (timeZone) Object.assign(options, { timeZone, timeZoneName: "short" });
  return new Intl.DateTimeFormat("en-GB", options).format(date);
}

export function dayParts(iso, timeZone = undefined) {
  const date = new Date(iso);
  const zone = timeZone ? { timeZone } : {};
  const fmt = (options) => new Intl.DateTimeFormat("en-GB", { ...options, ...zone }).format(date);
  return {
    month: fmt({ month: "short" }),
    day: Number(fmt({ day: "numeric" })),
    weekday: fmt({ weekday: "short" }),
    time: fmt({ hour: "2-digit", minute: "2-digit" }),
  };
}

function zoneParts(date, timeZone) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { y: get("year"), m: get("month"), d: get("day"), h: get("hour"), min: get("minute"), s: get("second") };
}

/** How far `timeZone`'s wall clock is ahead of UTC at `date`, in milliseconds. */
function zoneOffset(date, timeZone) {
  const p = zoneParts(date, timeZone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.min, p.s) - Math.floor(date.getTime() / 1000) * 1000;
}

/** A value for <input type="datetime-local">: the wall time in `timeZone` (else the browser's). */
export function localInput(date, timeZone = undefined) {
  const pad = (n) => String(n).padStart(2, "0");
  if (timeZone) {
    const p = zoneParts(date, timeZone);
    return `${p.y}-${pad(p.m)}-${pad(p.d)}T${pad(p.h)}:${pad(p.min)}`;
  }
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The instant (ISO, UTC) a datetime-local value means as a wall time in `timeZone`. */
export function fromLocalInput(value, timeZone = undefined) {
  if (!timeZone) return new Date(value).toISOString();
  const [day, time] = value.split("T");
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let utc = wall - zoneOffset(new Date(wall), timeZone);
  utc = wall - zoneOffset(new Date(utc), timeZone); // once more across a daylight-saving change
  return new Date(utc).toISOString();
}

export const shortId = (id) => String(id).slice(0, 8);

const CATEGORY_COLORS = {
  concert: "#7c3aed",
  theatre: "#be123c",
  comedy: "#c2410c",
  opera: "#0e7490",
  premium: "#b45309",
  vip: "#be123c",
  standard: "#2563eb",
  budget: "#0e7490",
  standing: "#7c3aed",
  balcony: "#4d7c0f",
};
const PALETTE = ["#2563eb", "#b45309", "#0e7490", "#7c3aed", "#be123c", "#4d7c0f", "#a21caf", "#c2410c"];

/** A stable colour per seat category (the same in the editor, the seat map and the legend). */
export function categoryColor(category) {
  const key = String(category).toLowerCase();
  if (CATEGORY_COLORS[key]) return CATEGORY_COLORS[key];
  let hash = 0;
  for (const ch of key) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[hash % PALETTE.length];
}

export const STATUS_LABELS = {
  PENDING: "Pending",
  CONFIRMED: "Confirmed",
  CANCELLED: "Cancelled",
  FAILED: "Failed",
  EXPIRED: "Expired",
  draft: "Draft",
  published: "Published",
  cancelled: "Cancelled",
};

export function badge(status) {
  return h("span", { class: `badge badge-${String(status).toLowerCase()}` }, STATUS_LABELS[status] || status);
}

/** An inline message box; `kind` is error, success, info or warning. */
export function alertBox(kind, message, ...extra) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `alert alert-${kind}`, role }, h("p", {}, message), ...extra);
}

export function errorBox(err, ...extra) {
  return alertBox("error", describe(err), ...extra);
}

let toastRegion;

/** A short message in the corner that also reaches screen readers. */
export function toast(message, kind = "info", ms = 5000) {
  toastRegion ??= document.getElementById("toasts");
  const item = h(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status" },
    h("span", {}, message),
    h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"),
  );
  toastRegion.append(item);
  setTimeout(() => item.remove(), ms);
}

export function loading(text = "Loading…") {
  return h("div", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), text);
}

/** A labelled form field: label, control, optional hint; returns the wrapper. */
export function field(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  const hintEl = hint ? h("small", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl);
}

export function pageHeader(title, subtitle, ...actions) {
  return h(
    "div",
    { class: "page-header" },
    h("div", {}, h("h1", { tabindex: "-1" }, title), subtitle ? h("p", { class: "muted" }, subtitle) : null),
    actions.length ? h("div", { class: "actions" }, ...actions) : null,
  );
}

/** Disable a button while `work` runs; errors are shown in `errorSlot` (or a toast). */
export async function busy(button, work, errorSlot) {
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (errorSlot) clear(errorSlot);
  try {
    return await work();
  } catch (err) {
    if (errorSlot) errorSlot.append(errorBox(err));
    else toast(describe(err), "error");
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

export function icon(name) {
  const paths = {
    ticket: "M3 7a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2v2a2 2 0 0 0 0 4v2a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-2a2 2 0 0 0 0-4z",
    bell: "M6 8a6 6 0 1 1 12 0c0 7 3 8 3 8H3s3-1 3-8M10 20a2 2 0 0 0 4 0",
    pin: "M12 21s-7-6.2-7-11a7 7 0 1 1 14 0c0 4.8-7 11-7 11zm0-8a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
    clock: "M12 7v5l3 2M12 21a9 9 0 1 1 0-18 9 9 0 0 1 0 18z",
    search: "M11 18a7 7 0 1 1 0-14 7 7 0 0 1 0 14zm5-2 5 5",
    menu: "M4 6h16M4 12h16M4 18h16",
  };
  return s(
    "svg",
    { class: "icon", viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
    s("path", {
      d: paths[name],
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "2",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
    }),
  );
}

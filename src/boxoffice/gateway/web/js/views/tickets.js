// @ts-check
// My tickets, each with the QR code of its signed code (drawn by the server as SVG).

import * as api from "../api.gen.js";
import { h, pageHeader, when } from "../dom.js";

const qrCache = new Map();

/** An <img> that fills in with the ticket's QR code; the request needs the bearer token. */
export function qrImage(ticket) {
  const img = h("img", { class: "qr", alt: `QR code for ticket ${ticket.label}`, width: "148", height: "148" });
  const cached = qrCache.get(ticket.id);
  const load =
    cached || api.ticketQr(ticket.id).then((svg) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
  qrCache.set(ticket.id, load);
  load
    .then((src) => {
      img.src = src;
    })
    .catch(() => {
      qrCache.delete(ticket.id);
      img.replaceWith(
        h("p", { class: "qr-missing" }, "The QR code could not be loaded. Reload the page to try again."),
      );
    });
  return img;
}

export function ticketCard(ticket) {
  const valid = ticket.status === "valid";
  return h(
    "article",
    { class: ["ticket", !valid && "ticket-void"], "aria-label": `Ticket ${ticket.label}` },
    h(
      "div",
      { class: "ticket-main" },
      h("p", { class: "eyebrow" }, valid ? "Admit one" : `Ticket ${ticket.status}`),
      h("h3", { class: "ticket-title" }, ticket.show_title),
      h("p", { class: "ticket-when" }, when(ticket.show_starts_at, "long", ticket.show_time_zone)),
      h("p", { class: "ticket-seat" }, ticket.label),
      h("p", { class: "ticket-code" }, h("code", {}, ticket.code)),
    ),
    h(
      "div",
      { class: "ticket-qr" },
      valid ? qrImage(ticket) : h("p", { class: "muted" }, "This ticket no longer admits anyone."),
    ),
  );
}

export async function ticketsView() {
  const tickets = await api.myTickets({ limit: 500 });
  const upcoming = tickets.filter((t) => t.status === "valid");
  const other = tickets.filter((t) => t.status !== "valid");
  return h(
    "div",
    {},
    pageHeader("My tickets", "Show the QR code at the entrance; each one admits one person."),
    upcoming.length
      ? h("div", { class: "ticket-grid" }, upcoming.map(ticketCard))
      : h(
          "div",
          { class: "empty-state" },
          h("p", {}, "No valid tickets yet."),
          h("a", { class: "btn btn-primary", href: "#/" }, "Find a show"),
        ),
    other.length
      ? h(
          "details",
          { class: "void-tickets" },
          h("summary", {}, `${other.length} cancelled ticket${other.length === 1 ? "" : "s"}`),
          h("div", { class: "ticket-grid" }, other.map(ticketCard)),
        )
      : null,
  );
}

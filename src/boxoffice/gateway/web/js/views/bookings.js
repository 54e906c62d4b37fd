// @ts-check
// A booking followed live through the saga, and the list of my bookings.

import * as api from "../api.gen.js";
import { alertBox, badge, clear, h, money, pageHeader, shortId, when } from "../dom.js";
import { describe } from "../http.js";
import { refreshUnread } from "./notifications.js";
import { ticketCard } from "./tickets.js";

const FINAL = new Set(["CONFIRMED", "CANCELLED", "FAILED", "EXPIRED"]);

const STEP_LABELS = {
  created: "Booking created",
  payment_requested: "Payment requested",
  payment_captured: "Payment captured",
  seats_sold: "Seats sold to you",
  tickets_issued: "Tickets issued",
  confirmed: "Confirmed",
  failed: "Failed",
  expired: "Expired",
  cancelled: "Cancelled",
  late_payment_ignored: "Late payment refunded",
  refunded: "Refunded",
};

const HEADLINES = {
  PENDING: ["Processing your payment…", "This usually takes a moment. You can stay on this page."],
  CONFIRMED: ["You're going! Your tickets are ready.", "Show the QR codes at the entrance."],
  FAILED: ["The booking did not go through.", ""],
  EXPIRED: ["The booking expired.", ""],
  CANCELLED: ["This booking is cancelled.", ""],
};

function stepDetail(step, booking) {
  if (step.step === "payment_requested") return `${money(booking.total, booking.currency)} by card`;
  if (step.step === "tickets_issued") return `${step.detail} ticket${step.detail === "1" ? "" : "s"}`;
  if (["created", "payment_captured", "confirmed"].includes(step.step)) return "";
  return step.detail;
}

function timeline(steps, booking) {
  const status = booking.status;
  const planned = ["created", "payment_requested", "payment_captured", "seats_sold", "tickets_issued", "confirmed"];
  const done = new Map(steps.map((step) => [step.step, step]));
  const items = steps.map((step) =>
    h(
      "li",
      { class: ["step", "done", ["failed", "expired", "cancelled"].includes(step.step) && "bad"] },
      h("span", { class: "step-dot", "aria-hidden": "true" }),
      h("span", { class: "step-name" }, STEP_LABELS[step.step] || step.step),
      h("time", { class: "muted", datetime: step.at }, new Date(step.at).toLocaleTimeString("en-GB")),
      stepDetail(step, booking) ? h("span", { class: "step-detail muted" }, stepDetail(step, booking)) : null,
    ),
  );
  if (status === "PENDING") {
    for (const name of planned) {
      if (!done.has(name))
        items.push(
          h(
            "li",
            { class: "step todo" },
            h("span", { class: "step-dot", "aria-hidden": "true" }),
            h("span", { class: "step-name" }, STEP_LABELS[name]),
          ),
        );
    }
  }
  return h("ol", { class: "timeline", "aria-label": "Booking progress" }, items);
}

export async function bookingView(ctx) {
  const id = ctx.params.id;
  const root = h("div", { class: "booking-page" });
  let timer = null;
  let confirming = false;
  // The booking's status is pushed on the customer's live channel; polling stays as the
  // fallback, every 0.7 s while the channel is not connected and every 5 s while it is.
  let pushed = false;
  const live = api.liveChannel({
    open: () => {
      pushed = true;
    },
    booking: (change) => {
      if (change.booking_id === id) refresh();
    },
  });
  ctx.onCleanup(() => {
    clearTimeout(timer);
    live.close();
  });

  async function load() {
    const booking = await api.getBooking(id);
    const payment =
      booking.payment_id || booking.status !== "PENDING" ? await api.bookingPayment(id).catch(() => null) : null;
    return { booking, payment };
  }

  function draw({ booking, payment }) {
    const [headline, sub] = HEADLINES[booking.status] || [booking.status, ""];
    const status = h(
      "section",
      { class: `status-card status-${booking.status.toLowerCase()}`, "aria-live": "polite" },
      h(
        "div",
        { class: "status-line" },
        booking.status === "PENDING" ? h("span", { class: "spinner", "aria-hidden": "true" }) : null,
        h("span", { class: "status-word", "data-status": booking.status }, badge(booking.status)),
        h("strong", {}, headline),
      ),
      sub ? h("p", {}, sub) : null,
      booking.reason ? h("p", { class: "reason" }, booking.reason) : null,
    );
    const lines = h(
      "ul",
      { class: "pick-list" },
      booking.lines.map((line) =>
        h(
          "li",
          {},
          h(
            "span",
            { class: "grow" },
            line.quantity > 1 ? `${line.quantity} × ${line.label}` : line.label,
            h("small", { class: "muted" }, ` ${line.category}`),
          ),
          h("span", {}, money(line.unit_price * line.quantity, booking.currency)),
        ),
      ),
    );
    const paymentInfo = payment
      ? h(
          "p",
          { class: "muted" },
          `Payment ${payment.status}: ${money(payment.amount, payment.currency)}`,
          payment.refunded ? ` · refunded ${money(payment.refunded, payment.currency)}` : "",
          payment.failure_reason ? ` · ${payment.failure_reason}` : "",
        )
      : null;

    const actions = h("div", { class: "actions" });
    const errors = h("div", {});
    if (["PENDING", "CONFIRMED"].includes(booking.status) && Date.parse(booking.show_starts_at) > Date.now()) {
      const ask = h(
        "button",
        {
          type: "button",
          class: "btn btn-danger-outline",
          onclick: () => {
            confirming = true;
            clear(actions).append(
              h(
                "div",
                { class: "confirm", role: "group", "aria-label": "Confirm cancellation" },
                h(
                  "p",
                  {},
                  `Cancel this booking? ${booking.status === "CONFIRMED" ? `You get ${money(booking.total, booking.currency)} back and the tickets stop working.` : "The payment is stopped."}`,
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn btn-danger",
                    onclick: async (event) => {
                      event.target.disabled = true;
                      try {
                        await api.cancelBooking(id, { body: { reason: "Cancelled by the customer." } });
                        confirming = false;
                        await refresh();
                      } catch (err) {
                        clear(errors).append(alertBox("error", describe(err)));
                        event.target.disabled = false;
                      }
                    },
                  },
                  "Yes, cancel booking",
                ),
                h(
                  "button",
                  {
                    type: "button",
                    class: "btn",
                    onclick: () => {
                      confirming = false;
                      refresh();
                    },
                  },
                  "Keep it",
                ),
              ),
            );
            actions.querySelector(".btn-danger").focus();
          },
        },
        "Cancel booking",
      );
      actions.append(ask);
    }
    if (["FAILED", "EXPIRED"].includes(booking.status)) {
      actions.append(h("a", { class: "btn btn-primary", href: `#/shows/${booking.show_id}` }, "Try again"));
    }

    const tickets = booking.tickets.length
      ? h(
          "section",
          { "aria-labelledby": "tickets-title" },
          h("h2", { id: "tickets-title" }, "Tickets"),
          h(
            "div",
            { class: "ticket-grid" },
            booking.tickets.map((t) =>
              ticketCard({ ...t, show_title: booking.show_title, show_starts_at: booking.show_starts_at }),
            ),
          ),
        )
      : null;

    const focusInside = root.contains(document.activeElement) && document.activeElement !== root.querySelector("h1");
    root.replaceChildren(
      pageHeader(
        booking.show_title,
        `${when(booking.show_starts_at, "long", booking.show_time_zone)} · booking ${shortId(booking.id)}`,
      ),
      h(
        "div",
        { class: "booking-layout" },
        h(
          "div",
          {},
          status,
          h(
            "section",
            { class: "panel" },
            h("h2", { class: "h3" }, "Order"),
            lines,
            h(
              "p",
              { class: "pick-total" },
              h("span", {}, "Total"),
              h("strong", {}, money(booking.total, booking.currency)),
            ),
            booking.refunded
              ? h(
                  "p",
                  { class: "pick-total" },
                  h("span", {}, "Refunded"),
                  h("strong", {}, money(booking.refunded, booking.currency)),
                )
              : null,
            paymentInfo,
            errors,
            actions,
          ),
        ),
        h(
          "section",
          { class: "panel", "aria-labelledby": "progress-title" },
          h("h2", { id: "progress-title", class: "h3" }, "Progress"),
          timeline(booking.steps, booking),
        ),
      ),
      tickets,
    );
    if (focusInside) root.querySelector("h1")?.focus({ preventScroll: true });
  }

  const SETTLED_PAYMENT = new Set(["refunded", "failed", "voided"]);
  function schedule(data) {
    const refundPending =
      data.booking.status === "CANCELLED" && data.payment && !SETTLED_PAYMENT.has(data.payment.status);
    if (!FINAL.has(data.booking.status) || refundPending) timer = setTimeout(refresh, pushed ? 5000 : 700);
    else refreshUnread();
  }

  async function refresh() {
    clearTimeout(timer);
    if (!ctx.alive) return;
    if (confirming) {
      timer = setTimeout(refresh, 700);
      return;
    }
    try {
      const data = await load();
      if (!ctx.alive || confirming) return;
      draw(data);
      schedule(data);
    } catch {
      if (ctx.alive) timer = setTimeout(refresh, 2000);
    }
  }

  const data = await load();
  draw(data);
  schedule(data);
  return root;
}

export async function myBookingsView() {
  const bookings = await api.listBookings({ limit: 100 });
  const rows = bookings.map((b) =>
    h(
      "li",
      { class: "booking-row" },
      h(
        "div",
        { class: "grow" },
        h("a", { href: `#/bookings/${b.id}`, class: "strong-link" }, b.show_title),
        h(
          "p",
          { class: "muted" },
          `${when(b.show_starts_at, "long", b.show_time_zone)} · booked ${when(b.created_at, "short")}`,
        ),
        b.reason ? h("p", { class: "muted small" }, b.reason) : null,
      ),
      h(
        "span",
        { class: "amount" },
        money(b.total, b.currency),
        b.refunded ? h("span", { class: "muted small" }, ` (${money(b.refunded, b.currency)} refunded)`) : null,
      ),
      badge(b.status),
    ),
  );
  return h(
    "div",
    {},
    pageHeader("My bookings", "Every booking you made, newest first."),
    bookings.length
      ? h("ul", { class: "panel list" }, rows)
      : h(
          "div",
          { class: "empty-state" },
          h("p", {}, "No bookings yet."),
          h("a", { class: "btn btn-primary", href: "#/" }, "Find a show"),
        ),
  );
}

// @ts-check
// Checkout: what is held, the countdown to the hold's expiry, the test cards, pay.

import * as api from "../api.gen.js";
import { alertBox, categoryColor, clear, h, money, pageHeader, when } from "../dom.js";
import { describe } from "../http.js";
import { navigate } from "../router.js";

export const TEST_CARDS = [
  { token: "tok_success", name: "Visa •••• 4242", outcome: "The payment succeeds." },
  { token: "tok_decline", name: "Mastercard •••• 0002", outcome: "The bank declines the payment." },
  { token: "tok_slow", name: "Amex •••• 0005", outcome: "The payment succeeds after a few seconds." },
  {
    token: "tok_timeout",
    name: "Visa •••• 0119",
    outcome: "The bank never answers; the booking fails when the payment times out.",
  },
];

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const m = Math.floor(total / 60),
    sec = total % 60;
  return `${m}:${String(sec).padStart(2, "0")}`;
}

export async function checkoutView(ctx) {
  const holdId = ctx.params.holdId;
  const hold = await api.getHold(holdId);
  if (hold.booking_id) {
    navigate(`/bookings/${hold.booking_id}`, { replace: true });
    return null;
  }
  const show = await api.getShow(hold.show_id).catch(() => null);
  const expires = Date.parse(hold.expires_at);
  const errors = h("div", { class: "form-errors" });

  const timer = h("strong", { class: "countdown-time" });
  const countdown = h(
    "div",
    { class: "countdown", role: "timer", "aria-live": "off" },
    h("span", {}, "Your seats are held for "),
    timer,
  );
  const expiredNote = h("div", { "aria-live": "assertive" });
  const pay = h(
    "button",
    { type: "submit", class: "btn btn-primary btn-block" },
    `Pay ${money(hold.total, hold.currency)}`,
  );
  let expired = hold.state !== "held";
  const tick = () => {
    const left = expires - Date.now();
    timer.textContent = clock(left);
    countdown.classList.toggle("urgent", left < 60_000);
    if (left <= 0 && !expired) expired = true;
    if (expired) {
      clearInterval(interval);
      countdown.classList.add("over");
      timer.textContent = "0:00";
      pay.disabled = true;
      clear(expiredNote).append(
        alertBox(
          "warning",
          "Your hold has expired and the seats went back on sale.",
          h("a", { class: "btn", href: `#/shows/${hold.show_id}` }, "Pick seats again"),
        ),
      );
    }
  };
  const interval = setInterval(tick, 500);
  ctx.onCleanup(() => clearInterval(interval));

  const cards = TEST_CARDS.map((card, i) =>
    h(
      "label",
      { class: "card-option" },
      h("input", { type: "radio", name: "token", value: card.token, checked: i === 0 }),
      h(
        "span",
        { class: "card-body" },
        h("span", { class: "card-name" }, card.name, " ", h("code", {}, card.token)),
        h("span", { class: "muted" }, card.outcome),
      ),
    ),
  );

  const form = h(
    "form",
    {
      class: "panel checkout-pay",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = form.querySelector("input[name=token]:checked").value;
        pay.disabled = true;
        pay.textContent = "Paying…";
        clear(errors);
        try {
          const booking = await api.createBooking({
            body: { hold_id: holdId, payment: { method: "card", token } },
            idempotencyKey: `book-${holdId}-${token}`,
          });
          navigate(`/bookings/${booking.booking_id}`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          pay.disabled = expired;
          pay.textContent = `Pay ${money(hold.total, hold.currency)}`;
        }
      },
    },
    h("h2", { class: "h3" }, "Payment"),
    h("fieldset", { class: "cards" }, h("legend", {}, "Test cards (no real money moves)"), cards),
    errors,
    pay,
  );

  const release = h(
    "button",
    {
      type: "button",
      class: "btn btn-ghost",
      onclick: async () => {
        release.disabled = true;
        try {
          await api.releaseHold(holdId);
          navigate(`/shows/${hold.show_id}`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          release.disabled = false;
        }
      },
    },
    "Release these seats",
  );

  const lines = [
    ...hold.seats.map((seat) =>
      h(
        "li",
        {},
        h("span", { class: "swatch-dot", style: { background: categoryColor(seat.category) }, "aria-hidden": "true" }),
        h(
          "span",
          { class: "grow" },
          `Row ${seat.row} · Seat ${seat.label.startsWith(seat.row) ? seat.label.slice(seat.row.length) : seat.label}`,
          h("small", { class: "muted" }, ` ${seat.category}`),
        ),
        h("span", {}, money(seat.price, hold.currency)),
      ),
    ),
    ...hold.ga.map((area) =>
      h(
        "li",
        {},
        h("span", { class: "swatch-dot", style: { background: categoryColor(area.category) }, "aria-hidden": "true" }),
        h("span", { class: "grow" }, `${area.quantity} × ${area.name}`),
        h("span", {}, money(area.price * area.quantity, hold.currency)),
      ),
    ),
  ];

  const content = h(
    "div",
    { class: "checkout" },
    pageHeader(
      "Checkout",
      show ? `${show.title} · ${when(show.starts_at, "long", show.time_zone)} · ${show.venue_name}` : "",
    ),
    h(
      "div",
      { class: "checkout-layout" },
      h(
        "section",
        { class: "panel", "aria-labelledby": "order-title" },
        h("h2", { id: "order-title", class: "h3" }, "Your order"),
        countdown,
        expiredNote,
        h("ul", { class: "pick-list" }, lines),
        h("p", { class: "pick-total" }, h("span", {}, "Total"), h("strong", {}, money(hold.total, hold.currency))),
        release,
      ),
      form,
    ),
  );
  tick();
  return content;
}

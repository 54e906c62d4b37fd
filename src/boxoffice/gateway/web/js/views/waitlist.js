// @ts-check
// A sold-out show's waiting list: join it for a number of tickets, see one's place, and when
// seats come back, book the ones held for you before the offer runs out.

import * as api from "../api.gen.js";
import { alertBox, clear, h, when } from "../dom.js";
import { describe, session } from "../http.js";
import { navigate } from "../router.js";

/** The waiting-list box of a show (sold out): `max` is the show's tickets per booking. */
export function waitlistPanel(show, max, ctx) {
  const box = h("div", { class: "stack waitlist", role: "status", "aria-live": "polite" });
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));

  function joinForm(again) {
    const qty = h(
      "select",
      { id: "waitlist-qty" },
      ...Array.from({ length: max }, (_, i) => h("option", { value: String(i + 1) }, String(i + 1))),
    );
    const join = h(
      "button",
      {
        type: "button",
        class: "btn btn-primary",
        onclick: async () => {
          join.disabled = true;
          try {
            draw(await api.joinWaitlist(show.id, { body: { quantity: Number(qty.value) } }));
          } catch (err) {
            box.append(alertBox("error", describe(err)));
            join.disabled = false;
          }
        },
      },
      again ? "Join the waiting list again" : "Join the waiting list",
    );
    return [
      h(
        "p",
        {},
        "Sold out for now. Join the waiting list: when seats come back (unpaid holds, cancelled bookings) they are offered in turn, held for you for a while, and you are told.",
      ),
      h("div", { class: "form-row" }, h("label", { for: "waitlist-qty" }, "Tickets"), qty, join),
    ];
  }

  function draw(place) {
    clearTimeout(timer);
    clear(box);
    if (!place) {
      box.append(...joinForm(false));
      return;
    }
    if (place.state === "waiting") {
      box.append(
        alertBox(
          "info",
          `You are #${place.position} on the waiting list for ${place.quantity} ticket${place.quantity === 1 ? "" : "s"}. We will tell you when seats come back.`,
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn",
            onclick: async () => {
              await api.leaveWaitlist(show.id).catch(() => null);
              refresh();
            },
          },
          "Leave the waiting list",
        ),
      );
    } else if (place.state === "offered" && place.offer) {
      const holdId = place.offer.hold_id;
      box.append(
        alertBox(
          "success",
          `Seats came back for you! They are held until ${when(place.offer.expires_at, "short", show.time_zone)}.`,
        ),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-primary",
            onclick: () => navigate(`/checkout/${encodeURIComponent(holdId)}`),
          },
          "Book them now",
        ),
      );
    } else if (place.state === "booked") {
      box.append(alertBox("success", "You booked seats from the waiting list."));
    } else {
      box.append(
        place.state === "lapsed" ? alertBox("warning", "The seats offered to you were not booked in time.") : "",
        ...joinForm(true),
      );
    }
    if (place.state === "waiting" || place.state === "offered") timer = setTimeout(refresh, 10_000);
  }

  async function refresh() {
    if (!ctx.alive) return;
    try {
      draw(await api.myWaitlistPlace(show.id));
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 404) draw(null);
      else timer = setTimeout(refresh, 10_000);
    }
  }

  if (!session.loggedIn) {
    box.append(
      h("p", {}, "Sold out for now. "),
      h(
        "a",
        { class: "btn btn-primary", href: `#/login?next=${encodeURIComponent(`/shows/${show.id}`)}` },
        "Log in to join the waiting list",
      ),
    );
  } else refresh();
  return box;
}

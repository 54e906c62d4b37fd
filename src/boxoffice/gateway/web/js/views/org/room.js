// @ts-check
// The organizer's waiting-room settings of a published show: when it opens, when the on-sale
// starts, how many buyers are let in per minute (or "auto": as fast as bookings are confirmed),
// how long an admission pass lasts, how many tickets one customer may have; and how it goes.

import * as api from "../../api.gen.js";
import { alertBox, clear, field, fromLocalInput, h, localInput, toast, when } from "../../dom.js";
import { describe } from "../../http.js";
import { waitingRoomOf } from "../queue.js";

export function roomPanel(show) {
  const zone = show.time_zone;
  const panel = h("section", { class: "panel stack", "aria-labelledby": "room-title" });
  const errors = h("div", {});

  async function render() {
    const room = await waitingRoomOf(show.id).catch(() => null);
    const soon = new Date(Date.now() + 10 * 60_000);
    const opensAt = h("input", {
      type: "datetime-local",
      required: true,
      value: localInput(room ? new Date(room.opens_at) : soon, zone),
    });
    const onSaleAt = h("input", {
      type: "datetime-local",
      required: true,
      value: localInput(room ? new Date(room.on_sale_at) : new Date(soon.getTime() + 30 * 60_000), zone),
    });
    const auto = room?.admission_rate === "auto";
    const mode = h(
      "select",
      { onchange: () => showRate() },
      h("option", { value: "auto", selected: auto }, "Automatic: as fast as bookings are confirmed"),
      h("option", { value: "fixed", selected: !!room && !auto }, "A fixed number a minute"),
    );
    const rate = h("input", {
      type: "number",
      min: "1",
      max: "1000000",
      required: true,
      value: String(room ? (auto ? room.auto_start_rate : room.admission_rate) : 600),
    });
    const rateLabel = h("span", {});
    const showRate = () => {
      rateLabel.textContent =
        mode.value === "auto" ? "Buyers a minute to start with (and at least)" : "Buyers let in per minute";
    };
    if (!room) mode.value = "auto";
    showRate();
    const limit = h("input", {
      type: "number",
      min: "1",
      max: "100",
      placeholder: "no limit",
      value: room?.max_tickets_per_customer ? String(room.max_tickets_per_customer) : "",
    });
    const ttl = h("input", {
      type: "number",
      min: "60",
      max: "3600",
      required: true,
      value: String(room ? room.pass_ttl_seconds : 900),
    });
    const save = h(
      "button",
      { type: "submit", class: "btn btn-primary" },
      room ? "Save waiting room" : "Open a waiting room",
    );
    const remove = h(
      "button",
      {
        type: "button",
        class: "btn btn-danger-outline",
        onclick: async () => {
          remove.disabled = true;
          clear(errors);
          try {
            await api.deleteWaitingRoom(show.id);
            toast("Waiting room removed: customers hold seats directly.", "success");
            await render();
          } catch (err) {
            errors.append(alertBox("error", describe(err)));
            remove.disabled = false;
          }
        },
      },
      "Remove",
    );
    const form = h(
      "form",
      {
        class: "stack",
        onsubmit: async (event) => {
          event.preventDefault();
          clear(errors);
          save.disabled = true;
          try {
            await api.putWaitingRoom(show.id, {
              body: {
                opens_at: fromLocalInput(opensAt.value, zone),
                on_sale_at: fromLocalInput(onSaleAt.value, zone),
                admission_rate: mode.value === "auto" ? "auto" : Number(rate.value),
                auto_start_rate: Number(rate.value),
                pass_ttl_seconds: Number(ttl.value),
                max_tickets_per_customer: limit.value ? Number(limit.value) : null,
              },
            });
            toast("Waiting room saved.", "success");
            await render();
          } catch (err) {
            errors.append(alertBox("error", describe(err)));
            save.disabled = false;
          }
        },
      },
      h(
        "div",
        { class: "form-row" },
        field(`Opens at (${zone})`, opensAt, "From then on, holds need a pass from the queue."),
        field(`On-sale at (${zone})`, onSaleAt, "Who came before is let in in a random order."),
      ),
      h(
        "div",
        { class: "form-row" },
        field("Admission", mode, "Automatic follows what the show actually sells, and slows when seats run out."),
        field(rateLabel, rate),
      ),
      h(
        "div",
        { class: "form-row" },
        field("Pass valid for (seconds)", ttl),
        field("Tickets per customer", limit, "Held, awaiting payment and bought together, for the whole on-sale."),
      ),
      errors,
      h("div", { class: "actions" }, save, room ? remove : null),
    );
    clear(panel).append(
      h("h2", { class: "h3", id: "room-title" }, "Waiting room"),
      h(
        "p",
        { class: "muted" },
        room
          ? `Opens ${when(room.opens_at, "short", zone)}; on-sale ${when(room.on_sale_at, "short", zone)}; ${rateText(room)}.` +
              (room.waitlist?.waiting ? ` ${room.waitlist.waiting} on the waiting list.` : "")
          : "No waiting room: customers hold seats directly. For a busy on-sale, let them in at the rate your show can sell.",
      ),
      form,
    );
  }

  render();
  return panel;
}

/** How fast a room lets buyers in, in words. */
export function rateText(room) {
  if (room.admission_rate !== "auto") return `${room.admission_rate} buyers a minute`;
  const now = room.admitting_per_minute;
  return now === null || now === undefined
    ? `automatic admission, from ${room.auto_start_rate} buyers a minute`
    : `automatic admission, now ${Math.round(now)} buyers a minute`;
}

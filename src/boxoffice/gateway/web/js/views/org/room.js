// @ts-check
// The organizer's waiting-room settings of a published show: when it opens, when the on-sale
// starts, how many buyers are let in per minute, how long an admission pass lasts.

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
    const rate = h("input", {
      type: "number",
      min: "1",
      max: "1000000",
      required: true,
      value: String(room ? room.admission_rate : 300),
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
                admission_rate: Number(rate.value),
                pass_ttl_seconds: Number(ttl.value),
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
      h("div", { class: "form-row" }, field("Buyers let in per minute", rate), field("Pass valid for (seconds)", ttl)),
      errors,
      h("div", { class: "actions" }, save, room ? remove : null),
    );
    clear(panel).append(
      h("h2", { class: "h3", id: "room-title" }, "Waiting room"),
      h(
        "p",
        { class: "muted" },
        room
          ? `Opens ${when(room.opens_at, "short", zone)}; on-sale ${when(room.on_sale_at, "short", zone)}; ${room.admission_rate} buyers a minute.`
          : "No waiting room: customers hold seats directly. For a busy on-sale, let them in at the rate your show can sell.",
      ),
      form,
    );
  }

  render();
  return panel;
}

// @ts-check
// Shows: create one (prices per category, sales window, per-booking maximum), then manage it:
// change it, publish it, cancel it.

import * as api from "../../api.gen.js";
import {
  alertBox,
  badge,
  categoryColor,
  clear,
  field,
  fromLocalInput,
  h,
  localInput,
  money,
  pageHeader,
  toast,
  when,
} from "../../dom.js";
import { describe } from "../../http.js";
import { navigate, render } from "../../router.js";
import { orgNav } from "./home.js";
import { roomPanel } from "./room.js";

const CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK"];

function hallCategories(hall) {
  return [...new Set([...hall.seats.map((s) => s.category), ...hall.ga_areas.map((a) => a.category)])];
}

function priceInputs(categories, prices, currency) {
  return categories.map((c) => {
    const input = h("input", {
      type: "number",
      min: "0",
      step: "0.01",
      required: true,
      inputmode: "decimal",
      value: prices[c] !== undefined ? (prices[c] / 100).toFixed(2) : "",
      "data-category": c,
    });
    return field(
      h(
        "span",
        {},
        h("span", { class: "swatch-dot", style: { background: categoryColor(c) }, "aria-hidden": "true" }),
        ` Price for ${c} (${currency})`,
      ),
      input,
    );
  });
}

function readPrices(box) {
  /** @type {Record<string, number>} */
  const prices = {};
  for (const input of box.querySelectorAll("input[data-category]")) {
    prices[input.dataset.category] = Math.round(Number(input.value) * 100);
  }
  return prices;
}

const heldInput = (value) =>
  h("input", { type: "number", min: "1", max: "10000", value: value ?? "", placeholder: "default" });
const heldHint = "Seats one customer may have held or awaiting payment at once; empty for the default.";

export async function newShowView(ctx) {
  const [events, venues] = await Promise.all([api.listEvents({ limit: 200 }), api.listVenues({ limit: 200 })]);
  const errors = h("div", {});
  const eventSel = h(
    "select",
    { required: true },
    h("option", { value: "" }, "Choose an event"),
    events.map((e) => h("option", { value: e.id, selected: e.id === ctx.query.event }, `${e.title} (${e.category})`)),
  );
  const venueSel = h(
    "select",
    { required: true },
    h("option", { value: "" }, "Choose a venue"),
    venues.map((v) => h("option", { value: v.id, selected: v.id === ctx.query.venue }, `${v.name}, ${v.city}`)),
  );
  const hallSel = h("select", { required: true, disabled: true }, h("option", { value: "" }, "Choose a venue first"));
  const pricesBox = h("div", { class: "prices" }, h("p", { class: "muted" }, "Prices appear once you choose a hall."));
  const currency = h(
    "select",
    {},
    CURRENCIES.map((c) => h("option", { value: c }, c)),
  );
  const start = new Date(Date.now() + 14 * 86400_000);
  start.setHours(20, 0, 0, 0);
  const startsAt = h("input", { type: "datetime-local", required: true, value: localInput(start) });
  const salesStart = h("input", {
    type: "datetime-local",
    required: true,
    value: localInput(new Date(Date.now() - 60_000)),
  });
  const salesEnd = h("input", {
    type: "datetime-local",
    required: true,
    value: localInput(new Date(start.getTime() - 3600_000)),
  });
  const maxPer = h("input", { type: "number", min: "1", max: "100", value: "8", required: true });
  const maxHeld = heldInput();
  let categories = [];
  // Times are entered as the venue's wall clock, whatever the organizer's browser says.
  const venueZone = () => venues.find((v) => v.id === venueSel.value)?.time_zone;

  async function loadHalls() {
    clear(hallSel);
    if (!venueSel.value) {
      hallSel.disabled = true;
      hallSel.append(h("option", { value: "" }, "Choose a venue first"));
      return;
    }
    const venue = await api.getVenue(venueSel.value);
    hallSel.disabled = false;
    hallSel.append(
      h("option", { value: "" }, venue.halls.length ? "Choose a hall" : "This venue has no halls yet"),
      ...venue.halls.map((hl) =>
        h("option", { value: hl.id, selected: hl.id === ctx.query.hall }, `${hl.name} (${hl.seat_count} seats)`),
      ),
    );
    await loadPrices();
  }
  async function loadPrices() {
    clear(pricesBox);
    if (!hallSel.value) {
      pricesBox.append(h("p", { class: "muted" }, "Prices appear once you choose a hall."));
      return;
    }
    const hall = await api.getHall(hallSel.value);
    categories = hallCategories(hall);
    pricesBox.append(...priceInputs(categories, {}, currency.value));
  }
  venueSel.addEventListener("change", () =>
    loadHalls().catch((err) => errors.append(alertBox("error", describe(err)))),
  );
  hallSel.addEventListener("change", () =>
    loadPrices().catch((err) => errors.append(alertBox("error", describe(err)))),
  );
  currency.addEventListener("change", () => {
    if (categories.length) {
      const p = readPrices(pricesBox);
      clear(pricesBox).append(...priceInputs(categories, p, currency.value));
    }
  });
  if (venueSel.value) await loadHalls();

  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create show (draft)");
  const form = h(
    "form",
    {
      class: "panel stack narrow-wide",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          const show = await api.createShow({
            body: {
              event_id: eventSel.value,
              hall_id: hallSel.value,
              starts_at: fromLocalInput(startsAt.value, venueZone()),
              currency: currency.value,
              prices: readPrices(pricesBox),
              sales_start: fromLocalInput(salesStart.value, venueZone()),
              sales_end: fromLocalInput(salesEnd.value, venueZone()),
              max_per_booking: Number(maxPer.value),
              ...(maxHeld.value ? { max_held_per_customer: Number(maxHeld.value) } : {}),
            },
          });
          toast("Show created as a draft. Publish it to start selling.", "success");
          navigate(`/org/shows/${show.id}`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    h("div", { class: "form-row" }, field("Event", eventSel), field("Venue", venueSel), field("Hall", hallSel)),
    h(
      "div",
      { class: "form-row" },
      field("Starts at", startsAt, "In the venue's time zone."),
      field("Currency", currency),
      field("Max tickets per booking", maxPer),
    ),
    h("div", { class: "form-row" }, field("Max seats held per customer", maxHeld, heldHint)),
    h("fieldset", { class: "stack" }, h("legend", {}, "Prices per category"), pricesBox),
    h(
      "fieldset",
      {},
      h("legend", {}, "Sales window"),
      h(
        "div",
        { class: "form-row" },
        field("Sales start", salesStart),
        field("Sales end", salesEnd, "Sales must end before the show starts."),
      ),
    ),
    errors,
    h("div", { class: "actions" }, submit),
  );
  return h("div", {}, pageHeader("New show", "A date for an event in one of your halls."), orgNav("#/org"), form);
}

export async function manageShowView(ctx) {
  const show = await api.getShow(ctx.params.id);
  const hall = await api.getHall(show.hall_id);
  const categories = hallCategories(hall);
  const errors = h("div", {});
  const pricesBox = h("div", { class: "prices" }, priceInputs(categories, show.prices, show.currency));
  const zone = show.time_zone;
  const startsAt = h("input", {
    type: "datetime-local",
    required: true,
    value: localInput(new Date(show.starts_at), zone),
  });
  const salesStart = h("input", {
    type: "datetime-local",
    required: true,
    value: localInput(new Date(show.sales_start), zone),
  });
  const salesEnd = h("input", {
    type: "datetime-local",
    required: true,
    value: localInput(new Date(show.sales_end), zone),
  });
  const maxPer = h("input", {
    type: "number",
    min: "1",
    max: "100",
    value: String(show.max_per_booking),
    required: true,
  });
  const maxHeld = heldInput(show.max_held_per_customer);
  const editable = show.status !== "cancelled";

  const save = h("button", { type: "submit", class: "btn" }, "Save changes");
  const form = h(
    "form",
    {
      class: "panel stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        save.disabled = true;
        try {
          await api.updateShow(show.id, {
            body: {
              starts_at: fromLocalInput(startsAt.value, zone),
              sales_start: fromLocalInput(salesStart.value, zone),
              sales_end: fromLocalInput(salesEnd.value, zone),
              max_per_booking: Number(maxPer.value),
              prices: readPrices(pricesBox),
              ...(maxHeld.value ? { max_held_per_customer: Number(maxHeld.value) } : {}),
            },
          });
          toast("Show saved.", "success");
          render();
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          save.disabled = false;
        }
      },
    },
    h("h2", { class: "h3" }, "Details"),
    h("fieldset", { class: "stack", disabled: !editable }, h("legend", {}, "Prices per category"), pricesBox),
    h(
      "fieldset",
      { disabled: !editable },
      h("legend", {}, `Dates (${zone}) and limits`),
      h(
        "div",
        { class: "form-row" },
        field("Starts at", startsAt),
        field("Max tickets per booking", maxPer),
        field("Max seats held per customer", maxHeld, heldHint),
      ),
      h("div", { class: "form-row" }, field("Sales start", salesStart), field("Sales end", salesEnd)),
    ),
    errors,
    editable ? h("div", { class: "actions" }, save) : null,
  );

  const actionErrors = h("div", {});
  const publish = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      onclick: async () => {
        publish.disabled = true;
        clear(actionErrors);
        try {
          await api.publishShow(show.id);
          toast("Published: the show is on sale.", "success");
          render();
        } catch (err) {
          actionErrors.append(alertBox("error", describe(err)));
          publish.disabled = false;
        }
      },
    },
    "Publish",
  );
  const reason = h("input", { type: "text", maxlength: "500", value: "Cancelled by the organizer." });
  const cancelBox = h("div", {});
  const cancel = h(
    "button",
    {
      type: "button",
      class: "btn btn-danger-outline",
      onclick: () => {
        clear(cancelBox).append(
          h(
            "div",
            { class: "confirm" },
            h("p", {}, "Cancel this show? Every booking is cancelled and refunded."),
            field("Reason shown to customers", reason),
            h(
              "div",
              { class: "actions" },
              h(
                "button",
                {
                  type: "button",
                  class: "btn btn-danger",
                  onclick: async (e) => {
                    e.target.disabled = true;
                    try {
                      await api.cancelShow(show.id, {
                        body: { reason: reason.value.trim() || "Cancelled by the organizer." },
                      });
                      toast("The show is cancelled.", "success");
                      render();
                    } catch (err) {
                      actionErrors.append(alertBox("error", describe(err)));
                      e.target.disabled = false;
                    }
                  },
                },
                "Yes, cancel the show",
              ),
              h("button", { type: "button", class: "btn", onclick: () => clear(cancelBox) }, "Keep it"),
            ),
          ),
        );
      },
    },
    "Cancel show",
  );

  return h(
    "div",
    {},
    pageHeader(
      show.title,
      `${when(show.starts_at, "long", show.time_zone)} · ${show.venue_name}, ${show.hall_name}`,
      show.status === "published"
        ? h("a", { class: "btn btn-primary", href: `#/org/shows/${show.id}/dashboard` }, "Sales dashboard")
        : null,
      show.status === "published" ? h("a", { class: "btn", href: `#/shows/${show.id}` }, "Public page") : null,
    ),
    orgNav("#/org"),
    h(
      "div",
      { class: "two-col" },
      form,
      h(
        "section",
        { class: "panel stack" },
        h("h2", { class: "h3" }, "Status"),
        h("p", {}, badge(show.status)),
        h(
          "dl",
          { class: "facts" },
          h("dt", {}, "Sales"),
          h(
            "dd",
            {},
            `${when(show.sales_start, "short", show.time_zone)} → ${when(show.sales_end, "short", show.time_zone)}`,
          ),
          h("dt", {}, "Prices"),
          h(
            "dd",
            {},
            Object.entries(show.prices)
              .map(([c, p]) => `${c} ${money(p, show.currency)}`)
              .join(" · "),
          ),
          h("dt", {}, "Per booking"),
          h("dd", {}, `up to ${show.max_per_booking}`),
        ),
        actionErrors,
        h(
          "div",
          { class: "actions" },
          show.status === "draft" ? publish : null,
          show.status !== "cancelled" ? cancel : null,
        ),
        cancelBox,
      ),
    ),
    show.status === "published" ? roomPanel(show) : null,
  );
}

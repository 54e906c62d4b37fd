// @ts-check
// Venues and their halls (the hall itself is drawn by the layout editor).

import * as api from "../../api.gen.js";
import { alertBox, clear, field, h, pageHeader, toast } from "../../dom.js";
import { describe } from "../../http.js";
import { navigate } from "../../router.js";
import { legend, SeatMap } from "../../seatmap.js";
import { orgNav } from "./home.js";

export async function venuesView() {
  const venues = await api.listVenues({ limit: 200 });
  return h(
    "div",
    {},
    pageHeader(
      "Venues & halls",
      "Each venue has halls; each hall has a seat layout.",
      h("a", { class: "btn btn-primary", href: "#/org/venues/new" }, "New venue"),
    ),
    orgNav("#/org/venues"),
    venues.length
      ? h(
          "ul",
          { class: "panel list" },
          venues.map((v) =>
            h(
              "li",
              { class: "booking-row" },
              h(
                "div",
                { class: "grow" },
                h("a", { href: `#/org/venues/${v.id}`, class: "strong-link" }, v.name),
                h("p", { class: "muted" }, [v.city, v.address].filter(Boolean).join(" · ")),
              ),
              h("a", { class: "btn btn-small", href: `#/org/venues/${v.id}/halls/new` }, "Add a hall"),
            ),
          ),
        )
      : h("div", { class: "empty-state" }, h("p", {}, "No venues yet.")),
  );
}

export function newVenueView() {
  const name = h("input", { type: "text", name: "name", required: true, maxlength: "200" });
  const city = h("input", { type: "text", name: "city", required: true, maxlength: "200" });
  const address = h("input", { type: "text", name: "address", maxlength: "500" });
  const here = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const zones = Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : [here];
  const timeZone = h(
    "select",
    { name: "time_zone", required: true },
    (zones.includes("UTC") ? zones : ["UTC", ...zones]).map((z) => h("option", { value: z, selected: z === here }, z)),
  );
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create venue");
  const form = h(
    "form",
    {
      class: "panel stack narrow",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          const venue = await api.createVenue({
            body: {
              name: name.value.trim(),
              city: city.value.trim(),
              address: address.value.trim(),
              time_zone: timeZone.value,
            },
          });
          toast(`Venue ${venue.name} created. Now draw its first hall.`, "success");
          navigate(`/org/venues/${venue.id}/halls/new`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    field("Venue name", name),
    field("City", city),
    field("Address", address, "Optional."),
    field("Time zone", timeZone, "Show times are given in the venue's time zone."),
    errors,
    h("div", { class: "actions" }, submit),
  );
  return h("div", {}, pageHeader("New venue", "Where the shows take place."), orgNav("#/org/venues"), form);
}

export async function venueView(ctx) {
  const venue = await api.getVenue(ctx.params.id);
  return h(
    "div",
    {},
    pageHeader(
      venue.name,
      [venue.city, venue.address].filter(Boolean).join(" · "),
      h("a", { class: "btn btn-primary", href: `#/org/venues/${venue.id}/halls/new` }, "New hall"),
    ),
    orgNav("#/org/venues"),
    h("h2", {}, "Halls"),
    venue.halls.length
      ? h(
          "ul",
          { class: "panel list" },
          venue.halls.map((hall) =>
            h(
              "li",
              { class: "booking-row" },
              h(
                "div",
                { class: "grow" },
                h("a", { href: `#/org/halls/${hall.id}`, class: "strong-link" }, hall.name),
                h("p", { class: "muted" }, `${hall.seat_count} seats`),
              ),
              h(
                "a",
                { class: "btn btn-small", href: `#/org/shows/new?hall=${hall.id}&venue=${venue.id}` },
                "New show here",
              ),
            ),
          ),
        )
      : h(
          "div",
          { class: "empty-state" },
          h("p", {}, "No halls yet."),
          h("a", { class: "btn btn-primary", href: `#/org/venues/${venue.id}/halls/new` }, "Draw a hall"),
        ),
  );
}

export async function hallView(ctx) {
  const hall = await api.getHall(ctx.params.id);
  const categories = [...new Set([...hall.seats.map((x) => x.category), ...hall.ga_areas.map((a) => a.category)])].map(
    (c) => [c, undefined],
  );
  const map = hall.seats.length
    ? new SeatMap({
        seats: hall.seats.map((x) => ({ ...x, state: x.blocked ? "blocked" : "available" })),
        mode: "view",
        caption: `Layout of ${hall.name}: ${hall.seats.length} seats`,
      })
    : null;
  return h(
    "div",
    {},
    pageHeader(
      hall.name,
      `${hall.seats.length} seats · ${hall.seats.filter((x) => x.blocked).length} blocked · ${hall.ga_areas.reduce((a, g) => a + g.capacity, 0)} standing places`,
      h("a", { class: "btn", href: `#/org/venues/${hall.venue_id}` }, "← Venue"),
      h(
        "a",
        { class: "btn btn-primary", href: `#/org/shows/new?hall=${hall.id}&venue=${hall.venue_id}` },
        "New show in this hall",
      ),
    ),
    orgNav("#/org/venues"),
    h(
      "section",
      { class: "panel" },
      legend(categories, "EUR", { states: false }),
      map ? map.el : null,
      hall.ga_areas.length
        ? h(
            "ul",
            { class: "list" },
            hall.ga_areas.map((a) => h("li", {}, `${a.name}: ${a.capacity} places (${a.category})`)),
          )
        : null,
    ),
  );
}

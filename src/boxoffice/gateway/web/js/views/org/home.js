// @ts-check
// The organizer's overview: my shows in every status, and where to create more.

import * as api from "../../api.gen.js";
import { badge, h, pageHeader, when } from "../../dom.js";
import { session } from "../../http.js";

export function orgNav(active) {
  const items = [
    ["#/org", "Shows"],
    ["#/org/venues", "Venues & halls"],
    ["#/org/events", "Events"],
  ];
  return h(
    "nav",
    { class: "subnav", "aria-label": "Organizer" },
    items.map(([href, text]) =>
      h("a", { href, class: active === href ? "active" : null, "aria-current": active === href ? "page" : null }, text),
    ),
  );
}

export async function orgHomeView() {
  const page = await api.browseShows({ mine: true, limit: 200 });
  const rows = page.items.map((show) =>
    h(
      "tr",
      {},
      h(
        "td",
        {},
        h("a", { href: `#/org/shows/${show.id}`, class: "strong-link" }, show.title),
        h("div", { class: "muted small" }, `${show.venue_name} · ${show.hall_name}`),
      ),
      h("td", {}, when(show.starts_at, "short", show.time_zone)),
      h("td", {}, badge(show.status)),
      h(
        "td",
        { class: "actions-cell" },
        h("a", { class: "btn btn-small", href: `#/org/shows/${show.id}` }, "Manage"),
        show.status === "published"
          ? h("a", { class: "btn btn-small btn-primary", href: `#/org/shows/${show.id}/dashboard` }, "Sales")
          : null,
      ),
    ),
  );
  return h(
    "div",
    {},
    pageHeader(
      session.hasRole("admin") ? "All shows" : "My shows",
      "Create venues and halls, then events and their shows.",
      h("a", { class: "btn", href: "#/org/venues/new" }, "New venue"),
      h("a", { class: "btn", href: "#/org/events" }, "New event"),
      h("a", { class: "btn btn-primary", href: "#/org/shows/new" }, "New show"),
    ),
    orgNav("#/org"),
    page.items.length
      ? h(
          "div",
          { class: "panel table-wrap" },
          h(
            "table",
            { class: "table" },
            h("caption", { class: "sr-only" }, "Shows"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "Show"),
                h("th", { scope: "col" }, "Starts"),
                h("th", { scope: "col" }, "Status"),
                h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
              ),
            ),
            h("tbody", {}, rows),
          ),
        )
      : h(
          "div",
          { class: "empty-state" },
          h("p", {}, "No shows yet. Start with a venue and a hall."),
          h("a", { class: "btn btn-primary", href: "#/org/venues/new" }, "Create a venue"),
        ),
  );
}

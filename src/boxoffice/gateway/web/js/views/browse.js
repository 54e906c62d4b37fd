// @ts-check
// Home (upcoming shows: search, filters, pages) and the event page.

import * as api from "../api.gen.js";
import { badge, categoryColor, dayParts, h, icon, money, pageHeader, when } from "../dom.js";
import { setQuery } from "../router.js";

const PAGE = 12;
const FALLBACK_CATEGORIES = ["concert", "theatre", "comedy", "opera", "dance", "sport", "family", "cinema"];

function fromPrice(show) {
  const prices = Object.values(show.prices || {});
  return prices.length ? Math.min(...prices) : null;
}

export function showCard(show) {
  const d = dayParts(show.starts_at, show.time_zone);
  const price = fromPrice(show);
  return h(
    "article",
    { class: "show-card", style: { "--accent": categoryColor(show.category) } },
    h(
      "div",
      { class: "date-chip", "aria-hidden": "true" },
      h("span", { class: "date-month" }, d.month),
      h("span", { class: "date-day" }, d.day),
      h("span", { class: "date-wd" }, d.weekday),
    ),
    h(
      "div",
      { class: "show-card-body" },
      h("p", { class: "eyebrow" }, show.category),
      h("h2", { class: "show-title" }, h("a", { href: `#/shows/${show.id}`, class: "stretched" }, show.title)),
      h("p", { class: "meta" }, icon("clock"), h("span", {}, when(show.starts_at, "long", show.time_zone))),
      h("p", { class: "meta" }, icon("pin"), h("span", {}, `${show.venue_name} · ${show.city}`)),
      h(
        "div",
        { class: "show-card-foot" },
        price !== null
          ? h("span", { class: "price-from" }, "from ", h("strong", {}, money(price, show.currency)))
          : h("span", {}),
        show.status !== "published"
          ? badge(show.status)
          : h("span", { class: "cta", "aria-hidden": "true" }, "Pick seats →"),
      ),
    ),
  );
}

function dayStart(value) {
  return value ? new Date(`${value}T00:00:00`).toISOString() : undefined;
}

function dayEnd(value) {
  if (!value) return undefined;
  const date = new Date(`${value}T00:00:00`);
  date.setDate(date.getDate() + 1);
  return date.toISOString();
}

async function findShows(query, page) {
  const filters = {
    city: query.city,
    category: query.category,
    from: dayStart(query.from) || new Date().toISOString(),
    to: dayEnd(query.to),
  };
  if (!query.q) {
    const result = await api.browseShows({ ...filters, limit: PAGE, offset: (page - 1) * PAGE });
    return { items: result.items, total: result.total };
  }
  // Text search matches event titles; their shows are then filtered like any other browse.
  const events = await api.listEvents({ q: query.q, category: query.category, limit: 50 });
  const lists = await Promise.all(
    events.slice(0, 20).map((e) => api.browseShows({ ...filters, event_id: e.id, limit: 200 })),
  );
  const all = lists.flatMap((l) => l.items).sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return { items: all.slice((page - 1) * PAGE, page * PAGE), total: all.length };
}

export async function homeView(ctx) {
  const q = ctx.query;
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const [result, venues, events] = await Promise.all([
    findShows(q, page),
    api.listVenues({ limit: 200 }).catch(() => []),
    api.listEvents({ limit: 200 }).catch(() => []),
  ]);
  const cities = [...new Set(venues.map((v) => v.city))].sort();
  const categories = [...new Set([...events.map((e) => e.category), ...FALLBACK_CATEGORIES])].sort();

  const text = h("input", {
    type: "search",
    name: "q",
    value: q.q || "",
    placeholder: "Artist, play, event…",
    autocomplete: "off",
  });
  const city = h("input", {
    type: "text",
    name: "city",
    value: q.city || "",
    list: "city-list",
    placeholder: "Any city",
  });
  const from = h("input", { type: "date", name: "from", value: q.from || "" });
  const to = h("input", { type: "date", name: "to", value: q.to || "" });
  const category = h(
    "select",
    { name: "category" },
    h("option", { value: "" }, "All categories"),
    categories.map((c) => h("option", { value: c, selected: c === q.category }, c)),
  );
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Find shows",
      onsubmit: (event) => {
        event.preventDefault();
        setQuery({
          q: text.value.trim(),
          city: city.value.trim(),
          from: from.value,
          to: to.value,
          category: category.value,
          page: "",
        });
      },
    },
    h("div", { class: "field grow" }, h("label", { for: "f-q" }, "Search"), Object.assign(text, { id: "f-q" })),
    h(
      "div",
      { class: "field" },
      h("label", { for: "f-city" }, "City"),
      Object.assign(city, { id: "f-city" }),
      h(
        "datalist",
        { id: "city-list" },
        cities.map((c) => h("option", { value: c })),
      ),
    ),
    h("div", { class: "field" }, h("label", { for: "f-from" }, "From"), Object.assign(from, { id: "f-from" })),
    h("div", { class: "field" }, h("label", { for: "f-to" }, "To"), Object.assign(to, { id: "f-to" })),
    h("div", { class: "field" }, h("label", { for: "f-cat" }, "Category"), Object.assign(category, { id: "f-cat" })),
    h(
      "div",
      { class: "field field-actions" },
      h("button", { type: "submit", class: "btn btn-primary" }, icon("search"), "Search"),
    ),
  );

  const pages = Math.max(1, Math.ceil(result.total / PAGE));
  const filtered = q.q || q.city || q.from || q.to || q.category;
  const summary =
    result.total === 0
      ? "No shows match."
      : `${result.total} show${result.total === 1 ? "" : "s"}${filtered ? " match" : " on sale"} · page ${page} of ${pages}`;
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    h(
      "button",
      { type: "button", class: "btn", disabled: page <= 1, onclick: () => setQuery({ ...q, page: String(page - 1) }) },
      "← Previous",
    ),
    h("span", { "aria-live": "polite" }, `Page ${page} of ${pages}`),
    h(
      "button",
      {
        type: "button",
        class: "btn",
        disabled: page >= pages,
        onclick: () => setQuery({ ...q, page: String(page + 1) }),
      },
      "Next →",
    ),
  );

  return h(
    "div",
    { class: "home" },
    h(
      "section",
      { class: "hero" },
      h("h1", {}, "Find your next night out"),
      h("p", {}, "Concerts, theatre and comedy. Pick your own seats, pay, and the tickets are yours."),
      form,
    ),
    h(
      "section",
      { class: "results", "aria-labelledby": "results-title" },
      h(
        "div",
        { class: "results-head" },
        h("h2", { id: "results-title" }, filtered ? "Results" : "Upcoming shows"),
        h("p", { class: "muted", role: "status" }, summary),
        filtered ? h("a", { href: "#/", class: "btn btn-ghost btn-small" }, "Clear filters") : null,
      ),
      result.items.length
        ? h("div", { class: "card-grid" }, result.items.map(showCard))
        : h("div", { class: "empty-state" }, h("p", {}, "Nothing here yet. Try another city, date or search.")),
      pages > 1 ? pager : null,
    ),
  );
}

export async function eventView(ctx) {
  const [event, shows] = await Promise.all([
    api.getEvent(ctx.params.id),
    api.browseShows({ event_id: ctx.params.id, limit: 100 }),
  ]);
  return h(
    "div",
    {},
    pageHeader(event.title, `${event.category} · ${event.duration_minutes} minutes`),
    event.description ? h("p", { class: "lead" }, event.description) : null,
    event.tags.length
      ? h(
          "ul",
          { class: "tags", "aria-label": "Tags" },
          event.tags.map((t) => h("li", {}, t)),
        )
      : null,
    h("h2", {}, "Dates"),
    shows.items.length
      ? h("div", { class: "card-grid" }, shows.items.map(showCard))
      : h("p", { class: "empty-state" }, "No dates on sale right now."),
  );
}

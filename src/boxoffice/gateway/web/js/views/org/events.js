// @ts-check
// Events: the list, and a form to create one (a show is an event on a date in a hall).

import * as api from "../../api.gen.js";
import { alertBox, clear, field, h, pageHeader, toast } from "../../dom.js";
import { describe } from "../../http.js";
import { navigate } from "../../router.js";
import { orgNav } from "./home.js";

export async function eventsView() {
  const events = await api.listEvents({ limit: 200 });
  const title = h("input", { type: "text", required: true, maxlength: "200" });
  const category = h("input", {
    type: "text",
    required: true,
    maxlength: "40",
    list: "event-cats",
    placeholder: "concert",
  });
  const duration = h("input", { type: "number", required: true, min: "1", max: "1440", value: "120" });
  const tags = h("input", { type: "text", placeholder: "rock, live" });
  const description = h("textarea", { rows: "3", maxlength: "10000" });
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Create event");
  const form = h(
    "form",
    {
      class: "panel stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          const created = await api.createEvent({
            body: {
              title: title.value.trim(),
              category: category.value.trim(),
              duration_minutes: Number(duration.value),
              description: description.value.trim(),
              tags: tags.value
                .split(",")
                .map((t) => t.trim())
                .filter(Boolean),
            },
          });
          toast(`Event ${created.title} created. Now give it a date.`, "success");
          navigate(`/org/shows/new?event=${created.id}`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    h("h2", { class: "h3" }, "New event"),
    field("Title", title),
    h("div", { class: "form-row" }, field("Category", category), field("Duration (minutes)", duration)),
    h(
      "datalist",
      { id: "event-cats" },
      [...new Set(events.map((e) => e.category))].map((c) => h("option", { value: c })),
    ),
    field("Tags", tags, "Separated by commas."),
    field("Description", description),
    errors,
    h("div", { class: "actions" }, submit),
  );
  return h(
    "div",
    {},
    pageHeader("Events", "What is performed; each show is one date of an event."),
    orgNav("#/org/events"),
    h(
      "div",
      { class: "two-col" },
      form,
      h(
        "section",
        { class: "panel" },
        h("h2", { class: "h3" }, "All events"),
        events.length
          ? h(
              "ul",
              { class: "list" },
              events.map((e) =>
                h(
                  "li",
                  { class: "booking-row" },
                  h(
                    "div",
                    { class: "grow" },
                    h("strong", {}, e.title),
                    h("p", { class: "muted" }, `${e.category} · ${e.duration_minutes} min`),
                  ),
                  h("a", { class: "btn btn-small", href: `#/org/shows/new?event=${e.id}` }, "Add a show"),
                ),
              ),
            )
          : h("p", { class: "muted" }, "No events yet."),
      ),
    ),
  );
}

// @ts-check
// The seat-layout editor: generate rows × seats, rename rows, set categories per seat, row or
// range, block seats, add general-admission areas, preview; saved as explicit sections.

import * as api from "../../api.gen.js";
import { alertBox, categoryColor, clear, field, h, pageHeader, toast } from "../../dom.js";
import { describe } from "../../http.js";
import { navigate } from "../../router.js";
import { legend, SeatMap } from "../../seatmap.js";
import { orgNav } from "./home.js";

const CATEGORY = /^[A-Za-z0-9_\- ]{1,40}$/;

export function rowLabel(index) {
  let label = "";
  let n = index + 1;
  while (n) {
    const rem = (n - 1) % 26;
    label = String.fromCharCode(65 + rem) + label;
    n = Math.floor((n - 1) / 26);
  }
  return label;
}

/** The POST /venues/{id}/halls body for an editor state (explicit sections, x/y per seat). */
export function hallBody(st) {
  return {
    name: st.name.trim(),
    sections: st.rows.length
      ? [
          {
            name: st.section.trim() || "Stalls",
            rows: st.rows.map((row, y) => ({
              label: row.label.trim(),
              seats: row.seats.map((seat, x) => ({
                label: String(seat.n),
                category: seat.category,
                x,
                y,
                blocked: seat.blocked,
              })),
            })),
          },
        ]
      : [],
    ga_areas: st.areas.map((a) => ({ name: a.name.trim(), category: a.category, capacity: Number(a.capacity) })),
  };
}

export async function layoutEditorView(ctx) {
  const venue = await api.getVenue(ctx.params.id);
  const st = {
    name: "",
    section: "Stalls",
    categories: ["standard", "premium", "budget"],
    rows: [],
    areas: [],
    tool: "category",
    paint: "premium",
    anchor: null,
  };

  const errors = h("div", {});
  const preview = h("div", { class: "editor-preview" });
  const rowsBox = h("div", { class: "editor-rows" });
  const areasBox = h("div", { class: "editor-areas" });
  const catsBox = h("div", { class: "editor-cats" });
  const summary = h("p", { class: "editor-summary", role: "status" });
  const rangeBox = h("div", {});
  let seatMap = null;

  const seatId = (r, i) => `${r}:${i}`;
  const seatOf = (id) => {
    const [r, i] = id.split(":").map(Number);
    return st.rows[r].seats[i];
  };

  function mapSeats() {
    return st.rows.flatMap((row, r) =>
      row.seats.map((seat, i) => ({
        id: seatId(r, i),
        label: `${row.label}${seat.n}`,
        row: row.label,
        section: st.section,
        category: seat.category,
        x: i,
        y: r,
        state: seat.blocked ? "blocked" : "available",
      })),
    );
  }

  function apply(id) {
    const seat = seatOf(id);
    if (st.tool === "block") seat.blocked = !seat.blocked;
    else {
      seat.category = st.paint;
      seat.blocked = false;
    }
    seatMap.update(id, { category: seat.category, state: seat.blocked ? "blocked" : "available" });
  }

  function applyRange(fromId, toId) {
    const order = st.rows.flatMap((row, r) => row.seats.map((_, i) => seatId(r, i)));
    let a = order.indexOf(fromId),
      b = order.indexOf(toId);
    if (a > b) [a, b] = [b, a];
    const target = st.tool === "block" ? !seatOf(toId).blocked : null;
    for (const id of order.slice(a, b + 1)) {
      const seat = seatOf(id);
      if (target !== null) seat.blocked = target;
      else {
        seat.category = st.paint;
        seat.blocked = false;
      }
      seatMap.update(id, { category: seat.category, state: seat.blocked ? "blocked" : "available" });
    }
  }

  function drawPreview() {
    clear(preview);
    const usedCats = [
      ...new Set([...st.rows.flatMap((r) => r.seats.map((x) => x.category)), ...st.areas.map((a) => a.category)]),
    ];
    preview.append(
      legend(
        usedCats.map((c) => [c, undefined]),
        "EUR",
        { states: false },
      ),
    );
    if (!st.rows.length) {
      preview.append(h("p", { class: "empty-state" }, "Generate rows and seats to see the hall here."));
      seatMap = null;
    } else {
      seatMap = new SeatMap({
        seats: mapSeats(),
        mode: "edit",
        caption:
          "Hall preview. Click a seat (or press Enter on it) to apply the tool; Shift-click applies it to a range.",
        onActivate: (seat, event) => {
          if (event.shiftKey && st.anchor) applyRange(st.anchor, seat.id);
          else apply(seat.id);
          st.anchor = seat.id;
          drawSummary();
        },
      });
      preview.append(seatMap.el);
    }
    drawSummary();
  }

  function drawSummary() {
    const seats = st.rows.reduce((n, r) => n + r.seats.length, 0);
    const blocked = st.rows.reduce((n, r) => n + r.seats.filter((x) => x.blocked).length, 0);
    const places = st.areas.reduce((n, a) => n + (Number(a.capacity) || 0), 0);
    summary.textContent = `${seats} seats in ${st.rows.length} rows (${blocked} blocked) · ${st.areas.length} standing area${st.areas.length === 1 ? "" : "s"} with ${places} places`;
  }

  function categorySelect(value, attrs = {}) {
    return h(
      "select",
      attrs,
      st.categories.map((c) => h("option", { value: c, selected: c === value }, c)),
    );
  }

  function drawCategories() {
    clear(catsBox);
    const input = h("input", { type: "text", id: "new-category", placeholder: "e.g. vip", maxlength: "40" });
    catsBox.append(
      h(
        "ul",
        { class: "chips", "aria-label": "Categories" },
        st.categories.map((c) =>
          h(
            "li",
            { class: "chip" },
            h("span", { class: "swatch-dot", style: { background: categoryColor(c) }, "aria-hidden": "true" }),
            c,
          ),
        ),
      ),
      h(
        "div",
        { class: "inline-form" },
        h("label", { for: "new-category" }, "New category"),
        input,
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            onclick: () => {
              const name = input.value.trim();
              if (!CATEGORY.test(name)) {
                toast("A category is 1–40 letters, digits, spaces, - or _.", "error");
                return;
              }
              if (!st.categories.includes(name)) st.categories.push(name);
              drawCategories();
              drawTools();
              drawRows();
              drawRange();
              drawAreas();
            },
          },
          "Add",
        ),
      ),
    );
  }

  const toolsBox = h("div", { class: "editor-tools" });
  function drawTools() {
    clear(toolsBox);
    const paint = categorySelect(st.paint, {
      id: "paint-category",
      onchange: (e) => {
        st.paint = e.target.value;
        st.tool = "category";
        drawTools();
      },
    });
    const radio = (value, text, extra) =>
      h(
        "label",
        { class: "radio" },
        h("input", {
          type: "radio",
          name: "tool",
          value,
          checked: st.tool === value,
          onchange: () => {
            st.tool = value;
          },
        }),
        text,
        extra,
      );
    toolsBox.append(
      h(
        "fieldset",
        { class: "toolbar" },
        h("legend", {}, "Clicking a seat in the preview will"),
        radio("category", "set its category to ", null),
        h("label", { for: "paint-category", class: "sr-only" }, "Category to set"),
        paint,
        radio("block", "block or unblock it", null),
        h("small", { class: "hint" }, "Shift-click applies the tool to every seat between the last seat and this one."),
      ),
    );
  }

  function drawRows() {
    clear(rowsBox);
    if (!st.rows.length) return;
    rowsBox.append(
      h(
        "table",
        { class: "table compact" },
        h("caption", { class: "sr-only" }, "Rows"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "Row"),
            h("th", { scope: "col" }, "Seats"),
            h("th", { scope: "col" }, "Set the whole row to"),
          ),
        ),
        h(
          "tbody",
          {},
          st.rows.map((row, r) =>
            h(
              "tr",
              {},
              h(
                "td",
                {},
                h("input", {
                  type: "text",
                  value: row.label,
                  maxlength: "10",
                  class: "row-label",
                  "aria-label": `Name of row ${r + 1}`,
                  onchange: (e) => {
                    row.label = e.target.value.trim() || row.label;
                    e.target.value = row.label;
                    drawPreview();
                    drawRange();
                  },
                }),
              ),
              h("td", {}, String(row.seats.length)),
              h(
                "td",
                {},
                h(
                  "select",
                  {
                    "aria-label": `Category of row ${row.label}`,
                    onchange: (e) => {
                      if (!e.target.value) return;
                      for (const seat of row.seats) seat.category = e.target.value;
                      drawPreview();
                      e.target.value = "";
                    },
                  },
                  h("option", { value: "" }, "—"),
                  st.categories.map((c) => h("option", { value: c }, c)),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  function drawRange() {
    clear(rangeBox);
    if (!st.rows.length) return;
    const row = h(
      "select",
      { id: "range-row" },
      st.rows.map((r, i) => h("option", { value: String(i) }, r.label)),
    );
    const from = h("input", { type: "number", id: "range-from", min: "1", value: "1" });
    const to = h("input", { type: "number", id: "range-to", min: "1", value: String(st.rows[0].seats.length) });
    const action = h(
      "select",
      { id: "range-action" },
      st.categories.map((c) => h("option", { value: `cat:${c}` }, `Set category: ${c}`)),
      h("option", { value: "block" }, "Block"),
      h("option", { value: "unblock" }, "Unblock"),
    );
    rangeBox.append(
      h(
        "fieldset",
        { class: "range-form" },
        h("legend", {}, "Seats in a range"),
        h(
          "div",
          { class: "form-row" },
          field("Row", row),
          field("From seat", from),
          field("To seat", to),
          field("Action", action),
          h(
            "div",
            { class: "field field-actions" },
            h(
              "button",
              {
                type: "button",
                class: "btn",
                onclick: () => {
                  const target = st.rows[Number(row.value)];
                  const a = Math.min(Number(from.value), Number(to.value)),
                    b = Math.max(Number(from.value), Number(to.value));
                  let changed = 0;
                  for (const seat of target.seats) {
                    if (seat.n < a || seat.n > b) continue;
                    changed += 1;
                    if (action.value === "block") seat.blocked = true;
                    else if (action.value === "unblock") seat.blocked = false;
                    else seat.category = action.value.slice(4);
                  }
                  drawPreview();
                  toast(`${changed} seat${changed === 1 ? "" : "s"} in row ${target.label} changed.`, "success", 2500);
                },
              },
              "Apply",
            ),
          ),
        ),
      ),
    );
  }

  function drawAreas() {
    clear(areasBox);
    areasBox.append(
      ...st.areas.map((area, i) =>
        h(
          "div",
          { class: "form-row area-row" },
          field(
            "Area name",
            h("input", {
              type: "text",
              value: area.name,
              maxlength: "200",
              oninput: (e) => {
                area.name = e.target.value;
              },
            }),
          ),
          field(
            "Category",
            categorySelect(area.category, {
              onchange: (e) => {
                area.category = e.target.value;
                drawPreview();
              },
            }),
          ),
          field(
            "Capacity",
            h("input", {
              type: "number",
              min: "1",
              value: String(area.capacity),
              oninput: (e) => {
                area.capacity = e.target.value;
                drawSummary();
              },
            }),
          ),
          h(
            "div",
            { class: "field field-actions" },
            h(
              "button",
              {
                type: "button",
                class: "btn btn-ghost",
                "aria-label": `Remove area ${area.name || i + 1}`,
                onclick: () => {
                  st.areas.splice(i, 1);
                  drawAreas();
                  drawPreview();
                },
              },
              "Remove",
            ),
          ),
        ),
      ),
    );
    areasBox.append(
      h(
        "button",
        {
          type: "button",
          class: "btn",
          onclick: () => {
            if (!st.categories.includes("standing")) {
              st.categories.push("standing");
              drawCategories();
              drawTools();
              drawRows();
              drawRange();
            }
            st.areas.push({
              name: st.areas.length ? `Area ${st.areas.length + 1}` : "Standing",
              category: "standing",
              capacity: 100,
            });
            drawAreas();
            drawPreview();
          },
        },
        "Add standing area",
      ),
    );
  }

  const hallName = h("input", {
    type: "text",
    id: "hall-name",
    required: true,
    maxlength: "200",
    oninput: (e) => {
      st.name = e.target.value;
    },
  });
  const sectionName = h("input", {
    type: "text",
    id: "section-name",
    value: st.section,
    maxlength: "200",
    oninput: (e) => {
      st.section = e.target.value;
    },
  });
  const rowsN = h("input", { type: "number", id: "gen-rows", min: "1", max: "200", value: "8" });
  const seatsN = h("input", { type: "number", id: "gen-seats", min: "1", max: "200", value: "14" });
  const baseCat = categorySelect("standard", { id: "gen-category" });
  const generate = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      onclick: () => {
        const nr = Math.min(200, Math.max(1, Number(rowsN.value) || 1));
        const ns = Math.min(200, Math.max(1, Number(seatsN.value) || 1));
        st.rows = Array.from({ length: nr }, (_, r) => ({
          label: rowLabel(r),
          seats: Array.from({ length: ns }, (_, i) => ({ n: i + 1, category: baseCat.value, blocked: false })),
        }));
        st.anchor = null;
        drawRows();
        drawRange();
        drawPreview();
      },
    },
    "Generate seats",
  );

  const save = h(
    "button",
    {
      type: "button",
      class: "btn btn-primary",
      onclick: async () => {
        clear(errors);
        const labels = st.rows.map((r) => r.label.trim());
        if (!st.name.trim()) {
          errors.append(alertBox("error", "Give the hall a name."));
          hallName.focus();
          return;
        }
        if (new Set(labels).size !== labels.length) {
          errors.append(alertBox("error", "Two rows have the same name; row names must be unique."));
          return;
        }
        if (!st.rows.length && !st.areas.length) {
          errors.append(alertBox("error", "Generate seats or add a standing area first."));
          return;
        }
        save.disabled = true;
        try {
          const hall = await api.createHall(venue.id, { body: hallBody(st) });
          toast(`Hall ${hall.name} saved with ${hall.seats.length} seats.`, "success");
          navigate(`/org/halls/${hall.id}`);
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          save.disabled = false;
        }
      },
    },
    "Save hall",
  );

  drawCategories();
  drawTools();
  drawRows();
  drawRange();
  drawAreas();
  drawPreview();

  return h(
    "div",
    { class: "layout-editor" },
    pageHeader("New hall", `${venue.name} · ${venue.city}`),
    orgNav("#/org/venues"),
    h(
      "div",
      { class: "editor-grid" },
      h(
        "div",
        { class: "editor-side" },
        h(
          "section",
          { class: "panel stack" },
          h("h2", { class: "h3" }, "1. Hall"),
          field("Hall name", hallName),
          field("Section name", sectionName),
        ),
        h(
          "section",
          { class: "panel stack" },
          h("h2", { class: "h3" }, "2. Rows and seats"),
          h("div", { class: "form-row" }, field("Rows", rowsN), field("Seats per row", seatsN)),
          field("Category", baseCat),
          h("div", { class: "actions" }, generate),
          rowsBox,
        ),
        h("section", { class: "panel stack" }, h("h2", { class: "h3" }, "3. Categories"), catsBox, rangeBox),
        h("section", { class: "panel stack" }, h("h2", { class: "h3" }, "4. Standing areas"), areasBox),
      ),
      h(
        "section",
        { class: "panel editor-main", "aria-labelledby": "preview-title" },
        h("div", { class: "panel-head" }, h("h2", { id: "preview-title", class: "h3" }, "Preview")),
        toolsBox,
        preview,
        summary,
        errors,
        h("div", { class: "actions" }, save),
      ),
    ),
  );
}

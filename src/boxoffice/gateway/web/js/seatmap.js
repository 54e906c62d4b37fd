// @ts-check
// The seat map: an SVG drawn from the hall layout (seats at their x/y), coloured by category,
// showing each seat's state; operable by mouse, touch and keyboard (a roving tabindex: arrow
// keys move between seats, Enter or Space selects). Used to buy (show page), to watch
// (dashboard) and to edit (layout editor).

import { categoryColor, h, money, plainMoney, s } from "./dom.js";

const R = 0.4; // seat radius in layout units (one unit = one seat pitch)
const MARKS = {
  check: "M-0.19 0.01 L-0.05 0.15 L0.2 -0.14",
  cross: "M-0.15 -0.15 L0.15 0.15 M0.15 -0.15 L-0.15 0.15",
};

export const STATE_WORDS = {
  available: "available",
  held: "held by someone else",
  sold: "sold",
  blocked: "not for sale",
};

export function seatNumber(seat) {
  const label = String(seat.label);
  return seat.row && label.startsWith(seat.row) && label.length > seat.row.length
    ? label.slice(seat.row.length)
    : label;
}

/** "Row A seat 5, premium, 50.00 EUR, available" */
export function seatLabel(seat, currency, withSection = false) {
  const parts = [`Row ${seat.row} seat ${seatNumber(seat)}`, seat.category];
  if (seat.price !== undefined && seat.price !== null) parts.push(plainMoney(seat.price, currency));
  parts.push(seat.state === "available" || !seat.state ? "available" : STATE_WORDS[seat.state] || seat.state);
  return (withSection ? `${seat.section}, ` : "") + parts.join(", ");
}

/** Seat positions in drawing units: sections whose boxes overlap are stacked top to bottom. */
function place(seats) {
  const sections = new Map();
  for (const seat of seats) {
    const key = seat.section || "";
    if (!sections.has(key)) sections.set(key, []);
    sections.get(key).push(seat);
  }
  const boxes = [...sections].map(([name, list]) => {
    const xs = list.map((t) => Number(t.x)),
      ys = list.map((t) => Number(t.y));
    return { name, list, minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
  });
  const overlap = boxes.some((a, i) =>
    boxes.some(
      (b, j) =>
        j > i && a.minX <= b.maxX + 0.5 && b.minX <= a.maxX + 0.5 && a.minY <= b.maxY + 0.5 && b.minY <= a.maxY + 0.5,
    ),
  );
  const pos = new Map();
  const titles = [];
  let offset = 0;
  for (const box of boxes) {
    const dy = overlap ? offset - box.minY + (boxes.length > 1 ? 1.4 : 0) : 0;
    for (const seat of box.list) pos.set(seat.id, { x: Number(seat.x), y: Number(seat.y) + dy });
    if (boxes.length > 1) titles.push({ name: box.name, x: (box.minX + box.maxX) / 2, y: box.minY + dy - 1.1 });
    offset += box.maxY - box.minY + 1 + 2.4;
  }
  return { pos, titles, sections: boxes.length };
}

export class SeatMap {
  /**
   * @param {object} o
   * @param {Array} o.seats  {id, label, row, section, category, price?, x, y, state}
   * @param {string} [o.currency]
   * @param {"buy"|"view"|"edit"} [o.mode]
   * @param {(seat, event) => void} [o.onActivate]  click / Enter / Space on a seat
   * @param {string} [o.caption]  accessible name of the map
   */
  constructor({ seats, currency = "EUR", mode = "buy", onActivate = () => {}, caption = "Seat map" }) {
    this.currency = currency;
    this.mode = mode;
    this.onActivate = onActivate;
    this.caption = caption;
    this.selected = new Set();
    this.el = h("div", { class: `seatmap-wrap seatmap-${mode}` });
    this.tooltip = h("div", { class: "seat-tip", role: "presentation", hidden: true });
    this.draw(seats);
  }

  draw(seats) {
    this.seats = new Map(seats.map((seat) => [seat.id, { ...seat }]));
    this.nodes = new Map();
    const { pos, titles, sections } = place(seats);
    this.pos = pos;
    this.multiSection = sections > 1;
    const points = [...pos.values()];
    const minX = Math.min(...points.map((p) => p.x)),
      maxX = Math.max(...points.map((p) => p.x));
    const minY = Math.min(...points.map((p) => p.y)),
      maxY = Math.max(...points.map((p) => p.y));
    const width = maxX - minX + 4,
      height = maxY - minY + 5.2;
    const vb = [minX - 2, minY - 3.6, width, height];
    const svg = s("svg", {
      class: "seatmap",
      viewBox: vb.map((v) => v.toFixed(2)).join(" "),
      role: this.mode === "view" ? "img" : "group",
      "aria-label": this.caption,
      // Seats stay big enough to tap on a phone: a wide hall scrolls sideways instead.
      style: {
        maxWidth: `${Math.max(320, width * 34)}px`,
        minWidth: this.mode === "view" ? "0" : `${Math.min(width * 24, 1600)}px`,
      },
    });
    svg.append(
      s(
        "defs",
        {},
        s(
          "pattern",
          {
            id: "seat-hatch",
            width: "0.25",
            height: "0.25",
            patternUnits: "userSpaceOnUse",
            patternTransform: "rotate(45)",
          },
          s("rect", { width: "0.25", height: "0.25", fill: "#eef0f4" }),
          s("line", { x1: "0", y1: "0", x2: "0", y2: "0.25", stroke: "#9aa3b2", "stroke-width": "0.1" }),
        ),
      ),
    );
    const stageW = Math.min(width - 3, Math.max(4, (maxX - minX) * 0.7));
    const cx = (minX + maxX) / 2;
    svg.append(
      s(
        "g",
        { class: "stage", "aria-hidden": "true" },
        s("path", { d: `M${cx - stageW / 2} ${minY - 2.9} h${stageW} v0.9 q${-stageW / 2} 0.7 ${-stageW} 0 z` }),
        s("text", { x: cx, y: minY - 2.2, "text-anchor": "middle" }, "STAGE"),
      ),
    );
    for (const t of titles) {
      svg.append(
        s("text", { class: "section-title", x: t.x, y: t.y, "text-anchor": "middle", "aria-hidden": "true" }, t.name),
      );
    }
    // Rows: seats sharing section + row, ordered by position (used by the keyboard too).
    const rows = new Map();
    for (const seat of this.seats.values()) {
      const key = `${seat.section}\u0000${seat.row}`;
      if (!rows.has(key)) rows.set(key, []);
      rows.get(key).push(seat);
    }
    this.rows = [...rows.values()]
      .map((list) => list.sort((a, b) => pos.get(a.id).x - pos.get(b.id).x))
      .sort((a, b) => avgY(a, pos) - avgY(b, pos) || pos.get(a[0].id).x - pos.get(b[0].id).x);
    this.where = new Map();
    const labels = s("g", { class: "row-labels", "aria-hidden": "true" });
    this.rows.forEach((list, r) => {
      list.forEach((seat, i) => {
        this.where.set(seat.id, [r, i]);
      });
      const first = pos.get(list[0].id),
        last = pos.get(list[list.length - 1].id);
      labels.append(s("text", { x: first.x - 0.85, y: first.y + 0.17, "text-anchor": "end" }, list[0].row));
      labels.append(s("text", { x: last.x + 0.85, y: last.y + 0.17, "text-anchor": "start" }, list[0].row));
    });
    svg.append(labels);
    const group = s("g", { class: "seats" });
    for (const seat of this.seats.values()) {
      const p = pos.get(seat.id);
      const node = s("g", {
        class: "seat",
        transform: `translate(${p.x} ${p.y})`,
        "data-id": seat.id,
        "data-label": seat.label,
      });
      node.append(
        s("circle", { class: "ring", r: R + 0.13 }),
        s("circle", { class: "body", r: R }),
        s("path", { class: "mark", d: "" }),
      );
      if (this.mode !== "view") {
        node.setAttribute("role", this.mode === "buy" ? "checkbox" : "button");
        node.setAttribute("tabindex", "-1");
      }
      this.nodes.set(seat.id, node);
      group.append(node);
      this.paint(seat.id);
    }
    svg.append(group);
    this.svg = svg;
    if (this.mode !== "view") this.wire(svg);
    this.el.replaceChildren(h("div", { class: "seatmap-scroll" }, svg), this.tooltip);
    this.focusId = null;
    this.setRoving(this.firstFocusable());
  }

  firstFocusable() {
    for (const row of this.rows) {
      for (const seat of row) if (this.mode === "edit" || this.isSelectable(seat)) return seat.id;
    }
    return this.rows.length ? this.rows[0][0].id : null;
  }

  isSelectable(seat) {
    return seat.state === "available" || this.selected.has(seat.id);
  }

  setRoving(id) {
    if (this.mode === "view" || id === null || id === undefined) return;
    if (this.focusId !== null && this.nodes.has(this.focusId))
      this.nodes.get(this.focusId).setAttribute("tabindex", "-1");
    this.focusId = id;
    this.nodes.get(id).setAttribute("tabindex", "0");
  }

  wire(svg) {
    svg.addEventListener("click", (event) => {
      const node = event.target.closest(".seat");
      if (!node) return;
      const id = this.idOf(node);
      this.setRoving(id);
      node.focus({ preventScroll: true });
      this.activate(id, event);
    });
    svg.addEventListener("keydown", (event) => {
      const node = event.target.closest(".seat");
      if (!node) return;
      const id = this.idOf(node);
      const next = this.move(id, event.key);
      if (next !== undefined) {
        event.preventDefault();
        if (next !== null) this.focusSeat(next);
      } else if (event.key === "Enter" || event.key === " " || event.key === "Spacebar") {
        event.preventDefault();
        this.activate(id, event);
      }
    });
    svg.addEventListener("pointerover", (event) => {
      const node = event.target.closest(".seat");
      if (node) this.tip(node);
    });
    svg.addEventListener("pointerleave", () => {
      this.tooltip.hidden = true;
    });
    svg.addEventListener("focusin", (event) => {
      const node = event.target.closest(".seat");
      if (node) this.tip(node);
    });
    svg.addEventListener("focusout", () => {
      this.tooltip.hidden = true;
    });
  }

  idOf(node) {
    const raw = node.getAttribute("data-id");
    return this.seats.has(raw) ? raw : Number(raw);
  }

  activate(id, event) {
    const seat = this.seats.get(id);
    if (!seat) return;
    if (this.mode === "buy" && !this.isSelectable(seat)) return;
    this.onActivate(seat, event);
  }

  /** The seat an arrow key leads to: undefined if the key is not a move, null if nowhere. */
  move(id, key) {
    const [r, i] = this.where.get(id);
    const row = this.rows[r];
    switch (key) {
      case "ArrowLeft":
        return i > 0 ? row[i - 1].id : null;
      case "ArrowRight":
        return i < row.length - 1 ? row[i + 1].id : null;
      case "Home":
        return row[0].id;
      case "End":
        return row[row.length - 1].id;
      case "ArrowUp":
      case "ArrowDown": {
        const target = this.rows[r + (key === "ArrowUp" ? -1 : 1)];
        if (!target) return null;
        const x = this.pos.get(id).x;
        return target.reduce((best, seat) =>
          Math.abs(this.pos.get(seat.id).x - x) < Math.abs(this.pos.get(best.id).x - x) ? seat : best,
        ).id;
      }
      default:
        return undefined;
    }
  }

  focusSeat(id) {
    this.setRoving(id);
    this.nodes.get(id).focus();
  }

  tip(node) {
    const seat = this.seats.get(this.idOf(node));
    if (!seat) return;
    const parts = [`Row ${seat.row} · Seat ${seatNumber(seat)}`, seat.category];
    if (seat.price !== undefined && seat.price !== null) parts.push(money(seat.price, this.currency));
    if (this.mode !== "edit" && seat.state !== "available") parts.push(STATE_WORDS[seat.state] || seat.state);
    if (this.mode === "edit" && seat.state === "blocked") parts.push("blocked");
    this.tooltip.textContent = parts.join(" · ");
    const box = node.getBoundingClientRect(),
      outer = this.el.getBoundingClientRect();
    this.tooltip.style.left = `${box.left - outer.left + box.width / 2}px`;
    this.tooltip.style.top = `${box.top - outer.top}px`;
    this.tooltip.hidden = false;
  }

  paint(id) {
    const seat = this.seats.get(id);
    const node = this.nodes.get(id);
    if (!seat || !node) return;
    const selected = this.selected.has(id);
    const state = seat.state || "available";
    node.setAttribute("class", `seat state-${state}${selected ? " selected" : ""}`);
    const body = node.querySelector(".body");
    const mark = node.querySelector(".mark");
    const color = categoryColor(seat.category);
    let fill = color,
      d = "";
    if (selected) {
      fill = "#111827";
      d = MARKS.check;
    } else if (state === "held") fill = "url(#seat-hatch)";
    else if (state === "sold") {
      fill = "#6b7280";
      d = MARKS.cross;
    } else if (state === "blocked") fill = "#ffffff";
    body.setAttribute("fill", fill);
    body.style.stroke = selected ? color : "";
    mark.setAttribute("d", d);
    if (this.mode === "view") return;
    node.setAttribute("aria-label", seatLabel(seat, this.currency, this.multiSection));
    if (this.mode === "buy") {
      node.setAttribute("aria-checked", selected ? "true" : "false");
      if (state !== "available" && !selected) node.setAttribute("aria-disabled", "true");
      else node.removeAttribute("aria-disabled");
    }
  }

  setState(id, state) {
    const seat = this.seats.get(id);
    if (!seat || seat.state === state) return;
    seat.state = state;
    this.paint(id);
  }

  update(id, changes) {
    const seat = this.seats.get(id);
    if (!seat) return;
    Object.assign(seat, changes);
    this.paint(id);
  }

  setSelected(ids) {
    const before = this.selected;
    this.selected = new Set(ids);
    for (const id of new Set([...before, ...this.selected])) this.paint(id);
  }

  counts() {
    const out = { available: 0, held: 0, sold: 0, blocked: 0 };
    for (const seat of this.seats.values()) out[seat.state || "available"] = (out[seat.state || "available"] || 0) + 1;
    return out;
  }
}

function avgY(list, pos) {
  return list.reduce((sum, seat) => sum + pos.get(seat.id).y, 0) / list.length;
}

/** Category swatches with prices; states explained with the same marks the map uses. */
export function legend(categories, currency, { states = true, selection = true } = {}) {
  const swatch = (fill, mark, stroke) =>
    s(
      "svg",
      { class: "swatch", viewBox: "-0.6 -0.6 1.2 1.2", "aria-hidden": "true" },
      s("circle", {
        r: R,
        fill,
        stroke: stroke || "none",
        "stroke-width": stroke ? 0.08 : 0,
        "stroke-dasharray": stroke ? "0.12 0.08" : "",
      }),
      mark
        ? s("path", { d: MARKS[mark], stroke: "#fff", "stroke-width": 0.09, fill: "none", "stroke-linecap": "round" })
        : null,
    );
  const items = categories.map(([category, price]) =>
    h(
      "li",
      {},
      swatch(categoryColor(category)),
      h("span", { class: "legend-name" }, category),
      price !== undefined ? h("span", { class: "legend-price" }, money(price, currency).replace(/\.00$/, "")) : null,
    ),
  );
  const stateItems = states
    ? [
        selection ? h("li", {}, swatch("#111827", "check"), h("span", {}, "Your selection")) : null,
        h("li", {}, swatch("url(#legend-hatch)"), h("span", {}, "Held")),
        h("li", {}, swatch("#6b7280", "cross"), h("span", {}, "Sold")),
        h("li", {}, swatch("#ffffff", null, "#9aa3b2"), h("span", {}, "Not for sale")),
      ]
    : [];
  const hatch = s(
    "svg",
    { width: 0, height: 0, style: { position: "absolute" }, "aria-hidden": "true" },
    s(
      "defs",
      {},
      s(
        "pattern",
        {
          id: "legend-hatch",
          width: "0.25",
          height: "0.25",
          patternUnits: "userSpaceOnUse",
          patternTransform: "rotate(45)",
        },
        s("rect", { width: "0.25", height: "0.25", fill: "#eef0f4" }),
        s("line", { x1: "0", y1: "0", x2: "0", y2: "0.25", stroke: "#9aa3b2", "stroke-width": "0.1" }),
      ),
    ),
  );
  return h(
    "div",
    { class: "legend" },
    hatch,
    h("ul", { class: "legend-list", "aria-label": "Categories and prices" }, items),
    states ? h("ul", { class: "legend-list legend-states", "aria-label": "Seat states" }, stateItems) : null,
  );
}

// @ts-check
// The show page: the live seat map, general-admission quantities, the selection and the hold.

import * as api from "../api.gen.js";
import { alertBox, categoryColor, clear, h, icon, money, when } from "../dom.js";
import { describe, newKey, session } from "../http.js";
import { LiveSeats } from "../live.js";
import { navigate } from "../router.js";
import { legend, SeatMap, seatNumber } from "../seatmap.js";
import { dropPass, storedPass, waitingRoomOf } from "./queue.js";
import { waitlistPanel } from "./waitlist.js";

const pickKey = (showId) => `boxoffice.pick.${showId}`;

function salesState(show) {
  const now = Date.now();
  if (show.status === "cancelled") return { open: false, text: "This show has been cancelled." };
  if (show.status !== "published") return { open: false, text: "This show is not on sale yet (draft)." };
  if (now < Date.parse(show.sales_start))
    return { open: false, text: `Sales open on ${when(show.sales_start, "long", show.time_zone)}.` };
  if (now > Date.parse(show.sales_end)) return { open: false, text: "Sales for this show have closed." };
  return { open: true, text: "" };
}

function showHeader(show) {
  return h(
    "div",
    { class: "show-head", style: { "--accent": categoryColor(show.category) } },
    h(
      "div",
      {},
      h("p", { class: "eyebrow" }, h("a", { href: `#/events/${show.event_id}` }, show.category)),
      h("h1", { tabindex: "-1" }, show.title),
      h(
        "p",
        { class: "meta" },
        icon("clock"),
        h("span", {}, when(show.starts_at, "long", show.time_zone)),
        h("span", { class: "dot" }, "·"),
        h("span", {}, `${show.duration_minutes} min`),
      ),
      h("p", { class: "meta" }, icon("pin"), h("span", {}, `${show.venue_name}, ${show.hall_name} · ${show.city}`)),
    ),
  );
}

export async function showView(ctx) {
  const showId = ctx.params.id;
  const [show, room] = await Promise.all([api.getShow(showId), waitingRoomOf(showId)]);
  const sales = salesState(show);
  // While the show's waiting room is open, holds need the pass the queue gives.
  const roomOpen = room !== null && Date.now() >= Date.parse(room.opens_at);
  const queuePath = `/shows/${showId}/queue`;
  const roomBanner = () => {
    if (!roomOpen) return null;
    const pass = storedPass(showId);
    if (pass)
      return alertBox(
        "success",
        `You're in: pick your seats. Your admission pass is valid until ${when(pass.expires, "short", show.time_zone)}.`,
      );
    return alertBox(
      "info",
      "This on-sale has a waiting room: join the line, and you'll be brought back here when it's your turn.",
      h("a", { class: "btn btn-primary", href: `#${queuePath}` }, "Join the waiting room"),
    );
  };
  const state = { selected: [], ga: new Map(), pending: new Set(), areas: [] };
  let map = null;
  let seatMap = null;

  const status = h("div", { class: "pick-status", role: "status", "aria-live": "polite" });
  const liveDot = h("span", { class: "live-dot", title: "Seat changes appear as they happen" }, "Connecting…");
  const say = (kind, text) => {
    clear(status);
    if (text) status.append(alertBox(kind, text));
  };

  const live = new LiveSeats(showId, {
    onMap: (data) => applyMap(data),
    onDelta: ({ state: seatState, seats }) => {
      const lost = [];
      for (const id of seats) {
        if (!seatMap) continue;
        seatMap.setState(id, seatState);
        if (seatState !== "available" && state.selected.includes(id) && !state.pending.has(id)) lost.push(id);
      }
      dropTaken(lost);
    },
    onAreas: (left) => {
      let changed = false;
      for (const area of state.areas) {
        const now = left.get(area.id);
        if (now !== undefined && now !== area.available) {
          area.available = now;
          changed = true;
        }
      }
      if (changed) renderAreas();
    },
    onStatus: (connected) => {
      liveDot.textContent = connected ? "Live" : "Reconnecting…";
      liveDot.classList.toggle("off", !connected);
    },
  });
  try {
    map = await live.load();
  } catch (err) {
    if (err.status !== 404) throw err;
  }
  ctx.onCleanup(() => live.close());

  if (!map) {
    return h(
      "div",
      {},
      showHeader(show),
      alertBox("info", sales.text || "Seats for this show are not on sale yet. Come back soon."),
      h("a", { class: "btn", href: "#/" }, "← All shows"),
    );
  }

  const currency = map.currency;
  const max = map.max_per_booking;
  const seatsById = new Map(map.seats.map((seat) => [seat.id, seat]));
  state.areas = map.ga_areas;

  // A selection made before logging in comes back after it.
  try {
    const saved = JSON.parse(sessionStorage.getItem(pickKey(showId)) || "null");
    if (saved) {
      state.selected = saved.seats.filter((id) => seatsById.get(id)?.state === "available");
      state.ga = new Map(saved.ga);
      sessionStorage.removeItem(pickKey(showId));
    }
  } catch {
    /* a broken saved selection is simply dropped */
  }

  const count = () => state.selected.length + [...state.ga.values()].reduce((a, b) => a + b, 0);

  function dropTaken(ids) {
    if (!ids.length) return;
    const labels = ids.map((id) => seatsById.get(id)?.label || id);
    state.selected = state.selected.filter((id) => !ids.includes(id));
    seatMap.setSelected(state.selected);
    renderSummary();
    say(
      "warning",
      `${labels.length === 1 ? "Seat" : "Seats"} ${labels.join(", ")} ${labels.length === 1 ? "was" : "were"} just taken by someone else. Please pick another seat.`,
    );
  }

  function applyMap(data) {
    const lost = [];
    for (const seat of data.seats) {
      seatMap.setState(seat.id, seat.state);
      if (seat.state !== "available" && state.selected.includes(seat.id) && !state.pending.has(seat.id))
        lost.push(seat.id);
    }
    const before = JSON.stringify(state.areas.map((a) => a.available));
    state.areas = data.ga_areas;
    checkSoldOut(data.seats, data.ga_areas);
    dropTaken(lost);
    // Redraw the quantity pickers only when a count changed, so typing in one is not disturbed.
    if (JSON.stringify(state.areas.map((a) => a.available)) !== before) renderAreas();
  }

  seatMap = map.seats.length
    ? new SeatMap({
        seats: map.seats,
        currency,
        mode: sales.open ? "buy" : "view",
        caption: `Seat map of ${show.hall_name}. Arrow keys move between seats; Enter or Space selects a seat.`,
        onActivate: (seat) => {
          clear(status);
          if (state.selected.includes(seat.id)) {
            state.selected = state.selected.filter((id) => id !== seat.id);
          } else if (count() >= max) {
            say("info", `At most ${max} tickets per booking for this show.`);
            return;
          } else {
            state.selected = [...state.selected, seat.id];
          }
          seatMap.setSelected(state.selected);
          renderSummary();
        },
      })
    : null;
  if (seatMap) seatMap.setSelected(state.selected);

  const categories = [...new Set([...map.seats.map((x) => x.category), ...map.ga_areas.map((a) => a.category)])]
    .map(
      (c) =>
        /** @type {[string, number]} */ ([
          c,
          (map.seats.find((x) => x.category === c) || map.ga_areas.find((a) => a.category === c)).price,
        ]),
    )
    .sort((a, b) => b[1] - a[1]);

  const areasBox = h("div", { class: "ga-areas" });
  function renderAreas() {
    clear(areasBox);
    if (!state.areas.length) return;
    areasBox.append(h("h2", { class: "h3" }, "Standing and general admission"));
    for (const area of state.areas) {
      const qty = state.ga.get(area.id) || 0;
      const room = Math.min(area.available, max - count() + qty);
      const input = h("input", {
        type: "number",
        min: "0",
        max: String(Math.max(0, room)),
        value: String(qty),
        id: `ga-${area.id}`,
        inputmode: "numeric",
        disabled: !sales.open,
        onchange: () => setQty(area, Number.parseInt(input.value || "0", 10) || 0),
      });
      areasBox.append(
        h(
          "div",
          { class: "ga-card" },
          h("span", {
            class: "swatch-dot",
            style: { background: categoryColor(area.category) },
            "aria-hidden": "true",
          }),
          h(
            "div",
            { class: "ga-info" },
            h("label", { for: input.id, class: "ga-name" }, `Tickets for ${area.name}`),
            h(
              "span",
              { class: "muted" },
              `${area.category} · ${money(area.price, currency)} · ${area.available} of ${area.capacity} left`,
            ),
          ),
          h(
            "div",
            { class: "stepper" },
            h(
              "button",
              {
                type: "button",
                class: "btn btn-icon",
                "aria-label": `One fewer for ${area.name}`,
                disabled: !sales.open || qty <= 0,
                onclick: () => setQty(area, qty - 1),
              },
              "−",
            ),
            input,
            h(
              "button",
              {
                type: "button",
                class: "btn btn-icon",
                "aria-label": `One more for ${area.name}`,
                disabled: !sales.open || qty >= room,
                onclick: () => setQty(area, qty + 1),
              },
              "+",
            ),
          ),
        ),
      );
    }
  }
  function setQty(area, wanted) {
    const others = count() - (state.ga.get(area.id) || 0);
    const qty = Math.max(0, Math.min(wanted, area.available, max - others));
    if (wanted > qty)
      say(
        "info",
        wanted > area.available
          ? `Only ${area.available} places left in ${area.name}.`
          : `At most ${max} tickets per booking for this show.`,
      );
    if (qty) state.ga.set(area.id, qty);
    else state.ga.delete(area.id);
    renderAreas();
    renderSummary();
    const again = document.getElementById(`ga-${area.id}`);
    if (again && document.activeElement?.tagName !== "BUTTON") again.focus();
  }

  // Sold out (nothing available, no standing place left): the waiting list is offered. Checked
  // on load and on each full read of the map (the live stream's fallback).
  const waitBox = h("div", {});
  let waitShown = false;
  function checkSoldOut(seats, areas) {
    const out = sales.open && !seats.some((x) => x.state === "available") && !areas.some((a) => a.available > 0);
    if (out && !waitShown) {
      waitShown = true;
      waitBox.replaceChildren(waitlistPanel(show, max, ctx));
    }
  }

  const summaryList = h("ul", { class: "pick-list" });
  const total = h("p", { class: "pick-total" });
  const holdButton = h(
    "button",
    { type: "button", class: "btn btn-primary btn-block", onclick: () => hold() },
    "Hold seats",
  );
  function renderSummary() {
    clear(summaryList);
    let sum = 0;
    for (const id of state.selected) {
      const seat = seatsById.get(id);
      sum += seat.price;
      summaryList.append(
        h(
          "li",
          {},
          h("span", {
            class: "swatch-dot",
            style: { background: categoryColor(seat.category) },
            "aria-hidden": "true",
          }),
          h(
            "span",
            { class: "grow" },
            `Row ${seat.row} · Seat ${seatNumber(seat)}`,
            h("small", { class: "muted" }, ` ${seat.category}`),
          ),
          h("span", {}, money(seat.price, currency)),
          h(
            "button",
            {
              type: "button",
              class: "btn-remove",
              "aria-label": `Remove row ${seat.row} seat ${seatNumber(seat)}`,
              onclick: () => {
                state.selected = state.selected.filter((x) => x !== id);
                seatMap.setSelected(state.selected);
                renderSummary();
                renderAreas();
              },
            },
            "×",
          ),
        ),
      );
    }
    for (const [areaId, qty] of state.ga) {
      const area = state.areas.find((a) => a.id === areaId);
      if (!area) continue;
      sum += area.price * qty;
      summaryList.append(
        h(
          "li",
          {},
          h("span", {
            class: "swatch-dot",
            style: { background: categoryColor(area.category) },
            "aria-hidden": "true",
          }),
          h("span", { class: "grow" }, `${qty} × ${area.name}`),
          h("span", {}, money(area.price * qty, currency)),
        ),
      );
    }
    if (!count())
      summaryList.append(
        h("li", { class: "muted empty" }, seatMap ? "Pick seats on the map." : "Choose how many tickets you want."),
      );
    const n = count();
    total.replaceChildren(h("span", {}, `${n} ticket${n === 1 ? "" : "s"}`), h("strong", {}, money(sum, currency)));
    holdButton.disabled = !sales.open || n === 0;
    holdButton.textContent = n ? `Hold ${n} ticket${n === 1 ? "" : "s"}` : "Hold seats";
  }

  async function hold() {
    if (!session.loggedIn) {
      sessionStorage.setItem(pickKey(showId), JSON.stringify({ seats: state.selected, ga: [...state.ga] }));
      navigate(`/login?next=${encodeURIComponent(`/shows/${showId}`)}`);
      return;
    }
    const body = {
      seat_ids: state.selected,
      ga: [...state.ga].map(([area_id, quantity]) => ({ area_id, quantity })),
    };
    state.pending = new Set(state.selected);
    holdButton.disabled = true;
    holdButton.textContent = "Holding…";
    clear(status);
    try {
      const created = await api.placeHold(showId, {
        body,
        idempotencyKey: newKey(),
        xAdmissionPass: storedPass(showId)?.token,
      });
      navigate(`/checkout/${encodeURIComponent(created.hold_id)}`);
    } catch (err) {
      state.pending = new Set();
      if (err.status === 409 && Array.isArray(err.problem.seat_ids)) {
        const taken = err.problem.seat_ids;
        for (const id of taken) seatMap?.setState(id, "held");
        state.selected = state.selected.filter((id) => !taken.includes(id));
        seatMap?.setSelected(state.selected);
        say("error", `Sorry, someone was faster. ${describe(err)}`);
        live.refetch();
      } else if (err.status === 409 && err.problem.area_id !== undefined) {
        say("error", describe(err));
        live.refetch();
      } else if (err.status === 401) {
        navigate(`/login?next=${encodeURIComponent(`/shows/${showId}`)}`);
        return;
      } else if (err.status === 403 && String(err.problem.type).endsWith(":admission-required")) {
        dropPass(showId);
        sessionStorage.setItem(pickKey(showId), JSON.stringify({ seats: state.selected, ga: [...state.ga] }));
        navigate(queuePath);
        return;
      } else {
        say("error", describe(err));
      }
      renderSummary();
      renderAreas();
    }
  }

  renderAreas();
  renderSummary();
  checkSoldOut(map.seats, map.ga_areas);
  live.start();

  const mapCard = h(
    "section",
    { class: "panel map-panel", "aria-labelledby": "map-title" },
    h(
      "div",
      { class: "panel-head" },
      h("h2", { id: "map-title", class: "h3" }, seatMap ? "Choose your seats" : "Choose your tickets"),
      liveDot,
    ),
    legend(categories, currency, { states: Boolean(seatMap) }),
    seatMap ? seatMap.el : null,
    seatMap
      ? h("p", { class: "hint" }, "Tip: use the arrow keys to move between seats and Enter or Space to select.")
      : null,
    areasBox,
  );
  const summary = h(
    "aside",
    { class: "panel pick-panel", "aria-labelledby": "pick-title" },
    h("h2", { id: "pick-title", class: "h3" }, "Your selection"),
    summaryList,
    total,
    status,
    holdButton,
    waitBox,
    h(
      "p",
      { class: "hint" },
      sales.open ? `Up to ${max} tickets per booking. Held seats are kept for you while you pay.` : sales.text,
    ),
  );

  return h(
    "div",
    { class: "show-page" },
    showHeader(show),
    sales.open ? null : alertBox("info", sales.text),
    sales.open ? roomBanner() : null,
    h("div", { class: "show-layout" }, mapCard, summary),
  );
}

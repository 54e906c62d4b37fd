// @ts-check
// The live sales dashboard of one show: seat states from the live seat map (server-sent events),
// bookings, revenue and the latest bookings from /shows/{id}/sales, polled every 2 seconds.

import * as api from "../../api.gen.js";
import { alertBox, badge, clear, h, money, pageHeader, shortId, when } from "../../dom.js";
import { describe } from "../../http.js";
import { LiveSeats } from "../../live.js";
import { render } from "../../router.js";
import { legend, SeatMap } from "../../seatmap.js";
import { waitingRoomOf } from "../queue.js";
import { orgNav } from "./home.js";
import { rateText } from "./room.js";

const POLL_MS = 2000;

function kpi(label, id) {
  const value = h("span", { class: "kpi-value", id });
  return { el: h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, label), value), value };
}

export async function dashboardView(ctx) {
  const show = await api.getShow(ctx.params.id);
  const sales = await api.showSales(show.id);
  const currency = show.currency;

  const revenue = kpi("Revenue", "kpi-revenue");
  const sold = kpi("Tickets sold", "kpi-sold");
  const held = kpi("Held right now", "kpi-held");
  const available = kpi("Available", "kpi-available");
  const progress = h(
    "div",
    { class: "progress", role: "progressbar", "aria-label": "Sold", "aria-valuemin": "0", "aria-valuemax": "100" },
    h("span", { class: "progress-sold" }),
    h("span", { class: "progress-held" }),
  );
  const progressText = h("p", { class: "muted small" });
  const byStatus = h("dl", { class: "status-counts" });
  const recent = h("tbody", {});
  const updated = h("span", { class: "muted small", "aria-live": "off" });
  const problems = h("div", {});
  const roomFacts = h("dl", { class: "facts", id: "room-figures" });
  const roomPanel = h(
    "section",
    { class: "panel", "aria-labelledby": "dash-room", hidden: true },
    h("h2", { class: "h3", id: "dash-room" }, "Waiting room"),
    roomFacts,
  );
  function drawRoom(room) {
    roomPanel.hidden = !room;
    if (!room) return;
    const fact = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
    roomFacts.replaceChildren(
      ...fact("Waiting in line", String(room.in_queue - room.admitted_so_far)),
      ...fact("Let in so far", String(room.admitted_so_far)),
      ...fact("Admission", `${rateText(room)}${room.sold_out ? " (paused: nothing left to hold)" : ""}`),
      ...fact("Confirmed", `${Math.round(room.confirmed_per_minute ?? 0)} bookings a minute`),
      ...fact("Holds refused lately", `${Math.round(100 * (room.refused_share ?? 0))} %`),
      ...fact(
        "Waiting list",
        room.waitlist
          ? `${room.waitlist.waiting} waiting · ${room.waitlist.offered} offered · ${room.waitlist.booked} booked · ${room.waitlist.lapsed} lapsed`
          : "—",
      ),
      ...fact("On-sale", when(room.on_sale_at, "short", show.time_zone)),
    );
  }
  let seatMap = null;
  let gaAreas = [];

  function drawSeats() {
    const counts = seatMap ? seatMap.counts() : { available: 0, held: 0, sold: 0, blocked: 0 };
    const gaCap = gaAreas.reduce((n, a) => n + a.capacity, 0);
    const gaFree = gaAreas.reduce((n, a) => n + a.available, 0);
    const total = counts.available + counts.held + counts.sold + gaCap;
    held.value.textContent = String(counts.held);
    available.value.textContent = String(counts.available + gaFree);
    const soldShare = total ? (counts.sold + (gaCap - gaFree)) / total : 0;
    const heldShare = total ? counts.held / total : 0;
    progress.querySelector(".progress-sold").style.width = `${(soldShare * 100).toFixed(1)}%`;
    progress.querySelector(".progress-held").style.width = `${(heldShare * 100).toFixed(1)}%`;
    progress.setAttribute("aria-valuenow", String(Math.round(soldShare * 100)));
    progressText.textContent =
      `${counts.sold} of ${counts.available + counts.held + counts.sold} seats sold · ${counts.held} held · ${counts.blocked} blocked` +
      (gaCap ? ` · standing ${gaCap - gaFree} of ${gaCap} taken (sold or held)` : "");
  }

  function drawSales(data) {
    revenue.value.textContent = money(data.revenue, data.currency || currency);
    sold.value.textContent = String(data.tickets_sold);
    clear(byStatus);
    for (const [status, n] of Object.entries(data.bookings)) {
      byStatus.append(h("div", {}, h("dt", {}, badge(status)), h("dd", {}, String(n))));
    }
    clear(recent);
    if (!data.recent.length) recent.append(h("tr", {}, h("td", { colspan: "4", class: "muted" }, "No bookings yet.")));
    for (const b of data.recent) {
      recent.append(
        h(
          "tr",
          { "data-booking": b.id },
          h("td", {}, when(b.created_at, "short")),
          h("td", {}, h("code", {}, shortId(b.id))),
          h("td", {}, badge(b.status)),
          h("td", { class: "num" }, money(b.total, b.currency)),
        ),
      );
    }
    updated.textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
  }

  let live = null;
  let mapEl = h("p", { class: "muted" }, "The seat map appears once the show is published.");
  if (show.status === "published") {
    live = new LiveSeats(show.id, {
      onMap: (data) => {
        for (const seat of data.seats) seatMap?.setState(seat.id, seat.state);
        gaAreas = data.ga_areas;
        drawSeats();
      },
      onDelta: ({ state, seats }) => {
        for (const id of seats) seatMap?.setState(id, state);
        drawSeats();
      },
      onAreas: (left) => {
        for (const area of gaAreas) area.available = left.get(area.id) ?? area.available;
        drawSeats();
      },
    });
    try {
      const map = await live.load();
      gaAreas = map.ga_areas;
      if (map.seats.length) {
        seatMap = new SeatMap({ seats: map.seats, currency, mode: "view", caption: "Seat states" });
        const cats = [...new Set(map.seats.map((x) => x.category))].map((c) => [
          c,
          map.seats.find((x) => x.category === c).price,
        ]);
        mapEl = h("div", {}, legend(cats, currency, { selection: false }), seatMap.el);
      } else {
        mapEl = h("p", { class: "muted" }, "Standing only: no seat map.");
      }
      live.start();
    } catch (err) {
      if (err.status === 404) {
        // Just published: inventory takes a moment to put the show on sale.
        const retry = setTimeout(() => {
          if (ctx.alive) render();
        }, 1500);
        ctx.onCleanup(() => clearTimeout(retry));
        mapEl = alertBox("info", "The show is being put on sale; the seat map appears in a moment.");
      } else {
        mapEl = alertBox("warning", `Seat map unavailable: ${describe(err)}`);
      }
    }
    ctx.onCleanup(() => live.close());
  }

  let timer = null;
  const poll = async () => {
    if (!ctx.alive) return;
    try {
      const [data, room] = await Promise.all([api.showSales(show.id), waitingRoomOf(show.id)]);
      drawSales(data);
      drawRoom(room);
      clear(problems);
    } catch (err) {
      clear(problems).append(alertBox("warning", `Could not refresh the sales: ${describe(err)}`));
    }
    if (ctx.alive) timer = setTimeout(poll, POLL_MS);
  };
  ctx.onCleanup(() => clearTimeout(timer));

  drawSales(sales);
  drawSeats();
  if (show.status === "published") drawRoom(await waitingRoomOf(show.id));
  timer = setTimeout(poll, POLL_MS);

  return h(
    "div",
    { class: "dashboard" },
    pageHeader(
      `Sales: ${show.title}`,
      `${when(show.starts_at, "long", show.time_zone)} · ${show.venue_name}, ${show.hall_name}`,
      h("span", { class: "live-dot" }, "Live"),
      h("a", { class: "btn", href: `#/org/shows/${show.id}` }, "Manage show"),
    ),
    orgNav("#/org"),
    show.status !== "published" ? alertBox("info", `This show is ${show.status}.`) : null,
    problems,
    h("section", { class: "kpis", "aria-label": "Key figures" }, revenue.el, sold.el, held.el, available.el),
    h("section", { class: "panel" }, h("h2", { class: "h3" }, "Sell-through"), progress, progressText),
    roomPanel,
    h(
      "div",
      { class: "two-col dash-cols" },
      h(
        "section",
        { class: "panel" },
        h("div", { class: "panel-head" }, h("h2", { class: "h3" }, "Recent bookings"), updated),
        byStatus,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { class: "table compact", id: "recent-bookings" },
            h("caption", { class: "sr-only" }, "Recent bookings, newest first"),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                h("th", { scope: "col" }, "When"),
                h("th", { scope: "col" }, "Booking"),
                h("th", { scope: "col" }, "Status"),
                h("th", { scope: "col", class: "num" }, "Total"),
              ),
            ),
            recent,
          ),
        ),
      ),
      h("section", { class: "panel" }, h("h2", { class: "h3" }, "Seats"), mapEl),
    ),
  );
}

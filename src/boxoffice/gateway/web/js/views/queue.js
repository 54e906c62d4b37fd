// @ts-check
// The waiting room of a show's on-sale: join (a small proof of work, done by the browser), watch
// the place move up, and go to the seat map with the admission pass once let in.

import * as api from "../api.gen.js";
import { alertBox, clear, h, loading, when } from "../dom.js";
import { describe } from "../http.js";
import { navigate } from "../router.js";
import { waitlistPanel } from "./waitlist.js";

const placeKey = (showId) => `boxoffice.queue.${showId}`;
const passKey = (showId) => `boxoffice.pass.${showId}`;

/** The admission pass this tab holds for the show, while it is valid. */
export function storedPass(showId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(passKey(showId)) || "null");
    if (saved && Date.parse(saved.expires) > Date.now()) return saved;
  } catch {
    /* a broken entry counts as none */
  }
  sessionStorage.removeItem(passKey(showId));
  return null;
}

/** Forget the pass (it was refused) so the next hold sends the customer to the queue. */
export function dropPass(showId) {
  sessionStorage.removeItem(passKey(showId));
}

/** The show's waiting room, or null when it has none (or is not on sale). */
export async function waitingRoomOf(showId) {
  try {
    const room = await api.getWaitingRoom(showId);
    return room.enabled ? room : null;
  } catch (err) {
    if (err.status === 404) return null;
    throw err;
  }
}

function zeroBits(bytes) {
  let bits = 0;
  for (const byte of bytes) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** A solution n: SHA-256 of "challenge:n" starts with `bits` zero bits. */
async function solve(challenge, bits) {
  const encoder = new TextEncoder();
  for (let n = 0; ; n++) {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(`${challenge}:${n}`)));
    if (zeroBits(digest) >= bits) return String(n);
  }
}

async function joinQueue(showId) {
  const { challenge, difficulty_bits } = await api.queueChallenge(showId);
  const solution = await solve(challenge, difficulty_bits);
  return api.joinQueue(showId, { body: { challenge, solution } });
}

export async function waitingRoomView(ctx) {
  const showId = ctx.params.id;
  const [show, room] = await Promise.all([api.getShow(showId), waitingRoomOf(showId)]);
  if (!room) {
    navigate(`/shows/${showId}`);
    return h("div", {});
  }
  const root = h("section", { class: "panel stack waiting-room", "aria-labelledby": "wr-title" });
  const body = h("div", { role: "status", "aria-live": "polite" });
  root.append(
    h("h1", { id: "wr-title", tabindex: "-1" }, `Waiting room · ${show.title}`),
    h(
      "p",
      { class: "muted" },
      `${when(show.starts_at, "long", show.time_zone)} · ${show.venue_name}. The on-sale starts ${when(room.on_sale_at, "long", show.time_zone)}; everyone who is here before then gets a place drawn at random, everyone after joins the end of the line.`,
    ),
    body,
  );
  let timer = null;
  // The line's "now serving" is pushed about every second: the place moves up without asking,
  // and the status is read again when the turn has come (or the show sold out or came back).
  // Reads every 2 s (5 s before the draw) stay as the fallback, every 10 s while pushed.
  let last = null;
  let pushed = false;
  let asking = false;
  // Buyers a minute: the room's set rate, or with "auto" the rate admission runs at now (the
  // pushed figures carry it as it changes).
  let rate = room.admitting_per_minute || (typeof room.admission_rate === "number" ? room.admission_rate : 1);
  // Sold out: the show's waiting list, one panel kept across redraws.
  let waitBox = null;
  const most = Math.min(show.max_per_booking, room.max_tickets_per_customer || show.max_per_booking);
  const stream = api.queueStream(showId);
  stream.onopen = () => {
    pushed = true;
  };
  stream.onerror = () => {
    pushed = false;
  };
  stream.addEventListener("queue", (event) => {
    if (asking || !last || (last.state !== "waiting" && last.state !== "sold_out")) return;
    const now = JSON.parse(event.data);
    if (now.sold_out !== (last.state === "sold_out") || last.position === null) {
      // The draw, or the show sold out or came back: everyone watching learns it at the same
      // second, so each asks for their place within the next 20 s, not all at once.
      if (now.sold_out !== (last.state === "sold_out") || now.admitted_so_far > 0) {
        const id = last.queue_id;
        clearTimeout(timer);
        asking = true; // later events wait for the answer
        timer = setTimeout(() => poll(id), Math.random() * 20_000);
      }
      return;
    }
    const rank = last.ahead + last.admitted_so_far;
    const ahead = rank - now.admitted_so_far;
    if (ahead < 0) {
      poll(last.queue_id);
      return;
    }
    if (now.admitting_per_minute) rate = now.admitting_per_minute;
    draw({
      ...last,
      ...now,
      ahead,
      position: ahead + 1,
      eta_seconds: Math.ceil(((ahead + 1) * 60) / Math.max(1, rate)),
    });
  });
  ctx.onCleanup(() => {
    clearTimeout(timer);
    stream.close();
  });

  function draw(status) {
    last = status;
    clear(body);
    if (status.state === "admitted") {
      sessionStorage.setItem(
        passKey(showId),
        JSON.stringify({ token: status.admission_pass, expires: status.pass_expires_at }),
      );
      body.append(alertBox("success", "It's your turn! Taking you to the seats…"));
      navigate(`/shows/${showId}`);
      return;
    }
    if (status.state === "expired") {
      sessionStorage.removeItem(placeKey(showId));
      body.append(
        alertBox("warning", "Your turn came and went: the admission pass has expired."),
        h("button", { class: "btn btn-primary", type: "button", onclick: () => start(true) }, "Queue again"),
      );
      return;
    }
    if (status.state === "sold_out") {
      body.append(
        alertBox(
          "warning",
          "Sold out for now: every ticket is taken or held. Seats that are not paid for come back; keep this page open and your turn still comes if they do, or join the waiting list below to be offered them in turn.",
        ),
      );
      waitBox ??= waitlistPanel(show, most, ctx);
      body.append(waitBox);
      return;
    }
    const before = status.position === null;
    const done = status.admitted_so_far;
    const share = before ? 0 : Math.round((100 * done) / Math.max(1, done + status.position));
    body.append(
      h(
        "div",
        { class: "queue-place" },
        before
          ? h("p", { class: "queue-big" }, "You are in the waiting room")
          : h(
              "p",
              { class: "queue-big" },
              h("strong", { "data-position": status.position }, `#${status.position}`),
              " in line",
            ),
        before
          ? h("p", {}, `Places are drawn at ${when(status.on_sale_at, "short", show.time_zone)}. Keep this page open.`)
          : h(
              "p",
              {},
              `${status.ahead} ${status.ahead === 1 ? "person" : "people"} ahead of you`,
              status.eta_seconds !== null ? ` · about ${eta(status.eta_seconds)}` : "",
            ),
        h(
          "div",
          {
            class: "progress",
            role: "progressbar",
            "aria-valuemin": "0",
            "aria-valuemax": "100",
            "aria-valuenow": String(share),
            "aria-label": "Your progress in the line",
          },
          h("div", { class: "progress-sold", style: { width: `${share}%` } }),
        ),
        h("p", { class: "muted" }, `${status.in_queue} in the waiting room · ${done} let in so far`),
      ),
    );
  }

  async function poll(queueId) {
    clearTimeout(timer);
    try {
      const status = await api.queueStatus(queueId);
      asking = false;
      if (!ctx.alive) return;
      draw(status);
      // A status costs the server about a millisecond: with the line pushed, a read a minute
      // is the fallback; without it every 10–15 s (docs/benchmarks.md, the waiting room).
      if (status.state === "waiting" || status.state === "sold_out")
        timer = setTimeout(() => poll(queueId), (pushed ? 60_000 : 10_000) + Math.random() * 5000);
    } catch (err) {
      if (!ctx.alive) return;
      if (err.status === 404) {
        sessionStorage.removeItem(placeKey(showId));
        start(true);
        return;
      }
      timer = setTimeout(() => poll(queueId), 4000);
    }
  }

  async function start(again = false) {
    const known = again ? null : sessionStorage.getItem(placeKey(showId));
    if (known) {
      poll(known);
      return;
    }
    clear(body).append(loading("Joining the line (a quick check that you are a person)…"));
    try {
      const place = await joinQueue(showId);
      sessionStorage.setItem(placeKey(showId), place.queue_id);
      draw(place);
      if (place.state === "waiting") timer = setTimeout(() => poll(place.queue_id), 2000);
    } catch (err) {
      clear(body).append(
        alertBox("error", describe(err)),
        h("button", { class: "btn", type: "button", onclick: () => start(true) }, "Try again"),
      );
    }
  }

  if (storedPass(showId)) {
    navigate(`/shows/${showId}`);
    return h("div", {});
  }
  start();
  return h("div", {}, root, h("a", { class: "btn", href: `#/shows/${showId}` }, "← Back to the show"));
}

function eta(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

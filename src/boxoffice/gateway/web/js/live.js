// @ts-check
// A show's seat map kept live: the server-sent `seats` events are applied as deltas (seats that
// changed state, and what each general-admission area touched has left); on every (re)connect
// and whenever a version is skipped, the map is fetched again with If-None-Match, which costs a
// 304 when nothing changed.

import * as api from "./api.gen.js";

// The seat map route answers pre-serialised JSON, so the OpenAPI document shows only an example
// of it, and api-types.d.ts types it `unknown`: these are its fields (inventory/live.py).
/**
 * @typedef {{id: number, label: string, section: string, row: string, category: string,
 *   price: number, x: number, y: number, state: string}} MapSeat
 * @typedef {{id: number, name: string, category: string, price: number, capacity: number,
 *   available: number}} MapArea
 * @typedef {{show_id: string, version: number, status: string, currency: string,
 *   max_per_booking: number, seats: MapSeat[], ga_areas: MapArea[]}} SeatMapData
 */
/**
 * @template T
 * @typedef {import("./http.js").RawAnswer<T>} RawAnswer
 */

export class LiveSeats {
  /**
   * @param {string} showId
   * @param {object} handlers
   * @param {(map) => void} handlers.onMap     a whole (newer) seat map
   * @param {(event) => void} handlers.onDelta {state, seats: [ids as numbers], version}
   * @param {(left: Map<number, number>) => void} [handlers.onAreas] area id → places left
   * @param {(connected: boolean) => void} [handlers.onStatus]
   */
  constructor(showId, { onMap, onDelta, onAreas = () => {}, onStatus = () => {} }) {
    this.showId = showId;
    this.onMap = onMap;
    this.onDelta = onDelta;
    this.onAreas = onAreas;
    this.onStatus = onStatus;
    this.version = 0;
    this.etag = null;
    this.timer = null;
    this.closed = false;
  }

  /** The first map, fetched before following the stream. */
  async load() {
    const answer = /** @type {RawAnswer<SeatMapData>} */ (await api.seatMap(this.showId, { raw: true }));
    this.accept(answer, false);
    return answer.data;
  }

  start() {
    this.source = api.seatStream(this.showId);
    this.source.addEventListener("open", () => {
      this.onStatus(true);
      this.refetchSoon(0); // catch up on what happened while we were not listening
    });
    this.source.addEventListener("error", () => this.onStatus(false));
    this.source.addEventListener("seats", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      const seats = Array.isArray(event.seats) ? event.seats.map(Number) : [];
      if (event.version <= this.version) return;
      const gap = event.version > this.version + 1;
      this.version = event.version;
      if (seats.length) this.onDelta({ state: event.state, seats, version: event.version });
      if (event.ga && typeof event.ga === "object") {
        this.onAreas(new Map(Object.entries(event.ga).map(([id, left]) => [Number(id), Number(left)])));
      }
      if (gap) this.refetchSoon(250);
    });
    // A safety net for a change the stream lost in a reconnect's gap: a cheap conditional GET.
    this.poll = setInterval(() => this.refetchSoon(0), 30000);
  }

  refetchSoon(ms) {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refetch(), ms);
  }

  async refetch() {
    if (this.closed) return;
    try {
      const answer = /** @type {RawAnswer<SeatMapData>} */ (
        await api.seatMap(this.showId, { ifNoneMatch: this.etag, raw: true })
      );
      if (!this.closed && answer.status === 200) this.accept(answer);
    } catch {
      // The stream's reconnect will try again.
    }
  }

  /**
   * @param {RawAnswer<SeatMapData>} answer
   * @param {boolean} [notify]
   */
  accept(answer, notify = true) {
    this.etag = answer.headers.get("ETag");
    if (answer.data.version < this.version) return;
    this.version = answer.data.version;
    if (notify) this.onMap(answer.data);
  }

  close() {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.poll);
    if (this.source) this.source.close();
  }
}

// @ts-check
// Admin: operations — booking sagas stuck in PENDING (end one), and the events each service's
// consumers parked as dead letters (replay one). See docs/observability.md, "When something is stuck".

import * as api from "../../api.gen.js";
import { alertBox, badge, clear, field, h, pageHeader, shortId } from "../../dom.js";
import { describe } from "../../http.js";
import { setQuery } from "../../router.js";

const POLL_MS = 5000;
const DEFAULT_OLDER_THAN = 30;
const NOWRAP = { whiteSpace: "nowrap" }; // identifiers like notification-bookings read whole
const DEFAULT_REASON = "Ended by an operator; any payment is refunded.";

// One entry per service, each calling its own generated operation (so the client's freshness
// test sees every call).
const SERVICES = [
  { name: "identity", list: (a) => api.listIdentityDeadLetters(a), replay: (id) => api.replayIdentityDeadLetter(id) },
  { name: "catalog", list: (a) => api.listCatalogDeadLetters(a), replay: (id) => api.replayCatalogDeadLetter(id) },
  {
    name: "inventory",
    list: (a) => api.listInventoryDeadLetters(a),
    replay: (id) => api.replayInventoryDeadLetter(id),
  },
  { name: "booking", list: (a) => api.listBookingDeadLetters(a), replay: (id) => api.replayBookingDeadLetter(id) },
  { name: "payment", list: (a) => api.listPaymentDeadLetters(a), replay: (id) => api.replayPaymentDeadLetter(id) },
  {
    name: "notification",
    list: (a) => api.listNotificationDeadLetters(a),
    replay: (id) => api.replayNotificationDeadLetter(id),
  },
];

const clockFormat = new Intl.DateTimeFormat("en-GB", {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

/** A timestamp to the second: operators compare them with logs. */
function stamp(iso) {
  return h("time", { datetime: iso }, clockFormat.format(new Date(iso)));
}

function span(seconds) {
  const s = Math.round(Math.abs(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} days`;
}

const ago = (iso) => `${span((Date.now() - new Date(iso).getTime()) / 1000)} ago`;

function deadlineCell(iso) {
  const left = (new Date(iso).getTime() - Date.now()) / 1000;
  return h(
    "td",
    {},
    stamp(iso),
    left >= 0
      ? h("div", { class: "muted small" }, `in ${span(left)}`)
      : h("div", { class: "small" }, h("strong", {}, `overdue by ${span(left)}`)),
  );
}

function endSagaDialog(saga, onDone, ctx) {
  const errors = h("div", {});
  const reason = h("input", { type: "text", maxlength: "500", required: true, value: DEFAULT_REASON });
  const submit = h("button", { type: "submit", class: "btn btn-danger" }, "End saga");
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "end-saga-title" });
  const close = () => {
    if (dialog.open) dialog.close();
    dialog.remove();
  };
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        const text = reason.value.trim();
        if (!text) {
          errors.append(alertBox("error", "Type the reason the customer will see."));
          return;
        }
        submit.disabled = true;
        try {
          const ended = await api.failSaga(saga.id, { body: { reason: text } });
          onDone(
            alertBox(
              "success",
              `Booking ${shortId(ended.id)} ended: ${ended.status}, "${ended.reason}". The hold is released and any payment refunded.`,
            ),
          );
          close();
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
          onDone(null); // it may have ended by itself meanwhile: show the list as it is now
        }
      },
    },
    h("h2", { id: "end-saga-title", class: "h3" }, `End the saga of booking ${shortId(saga.id)}?`),
    h(
      "p",
      {},
      `${saga.show_title}: still pending at step “${saga.last_step}”. Ending it marks the booking FAILED, releases its seats and refunds or voids any payment.`,
    ),
    field("Reason", reason, "Shown to the customer as the reason the booking failed."),
    errors,
    h("div", { class: "actions" }, submit, h("button", { type: "button", class: "btn", onclick: close }, "Close")),
  );
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  ctx.onCleanup(close);
  document.body.append(dialog);
  dialog.showModal();
  reason.select();
}

function sagaRow(saga, onEnd) {
  return h(
    "tr",
    { "data-booking": saga.id },
    h("td", {}, h("a", { href: `#/bookings/${saga.id}`, title: saga.id }, h("code", {}, shortId(saga.id)))),
    h("td", {}, saga.show_title),
    h("td", {}, badge(saga.status)),
    h("td", {}, stamp(saga.created_at), h("div", { class: "muted small" }, ago(saga.created_at))),
    h(
      "td",
      {},
      h("code", { style: NOWRAP }, saga.last_step),
      h("div", { class: "muted small" }, ago(saga.last_step_at)),
    ),
    deadlineCell(saga.deadline),
    h(
      "td",
      {},
      h(
        "div",
        { class: "actions-cell" },
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-danger-outline",
            "aria-label": `End saga of booking ${shortId(saga.id)}`,
            onclick: () => onEnd(saga),
          },
          "End saga",
        ),
      ),
    ),
  );
}

function shortError(text) {
  if (text.length <= 140) return h("td", { class: "small" }, text);
  return h(
    "td",
    { class: "small" },
    h(
      "details",
      {},
      h("summary", {}, `${text.slice(0, 120)}…`),
      h("p", { style: { whiteSpace: "pre-wrap", wordBreak: "break-word" } }, text),
    ),
  );
}

function deadLetterRow(service, letter, onReplay) {
  return h(
    "tr",
    { "data-dead-letter": `${service.name}:${letter.id}` },
    h("td", {}, service.name, h("div", { class: "muted small" }, `#${letter.id}`)),
    h("td", {}, h("code", { style: NOWRAP }, letter.consumer)),
    h("td", {}, h("code", { style: NOWRAP }, letter.type)),
    h("td", {}, h("code", { title: letter.event_id }, shortId(letter.event_id))),
    shortError(letter.error),
    h("td", { class: "num" }, String(letter.deliveries)),
    h("td", {}, stamp(letter.created_at)),
    h("td", {}, letter.replayed_at ? stamp(letter.replayed_at) : h("span", { class: "muted" }, "no")),
    h(
      "td",
      {},
      letter.replayed_at
        ? null
        : h(
            "div",
            { class: "actions-cell" },
            h(
              "button",
              {
                type: "button",
                class: "btn btn-small",
                "aria-label": `Replay dead letter ${letter.id} of ${service.name}`,
                onclick: (event) => onReplay(service, letter, event.currentTarget),
              },
              "Replay",
            ),
          ),
    ),
  );
}

function table(caption, headings, body) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table compact" },
      h("caption", { class: "sr-only" }, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headings.map((t) => h("th", { scope: "col", class: t === "Deliveries" ? "num" : null }, t)),
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
        ),
      ),
      body,
    ),
  );
}

export async function operationsView(ctx) {
  const q = ctx.query;
  const parsed = Number(q.older_than);
  const olderThan = q.older_than !== undefined && Number.isFinite(parsed) && parsed >= 0 ? parsed : DEFAULT_OLDER_THAN;
  const includeReplayed = q.replayed === "1";

  // -- stuck sagas ------------------------------------------------------------------------
  const sagaBody = h("tbody", {});
  const sagaMessage = h("div", {});
  const sagaProblems = h("div", {});
  const sagaUpdated = h("span", { class: "muted small", "aria-live": "off" });
  let sagaLoading = false;

  function drawSagas(sagas) {
    clear(sagaBody);
    if (!sagas.length)
      sagaBody.append(
        h(
          "tr",
          {},
          h("td", { colspan: "7", class: "muted" }, `No booking has been pending for more than ${olderThan} s.`),
        ),
      );
    for (const saga of sagas) sagaBody.append(sagaRow(saga, (s) => endSagaDialog(s, afterEnd, ctx)));
    sagaUpdated.textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
  }

  async function refreshSagas() {
    if (sagaLoading || !ctx.alive) return;
    sagaLoading = true;
    try {
      const sagas = await api.stuckSagas({ older_than: olderThan, limit: 200 });
      if (ctx.alive) {
        clear(sagaProblems);
        drawSagas(sagas);
      }
    } catch (err) {
      if (ctx.alive)
        clear(sagaProblems).append(alertBox("warning", `Could not refresh the stuck sagas: ${describe(err)}`));
    } finally {
      sagaLoading = false;
    }
  }

  function afterEnd(message) {
    if (message) clear(sagaMessage).append(message);
    refreshSagas();
  }

  let timer = null;
  const poll = async () => {
    if (!ctx.alive) return;
    if (!document.hidden) await refreshSagas();
    if (ctx.alive) timer = setTimeout(poll, POLL_MS);
  };
  ctx.onCleanup(() => clearTimeout(timer));

  const olderInput = h("input", {
    type: "number",
    min: "0",
    max: "86400",
    step: "any",
    inputmode: "decimal",
    value: String(olderThan),
  });
  const sagaFilter = h(
    "form",
    {
      class: "inline-form",
      "aria-label": "Stuck sagas filter",
      onsubmit: (event) => {
        event.preventDefault();
        setQuery({ ...q, older_than: olderInput.value.trim() });
      },
    },
    field("Pending for more than (seconds)", olderInput),
    h("div", { class: "field field-actions" }, h("button", { type: "submit", class: "btn btn-small" }, "Show")),
  );

  // -- dead letters -----------------------------------------------------------------------
  const letterBody = h("tbody", {});
  const letterMessage = h("div", {});
  const letterProblems = h("div", {});
  const letterUpdated = h("span", { class: "muted small", "aria-live": "off" });

  async function refreshLetters() {
    const results = await Promise.allSettled(
      SERVICES.map((service) => service.list({ include_replayed: includeReplayed, limit: 200 })),
    );
    if (!ctx.alive) return;
    const rows = [];
    clear(letterProblems);
    results.forEach((result, i) => {
      const service = SERVICES[i];
      if (result.status === "fulfilled") {
        for (const letter of result.value) rows.push({ service, letter });
      } else {
        letterProblems.append(
          alertBox("warning", `Could not list the ${service.name} service's dead letters: ${describe(result.reason)}`),
        );
      }
    });
    rows.sort((a, b) => new Date(b.letter.created_at).getTime() - new Date(a.letter.created_at).getTime());
    clear(letterBody);
    if (!rows.length)
      letterBody.append(
        h(
          "tr",
          {},
          h(
            "td",
            { colspan: "9", class: "muted" },
            includeReplayed ? "No dead letters." : "No dead letters waiting for a replay.",
          ),
        ),
      );
    for (const { service, letter } of rows) letterBody.append(deadLetterRow(service, letter, replay));
    letterUpdated.textContent = `Updated ${new Date().toLocaleTimeString("en-GB")}`;
  }

  async function replay(service, letter, button) {
    button.disabled = true;
    clear(letterMessage);
    const what = `Dead letter ${letter.id} (${letter.type}, ${service.name})`;
    try {
      const result = await service.replay(letter.id);
      letterMessage.append(
        result.replayed
          ? alertBox("success", `${what} was replayed: the ${letter.consumer} consumer handled it.`)
          : alertBox("info", `${what} had been replayed already.`),
      );
    } catch (err) {
      letterMessage.append(alertBox("error", `${what} was not replayed: ${describe(err)}`));
    }
    await refreshLetters();
  }

  const replayedBox = h("input", {
    type: "checkbox",
    checked: includeReplayed,
    onchange: (event) => setQuery({ ...q, replayed: event.currentTarget.checked ? "1" : "" }),
  });

  await Promise.all([refreshSagas(), refreshLetters()]);
  timer = setTimeout(poll, POLL_MS);

  return h(
    "div",
    {},
    pageHeader("Operations", "Bookings stuck in their saga, and events the services could not handle."),
    h(
      "section",
      { class: "panel", "aria-labelledby": "stuck-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "stuck-title", class: "h3" }, "Stuck sagas"),
        h(
          "div",
          { class: "actions" },
          sagaUpdated,
          h("button", { type: "button", class: "btn btn-small", onclick: () => refreshSagas() }, "Refresh stuck sagas"),
        ),
      ),
      h(
        "p",
        { class: "muted small" },
        "Bookings still pending, with the step they stopped at. The list refreshes every 5 seconds.",
      ),
      sagaFilter,
      sagaProblems,
      sagaMessage,
      table("Stuck sagas, oldest first", ["Booking", "Show", "Status", "Created", "Last step", "Deadline"], sagaBody),
    ),
    h(
      "section",
      { class: "panel", "aria-labelledby": "dead-title" },
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "dead-title", class: "h3" }, "Dead letters"),
        h(
          "div",
          { class: "actions" },
          letterUpdated,
          h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              onclick: () => {
                clear(letterMessage);
                refreshLetters();
              },
            },
            "Refresh dead letters",
          ),
        ),
      ),
      h(
        "p",
        { class: "muted small" },
        "Events a consumer parked after failing too often. A replay runs one through its consumer again, once.",
      ),
      h("label", { class: "check" }, replayedBox, "Include replayed"),
      letterProblems,
      letterMessage,
      table(
        "Dead letters, newest first",
        ["Service", "Consumer", "Event type", "Event", "Error", "Deliveries", "Created", "Replayed"],
        letterBody,
      ),
    ),
  );
}

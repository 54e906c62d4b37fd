// @ts-check
// Admin: search every booking; cancel one (refund and release) or refund its payment.

import * as api from "../../api.gen.js";
import { alertBox, badge, clear, field, h, money, pageHeader, shortId, toast, when } from "../../dom.js";
import { describe } from "../../http.js";
import { setQuery } from "../../router.js";

const STATUSES = ["PENDING", "CONFIRMED", "CANCELLED", "FAILED", "EXPIRED"];
const PAGE = 50;

function refundDialog(booking, onDone) {
  const errors = h("div", {});
  const info = h("p", { class: "muted" }, "Loading the payment…");
  const amount = h("input", {
    type: "number",
    min: "0.01",
    step: "0.01",
    inputmode: "decimal",
    placeholder: "everything left",
  });
  const reason = h("input", { type: "text", maxlength: "500", value: "Refunded by an administrator.", required: true });
  const submit = h("button", { type: "submit", class: "btn btn-danger" }, "Refund");
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": "refund-title" });
  const close = () => {
    dialog.close();
    dialog.remove();
  };
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          const body = { reason: reason.value.trim() || "Refunded by an administrator." };
          if (amount.value) body.amount = Math.round(Number(amount.value) * 100);
          const payment = await api.refund(booking.payment_id, { body });
          toast(
            `Refunded: ${money(payment.refunded, payment.currency)} of ${money(payment.amount, payment.currency)} in total.`,
            "success",
          );
          close();
          onDone();
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    h("h2", { id: "refund-title", class: "h3" }, `Refund booking ${shortId(booking.id)}`),
    info,
    field(
      `Amount (${booking.currency})`,
      amount,
      "Leave empty to refund everything that is left: a full refund cancels the booking, its tickets stop working and its seats go back on sale.",
    ),
    field("Reason", reason),
    errors,
    h("div", { class: "actions" }, submit, h("button", { type: "button", class: "btn", onclick: close }, "Close")),
  );
  dialog.append(form);
  dialog.addEventListener("cancel", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  api
    .getPayment(booking.payment_id)
    .then((p) => {
      info.textContent = `Payment ${p.status}: ${money(p.amount, p.currency)} charged, ${money(p.refunded, p.currency)} refunded so far.`;
    })
    .catch((err) => {
      info.textContent = describe(err);
    });
}

export async function adminBookingsView(ctx) {
  const q = ctx.query;
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const bookings = await api.listBookings({
    all: true,
    status: q.status,
    show_id: q.show_id,
    user_id: q.user_id,
    limit: PAGE + 1,
    offset: (page - 1) * PAGE,
  });
  const more = bookings.length > PAGE;
  const status = h(
    "select",
    { name: "status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === q.status }, s)),
  );
  const showId = h("input", { type: "text", name: "show_id", value: q.show_id || "", placeholder: "show id" });
  const userId = h("input", { type: "text", name: "user_id", value: q.user_id || "", placeholder: "user id" });
  const form = h(
    "form",
    {
      class: "filters panel",
      role: "search",
      "aria-label": "Find bookings",
      onsubmit: (event) => {
        event.preventDefault();
        setQuery({ status: status.value, show_id: showId.value.trim(), user_id: userId.value.trim() });
      },
    },
    field("Status", status),
    field("Show", showId),
    field("Customer", userId),
    h("div", { class: "field field-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Search")),
  );

  const errors = h("div", {});
  const rows = bookings.slice(0, PAGE).map((b) => {
    const actions = h("td", { class: "actions-cell" });
    if (["PENDING", "CONFIRMED"].includes(b.status)) {
      actions.append(
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-danger-outline",
            onclick: async (event) => {
              const button = event.currentTarget;
              if (button.dataset.confirm !== "yes") {
                button.dataset.confirm = "yes";
                button.textContent = "Confirm cancel";
                return;
              }
              button.disabled = true;
              try {
                await api.cancelBooking(b.id, { body: { reason: "Cancelled by an administrator." } });
                toast(`Booking ${shortId(b.id)} cancelled; the payment is refunded.`, "success");
                setQuery({ ...q }, { push: false });
              } catch (err) {
                clear(errors).append(alertBox("error", describe(err)));
                button.disabled = false;
              }
            },
          },
          "Cancel",
        ),
      );
    }
    if (b.payment_id && b.refunded < b.total) {
      actions.append(
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small",
            onclick: () => refundDialog(b, () => setQuery({ ...q }, { push: false })),
          },
          "Refund",
        ),
      );
    }
    return h(
      "tr",
      {},
      h("td", {}, when(b.created_at, "short")),
      h(
        "td",
        {},
        h("a", { href: `#/bookings/${b.id}` }, b.show_title),
        h("div", { class: "muted small" }, when(b.show_starts_at, "short", b.show_time_zone)),
      ),
      h("td", {}, h("code", { title: b.user_id }, shortId(b.user_id))),
      h("td", {}, badge(b.status), b.reason ? h("div", { class: "muted small" }, b.reason) : null),
      h(
        "td",
        { class: "num" },
        money(b.total, b.currency),
        b.refunded ? h("div", { class: "muted small" }, `${money(b.refunded, b.currency)} refunded`) : null,
      ),
      actions,
    );
  });
  return h(
    "div",
    {},
    pageHeader("Bookings", "Every customer's bookings. Cancelling refunds and releases the seats."),
    form,
    errors,
    h(
      "div",
      { class: "panel table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: "sr-only" }, "Bookings"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Created", "Show", "Customer", "Status"].map((t) => h("th", { scope: "col" }, t)),
            h("th", { scope: "col", class: "num" }, "Total"),
            h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
          ),
        ),
        h(
          "tbody",
          {},
          rows.length ? rows : h("tr", {}, h("td", { colspan: "6", class: "muted" }, "No bookings match.")),
        ),
      ),
    ),
    h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      h(
        "button",
        {
          type: "button",
          class: "btn",
          disabled: page <= 1,
          onclick: () => setQuery({ ...q, page: String(page - 1) }),
        },
        "← Previous",
      ),
      h("span", {}, `Page ${page}`),
      h(
        "button",
        { type: "button", class: "btn", disabled: !more, onclick: () => setQuery({ ...q, page: String(page + 1) }) },
        "Next →",
      ),
    ),
  );
}

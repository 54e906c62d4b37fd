// @ts-check
// Admin: the mail boxoffice sent. The development inbox (what the SMTP sink of `boxoffice up`
// received, when no SMTP server is set) with each mail's text, HTML and attachments, and the
// deliveries: what is waiting, failed for good or gave up, with a way to send it again.

import * as api from "../../api.gen.js";
import { alertBox, field, h, pageHeader, toast } from "../../dom.js";
import { describe, session } from "../../http.js";
import { render, setQuery } from "../../router.js";

/** Download an attachment (it needs the admin's token, so no plain link). */
async function download(mailId, attachment) {
  const response = await fetch(
    `/api/v1/admin/dev-inbox/${encodeURIComponent(mailId)}/attachments/${attachment.index}`,
    {
      headers: { Authorization: `Bearer ${session.access}` },
    },
  );
  if (!response.ok) throw new Error(`The attachment could not be loaded (${response.status}).`);
  const url = URL.createObjectURL(await response.blob());
  const a = h("a", { href: url, download: attachment.filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function mailView(mail) {
  const frame = h("iframe", {
    title: `The mail "${mail.subject}" as HTML`,
    class: "mail-html",
    sandbox: "", // no scripts, no forms, no navigation: the mail is shown, nothing more
    src: mail.html_url || "about:blank",
  });
  return h(
    "article",
    { class: "panel stack", "aria-label": `Mail: ${mail.subject}` },
    h("h2", { class: "h3" }, mail.subject),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "To"),
      h("dd", {}, mail.to),
      h("dt", {}, "From"),
      h("dd", {}, mail.from),
      h("dt", {}, "Date"),
      h("dd", {}, mail.date),
    ),
    mail.attachments.length
      ? h(
          "p",
          { class: "actions" },
          ...mail.attachments.map((a) =>
            h(
              "button",
              {
                type: "button",
                class: "btn btn-small",
                onclick: () => download(mail.id, a).catch((err) => toast(err.message, "error")),
              },
              `⤓ ${a.filename} (${Math.ceil(a.size / 1024)} KB)`,
            ),
          ),
        )
      : null,
    mail.html_url ? frame : null,
    h("details", {}, h("summary", {}, "Plain text"), h("pre", { class: "mail-text" }, mail.text)),
  );
}

async function deliveriesPanel() {
  const errors = h("div", {});
  const list = await api.deliveries({ limit: 50 });
  const rows = list.map((d) => {
    const again =
      d.state === "failed" || d.state === "dead"
        ? h(
            "button",
            {
              type: "button",
              class: "btn btn-small",
              onclick: async () => {
                try {
                  await api.retryDelivery(d.id);
                  toast("It goes out again.", "success");
                  render();
                } catch (err) {
                  errors.append(alertBox("error", describe(err)));
                }
              },
            },
            "Send again",
          )
        : null;
    return h(
      "tr",
      {},
      h("td", {}, d.kind),
      h("td", {}, d.address || h("span", { class: "muted" }, "the user's")),
      h("td", {}, h("span", { class: `badge badge-${d.state}` }, d.state), ` ${d.attempts}×`),
      h("td", { class: "muted small" }, d.last_error || ""),
      h("td", {}, again),
    );
  });
  return h(
    "section",
    { class: "panel stack", "aria-labelledby": "deliveries-title" },
    h("h2", { class: "h3", id: "deliveries-title" }, "Deliveries"),
    errors,
    rows.length
      ? h(
          "table",
          { class: "table" },
          h(
            "thead",
            {},
            h("tr", {}, ...["Mail", "To", "State", "Last error", ""].map((t) => h("th", { scope: "col" }, t))),
          ),
          h("tbody", {}, ...rows),
        )
      : h("p", { class: "muted" }, "Nothing sent yet."),
  );
}

export async function inboxView(ctx) {
  const q = ctx.query;
  const deliveries = await deliveriesPanel();
  let mails;
  try {
    mails = await api.inbox({ to: q.to, limit: 50 });
  } catch (err) {
    if (err.status !== 404) throw err;
    return h(
      "div",
      {},
      pageHeader("Mail", "Mail goes to the SMTP server set (BOXOFFICE_SMTP_URL): there is no development inbox."),
      deliveries,
    );
  }
  const to = h("input", { type: "search", value: q.to || "", placeholder: "name@example.com" });
  const filter = h(
    "form",
    {
      class: "filters panel",
      role: "search",
      "aria-label": "Find mail",
      onsubmit: (event) => {
        event.preventDefault();
        setQuery({ to: to.value.trim(), mail: "" });
      },
    },
    field("To", to),
    h("div", { class: "field field-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Search")),
  );
  const open = h("div", {});
  if (q.mail) {
    try {
      open.append(mailView(await api.inboxMail(q.mail)));
    } catch (err) {
      open.append(alertBox("error", describe(err)));
    }
  }
  const items = mails.map((m) =>
    h(
      "li",
      {},
      h(
        "a",
        { href: `#/admin/inbox?${new URLSearchParams({ ...(q.to ? { to: q.to } : {}), mail: m.id })}` },
        h("strong", {}, m.subject),
        h("span", { class: "muted small" }, ` · ${m.to} · ${m.date}`),
        m.attachments.length ? h("span", { class: "muted small" }, ` · ${m.attachments.length} attachment(s)`) : null,
      ),
    ),
  );
  return h(
    "div",
    { class: "stack" },
    pageHeader(
      "Development inbox",
      "The mail boxoffice sent, as the development SMTP sink received it (nobody else did).",
    ),
    filter,
    open,
    h(
      "section",
      { class: "panel", "aria-label": "Received mail" },
      items.length ? h("ul", { class: "mail-list" }, ...items) : h("p", { class: "muted" }, "No mail yet."),
    ),
    deliveries,
  );
}

// @ts-check
// In-app notifications: the list, and the unread count on the bell.

import * as api from "../api.gen.js";
import { field, h, pageHeader, toast, when } from "../dom.js";
import { describe, session } from "../http.js";

let counting = null;

/** Show the unread count on the bell. */
export function showUnread(count) {
  const badge = document.getElementById("bell-count");
  if (!badge) return;
  badge.textContent = count > 99 ? "99+" : String(count);
  badge.hidden = count === 0;
  badge.parentElement?.setAttribute("aria-label", count ? `Notifications, ${count} unread` : "Notifications");
}

export async function refreshUnread() {
  if (!document.getElementById("bell-count") || !session.loggedIn || counting) return;
  counting = api
    .unreadCount()
    .then((answer) => showUnread(answer.unread))
    .catch(() => {})
    .finally(() => {
      counting = null;
    });
}

// The customer's live channel while logged in: a new notification moves the bell and shows a
// toast at once; the 15 s read of the count is only the fallback while it is not connected.
let channel = null;
let connected = false;
export const liveNotifications = {
  get connected() {
    return connected;
  },
  sync() {
    if (session.loggedIn && !channel) {
      channel = api.liveChannel({
        open: () => {
          connected = true;
          refreshUnread();
        },
        notification: (note) => {
          showUnread(note.unread);
          toast(`${note.title}: ${note.body}`, note.kind === "booking_confirmed" ? "success" : "info");
          window.dispatchEvent(new CustomEvent("notification", { detail: note }));
        },
      });
    } else if (!session.loggedIn && channel) {
      channel.close();
      channel = null;
      connected = false;
    }
  },
};

export async function notificationsView() {
  const items = await api.myNotifications({ limit: 100 });
  const unread = items.filter((n) => !n.read_at).length;
  if (unread)
    api
      .markRead()
      .then(() => refreshUnread())
      .catch(() => {});
  const list = items.map((n) =>
    h(
      "li",
      { class: ["notification", !n.read_at && "unread"] },
      h(
        "div",
        { class: "grow" },
        h(
          "p",
          { class: "notification-title" },
          !n.read_at ? h("span", { class: "new-dot", "aria-label": "New" }) : null,
          n.title,
        ),
        h("p", {}, n.body),
        n.booking_id ? h("a", { href: `#/bookings/${n.booking_id}` }, "View booking") : null,
      ),
      h("time", { class: "muted", datetime: n.created_at }, when(n.created_at, "short")),
    ),
  );
  return h(
    "div",
    { class: "stack" },
    pageHeader("Notifications", unread ? `${unread} new` : "You are all caught up."),
    items.length
      ? h("ul", { class: "panel list" }, list)
      : h("div", { class: "empty-state" }, h("p", {}, "Nothing yet. We will tell you here when a booking changes.")),
    await preferencesPanel(),
  );
}

const CHANNEL_NAMES = { email: "Email", sms: "SMS", in_app: "Here" };

/** What the customer is told of, per kind and channel; transactional mail stays on. */
async function preferencesPanel() {
  const prefs = await api.myPreferences();
  const rows = prefs.map((p) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, p.label),
      ...Object.keys(CHANNEL_NAMES).map((channel) => {
        const locked = (channel === "email" && p.transactional) || (channel === "sms" && !p.sms_available);
        const box = h("input", {
          type: "checkbox",
          checked: p[channel],
          disabled: locked,
          "aria-label": `${CHANNEL_NAMES[channel]}: ${p.label}`,
          title: locked
            ? channel === "email"
              ? "Always sent: it is about your tickets or money"
              : "Not sent by SMS"
            : "",
          onchange: async () => {
            try {
              await api.changePreferences({ body: { [p.kind]: { [channel]: box.checked } } });
              toast("Saved.", "success");
            } catch (err) {
              box.checked = !box.checked;
              toast(describe(err), "error");
            }
          },
        });
        return h("td", {}, box);
      }),
    ),
  );
  const me = await api.me();
  const phone = h("input", {
    type: "tel",
    value: me.phone || "",
    placeholder: "+4915123456789",
    pattern: "\\+[1-9][0-9]{6,14}",
    autocomplete: "tel",
  });
  const texts = h("input", { type: "checkbox", checked: me.sms_opt_in });
  const phoneForm = h(
    "form",
    {
      class: "form-row",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const changed = await api.changeMe({
            body: { phone: phone.value.trim() || null, sms_opt_in: phone.value.trim() ? texts.checked : false },
          });
          texts.checked = changed.sms_opt_in;
          toast(changed.phone ? "Your phone number is saved." : "No texts: your number is removed.", "success");
        } catch (err) {
          toast(describe(err), "error");
        }
      },
    },
    field("Phone number (for texts)", phone, "International format: +, country code, number."),
    h("label", { class: "check" }, texts, "Send me texts"),
    h("button", { type: "submit", class: "btn" }, "Save"),
  );
  const newEmail = h("input", { type: "email", required: true, autocomplete: "email" });
  const password = h("input", { type: "password", required: true, autocomplete: "current-password" });
  const emailForm = h(
    "form",
    {
      class: "form-row",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await api.changeEmail({ body: { email: newEmail.value.trim(), password: password.value } });
          toast(`A link to confirm it went to ${newEmail.value.trim()}.`, "success");
          password.value = "";
        } catch (err) {
          toast(describe(err), "error");
        }
      },
    },
    field(`New email address (now ${me.email})`, newEmail),
    field("Your password", password),
    h("button", { type: "submit", class: "btn" }, "Change"),
  );
  return h(
    "section",
    { class: "panel stack", "aria-labelledby": "prefs-title" },
    h("h2", { class: "h3", id: "prefs-title" }, "What we tell you"),
    emailForm,
    phoneForm,
    h(
      "p",
      { class: "muted small" },
      "Mail about your tickets and your money always comes. SMS goes to the phone number of your account, if you gave one.",
    ),
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "When"),
          ...Object.values(CHANNEL_NAMES).map((n) => h("th", { scope: "col" }, n)),
        ),
      ),
      h("tbody", {}, ...rows),
    ),
  );
}

// @ts-check
// In-app notifications: the list, and the unread count on the bell.

import * as api from "../api.gen.js";
import { h, pageHeader, when } from "../dom.js";
import { session } from "../http.js";

let counting = null;

export async function refreshUnread() {
  const badge = document.getElementById("bell-count");
  if (!badge || !session.loggedIn || counting) return;
  counting = api
    .myNotifications({ unread: true, limit: 100 })
    .then((items) => {
      badge.textContent = items.length > 99 ? "99+" : String(items.length);
      badge.hidden = items.length === 0;
      badge.parentElement?.setAttribute(
        "aria-label",
        items.length ? `Notifications, ${items.length} unread` : "Notifications",
      );
    })
    .catch(() => {})
    .finally(() => {
      counting = null;
    });
}

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
    {},
    pageHeader("Notifications", unread ? `${unread} new` : "You are all caught up."),
    items.length
      ? h("ul", { class: "panel list" }, list)
      : h("div", { class: "empty-state" }, h("p", {}, "Nothing yet. We will tell you here when a booking changes.")),
  );
}

// @ts-check
// The boxoffice web UI: the shell (navigation, session, notifications badge) and the routes.

import * as api from "./api.gen.js";
import { clear, h, icon, toast } from "./dom.js";
import { describe, session } from "./http.js";
import { currentPath, navigate, route, startRouter } from "./router.js";
import { adminBookingsView } from "./views/admin/bookings.js";
import { inboxView } from "./views/admin/inbox.js";
import { operationsView } from "./views/admin/operations.js";
import { usersView } from "./views/admin/users.js";
import {
  confirmEmailView,
  forgotPasswordView,
  loginView,
  registerView,
  resetPasswordView,
  verifyEmailView,
} from "./views/auth.js";
import { bookingView, myBookingsView } from "./views/bookings.js";
import { eventView, homeView } from "./views/browse.js";
import { checkoutView } from "./views/checkout.js";
import { liveNotifications, notificationsView, refreshUnread } from "./views/notifications.js";
import { dashboardView } from "./views/org/dashboard.js";
import { eventsView } from "./views/org/events.js";
import { orgHomeView } from "./views/org/home.js";
import { layoutEditorView } from "./views/org/layout.js";
import { manageShowView, newShowView } from "./views/org/shows.js";
import { hallView, newVenueView, venuesView, venueView } from "./views/org/venues.js";
import { waitingRoomView } from "./views/queue.js";
import { showView } from "./views/show.js";
import { ticketsView } from "./views/tickets.js";

const ORG = ["organizer", "admin"];
const ADMIN = ["admin"];

route("/", homeView);
route("/events/:id", eventView);
route("/shows/:id", showView);
route("/shows/:id/queue", waitingRoomView, { auth: true });
route("/checkout/:holdId", checkoutView, { auth: true });
route("/bookings", myBookingsView, { auth: true });
route("/bookings/:id", bookingView, { auth: true });
route("/tickets", ticketsView, { auth: true });
route("/notifications", notificationsView, { auth: true });
route("/login", loginView);
route("/register", registerView);
route("/forgot-password", forgotPasswordView);
route("/reset-password", resetPasswordView);
route("/verify-email", verifyEmailView);
route("/confirm-email", confirmEmailView);
route("/org", orgHomeView, { roles: ORG });
route("/org/venues", venuesView, { roles: ORG });
route("/org/venues/new", newVenueView, { roles: ORG });
route("/org/venues/:id", venueView, { roles: ORG });
route("/org/venues/:id/halls/new", layoutEditorView, { roles: ORG });
route("/org/halls/:id", hallView, { roles: ORG });
route("/org/events", eventsView, { roles: ORG });
route("/org/shows/new", newShowView, { roles: ORG });
route("/org/shows/:id", manageShowView, { roles: ORG });
route("/org/shows/:id/dashboard", dashboardView, { roles: ORG });
route("/admin/bookings", adminBookingsView, { roles: ADMIN });
route("/admin/users", usersView, { roles: ADMIN });
route("/admin/operations", operationsView, { roles: ADMIN });
route("/admin/inbox", inboxView, { roles: ADMIN });

function link(href, text, extra = {}) {
  const here = currentPath().split("?")[0];
  const target = href.slice(1);
  const active = target === "/" ? here === "/" : here === target || here.startsWith(`${target}/`);
  return h(
    "a",
    { href, class: ["nav-link", active && "active"], "aria-current": active ? "page" : null, ...extra },
    text,
  );
}

export function renderNav() {
  const nav = document.getElementById("nav");
  clear(nav);
  const user = session.user;
  const items = [link("#/", "Shows")];
  if (session.loggedIn) {
    items.push(link("#/bookings", "My bookings"), link("#/tickets", "My tickets"));
    if (session.hasRole(...ORG)) items.push(link("#/org", "Organizer"));
    if (session.hasRole(...ADMIN))
      items.push(
        link("#/admin/bookings", "Bookings"),
        link("#/admin/users", "Users"),
        link("#/admin/operations", "Operations"),
        link("#/admin/inbox", "Mail"),
      );
    const bell = link("#/notifications", "", { class: "nav-link nav-bell", "aria-label": "Notifications" });
    bell.append(icon("bell"), h("span", { class: "bell-count", id: "bell-count", hidden: true }));
    items.push(bell);
    items.push(h("span", { class: "nav-user", title: user ? user.email : "" }, user ? user.name : ""));
    items.push(h("button", { type: "button", class: "btn btn-small btn-outline-light", onclick: logout }, "Log out"));
  } else {
    items.push(
      link("#/login", "Log in"),
      h("a", { href: "#/register", class: "btn btn-small btn-accent" }, "Register"),
    );
  }
  nav.append(...items);
}

async function logout() {
  const token = session.refreshToken;
  try {
    if (token) await api.logout({ body: { refresh_token: token } });
  } catch {
    // The session ends on this device whatever the server says.
  }
  session.clear();
  toast("You are logged out.", "success");
  navigate("/");
}

async function loadUser() {
  if (!session.loggedIn) return;
  try {
    session.setUser(await api.me());
  } catch (err) {
    if (err.status === 401) session.clear();
  }
}

function wireShell() {
  const toggle = document.querySelector(".nav-toggle");
  const nav = document.getElementById("nav");
  toggle.addEventListener("click", () => {
    const open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  });
  nav.addEventListener("click", (event) => {
    if (/** @type {Element} */ (event.target).closest("a")) {
      toggle.setAttribute("aria-expanded", "false");
      nav.classList.remove("open");
    }
  });
  document.getElementById("skip").addEventListener("click", (event) => {
    event.preventDefault();
    const heading = document.querySelector("#main h1");
    /** @type {HTMLElement} */ (heading || document.getElementById("main")).focus();
  });
  window.addEventListener("session-changed", () => {
    renderNav();
    refreshUnread();
    liveNotifications.sync();
  });
  window.addEventListener("hashchange", () => {
    renderNav();
    refreshUnread();
  });
  window.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    toast(describe(event.reason), "error");
  });
  // The bell's count is pushed; reading it stays as the fallback: every 15 s while the live
  // channel is not connected, every minute while it is.
  let ticks = 0;
  setInterval(() => {
    ticks += 1;
    if (!document.hidden && (!liveNotifications.connected || ticks % 4 === 0)) refreshUnread();
  }, 15000);
}

async function boot() {
  wireShell();
  renderNav();
  await loadUser();
  renderNav();
  refreshUnread();
  liveNotifications.sync();
  startRouter();
}

boot();

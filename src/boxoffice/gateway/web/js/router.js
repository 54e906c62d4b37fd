// @ts-check
// Hash routing (#/shows/…): a table of patterns, one view at a time, each with its clean-ups.

import { clear, errorBox, h, loading } from "./dom.js";
import { session } from "./http.js";

const routes = [];
const cleanups = [];
let renderCount = 0;

/** Register a view for a pattern like "/shows/:id"; options.auth / options.roles gate it. */
export function route(pattern, view, options = {}) {
  const names = [];
  const regex = new RegExp(
    `^${pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  routes.push({ regex, names, view, options });
}

export function navigate(path, { replace = false } = {}) {
  const target = `#${path}`;
  if (replace) {
    history.replaceState(null, "", target);
    render();
  } else if (location.hash === target) {
    render();
  } else {
    location.hash = target;
  }
}

export function currentPath() {
  return (location.hash || "#/").slice(1) || "/";
}

function parse() {
  const [path, search = ""] = currentPath().split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search)) };
}

/** Replace the query of the current route without adding a history entry per keystroke. */
export function setQuery(query, { push = true } = {}) {
  const { path } = parse();
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const search = params.toString();
  const target = `#${path}${search ? `?${search}` : ""}`;
  if (push) location.hash = target;
  else {
    history.replaceState(null, "", target);
    render();
  }
}

export async function render() {
  const main = document.getElementById("main");
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      /* a clean-up must not stop the next view */
    }
  }
  const mine = ++renderCount;
  const { path, query } = parse();
  const match = routes.map((r) => ({ r, m: r.regex.exec(path) })).find((x) => x.m);
  clear(main);
  main.append(loading());
  const ctx = {
    path,
    query,
    params: {},
    main,
    onCleanup: (fn) => cleanups.push(fn),
    /** True while this view is still the one on screen (async work checks it before drawing). */
    get alive() {
      return mine === renderCount;
    },
  };
  try {
    if (!match) {
      show(
        main,
        h(
          "section",
          { class: "empty-state" },
          h("h1", { tabindex: "-1" }, "Page not found"),
          h("p", {}, "There is nothing at this address."),
          h("a", { class: "btn btn-primary", href: "#/" }, "Browse shows"),
        ),
      );
      return;
    }
    match.r.names.forEach((name, i) => {
      ctx.params[name] = decodeURIComponent(match.m[i + 1]);
    });
    const { auth, roles } = match.r.options;
    if ((auth || roles) && !session.loggedIn) {
      navigate(`/login?next=${encodeURIComponent(currentPath())}`, { replace: true });
      return;
    }
    if (roles && !session.hasRole(...roles)) {
      show(
        main,
        h(
          "section",
          { class: "empty-state" },
          h("h1", { tabindex: "-1" }, "Not allowed"),
          h("p", {}, `This page needs one of the roles: ${roles.join(", ")}.`),
          h("a", { class: "btn", href: "#/" }, "Back to the shows"),
        ),
      );
      return;
    }
    const content = await match.r.view(ctx);
    if (!ctx.alive) return;
    if (content) show(main, content);
  } catch (err) {
    if (!ctx.alive) return;
    if (err && err.status === 401) {
      navigate(`/login?next=${encodeURIComponent(currentPath())}`, { replace: true });
      return;
    }
    show(
      main,
      h(
        "section",
        { class: "panel" },
        h("h1", { tabindex: "-1" }, "This page could not be shown"),
        errorBox(err),
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", class: "btn btn-primary", onclick: () => render() }, "Try again"),
          h("a", { class: "btn", href: "#/" }, "Back to the shows"),
        ),
      ),
    );
  }
}

/** Put a view's content on screen and move focus to its heading (for keyboard and screen readers). */
export function show(main, content) {
  clear(main);
  main.append(content);
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    document.title = `${heading.textContent} · boxoffice`;
  }
  window.scrollTo(0, 0);
}

export function startRouter() {
  window.addEventListener("hashchange", render);
  render();
}

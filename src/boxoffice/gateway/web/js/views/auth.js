// @ts-check
// Log in and register.

import * as api from "../api.gen.js";
import { alertBox, clear, field, h, toast } from "../dom.js";
import { describe, session } from "../http.js";
import { navigate } from "../router.js";

function nextPath(ctx) {
  const next = ctx.query.next || "/";
  return next.startsWith("/") ? next : "/";
}

async function signIn(email, password) {
  session.setTokens(await api.login({ body: { email, password } }));
  session.setUser(await api.me());
}

function authPage(title, subtitle, form, footer) {
  return h(
    "div",
    { class: "auth-page" },
    h(
      "section",
      { class: "panel auth-card" },
      h("h1", { tabindex: "-1" }, title),
      h("p", { class: "muted" }, subtitle),
      form,
      h("p", { class: "auth-switch" }, footer),
    ),
  );
}

export function loginView(ctx) {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "username" });
  const password = h("input", { type: "password", name: "password", required: true, autocomplete: "current-password" });
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Log in");
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          await signIn(email.value.trim(), password.value);
          toast(`Welcome back, ${session.user.name}.`, "success");
          navigate(nextPath(ctx), { replace: true });
        } catch (err) {
          session.clear();
          errors.append(alertBox("error", err.status === 401 ? "Wrong email or password." : describe(err)));
          submit.disabled = false;
          password.focus();
        }
      },
    },
    field("Email", email),
    field("Password", password),
    errors,
    submit,
  );
  const next = ctx.query.next ? `?next=${encodeURIComponent(ctx.query.next)}` : "";
  return authPage("Log in", "Log in to hold seats, pay and see your tickets.", form, [
    "New here? ",
    h("a", { href: `#/register${next}` }, "Create an account"),
  ]);
}

export function registerView(ctx) {
  const name = h("input", { type: "text", name: "name", required: true, autocomplete: "name", maxlength: "120" });
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email" });
  const password = h("input", {
    type: "password",
    name: "password",
    required: true,
    minlength: "8",
    autocomplete: "new-password",
  });
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Create account");
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          await api.register({
            body: { name: name.value.trim(), email: email.value.trim(), password: password.value },
          });
          await signIn(email.value.trim(), password.value);
          toast(`Welcome to boxoffice, ${session.user.name}!`, "success");
          navigate(nextPath(ctx), { replace: true });
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    field("Your name", name),
    field("Email", email),
    field("Password", password, "At least 8 characters."),
    errors,
    submit,
  );
  const next = ctx.query.next ? `?next=${encodeURIComponent(ctx.query.next)}` : "";
  return authPage("Create your account", "It takes a few seconds; then pick your seats.", form, [
    "Already have an account? ",
    h("a", { href: `#/login${next}` }, "Log in"),
  ]);
}

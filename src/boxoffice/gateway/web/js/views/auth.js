// @ts-check
// Log in, register, a forgotten password (ask for a link, set a new one), the address verified.

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
    " · ",
    h("a", { href: "#/forgot-password" }, "Forgot your password?"),
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

export function forgotPasswordView() {
  const email = h("input", { type: "email", name: "email", required: true, autocomplete: "email" });
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Send me a link");
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          await api.passwordReset({ body: { email: email.value.trim() } });
          form.replaceWith(
            alertBox(
              "success",
              `If ${email.value.trim()} has an account, a link to choose a new password is on its way. It works once, for 30 minutes.`,
            ),
          );
        } catch (err) {
          errors.append(alertBox("error", describe(err)));
          submit.disabled = false;
        }
      },
    },
    field("Email", email),
    errors,
    submit,
  );
  return authPage("Forgot your password?", "We mail you a link to choose a new one.", form, [
    h("a", { href: "#/login" }, "Back to log in"),
  ]);
}

export function resetPasswordView(ctx) {
  const token = ctx.query.token || "";
  const password = h("input", {
    type: "password",
    name: "password",
    required: true,
    minlength: "8",
    autocomplete: "new-password",
  });
  const errors = h("div", {});
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Set the new password");
  const form = h(
    "form",
    {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(errors);
        submit.disabled = true;
        try {
          await api.passwordResetConfirm({ body: { token, password: password.value } });
          session.clear();
          toast("Your password is changed. Log in with it.", "success");
          navigate("/login", { replace: true });
        } catch (err) {
          errors.append(
            alertBox(
              "error",
              err.status === 400 ? "This link is used or expired. Ask for a new one." : describe(err),
              err.status === 400 ? h("a", { href: "#/forgot-password" }, "Ask for a new link") : null,
            ),
          );
          submit.disabled = false;
        }
      },
    },
    field("New password", password, "At least 8 characters. Every session of your account ends."),
    errors,
    submit,
  );
  return authPage(
    "Choose a new password",
    "From the link we mailed you.",
    token ? form : alertBox("error", "This link has no token: open the one from the mail."),
    [h("a", { href: "#/login" }, "Back to log in")],
  );
}

export async function verifyEmailView(ctx) {
  let answer;
  try {
    await api.verifyEmail({ body: { token: ctx.query.token || "-" } });
    answer = alertBox("success", "Thank you: your address is confirmed.");
    if (session.loggedIn) session.setUser(await api.me());
  } catch (err) {
    answer = alertBox("error", err.status === 400 ? "This link is used or expired." : describe(err));
  }
  return authPage("Your email address", "", answer, [h("a", { href: "#/" }, "To the shows")]);
}

export async function confirmEmailView(ctx) {
  let answer;
  try {
    const user = await api.confirmEmailChange({ body: { token: ctx.query.token || "-" } });
    session.clear();
    answer = alertBox(
      "success",
      `Your address is now ${user.email}. Log in with it.`,
      h("a", { href: "#/login" }, "Log in"),
    );
  } catch (err) {
    answer = alertBox("error", err.status === 400 ? "This link is used or expired." : describe(err));
  }
  return authPage("Your new email address", "", answer, [h("a", { href: "#/" }, "To the shows")]);
}

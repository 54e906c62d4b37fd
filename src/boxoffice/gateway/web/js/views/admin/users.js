// @ts-check
// Admin: users and their roles.

import * as api from "../../api.gen.js";
import { alertBox, clear, field, h, pageHeader, toast, when } from "../../dom.js";
import { describe, session } from "../../http.js";
import { render, setQuery } from "../../router.js";

const ROLES = ["customer", "organizer", "staff", "admin"];
const PAGE = 50;

export async function usersView(ctx) {
  const q = ctx.query;
  const page = Math.max(1, Number.parseInt(q.page || "1", 10) || 1);
  const users = await api.listUsers({ email: q.email, role: q.role, limit: PAGE + 1, offset: (page - 1) * PAGE });
  const more = users.length > PAGE;
  const email = h("input", { type: "search", value: q.email || "", placeholder: "name@example.com" });
  const role = h(
    "select",
    {},
    h("option", { value: "" }, "Any role"),
    ROLES.map((r) => h("option", { value: r, selected: r === q.role }, r)),
  );
  const filter = h(
    "form",
    {
      class: "filters panel",
      role: "search",
      "aria-label": "Find users",
      onsubmit: (event) => {
        event.preventDefault();
        setQuery({ email: email.value.trim(), role: role.value });
      },
    },
    field("Email", email),
    field("Role", role),
    h("div", { class: "field field-actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Search")),
  );

  const errors = h("div", {});
  const rows = users.slice(0, PAGE).map((user) => {
    const boxes = ROLES.map((r) =>
      h(
        "label",
        { class: "check" },
        h("input", {
          type: "checkbox",
          value: r,
          checked: user.roles.includes(r),
          "aria-label": `${r} role for ${user.email}`,
        }),
        r,
      ),
    );
    const save = h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        onclick: async () => {
          const roles = boxes
            .map((b) => b.querySelector("input"))
            .filter((i) => i.checked)
            .map((i) => i.value);
          clear(errors);
          if (!roles.length) {
            errors.append(alertBox("error", "A user needs at least one role."));
            return;
          }
          save.disabled = true;
          try {
            await api.setRoles(user.id, { body: { roles } });
            toast(`Roles of ${user.email}: ${roles.join(", ")}.`, "success");
            if (user.id === session.user?.id) session.setUser(await api.me());
          } catch (err) {
            errors.append(alertBox("error", describe(err)));
          }
          save.disabled = false;
        },
      },
      "Save roles",
    );
    return h(
      "tr",
      {},
      h("td", {}, h("strong", {}, user.name), h("div", { class: "muted small" }, user.email)),
      h("td", {}, h("div", { class: "checks", role: "group", "aria-label": `Roles of ${user.email}` }, boxes)),
      h("td", { class: "muted small" }, when(user.created_at, "short")),
      h("td", {}, save),
    );
  });

  const newName = h("input", { type: "text", required: true, maxlength: "120" });
  const newEmail = h("input", { type: "email", required: true, autocomplete: "off" });
  const newPassword = h("input", { type: "password", required: true, minlength: "8", autocomplete: "new-password" });
  const newRole = h(
    "select",
    {},
    ROLES.map((r) => h("option", { value: r }, r)),
  );
  const createErrors = h("div", {});
  const create = h(
    "form",
    {
      class: "panel stack",
      onsubmit: async (event) => {
        event.preventDefault();
        clear(createErrors);
        try {
          const user = await api.createUser({
            body: {
              name: newName.value.trim(),
              email: newEmail.value.trim(),
              password: newPassword.value,
              roles: [newRole.value],
            },
          });
          toast(`User ${user.email} created.`, "success");
          render();
        } catch (err) {
          createErrors.append(alertBox("error", describe(err)));
        }
      },
    },
    h("h2", { class: "h3" }, "New user"),
    h("div", { class: "form-row" }, field("Name", newName), field("Email", newEmail)),
    h("div", { class: "form-row" }, field("Password", newPassword, "At least 8 characters."), field("Role", newRole)),
    createErrors,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary" }, "Create user")),
  );

  return h(
    "div",
    {},
    pageHeader("Users and roles", "Give organizers and staff their roles."),
    filter,
    errors,
    h(
      "div",
      { class: "panel table-wrap" },
      h(
        "table",
        { class: "table" },
        h("caption", { class: "sr-only" }, "Users"),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["User", "Roles", "Since"].map((t) => h("th", { scope: "col" }, t)),
            h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")),
          ),
        ),
        h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "4", class: "muted" }, "No users match."))),
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
    create,
  );
}

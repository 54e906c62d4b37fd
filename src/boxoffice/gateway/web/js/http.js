// @ts-check
// The transport under the generated client (api.gen.js): one fetch per call, the session's
// bearer token, one refresh on a 401, 503s asked again with backoff where that is safe, and
// errors as ApiError carrying the RFC 9457 problem.

/**
 * What a call with `raw: true` answers.
 * @template T
 * @typedef {{status: number, headers: Headers, data: T}} RawAnswer
 */
/**
 * What a call of the generated client answers: the body, or with `raw: true` a RawAnswer.
 * @template T, R
 * @typedef {R extends true ? RawAnswer<T> : T} Answer
 */

const ACCESS = "boxoffice.access";
const REFRESH = "boxoffice.refresh";
const USER = "boxoffice.user";

/** An answer that is not 2xx (or no answer at all): `problem` is the server's problem document. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
  }
}

/** The logged-in user's tokens, kept in localStorage so every tab shares the session. */
export const session = {
  get access() {
    return localStorage.getItem(ACCESS);
  },
  get refreshToken() {
    return localStorage.getItem(REFRESH);
  },
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER) || "null");
    } catch {
      return null;
    }
  },
  get loggedIn() {
    return Boolean(localStorage.getItem(ACCESS));
  },
  hasRole(...roles) {
    const user = this.user;
    return Boolean(user?.roles.some((r) => roles.includes(r)));
  },
  setTokens(tokens) {
    localStorage.setItem(ACCESS, tokens.access_token);
    localStorage.setItem(REFRESH, tokens.refresh_token);
  },
  setUser(user) {
    localStorage.setItem(USER, JSON.stringify(user));
    window.dispatchEvent(new CustomEvent("session-changed"));
  },
  clear() {
    for (const key of [ACCESS, REFRESH, USER]) localStorage.removeItem(key);
    window.dispatchEvent(new CustomEvent("session-changed"));
  },
};

export const enc = (value) => encodeURIComponent(String(value));
export const url = (path) => new URL(path, window.location.origin).toString();

export function newKey() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  const bytes = window.crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

let refreshing = null;

async function refreshOnce() {
  const token = session.refreshToken;
  if (!token) return false;
  refreshing ??= fetch(url("/api/v1/auth/refresh"), {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ refresh_token: token }),
  })
    .then(async (response) => {
      if (!response.ok) return false;
      session.setTokens(await response.json());
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function problemOf(response) {
  const type = response.headers.get("content-type") || "";
  if (type.includes("json")) {
    try {
      const body = await response.json();
      if (body && typeof body === "object") {
        return { status: response.status, title: response.statusText, ...body };
      }
    } catch {
      /* fall through to the generic problem */
    }
  }
  return {
    status: response.status,
    title: response.statusText || "Error",
    detail: `${`The server answered ${response.status} ${response.statusText}`.trim()}.`,
  };
}

const RETRIES_503 = 5;

/** How long to wait before asking again: the server's Retry-After (seconds), at least a pause
 * that doubles with each attempt (0.5, 1, 2 … s, at most 8), with jitter so that a crowd told
 * to wait does not come back in one wave. */
function retryDelay(response, attempt) {
  const told = Number.parseFloat(response.headers.get("Retry-After") || "0");
  const backoff = Math.min(8, 0.5 * 2 ** attempt);
  return Math.min(30, Math.max(Number.isFinite(told) ? told : 0, backoff)) * (0.75 + Math.random() / 2) * 1000;
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 */
function pause(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(new DOMException("Aborted", "AbortError"));
    });
  });
}

/**
 * Perform one API operation. `spec` comes from the generated client; `args` from the caller.
 * Answers the parsed body, or with `args.raw` {status, headers, data}; 304 answers data null.
 */
export async function call(path, spec, args = {}) {
  const target = new URL(path, window.location.origin);
  for (const name of spec.query || []) {
    const value = args[name];
    if (value === undefined || value === null || value === "") continue;
    target.searchParams.set(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const headers = { Accept: "application/json, application/problem+json;q=0.9, */*;q=0.5" };
  for (const [header, arg] of Object.entries(spec.headers || {})) {
    if (args[arg] !== undefined && args[arg] !== null) headers[header] = String(args[arg]);
  }
  if (spec.idempotent && !headers["Idempotency-Key"]) headers["Idempotency-Key"] = newKey();
  let body;
  if (spec.body && args.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(args.body);
  }
  const send = () => {
    const auth = session.access ? { Authorization: `Bearer ${session.access}` } : {};
    return fetch(target, { method: spec.method, headers: { ...headers, ...auth }, body, signal: args.signal });
  };
  // A 503 (the server is shedding load or a store is briefly away, with Retry-After) is asked
  // again after a growing pause, if asking again cannot do a thing twice: a read, or a write
  // with its Idempotency-Key (the same key each time, so the server answers it once).
  const retryable = spec.method === "GET" || Boolean(headers["Idempotency-Key"]);
  let response;
  try {
    response = await send();
    for (let attempt = 0; retryable && response.status === 503 && attempt < RETRIES_503; attempt++) {
      await pause(retryDelay(response, attempt), args.signal);
      response = await send();
    }
    if (response.status === 401 && session.access && !path.startsWith("/api/v1/auth/")) {
      if (await refreshOnce()) {
        response = await send();
      } else {
        session.clear();
      }
    }
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, {
      title: "Network error",
      detail: "boxoffice cannot be reached. Check your connection and try again.",
    });
  }
  if (response.status === 304) {
    return args.raw ? { status: 304, headers: response.headers, data: null } : null;
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  let data = null;
  if (spec.response === "json" && response.status !== 204) data = await response.json();
  else if (spec.response === "text") data = await response.text();
  return args.raw ? { status: response.status, headers: response.headers, data } : data;
}

/** A sentence a person can read for any error thrown by an API call (or anything else). */
export function describe(err) {
  if (err instanceof ApiError) {
    const p = err.problem;
    if (err.status === 422 && Array.isArray(p.errors) && p.errors.length) {
      const fields = p.errors.map((e) => {
        const field = String(e.field || "")
          .replace(/^body\./, "")
          .replace(/_/g, " ");
        return field ? `${field}: ${e.message}` : e.message;
      });
      return `${p.detail || "Some fields are invalid."} ${fields.join("; ")}`;
    }
    if (err.status === 401) return p.detail || "Please log in.";
    if (err.status >= 500) return "Something went wrong on our side. Please try again in a moment.";
    return p.detail || p.title || err.message;
  }
  if (err?.message) return err.message;
  return "Something went wrong.";
}

/**
 * Follow a server-sent event stream that needs the bearer token (EventSource cannot send it):
 * read it with fetch and call `on[event]` with each event's parsed data (and `on.open()` each
 * time it is connected). Reconnects after a
 * pause when the stream ends or fails (refreshing the token on a 401) until close().
 * @param {string} path
 * @param {Record<string, (data: any) => void>} on
 * @returns {{close: () => void}}
 */
export function follow(path, on) {
  const stop = new AbortController();
  let failures = 0;
  const dispatch = (block) => {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (!data.length || !on[event]) return;
    try {
      on[event](JSON.parse(data.join("\n")));
    } catch {
      /* a malformed event is skipped; the page's poll still shows the truth */
    }
  };
  const run = async () => {
    while (!stop.signal.aborted) {
      try {
        const auth = session.access ? { Authorization: `Bearer ${session.access}` } : {};
        const response = await fetch(url(path), {
          headers: { Accept: "text/event-stream", ...auth },
          signal: stop.signal,
        });
        if (response.status === 401 && !(await refreshOnce())) return;
        if (response.ok && response.body) {
          failures = 0;
          on.open?.();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end = buffer.indexOf("\n\n");
            while (end >= 0) {
              dispatch(buffer.slice(0, end));
              buffer = buffer.slice(end + 2);
              end = buffer.indexOf("\n\n");
            }
          }
        }
      } catch (err) {
        if (err && err.name === "AbortError") return;
      }
      failures += 1;
      await pause(Math.min(30, 2 ** failures) * 1000 * (0.75 + Math.random() / 2), stop.signal).catch(() => {});
    }
  };
  run();
  return { close: () => stop.abort() };
}

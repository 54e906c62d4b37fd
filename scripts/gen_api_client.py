"""Generate the web UI's API client (src/boxoffice/gateway/web/js/api.gen.js) from the OpenAPI
document, so the browser calls exactly the routes the server declares.

    uv run python scripts/gen_api_client.py            # rewrite the committed client
    uv run python scripts/gen_api_client.py --out F    # write it elsewhere (the freshness test)
    uv run python scripts/gen_api_client.py --openapi F  # also write the document (make ui-types)

One exported function per operation, named by its operationId (camelCase of the endpoint's
name, kernel/openapi.py: `place_hold` → `placeHold`): path parameters are positional, everything else goes in one `args` object —
query parameters by their own name, `body`, declared headers in camelCase (`idempotencyKey`,
`ifNoneMatch`), plus `raw` (answer `{status, headers, data}`) and `signal`. JSON answers are
parsed; other types come back as text; `text/event-stream` routes return an EventSource. Errors
throw the ApiError of http.js carrying the RFC 9457 problem document.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "src" / "boxoffice" / "gateway" / "web" / "js" / "api.gen.js"
METHODS = ("get", "post", "put", "patch", "delete")


def openapi_document() -> dict[str, Any]:
    """The server's OpenAPI document, built without starting anything (no lifespan runs)."""
    from boxoffice.bootstrap import Runtime, create_app
    from boxoffice.kernel.config import Settings

    document: dict[str, Any] = create_app(Runtime(Settings())).openapi()
    return document


def camel(words: str) -> str:
    parts = [p for p in re.split(r"[^A-Za-z0-9]+", words) if p]
    return parts[0].lower() + "".join(p[:1].upper() + p[1:].lower() for p in parts[1:])


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _success(operation: dict[str, Any]) -> tuple[str, str]:
    """(status, response kind) of the first 2xx answer: json, text, stream or none."""
    for status, response in operation.get("responses", {}).items():
        if not status.startswith("2"):
            continue
        content = response.get("content") or {}
        if not content:
            return status, "none"
        if "application/json" in content:
            return status, "json"
        if "text/event-stream" in content:
            return status, "stream"
        return status, "text"
    return "200", "none"


def _body_type(name: str, body: dict[str, Any]) -> str:
    """The request body's type in api-types.d.ts (openapi-typescript's output)."""
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        return f'Schemas["{str(schema["$ref"]).rsplit("/", 1)[-1]}"]'
    return f'Operations["{name}"]["requestBody"]["content"]["application/json"]'


def _answer_type(name: str, status: str, kind: str) -> str:
    """What the promise of a call answers: the 2xx body as api-types.d.ts types it."""
    if kind == "json":
        return f'Operations["{name}"]["responses"]["{status}"]["content"]["application/json"]'
    return "string" if kind == "text" else "null"


def _doc(lines: list[str]) -> str:
    return "/**\n" + "".join(f" * {line}".rstrip() + "\n" for line in lines) + " */\n"


def render_operation(name: str, path: str, method: str, op: dict[str, Any]) -> str:
    params = op.get("parameters", [])
    path_params = [p["name"] for p in params if p["in"] == "path"]
    query = [p["name"] for p in params if p["in"] == "query"]
    headers = {p["name"]: camel(p["name"]) for p in params if p["in"] == "header"}
    body = op.get("requestBody")
    status, kind = _success(op)
    url = path
    for p in path_params:
        url = url.replace("{" + p + "}", "${enc(" + camel(p) + ")}")
    positional = [camel(p) for p in path_params]

    doc = [f"{op.get('summary', name)}: {method.upper()} {path} → {status} ({kind}).", ""]
    description = (op.get("description") or "").strip().splitlines()
    doc += [*description[:3], ""] if description else []
    doc += [f"@param {{string}} {camel(p)}" for p in path_params]
    if kind == "stream" and op.get("security"):
        # EventSource cannot send the bearer token: http.js's follow() reads the stream
        # with fetch, and calls `on[event]` with each event's parsed data.
        doc.append("@param {Record<string, (data: any) => void>} on")
        doc.append("@returns {{close: () => void}}")
        code = (
            f"export function {name}({', '.join([*positional, 'on'])}) {{\n"
            f"  return follow(`{url}`, on);\n"
            "}\n"
        )
        return _doc(doc) + code
    if kind == "stream":
        doc.append("@returns {EventSource}")
        code = (
            f"export function {name}({', '.join(positional)}) {{\n"
            f"  return new EventSource(url(`{url}`));\n"
            "}\n"
        )
        return _doc(doc) + code
    # Query values may also be Dates (http.js sends their ISO form), hence any.
    fields = [f"{q}?: any" for q in query] + [f"{h}?: string" for h in headers.values()]
    required = body is not None and bool(body.get("required"))
    if body is not None:
        fields.append(("body: " if required else "body?: ") + _body_type(name, body))
    fields += ["raw?: R", "signal?: AbortSignal"]
    doc.append("@template {boolean} [R=false]")
    doc.append("@param {{" + ", ".join(fields) + "}} " + ("args" if required else "[args]"))
    doc.append(f"@returns {{Promise<Answer<{_answer_type(name, status, kind)}, R>>}}")
    spec: dict[str, Any] = {"method": method.upper(), "response": kind}
    if query:
        spec["query"] = query
    if headers:
        spec["headers"] = headers
    if "Idempotency-Key" in headers:
        spec["idempotent"] = True
    if body is not None:
        spec["body"] = "required" if body.get("required") else "optional"
    args = "args" if required else "args = {}"
    spec_js = "{ " + ", ".join(f"{k}: {_js(v)}" for k, v in spec.items()) + " }"
    code = (
        f"export function {name}({', '.join([*positional, args])}) {{\n"
        f"  return call(`{url}`, {spec_js}, args);\n"
        "}\n"
    )
    return _doc(doc) + code


def operation_names(document: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(name, path, method, operation) in document order; the name is the operationId, which
    the server keeps stable and unique (kernel/openapi.py)."""
    return [
        (item[method]["operationId"], path, method, item[method])
        for path, item in document.get("paths", {}).items()
        for method in METHODS
        if method in item
    ]


def render(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    chunks = [
        "// @ts-check\n"
        f"// GENERATED from the OpenAPI document of {info.get('title')} {info.get('version')} by\n"
        "// scripts/gen_api_client.py: do not edit. Change the API, then run\n"
        "//   uv run python scripts/gen_api_client.py\n"
        "// tests/unit/gateway/test_api_client_fresh.py fails while this file is stale.\n"
        'import { call, enc, follow, url } from "./http.js";\n\n'
        '/** @typedef {import("./api-types").components["schemas"]} Schemas */\n'
        '/** @typedef {import("./api-types").operations} Operations */\n'
        "/**\n"
        " * @template T, R\n"
        ' * @typedef {import("./http.js").Answer<T, R>} Answer\n'
        " */\n"
    ]
    names: dict[str, str] = {}
    for name, path, method, op in operation_names(document):
        if name in names:
            raise SystemExit(f"two operations are both named {name}: {names[name]}, {path}")
        names[name] = path
        chunks.append(render_operation(name, path, method, op))
    chunks.append(
        "/** Every operation by name, for tooling and tests. */\n"
        "export const operations = Object.freeze({\n"
        + "".join(f"  {n},\n" for n in names)
        + "});\n"
    )
    return "\n".join(chunks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--openapi", type=Path, help="also write the OpenAPI document (JSON) here")
    args = parser.parse_args(argv)
    document = openapi_document()
    if args.openapi:
        args.openapi.write_text(json.dumps(document, indent=1), encoding="utf-8")
    text = render(document)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {args.out} ({text.count('export function')} operations)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

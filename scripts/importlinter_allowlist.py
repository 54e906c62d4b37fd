"""An import-linter contract type that lists what modules MAY import, not what they may not.

    [[tool.importlinter.contracts]]
    type = "allowlist"
    source_modules = ["boxoffice.*.domain"]
    allowed_modules = ["boxoffice.kernel.errors", ...]

Each source module (and its descendants) may import the standard library, its own package's
modules of the same kind, and the allowed modules (and their descendants); anything else breaks
the contract. The domain stays pure because what it may use is named, and a new dependency
needs a line here rather than slipping past a list of forbidden ones.
"""

from __future__ import annotations

import sys

import grimp
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain import helpers


class AllowListContract(Contract):
    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.ModuleExpressionField())
    allowed_modules = fields.ListField(subfield=fields.ModuleExpressionField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:  # noqa: ARG002
        sources = {
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.source_modules)  # type: ignore[arg-type]
        }
        allowed = {
            m.name
            for m in helpers.module_expressions_to_modules(graph, self.allowed_modules)  # type: ignore[arg-type]
        }

        def permitted(importer: str, imported: str) -> bool:
            top = imported.split(".")[0]
            if top in sys.stdlib_module_names or top == "__future__":
                return True
            if any(imported == a or imported.startswith(a + ".") for a in allowed):
                return True
            # A domain package may import its own modules.
            return any(
                importer.startswith(s + ".") and imported.startswith(s + ".") for s in sources
            )

        illegal: list[tuple[str, str, tuple[int, ...]]] = []
        for source in sorted(sources):
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if not permitted(importer, imported):
                        details = graph.get_import_details(importer=importer, imported=imported)
                        lines = tuple(d["line_number"] for d in details)
                        illegal.append((importer, imported, lines))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            where = ", ".join(f"l.{n}" for n in lines)
            output.print_error(f"{importer} imports {imported} ({where}), which is not allowed")
            output.new_line()

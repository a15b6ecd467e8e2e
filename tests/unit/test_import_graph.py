"""No import cycle anywhere in desktop/: every module can be understood apart from the ones
that import it (grimp builds the graph, as import-linter does)."""

from __future__ import annotations

import grimp


def test_no_two_modules_of_desktop_import_each_other_in_a_circle() -> None:
    graph = grimp.build_graph("desktop", cache_dir=None)
    cycles = sorted(
        {
            tuple(sorted((module, imported)))
            for module in graph.modules
            for imported in graph.find_modules_directly_imported_by(module)
            if imported != module and graph.chain_exists(importer=imported, imported=module)
        }
    )
    assert cycles == [], "modules that reach each other in a circle:\n" + "\n".join(
        f"  {a} <-> {b}" for a, b in cycles
    )

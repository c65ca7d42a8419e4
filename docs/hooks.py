"""MkDocs hooks of the docs site (mkdocs.yml ``hooks:``).

* docs/reference.md is filled from the schema at build time (coral_inference/config/reference.py), so
  the configuration reference never goes stale.
* BENCHMARKS.md and PLUGIN_PUBLISHING.md live at the repository's top (where GitHub and PyPI readers
  look); the site takes them as pages of its own. Docs pages link to them as ``../BENCHMARKS.md`` (right on
  GitHub), rewritten here to the site's copy; their own ``docs/…`` links are rewritten likewise.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File

TOP = ("BENCHMARKS.md", "PLUGIN_PUBLISHING.md")
ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- generated: configuration reference -->"


def on_files(files, config):
    for name in TOP:
        text = (ROOT / name).read_text(encoding="utf-8")
        text = re.sub(r"\]\(docs/", "](", text)
        files.append(File.generated(config, name, content=text))
    return files


def on_page_markdown(markdown, page, config, files):
    for name in TOP:
        markdown = markdown.replace(f"](../{name}", f"]({name}")
    if MARKER in markdown:
        from coral_inference.config.reference import markdown as reference

        markdown = markdown.replace(MARKER, reference())
    return markdown

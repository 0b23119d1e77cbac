"""An executed notebook as one self-contained HTML page that opens offline.

Code and the sampler's messages are hidden unless asked for, explorers (ipywidgets) become a
snapshot of what they showed, LaTeX between dollar signs becomes MathML (which browsers draw
without MathJax), and every script and external stylesheet is removed.
"""

from __future__ import annotations

import base64
import binascii
import copy
import itertools
import logging
import re
from collections.abc import Iterable, Mapping

__all__ = ["notebook_to_html"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _widget_snapshot(state: Mapping, model_id: str, seen: set[str]) -> list:
    """The outputs and HTML an ipywidget showed, gathered from the stored widget state."""
    import nbformat

    model_id = model_id.removeprefix("IPY_MODEL_")
    if model_id in seen or model_id not in state:
        return []
    seen.add(model_id)
    model = state[model_id]
    values = model.get("state", {})
    name = model.get("model_name", "")
    if name == "OutputModel":
        outputs = []
        for output in values.get("outputs", []):
            output = dict(output)
            if output.get("output_type") in ("display_data", "execute_result"):
                output = {
                    "output_type": "display_data",
                    "data": output.get("data", {}),
                    "metadata": output.get("metadata", {}),
                }
            outputs.append(nbformat.from_dict(output))
        return outputs
    if name in ("HTMLModel", "HTMLMathModel") and values.get("value"):
        return [
            nbformat.v4.new_output(
                "display_data", data={"text/html": f"<div>{values['value']}</div>"}
            )
        ]
    found = []
    for child in values.get("children", []):
        found += _widget_snapshot(state, str(child), seen)
    return found


_WIDGET_NOTE = (
    '<p class="hbm-widget-note" style="color:#555"><em>An interactive explorer stands here '
    "in the notebook. This is how it looked when the report was made; open the executed "
    "notebook in JupyterLab to move its controls.</em></p>"
)


def _static_outputs(notebook, *, show_code: bool) -> None:
    import nbformat

    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if WIDGET_VIEW in data:
                outputs.append(
                    nbformat.v4.new_output("display_data", data={"text/html": _WIDGET_NOTE})
                )
                outputs += _widget_snapshot(
                    state, str(data[WIDGET_VIEW].get("model_id", "")), set()
                )
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                if show_code:
                    outputs.append(output)
            else:
                outputs.append(output)
        cell.outputs = outputs
    notebook.metadata.pop("widgets", None)


# A code span or block is left as written; a display formula ($$...$$) before an inline one.
_MATH = re.compile(
    r"(?P<code>```.*?```|`[^`\n]*`)"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$\w])\$(?P<inline>[^$\s](?:[^$\n]*?[^$\s])?)\$(?!\w)",
    re.S,
)


def _mathml(latex: str, *, display: bool) -> str | None:
    """``latex`` as MathML, or None where latex2mathml cannot read it."""
    from latex2mathml.converter import convert

    # latex2mathml lays out align* as a table; it reads aligned's "&" as a symbol.
    latex = latex.replace(r"\begin{aligned}", r"\begin{align*}")
    latex = latex.replace(r"\end{aligned}", r"\end{align*}")
    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds; the page then shows the source
        return None


def _math_to_mathml(markdown: str) -> str:
    """Markdown with every ``$...$`` and ``$$...$$`` formula replaced by MathML."""

    def replace(match: re.Match) -> str:
        if match.group("code") is not None:
            return match.group(0)
        display = match.group("display") is not None
        mathml = _mathml(match.group("display" if display else "inline"), display=display)
        if mathml is None:
            return match.group(0)
        # A display formula is its own HTML block, so Markdown leaves it alone.
        return f'\n\n<div class="hbm-math">{mathml}</div>\n\n' if display else mathml

    return _MATH.sub(replace, markdown)


def _render_math(notebook) -> None:
    """Markdown cells and Markdown outputs with their formulas as MathML."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _math_to_mathml(cell.source)
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/markdown" in data:
                text = data["text/markdown"]
                data["text/markdown"] = _math_to_mathml(
                    "".join(text) if isinstance(text, list) else text
                )


_SVG_IMAGE = re.compile(r'<img\b[^>]*\bsrc="data:image/svg\+xml;base64,([^"]+)"[^>]*>')
_SVG_PROLOGUE = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.S)
_SVG_ID = re.compile(r'(\bid=")([^"]+)"|(url\(#)([^)]+)\)|(href=")#([^"]+)"')


def _inline_svg(page: str) -> str:
    """Every SVG image written into the page itself, so that its words (a group's name in a
    chart, a variable in the model's graph) can be found and copied; each drawing's ids get
    a prefix of their own, since two charts may both name a clip path ``clip1``."""
    numbers = itertools.count(1)

    def inline(match: re.Match) -> str:
        try:
            svg = base64.b64decode(match.group(1)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return match.group(0)
        prefix = f"hbm-svg{next(numbers)}-"

        def renamed(found: re.Match) -> str:
            if found.group(1):
                return f'{found.group(1)}{prefix}{found.group(2)}"'
            if found.group(3):
                return f"{found.group(3)}{prefix}{found.group(4)})"
            return f'{found.group(5)}#{prefix}{found.group(6)}"'

        return _SVG_ID.sub(renamed, _SVG_PROLOGUE.sub("", svg)).strip()

    return _SVG_IMAGE.sub(inline, page)


# Chromium's MathML ignores columnalign: an aligned formula's columns are aligned by CSS.
_MATH_STYLE = (
    "<style>.hbm-math{overflow-x:auto;margin:0.6em 0}"
    '.hbm-math mtd[columnalign="left"]{text-align:left}'
    '.hbm-math mtd[columnalign="right"]{text-align:right}</style>'
)

_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>", re.S | re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_EXTERNAL = re.compile(r"""(?:href|src)\s*=\s*["']?\s*(?:https?:)?//""", re.I)


def _strip_external(page: str) -> str:
    """Remove every script (the report runs no JavaScript) and every external stylesheet."""
    page = _SCRIPT.sub("", page)
    return _LINK.sub(lambda m: "" if _EXTERNAL.search(m.group(0)) else m.group(0), page)


def notebook_to_html(
    notebook,
    *,
    show_code: bool = False,
    warnings: Iterable[str] = (),
    header: str = "",
    title: str = "Report",
) -> str:
    """An executed notebook as one self-contained HTML page that needs no network.

    Code cells are hidden unless ``show_code``, and so are the sampler's messages on
    stderr; explorers (ipywidgets) become a static snapshot of what they showed; SVG
    drawings (charts, a model's graph) are written into the page rather than linked; formulas
    between dollar signs become MathML, drawn by the browser itself; every ``<script>`` and
    external ``<link>`` is removed (nbconvert's template would fetch require.js and MathJax
    from a CDN). ``warnings`` go into a box at the top, under ``header``, unless the
    notebook shows its own warning box (the grouped-data report's summary does).
    """
    from nbconvert import HTMLExporter

    notebook = copy.deepcopy(notebook)
    _static_outputs(notebook, show_code=show_code)
    _render_math(notebook)
    quiet = logging.getLogger(f"{__name__}.nbconvert")
    quiet.setLevel(logging.ERROR)  # nbconvert's notes (missing alt text) are not the reader's
    exporter = HTMLExporter(
        log=quiet,
        template_name="lab",
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
    )
    page, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": title}})
    page = _strip_external(_inline_svg(page))
    if 'class="hbm-math"' in page:
        page = page.replace("</head>", _MATH_STYLE + "</head>", 1)
    # Imported here: the core's summaries load PyMC, which a bad argument must not wait for.
    from hbm_widgets.core.summaries import warning_box_html

    # A notebook that shows its own warning box says the same, where the reader meets it.
    shown_already = 'class="hbm-warning"' in page
    top = header + warning_box_html(
        [] if shown_already else list(warnings),
        title="Some fits did not converge: read their numbers with care",
    )
    if top:
        match = re.search(r"<main\b[^>]*>", page) or re.search(r"<body\b[^>]*>", page)
        if match:
            page = page[: match.end()] + top + page[match.end() :]
        else:
            page = top + page
    return page

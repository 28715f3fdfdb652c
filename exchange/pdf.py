"""PDF documents rendered from Django templates by xhtml2pdf (transfer records, the annual
report). xhtml2pdf runs no JavaScript; SVG images (as ``data:`` addresses) are drawn with svglib."""

import io

from django.template.loader import render_to_string
from xhtml2pdf import pisa


def pdf_from_template(template_name: str, context: dict) -> bytes:
    """The PDF of ``template_name`` rendered with ``context`` (in the active language).

    Raises:
        RuntimeError: xhtml2pdf could not render it (a template bug, not bad input).
    """
    html = render_to_string(template_name, context)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise RuntimeError(f"{template_name} could not be rendered as PDF")
    return out.getvalue()

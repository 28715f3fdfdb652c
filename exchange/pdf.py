"""PDF documents rendered from Django templates by WeasyPrint (transfer records, the annual
report, the QR labels of shared equipment), tagged for screen readers (PDF/UA-1): a structure
tree in the order of the HTML, the document's language from ``<html lang>``, its title from
``<title>``, and each image's ``alt`` as its alternative text (the signature, the charts, the
maps). WeasyPrint runs no JavaScript; SVG images (as ``data:`` addresses) are drawn natively."""

from django.conf import settings
from django.template.loader import render_to_string
from PIL import ImageFile

# WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it is imported;
# the photo pipeline (inventory.images) must keep refusing truncated uploads, so it is put back.
_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
from weasyprint import HTML  # noqa: E402

ImageFile.LOAD_TRUNCATED_IMAGES = _truncated


def pdf_from_template(template_name: str, context: dict) -> bytes:
    """The tagged PDF of ``template_name`` rendered with ``context`` (in the active language).

    Raises:
        RuntimeError: WeasyPrint could not render it (a template bug, not bad input).
    """
    html = render_to_string(template_name, context)
    try:
        # base_url: the templates link nothing outside; relative addresses resolve in the project.
        return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
            pdf_variant="pdf/ua-1", pdf_tags=True, presentational_hints=True,
        )
    except Exception as error:  # noqa: BLE001 - any rendering failure is the template's
        raise RuntimeError(f"{template_name} could not be rendered as PDF") from error

"""The one way a screen or the API answers with a generated file: the bytes as an attachment under
their Chinese name (RFC 6266, :func:`app.exports.workbook.content_disposition`), never cached."""
import io

from flask import send_file

from .exports.workbook import XLSX_MIMETYPE, content_disposition
from .gongwen import DOCX_MIME


def send_bytes(data, name, mimetype):
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name="download",
                         max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Cache-Control"] = "no-store, private"
    return response


def docx(data, name):
    return send_bytes(data, name, DOCX_MIME)


def xlsx(data, name):
    return send_bytes(data, name, XLSX_MIMETYPE)

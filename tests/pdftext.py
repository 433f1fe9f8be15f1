"""The text of a PDF that WeasyPrint wrote, read back from the file's bytes (no PDF library is a dependency).

WeasyPrint (through pydyf) writes each page's text as ``TJ``/``Tj`` strings of glyph ids in a font whose
``/ToUnicode`` CMap maps them to characters; objects may sit in compressed object streams. This reads just that:
enough to check what a printed document says, line by line in the order it was drawn.
"""

from __future__ import annotations

import re
import zlib

_OBJ = re.compile(rb"(\d+) 0 obj\s*")
_LENGTH = re.compile(rb"/Length (\d+)")


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Every object's body by number, with stream data inflated and object streams unpacked."""
    objects: dict[int, bytes] = {}
    pos = 0
    while (match := _OBJ.search(pdf, pos)) is not None:
        number, start = int(match.group(1)), match.end()
        stream_at = pdf.find(b"stream", start)
        end_at = pdf.find(b"endobj", start)
        if stream_at < 0 or end_at < stream_at:  # no stream: the body runs to endobj
            objects[number] = pdf[start:end_at]
            pos = end_at + 6
            continue
        head = pdf[start:stream_at]
        begin = stream_at + 6 + (2 if pdf[stream_at + 6:stream_at + 8] == b"\r\n" else 1)
        length = int(_LENGTH.search(head).group(1))  # type: ignore[union-attr]
        data = pdf[begin:begin + length]
        pos = pdf.find(b"endobj", begin + length) + 6
        if b"/FlateDecode" in head:
            data = zlib.decompress(data)
        if b"/ObjStm" in head:
            first = int(re.search(rb"/First (\d+)", head).group(1))  # type: ignore[union-attr]
            numbers = [int(n) for n in data[:first].split()]
            pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
            for i, (inner, offset) in enumerate(pairs):
                stop = first + pairs[i + 1][1] if i + 1 < len(pairs) else len(data)
                objects[inner] = data[first + offset:stop]
            continue
        objects[number] = head + b"stream\n" + data
    return objects


def _cmap(body: bytes) -> dict[int, str]:
    text = body.split(b"stream\n", 1)[-1].decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            start = int(dst, 16)
            for n, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[code] = chr(start + n)
    return mapping


def _ref(body: bytes, key: bytes) -> int | None:
    found = re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)
    return int(found.group(1)) if found else None


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page, one line per text-positioning step, pages separated by a form feed."""
    objects = _objects(pdf)
    pages = []
    for body in objects.values():
        if not re.search(rb"/Type\s*/Page\b", body):
            continue
        resources = objects.get(_ref(body, b"Resources") or -1, body)
        fonts_ref = _ref(resources, b"Font")
        fonts_body = objects.get(fonts_ref, b"") if fonts_ref else resources
        fonts: dict[str, dict[int, str]] = {}
        for name, number in re.findall(rb"/([A-Za-z0-9_+.-]+)\s+(\d+) 0 R", fonts_body):
            unicode_ref = _ref(objects.get(int(number), b""), b"ToUnicode")
            if unicode_ref is not None:
                fonts[name.decode()] = _cmap(objects[unicode_ref])
        content_refs = re.search(rb"/Contents\s+(?:\[(.*?)\]|(\d+) 0 R)", body, re.S)
        if content_refs is None:
            continue
        numbers = [int(n) for n in re.findall(rb"(\d+) 0 R", content_refs.group(1))] if content_refs.group(1) \
            else [int(content_refs.group(2))]
        stream = b"".join(objects[n].split(b"stream\n", 1)[-1] for n in numbers).decode("latin-1")
        lines: list[str] = []
        font: dict[int, str] = {}
        current = ""
        for token in re.finditer(r"/(\S+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj|(Tm|Td|TD|T\*|ET)\b",
                                 stream, re.S):
            if token.group(1):
                font = fonts.get(token.group(1), {})
            elif token.group(2) is not None or token.group(3) is not None:
                for hexa in re.findall(r"<([0-9a-fA-F]*)>", token.group(2) or f"<{token.group(3)}>"):
                    current += "".join(font.get(int(hexa[i:i + 4], 16), "?") for i in range(0, len(hexa), 4))
            elif current:
                lines.append(current)
                current = ""
        if current:
            lines.append(current)
        pages.append("\n".join(lines))
    return "\f".join(pages)

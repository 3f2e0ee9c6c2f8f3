"""Load: logo images, made safe to publish.

A logo is published as a file of its own (`site/<client>/logo.<hash>.svg`)
and a visitor may open it directly, where an SVG is a document that can run
script, load from elsewhere and read the site's storage. So an SVG is never
copied as it is: it is parsed with defusedxml (no DOCTYPE, no entities, no
external references) and written anew from an allow-list of the elements and
attributes of a static drawing. Script, event handlers, `foreignObject`,
animation, links and every reference outside the file are left out; whatever
was left out — an element, an attribute, a comment, a processing instruction,
editor data — is reported as a warning (one function, `_drop`, removes and
reports). An embedded `data:image/...` picture must start with its type's
signature, like a raster logo. A PNG, JPEG, GIF or WebP must start with
its format's signature: a `logo.png` that is really HTML or SVG is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

# defusedxml ships no type hints (and types-defusedxml is not a dependency)
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import DefusedXMLParser  # type: ignore[import-untyped]

from .errors import InputError, Problem, display_path

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_SVG_ELEMENTS = 50_000
MAX_SVG_DEPTH = 64

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Leading bytes of each raster format (WebP: "RIFF", 4 size bytes, "WEBP").
_SIGNATURES: dict[str, tuple[Callable[[bytes], bool], str]] = {
    ".png": (lambda b: b.startswith(b"\x89PNG\r\n\x1a\n"), "PNG"),
    ".jpg": (lambda b: b.startswith(b"\xff\xd8\xff"), "JPEG"),
    ".jpeg": (lambda b: b.startswith(b"\xff\xd8\xff"), "JPEG"),
    ".gif": (lambda b: b[:6] in (b"GIF87a", b"GIF89a"), "GIF"),
    ".webp": (lambda b: b[:4] == b"RIFF" and b[8:12] == b"WEBP", "WebP"),
}


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The elements of a static drawing. Not here, so never written: script,
# foreignObject, a, animate/set/animateMotion/animateTransform, feImage,
# iframe, audio/video, handler, listener, switch, metadata and every foreign
# namespace (Inkscape's, Sodipodi's, RDF).
_ELEMENTS = _words("""
svg g defs title desc symbol use path rect circle ellipse line polyline polygon
text tspan textPath linearGradient radialGradient stop clipPath mask pattern
marker image style filter feBlend feColorMatrix feComponentTransfer feComposite
feConvolveMatrix feDiffuseLighting feDisplacementMap feDistantLight feDropShadow
feFlood feFuncA feFuncB feFuncG feFuncR feGaussianBlur feMerge feMergeNode
feMorphology feOffset fePointLight feSpecularLighting feSpotLight feTile
feTurbulence
""")

# Geometry and presentation attributes; no event handler (on*) is among them.
_ATTRIBUTES = _words("""
id class style transform viewBox preserveAspectRatio width height x y x1 y1 x2 y2
cx cy r rx ry fx fy fr d points pathLength fill fill-opacity fill-rule stroke
stroke-width stroke-linecap stroke-linejoin stroke-miterlimit stroke-dasharray
stroke-dashoffset stroke-opacity opacity color display visibility clip-path
clip-rule clipPathUnits mask maskUnits maskContentUnits filter filterUnits
primitiveUnits gradientUnits gradientTransform spreadMethod offset stop-color
stop-opacity patternUnits patternContentUnits patternTransform markerWidth
markerHeight markerUnits refX refY orient marker-start marker-mid marker-end
font-family font-size font-weight font-style font-variant font-stretch
text-anchor dominant-baseline alignment-baseline baseline-shift letter-spacing
word-spacing text-decoration writing-mode dx dy rotate textLength lengthAdjust
startOffset method spacing side version baseProfile overflow shape-rendering
text-rendering image-rendering color-rendering color-interpolation
color-interpolation-filters isolation mix-blend-mode paint-order vector-effect
direction unicode-bidi in in2 result stdDeviation mode type values operator k1
k2 k3 k4 flood-color flood-opacity lighting-color radius order kernelMatrix
divisor bias targetX targetY edgeMode kernelUnitLength preserveAlpha
surfaceScale diffuseConstant specularConstant specularExponent azimuth
elevation z pointsAtX pointsAtY pointsAtZ limitingConeAngle scale
xChannelSelector yChannelSelector baseFrequency numOctaves seed stitchTiles
tableValues slope intercept amplitude exponent media role aria-label aria-hidden
aria-labelledby aria-describedby focusable lang
""")
_HREF = "href"
_XML_ATTRIBUTES = {f"{{{XML_NS}}}space": "xml:space", f"{{{XML_NS}}}lang": "xml:lang"}
_TEXT_ELEMENTS = frozenset({"title", "desc", "text", "tspan", "textPath", "style"})

# An embedded raster picture is the only thing an href may hold besides '#id'.
_DATA_IMAGE_RE = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
_FRAGMENT_RE = re.compile(r"^#[A-Za-z_][\w.:-]*$")
_URL_RE = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
# CSS that can reach outside the file, or hide what it does behind escapes.
_CSS_BANNED_RE = re.compile(
    r"\\|@import|@namespace|@font-face|image-set|image\(|cross-fade|element\(|expression\(|"
    r"javascript:|behavior|-moz-binding",
    re.IGNORECASE,
)
# Elements whose drawing stays when the element itself is left out (a link's
# content, without the link).
_UNWRAP = frozenset({"a", "switch"})
_EDITOR_DATA = "editor data (elements and attributes of other namespaces)"

# Besides href, no attribute of a drawing needs a URL: none may hold one.
_SCRIPT_URL_RE = re.compile(r"(java|vb)script\s*:|//|data:", re.IGNORECASE)


class ImageError(ValueError):
    """The image cannot be published; the message says why (without the path)."""


def load_image(path: Path) -> tuple[bytes, tuple[str, ...]]:
    """The bytes to publish for an image file, and what was removed from it.

    Raises ImageError when the file is not the image its name says.
    """
    size = path.stat().st_size
    if size > MAX_IMAGE_BYTES:
        raise ImageError(
            f"is {size / 1024 / 1024:.1f} MB; a logo may be at most {MAX_IMAGE_BYTES // 1024 // 1024} MB"
        )
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"cannot be read: {exc.strerror}") from None
    return _publishable(content, path.suffix.lower())


@functools.lru_cache(maxsize=64)  # check, then build: each logo is redrawn once
def _publishable(content: bytes, suffix: str) -> tuple[bytes, tuple[str, ...]]:
    if suffix == ".svg":
        return sanitize_svg(content)
    check_raster(content, suffix)
    return content, ()


def check_raster(content: bytes, suffix: str) -> None:
    if suffix not in _SIGNATURES:
        raise ImageError("is not an image (.svg, .png, .jpg, .jpeg, .gif or .webp)")
    matches, name = _SIGNATURES[suffix]
    if not matches(content):
        raise ImageError(
            f"is not a {name} image (its first bytes are not a {name} file's); "
            "save the logo in the format its name says"
        )


class _Recorder(TreeBuilder):
    """The tree, plus the comments and processing instructions the tree leaves out."""

    def __init__(self, removed: set[str]):
        super().__init__()
        self.removed = removed

    # Overridden to record, not to build: the parser ignores what a target's handlers return.
    def comment(self, text: str | None) -> None:  # type: ignore[override]
        self.removed.add("comments")

    def pi(self, target: str, text: str | None = None) -> None:  # type: ignore[override]
        self.removed.add(f"processing instructions (<?{target}?>)")


def sanitize_svg(content: bytes) -> tuple[bytes, tuple[str, ...]]:
    """A static drawing rebuilt from `content` by the allow-list, and what was left out.

    Whatever of the file is not written out is named in the second value:
    every place below that leaves something out does so through `_drop`, so
    nothing can be removed without the warning saying so (only whitespace
    between elements and the namespace declarations are not named).
    """
    removed: set[str] = set()
    parser = DefusedXMLParser(
        target=_Recorder(removed), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(content)
        root = parser.close()
    except DefusedXmlException:
        raise ImageError(
            "is an SVG with a DOCTYPE or entities, which a logo may not have; save it again as plain SVG"
        ) from None
    except ParseError as exc:
        raise ImageError(f"is not a well-formed SVG file ({exc})") from None
    except ValueError as exc:  # e.g. an encoding declaration Python does not know
        raise ImageError(f"is not a readable SVG file ({exc})") from None
    if _local(root.tag) != "svg" or _namespace(root.tag) not in ("", SVG_NS):
        raise ImageError("is not an SVG image (its root element is not <svg>)")
    out: list[str] = []
    count = _write(root, out, removed, 0, 0, root_element=True)
    if count > MAX_SVG_ELEMENTS:
        raise ImageError(f"has more than {MAX_SVG_ELEMENTS:,} elements; simplify the logo")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(out) + "\n").encode(), tuple(sorted(removed))


def _drop(removed: set[str], what: str) -> None:
    """The one way to leave something out of a published SVG: it is named."""
    removed.add(what)


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _drop_text(text: str | None, removed: set[str]) -> None:
    if text and text.strip():
        _drop(removed, "text outside <text>")


def _write(
    element: Element, out: list[str], removed: set[str], depth: int, count: int, root_element: bool = False
) -> int:
    """Append the allowed part of `element` to `out`; returns the element count so far."""
    count += 1
    if depth > MAX_SVG_DEPTH:
        raise ImageError(f"nests elements more than {MAX_SVG_DEPTH} deep")
    if count > MAX_SVG_ELEMENTS:
        return count
    name = _local(element.tag)
    svg_namespace = _namespace(element.tag) in ("", SVG_NS)
    if not svg_namespace or name not in _ELEMENTS:
        _drop(removed, f"<{name}>" if svg_namespace else _EDITOR_DATA)
        if name in _UNWRAP and svg_namespace:
            _drop_text(element.text, removed)
            for child in element:  # a link's drawing stays, without the link
                count = _write(child, out, removed, depth + 1, count)
                _drop_text(child.tail, removed)
        return count
    attributes = _attributes(element, name, removed)
    if name == "style" and not _safe_css(element.text or ""):
        _drop(removed, "a <style> that loads from elsewhere")
        return count
    if root_element:
        attributes = [("xmlns", SVG_NS), ("xmlns:xlink", XLINK_NS), *attributes]
    start = f"<{name}" + "".join(f' {key}="{_escape_attribute(value)}"' for key, value in attributes)
    inner: list[str] = []
    text_kept = name in _TEXT_ELEMENTS
    if text_kept:
        if element.text:
            inner.append(_escape(element.text))
    else:
        _drop_text(element.text, removed)
    for child in element:
        count = _write(child, inner, removed, depth + 1, count)
        if text_kept:
            if child.tail:
                inner.append(_escape(child.tail))
        else:
            _drop_text(child.tail, removed)
    out.append(f"{start}>{''.join(inner)}</{name}>" if inner else f"{start}/>")
    return count


def _attributes(element: Element, name: str, removed: set[str]) -> list[tuple[str, str]]:
    kept = []
    for key, value in element.attrib.items():
        local = _local(key)
        namespace = _namespace(key)
        if key in _XML_ATTRIBUTES:
            kept.append((_XML_ATTRIBUTES[key], value))
        elif local == _HREF and namespace in ("", XLINK_NS):
            if _safe_href(value, name):
                kept.append(("xlink:href" if namespace else "href", value))
            elif _DATA_IMAGE_RE.match(value.strip()) and name == "image":
                _drop(removed, "an embedded picture that is not the image its type says")
            else:
                _drop(removed, "a link or reference outside the file")
        elif namespace:
            _drop(removed, _EDITOR_DATA)
        elif local not in _ATTRIBUTES:
            _drop(
                removed,
                "event handlers (on...)" if local.lower().startswith("on") else f"the attribute {local}",
            )
        elif _SCRIPT_URL_RE.search(value):
            _drop(removed, "a link or reference outside the file")
        elif not _safe_css(value):  # every value, not only style: none needs more
            _drop(removed, "a style or reference that loads from elsewhere")
        else:
            kept.append((local, value))
    return kept


def _safe_href(value: str, element: str) -> bool:
    value = value.strip()
    if element == "image":
        return _is_data_image(value) or bool(_FRAGMENT_RE.match(value))
    return element in ("use", "textPath", "linearGradient", "radialGradient", "pattern", "filter") and bool(
        _FRAGMENT_RE.match(value)
    )


def _is_data_image(value: str) -> bool:
    """`data:image/<type>;base64,...` whose bytes really are that type (as a raster logo's)."""
    match = _DATA_IMAGE_RE.match(value)
    if not match:
        return False
    chunk = "".join(value.split(",", 1)[1].split())[:64]
    try:
        head = base64.b64decode(chunk[: len(chunk) - len(chunk) % 4])
    except (binascii.Error, ValueError):
        return False
    suffix = {"jpeg": ".jpg"}.get(match[1], f".{match[1]}")
    return _SIGNATURES[suffix][0](head)


def _local_urls_only(value: str) -> bool:
    """Every url(...) in a value points into this file: url(#id)."""
    if "url" not in value.lower():
        return True
    stripped = _URL_RE.sub(lambda m: "" if _FRAGMENT_RE.match(m.group(2).strip()) else "url(", value)
    return "url" not in stripped.lower()


def _safe_css(css: str) -> bool:
    return not _CSS_BANNED_RE.search(css) and _local_urls_only(css)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escape_attribute(text: str) -> str:
    return (
        _escape(text)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
    )


def publishable_image(path: Path, root: Path) -> bytes:
    """The bytes to publish for a logo; an InputError naming the file when there are none."""
    try:
        return load_image(path)[0]
    except (ImageError, OSError) as exc:
        message = str(exc) if isinstance(exc, ImageError) else f"cannot be read: {exc.strerror}"
        raise InputError([Problem(display_path(path, root), None, f"logo {message}")]) from None

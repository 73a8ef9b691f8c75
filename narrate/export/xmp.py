"""The XMP packet that says, in the IPTC vocabulary machines check, that a narration's
voice is AI-generated: ``Iptc4xmpExt:DigitalSourceType`` = trainedAlgorithmicMedia,
with the disclosure sentence as ``dc:description`` and narrate as ``xmp:CreatorTool``.

Text only (the standard library's XML parser reads it back); where the packet goes in
each container is tags.py's job (ID3 PRIV frame owned by "XMP", MP4 ``uuid`` box).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MAX_PACKET = 1 << 20  # a packet bigger than this in someone else's file is not read


def packet(description: str, creator_tool: str) -> bytes:
    """An XMP packet (UTF-8) carrying the digital source type and the disclosure."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        f' <rdf:RDF xmlns:rdf="{RDF}">\n'
        '  <rdf:Description rdf:about=""\n'
        f'    xmlns:Iptc4xmpExt="{IPTC_EXT}"\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        f'    Iptc4xmpExt:DigitalSourceType="{TRAINED_ALGORITHMIC_MEDIA}"\n'
        f'    xmp:CreatorTool={quoteattr(creator_tool)}>\n'
        '   <dc:description><rdf:Alt>'
        f'<rdf:li xml:lang="x-default">{escape(description)}</rdf:li></rdf:Alt></dc:description>\n'
        '  </rdf:Description>\n'
        ' </rdf:RDF>\n'
        '</x:xmpmeta>\n'
        '<?xpacket end="w"?>'
    ).encode()


def source_type(data: bytes) -> str | None:
    """The ``Iptc4xmpExt:DigitalSourceType`` an XMP packet states (as an attribute or an
    element of any rdf:Description), or None when it states none or is not XML."""
    if len(data) > MAX_PACKET:
        return None
    try:
        root = ET.fromstring(data.decode("utf-8", "replace").lstrip("\ufeff"))
    except ET.ParseError:
        return None
    key = f"{{{IPTC_EXT}}}DigitalSourceType"
    for node in root.iter(f"{{{RDF}}}Description"):
        if key in node.attrib:
            return node.attrib[key].strip()
        child = node.find(key)
        if child is not None:
            return (child.get(f"{{{RDF}}}resource") or child.text or "").strip()
    return None

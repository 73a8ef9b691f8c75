"""Read along: the narration's text, timed word by word, as a web page that highlights
each word as it is spoken (``page``) and as an EPUB 3 with Media Overlays (``epub``).
Both are built from the manifest alone (``align``)."""

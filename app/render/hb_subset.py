"""Subset a font file with HarfBuzz, keeping glyph numbers, so text drawn with the full face's glyph ids stays valid.

WeasyPrint binds only the HarfBuzz calls it needs for fonts Pango has opened; the PDF stamper embeds a
face from its file, so it binds the few calls that creates a face from bytes and subsets it. HarfBuzz
subsetting takes milliseconds where fontTools takes about a second on a 5 MB CJK face
(research/pdf-performance-baseline.md: libharfbuzz-subset0 is a 48x matter).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import cffi

_CDEF = """
typedef struct hb_blob_t hb_blob_t;
typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t;
typedef struct hb_subset_input_t hb_subset_input_t;
typedef uint32_t hb_codepoint_t;
typedef uint32_t hb_tag_t;
hb_blob_t *hb_blob_create(const char *data, unsigned int length, int mode, void *user_data, void *destroy);
void hb_blob_destroy(hb_blob_t *blob);
const char *hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t *hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t *hb_face_reference_blob(hb_face_t *face);
hb_tag_t hb_tag_from_string(const char *str, int len);
void hb_set_add(hb_set_t *set, hb_codepoint_t codepoint);
hb_subset_input_t *hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t *hb_subset_input_glyph_set(hb_subset_input_t *input);
hb_set_t *hb_subset_input_set(hb_subset_input_t *input, int set_type);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned int value);
hb_face_t *hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""
_MEMORY_MODE_DUPLICATE = 0
_RETAIN_GIDS, _DESUBROUTINIZE, _PASSTHROUGH = 0x2, 0x4, 0x20
_SETS_DROP_TABLE_TAG = 3
# the tables WeasyPrint drops from its subsets: layout and bitmap tables a PDF reader never uses
_DROP = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


@functools.lru_cache(maxsize=1)
def _libs() -> tuple[Any, Any, Any]:
    ffi = cffi.FFI()
    ffi.cdef(_CDEF)
    hb = ffi.dlopen("libharfbuzz.so.0")
    hb_subset = ffi.dlopen("libharfbuzz-subset.so.0")
    return ffi, hb, hb_subset


class Face:
    """A font file opened once by HarfBuzz, subset many times."""

    def __init__(self, data: bytes) -> None:
        ffi, hb, _ = _libs()
        blob = hb.hb_blob_create(data, len(data), _MEMORY_MODE_DUPLICATE, ffi.NULL, ffi.NULL)
        self._face = ffi.gc(hb.hb_face_create(blob, 0), hb.hb_face_destroy)
        hb.hb_blob_destroy(blob)  # the face holds its own reference

    def subset(self, glyphs: Iterable[int]) -> bytes:
        """The face with only `glyphs` (and .notdef) drawn; every glyph keeps its number."""
        ffi, hb, hbs = _libs()
        spec = ffi.gc(hbs.hb_subset_input_create_or_fail(), hbs.hb_subset_input_destroy)
        if spec == ffi.NULL:
            raise MemoryError("hb_subset_input_create_or_fail")
        keep = hbs.hb_subset_input_glyph_set(spec)
        hb.hb_set_add(keep, 0)
        for gid in glyphs:
            hb.hb_set_add(keep, gid)
        drop = hbs.hb_subset_input_set(spec, _SETS_DROP_TABLE_TAG)
        for tag in _DROP:
            hb.hb_set_add(drop, hb.hb_tag_from_string(tag, 4))
        hbs.hb_subset_input_set_flags(spec, _RETAIN_GIDS | _DESUBROUTINIZE | _PASSTHROUGH)
        result = hbs.hb_subset_or_fail(self._face, spec)
        if result == ffi.NULL:
            raise RuntimeError("HarfBuzz could not subset the face")
        result = ffi.gc(result, hb.hb_face_destroy)
        blob = hb.hb_face_reference_blob(result)
        try:
            size = ffi.new("unsigned int *")
            data = hb.hb_blob_get_data(blob, size)
            return bytes(ffi.buffer(data, size[0]))
        finally:
            hb.hb_blob_destroy(blob)

"""A render worker forked from a process that has WeasyPrint's fonts loaded must not delete them under
that process: WeasyPrint's FontConfiguration removes its folder of face files when it is dropped, and a
worker drops the one it inherited when another set of fonts is configured (or it clears its caches)."""

from __future__ import annotations

import gc
import os

import pytest


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork-only: the workers are forked where fork exists")
def test_a_forked_worker_dropping_its_inherited_fonts_leaves_the_parents_face_files():
    from zzcbec_docs.documents import pdf

    pdf._stylesheet()  # the faces registered: their files are in the configuration's folder
    folders = [c._folder for c in list(pdf._configs) if c._folder is not None]
    assert folders and all(f.is_dir() for f in folders)
    pid = os.fork()
    if pid == 0:  # the worker: other fonts configured → the inherited configuration is dropped
        pdf._font_config.cache_clear()
        pdf._parsed_stylesheet.cache_clear()
        gc.collect()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert status == 0
    assert all(f.is_dir() for f in folders), folders

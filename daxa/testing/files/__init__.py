"""The emulator's archive file trees (HEASARC, eRODat, CalPV tarballs, XSA AIO servlet).

The emulator mounts them itself (``ArchiveEmulator(files=True)``, the default) and keeps the
:class:`FileTree` in ``emulator.files``, for its faults:

>>> from daxa.testing import ArchiveEmulator
>>> with ArchiveEmulator() as emu:
...     emu.files.make_missing("chandra", "1234")
...     import requests
...     folder = emu.url + "/heasarc_ftp/chandra/data/byobsid/4/1234/"
...     missing = requests.get(folder, timeout=10).status_code
...     emu.files.reset()
...     page = requests.get(folder, timeout=10)
...     missing, page.status_code, 'href="oif.fits"' in page.text
(404, 200, True)
"""

from daxa.testing.files.content import FileSpec, file_bytes
from daxa.testing.files.lzw import lzw_compress
from daxa.testing.files.tree import FileTree, mount_file_trees

__all__ = ["FileSpec", "FileTree", "file_bytes", "lzw_compress", "mount_file_trees"]

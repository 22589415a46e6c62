"""The emulator's archive file trees (HEASARC, eRODat, CalPV tarballs, XSA AIO servlet).

>>> from daxa.testing import ArchiveEmulator
>>> with ArchiveEmulator() as emu:
...     tree = mount_file_trees(emu)
...     import requests
...     page = requests.get(emu.url + "/heasarc_ftp/chandra/data/byobsid/4/1234/", timeout=10)
...     page.status_code, 'href="oif.fits"' in page.text
(200, True)
"""

from daxa.testing.files.content import FileSpec, file_bytes
from daxa.testing.files.lzw import lzw_compress
from daxa.testing.files.tree import FileTree, mount_file_trees

__all__ = ["FileSpec", "FileTree", "file_bytes", "lzw_compress", "mount_file_trees"]

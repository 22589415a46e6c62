"""Downloading archive data: per-mission downloaders, one transfer engine, product look-ups.

>>> from daxa.download import DOWNLOADERS
>>> len(DOWNLOADERS)
12

Typical use::

    from daxa.download import download, product_path
    report = download("chandra", ["1234", "5678"], dest="data", kind="products")
    print(report)                       # per ObsID: complete or failed, and why
    product_path("chandra", "1234", "image", dest="data")
"""

from daxa.download.api import download, download_selection
from daxa.download.credentials import Credentials, resolve_credentials
from daxa.download.layout import DEFAULT_DEST, MANIFEST_NAME
from daxa.download.manifest import Manifest
from daxa.download.plan import Plan, RemoteFile, TarExtract
from daxa.download.products import bands, delete_downloads, downloaded, product_path
from daxa.download.registry import DOWNLOADERS, downloader
from daxa.download.report import DownloadReport, ObsResult
from daxa.download.transport import Policy, Transport
from daxa.download.verify import verify_downloads

__all__ = [
    "DEFAULT_DEST",
    "DOWNLOADERS",
    "MANIFEST_NAME",
    "Credentials",
    "DownloadReport",
    "Manifest",
    "ObsResult",
    "Plan",
    "Policy",
    "RemoteFile",
    "TarExtract",
    "Transport",
    "bands",
    "delete_downloads",
    "download",
    "download_selection",
    "downloaded",
    "downloader",
    "product_path",
    "resolve_credentials",
    "verify_downloads",
]

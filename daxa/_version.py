"""daxa's version, in a module of its own at the bottom of the package.

Modules anywhere in daxa (the HTTP session's User-Agent, the cache's provenance, written
files' headers) need it; importing it from here rather than from ``daxa`` keeps them from
importing the package root, whose lazy attributes reach every layer.
"""

__version__ = "0.1.0"

"""A local Alibaba Cloud (VOD, MNS, OSS, FC) on loopback HTTP, spoken to by the official SDKs.

Never deployed (see `.fcignore`). Start it with ``python -m localcloud up`` or, in tests, with the
``localcloud`` pytest fixture from :mod:`localcloud.testing`.
"""

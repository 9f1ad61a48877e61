"""Local ApsaraVideo VOD (API 2017-03-21, RPC) URL uploads; state lives in ``models.VodBackend``."""

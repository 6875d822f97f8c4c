"""What a GitLab id token is for: its variable, the audiences noxline knows, an audience's shape.

Read by the settings (``oidc-audience``), the pipeline definition (the publish job's
``id_tokens``) and the exchange itself (:mod:`noxline.trusted_publishing`); kept apart from the
exchange so that reading the settings imports no network code (every nox process reads them).
"""

from __future__ import annotations

import re

#: The job's variable holding the id token (named in ``id_tokens`` of the generated YAML).
ID_TOKEN_VARIABLE = "NOXLINE_OIDC_TOKEN"
#: The indexes whose trusted publishing an audience names: audience -> (upload URL, simple index,
#: project page base). ``oidc-audience = "pypi"`` alone publishes to PyPI.
KNOWN_AUDIENCES = {
    "pypi": ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "https://pypi.org/p/"),
    "testpypi": (
        "https://test.pypi.org/legacy/",
        "https://test.pypi.org/simple/",
        "https://test.pypi.org/p/",
    ),
}

#: An id token audience: what GitLab's ``aud`` and an index's ``/_/oidc/audience`` hold (a name or
#: a URL), never blanks or control characters; the setting and the index's answer are both held
#: to it (an index's answer is text from outside: bounded too).
AUDIENCE = re.compile(r"[A-Za-z0-9._:/-]{1,256}")


__all__ = ["AUDIENCE", "ID_TOKEN_VARIABLE", "KNOWN_AUDIENCES"]

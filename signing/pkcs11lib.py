"""The PKCS#11 module of the leaders' tokens, loaded once per process.

SoftHSM2 (the demo's and the tests' tokens) reads its configuration, where its tokens live,
from SOFTHSM2_CONF when the module is initialised: `ensure_softhsm_config` points it at
SIGNING_SOFTHSM_DIR unless the environment already says.
"""

import functools
import os
from pathlib import Path

from django.conf import settings


def ensure_softhsm_config() -> Path:
    """The SoftHSM2 configuration in force, written under SIGNING_SOFTHSM_DIR if none is set."""
    if os.environ.get("SOFTHSM2_CONF"):
        return Path(os.environ["SOFTHSM2_CONF"])
    directory = Path(settings.SIGNING_SOFTHSM_DIR)
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n"
        "slots.removable = false\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    return conf


@functools.cache
def _load(path: str):
    import pkcs11

    if "softhsm" in path:
        ensure_softhsm_config()
    return pkcs11.lib(path)


def load(path: str | None = None):
    return _load(path or settings.SIGNING_PKCS11_MODULE)

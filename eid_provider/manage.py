#!/usr/bin/env python
"""Django's commands for the local eID provider (DEMO ONLY), e.g. `python eid_provider/manage.py
changepassword 001090012345`. To run it: `python -m eid_provider serve` (migrates, registers the
portal and the demo people, serves)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eid_provider.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

"""``python -m vodcancel``: the same as the ``vodcancel`` console script."""

from vodcancel.cli import main

main()

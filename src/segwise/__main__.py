"""``python -m segwise``: the same as the ``segwise`` command."""

from segwise.cli.app import main

main()

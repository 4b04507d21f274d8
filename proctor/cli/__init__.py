"""The ``proctor`` command line (see ``proctor.cli.main``)."""

"""``python -m proctor.tui``: the same as ``proctor tui``."""

from proctor.cli._tui import tui_cmd

if __name__ == "__main__":
    tui_cmd(prog_name="proctor tui")

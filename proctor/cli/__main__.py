"""``python -m proctor.cli ...``: the same as ``proctor ...`` (what schedules and cron lines call)."""

from proctor.cli.main import main

if __name__ == "__main__":
    main()

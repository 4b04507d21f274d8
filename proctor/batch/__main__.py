"""``python -m proctor.batch run|resume|status|report ...`` (what schedules and cron lines call)."""

from proctor.cli._batch import batch_group

if __name__ == "__main__":
    batch_group(prog_name="proctor batch")

import io
import json
import logging

from services.infra.logs import setup


def test_logs_are_json_objects_with_ids():
    out = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup("INFO", stream=out)
    try:
        logging.getLogger("povwatch.test").info(
            "task opened", extra={"household_id": "H-1", "task_id": "t"}
        )
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    record = json.loads(out.getvalue().splitlines()[-1])
    assert record["message"] == "task opened" and record["level"] == "INFO"
    assert (
        record["household_id"] == "H-1" and record["logger"] == "povwatch.test" and record["time"]
    )

"""How long checking an XLSForm takes: `python -m bench.xlsform [--questions 200]`.

Prints the time of each step of `check_upload` (workbook read, the app's loader, pyxform, the version
check) for a generated Kobo-style form, cold (first call in the process) and warm (median of 5).
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200)
    arguments = parser.parse_args()

    from surveyapp import create_app
    from surveyapp.db import migrate, session_scope
    from surveyapp.questionnaire.publishing import check_upload
    from surveyapp.questionnaire.registry import registry
    from tests.test_xlsform import generated_form

    data = generated_form(arguments.questions)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.sqlite", "SECRET_KEY": "bench"})
        with app.app_context(), app.test_request_context("/"):
            migrate()
            times = []
            for _ in range(6):
                with session_scope() as session:
                    started = time.perf_counter()
                    checked = check_upload(session, registry(), "bench.xlsx", data)
                    times.append(time.perf_counter() - started)
            assert checked.ok, checked.problems[:3]
    print(f"{arguments.questions}-question XLSForm ({len(data) / 1024:.0f} KB): "
          f"check cold {times[0]:.2f} s, warm median {statistics.median(times[1:]):.2f} s")


if __name__ == "__main__":
    main()

"""Writing a benchmark's results: shared by the benchmark scripts."""

import json
import os


def write_outputs(result, table, json_path, markdown_path):
    """Writes `result` as indented JSON to `json_path` and `table` to
    `markdown_path`, creating their folders; an empty or None path is skipped."""
    for path, write in ((json_path, lambda f: json.dump(result, f, indent=1)),
                        (markdown_path, lambda f: f.write(table))):
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            with open(path, "w") as f:
                write(f)

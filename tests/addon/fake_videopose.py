"""Stand-in for ``python -m videopose run ... --progress-json`` in the add-on's operator tests.

Behaviour from $FAKE_MODE: ``fail`` (progress, then an error and exit 1), ``succeed`` (progress,
then copies $FAKE_ANIMATION to the ``-o`` path), ``hang`` (writes its pid to $FAKE_PID and sleeps).
Each run records its arguments and working folder in $FAKE_LOG.
"""

import json
import os
import shutil
import sys
import time

args = sys.argv[1:]
output = args[args.index("-o") + 1]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({"args": args, "cwd": os.getcwd()}) + "\n")
for done in range(3):
    print(json.dumps({"stage": "detect", "done": done, "total": 3, "message": "frames"}), file=sys.stderr, flush=True)
mode = os.environ["FAKE_MODE"]
if mode == "fail":
    print("videopose run: error: no person was detected in the video", file=sys.stderr)
    sys.exit(1)
if mode == "hang":
    with open(os.environ["FAKE_PID"], "w") as stream:
        stream.write(str(os.getpid()))
    time.sleep(120)
shutil.copy(os.environ["FAKE_ANIMATION"], output)

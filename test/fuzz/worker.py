"""The worker process: imports mirax and JAX once and runs cases sent by the runner.

Requests, one JSON object per line on stdin: {"case": [seed, index]} generates the
case, answers {"program": ...} before running it (so that the runner knows what
crashed or hung), {"running": "jax"} and {"running": "mirax"} before each library
runs it (so that it knows whose crash it was), and then {"result": [class, detail,
jax, mirax]}; {"run": program}
runs a given program (minimization) and answers with the result only. Answers go to
the original stdout; anything the libraries print goes to stderr. SIGUSR1 prints
every thread's Python stack to stderr (the runner asks for it before killing a hung
worker).
"""
import faulthandler
import json
import os
import signal
import sys
import warnings


def main():
    proto = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    warnings.simplefilter("ignore")
    from .compare import run_case
    from .generate import generate

    def answer(**msg):
        proto.write(json.dumps(msg) + "\n")
        proto.flush()

    for line in sys.stdin:
        req = json.loads(line)
        if "case" in req:
            program = generate(*req["case"])
            answer(program=program)
        else:
            program = req["run"]
        answer(result=list(run_case(program, running=lambda name: answer(running=name))))


if __name__ == "__main__":
    main()

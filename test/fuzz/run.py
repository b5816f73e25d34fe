"""`python test/fuzz/run.py --n 1000 --seed 0`: see fuzz/runner.py."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fuzz.runner import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

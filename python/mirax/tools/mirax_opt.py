"""mirax-opt: the opt-style driver. Parses MLIR with the mirax dialect and every
upstream dialect, runs mirax passes, mirax's named pipelines (the registry of
passes/pipelines.py that jit runs too) and upstream passes in the order given, and
prints the result; `--verify-diagnostics` checks `expected-error` comments as
mlir-opt does.

    mirax-opt in.mlir --mirax-to-linalg --canonicalize
    mirax-opt in.mlir --mirax-cpu-pipeline   # a jit program's "mirax" stage -> its "llvm" stage
    mirax-opt in.mlir --pass-pipeline='builtin.module(mirax-to-linalg,cse)'
    mirax-opt invalid.mlir --split-input-file --verify-diagnostics
"""
import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mirax import dialect
from mirax.mlir import ir, passmanager
from mirax.passes import ALL_PASSES, PIPELINES
from mirax.passes.pipelines import expand, with_options
from mirax.tools import declarations

SPLIT_MARKER = "// -----"


@dataclass(frozen=True)
class Diag:
    """One MLIR diagnostic (notes are flattened into Diags of their own)."""

    severity: str  # error, warning, note or remark
    location: ir.Location
    message: str


@dataclass(frozen=True)
class Expectation:
    """An `// expected-<severity> @<where> {{<message>}}` comment."""

    severity: str
    line: int
    message: str


# ----------------------------------------------------------------------------- pipelines


def split_pipeline(text):
    """The top-level elements of a textual pipeline, `builtin.module(...)` unwrapped:
    'builtin.module(a,b{x=1},func.func(c,d))' -> ['a', 'b{x=1}', 'func.func(c,d)']."""
    text = text.strip()
    if text.startswith("builtin.module(") and text.endswith(")"):
        text = text[len("builtin.module("):-1]
    elements, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, "{": 1, ")": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            elements.append(text[start:i].strip())
            start = i + 1
    elements.append(text[start:].strip())
    return [e for e in elements if e]


def build_pass_manager(elements):
    """One PassManager on builtin.module running `elements` in order, named pipelines
    expanded: mirax passes as Python passes, anything else parsed by MLIR. ValueError
    names a bad element."""
    pm = passmanager.PassManager("builtin.module")
    for element in expand(elements):
        name = re.match(r"[^{(]*", element)[0]
        pass_ = ALL_PASSES.get(name)
        if pass_ is not None or name in PIPELINES:
            if element != name:
                if pass_ is None:
                    raise ValueError(f"mirax pipeline '{name}' takes no options: '{element}'")
                pass_ = with_options(pass_, element[len(name):])
            pm.add(_as_mlir_pass(pass_), name=name, argument=name, description=pass_.summary)
        else:
            pm.add(element)
    return pm


def _as_mlir_pass(pass_):
    """A PassManager callback around a mirax pass. A Python exception in the pass
    becomes an error diagnostic at the op the failing code was working on, so it is
    reported (and verified) like any other MLIR error."""

    def run(module, external_pass):
        try:
            pass_(module)
        except Exception as err:  # noqa: BLE001 - any bug in a pass is reported, not raised
            # A pipeline the pass ran (an MLIRError) failed with errors located by MLIR.
            located = [(d.location, d.message) for d in err.error_diagnostics] if isinstance(err, ir.MLIRError) else []
            for location, message in located or [(_failure_location(err.__traceback__, module), one_line(err))]:
                location.emit_error(f"{pass_.name} failed: {message}")
            external_pass.signal_pass_failure()

    return run


def _failure_location(traceback, module):
    """The location of the innermost op other than the module held in a local
    variable of the frames the exception passed through (the op being rewritten),
    else the module's."""
    frames = []
    while traceback is not None:
        frames.append(traceback.tb_frame)
        traceback = traceback.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            if isinstance(value, (ir.Operation, ir.OpView)) and value.operation != module:
                return value.location
    return module.location


# ----------------------------------------------------------------------------- diagnostics


def one_line(err):
    """'Type: message' of an exception, on one line. A Python error raised in an MLIR
    callback (walk, rewrite patterns) arrives as a RuntimeError holding the whole
    traceback, whose last line names the original error."""
    text = str(err).strip()
    if text.startswith("Exception raised in callback"):
        return text.splitlines()[-1]
    return f"{type(err).__name__}: {text.splitlines()[0] if text else ''}"


_FILE_LINE_COL = re.compile(r'"([^"]*)":(\d+):(\d+)')


def where(location, filename):
    """file:line:col of a location. Buffers parse under the name "-", which stands
    for `filename`; other locations keep their own file."""
    match = _FILE_LINE_COL.search(str(location))
    if match is None:
        return filename
    file = filename if match[1] == "-" else match[1]
    return f"{file}:{match[2]}:{match[3]}"


def line_of(location):
    match = _FILE_LINE_COL.search(str(location))
    return int(match[2]) if match else None


def flatten(diagnostic):
    """A diagnostic (ir.Diagnostic or ir.DiagnosticInfo) and its notes, as Diags."""
    out = [Diag(diagnostic.severity.name.lower(), diagnostic.location, str(diagnostic.message))]
    for note in diagnostic.notes:
        out.extend(flatten(note))
    return out


_EXPECTED = re.compile(r"expected-(error|warning|note|remark)\s*(?:@([+-]\d+|above|below))?\s*\{\{(.*?)\}\}")


def expectations(source, first_line):
    """The expected-* comments of a chunk starting at line `first_line`, with the
    line each refers to: the same line, @+N / @-N lines away, or @above / @below
    (the nearest line without an expected-* comment)."""
    lines = source.splitlines()
    plain = [i for i, text in enumerate(lines) if "expected-" not in text]
    found = []
    for i, text in enumerate(lines):
        for severity, offset, message in _EXPECTED.findall(text):
            if offset == "above":
                target = max((j for j in plain if j < i), default=i)
            elif offset == "below":
                target = min((j for j in plain if j > i), default=i)
            else:
                target = i + int(offset or 0)
            found.append(Expectation(severity, first_line + target, message))
    return found


def verify(diags, expected, filename):
    """mlir-opt's --verify-diagnostics: every diagnostic must match an expectation on
    its line (same severity, message containing the expected text) and every
    expectation must be matched. Returns the error lines to print."""
    unmatched = list(expected)
    errors = []
    for diag in diags:
        line = line_of(diag.location)
        match = next(
            (e for e in unmatched if e.severity == diag.severity and e.line == line and e.message in diag.message),
            None,
        )
        if match is None:
            errors.append(f"{where(diag.location, filename)}: error: unexpected {diag.severity}: {diag.message}")
        else:
            unmatched.remove(match)
    for e in unmatched:
        errors.append(f"{filename}:{e.line}: error: expected {e.severity} \"{e.message}\" was not produced")
    return errors


# ----------------------------------------------------------------------------- the driver


def chunks(text, split):
    """(chunk, first line) pairs: the whole text, or its pieces between `// -----` lines."""
    if not split:
        return [(text, 1)]
    out, current, start = [], [], 1
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.strip().startswith(SPLIT_MARKER):
            out.append(("".join(current), start))
            current, start = [], number + 1
        else:
            current.append(line)
    out.append(("".join(current), start))
    return out


class Opt:
    """Parses, transforms and prints MLIR buffers in one context."""

    def __init__(self, pipeline, verify_diagnostics=False, print_generic=False):
        self.context = ir.Context()
        assert not self.context.allow_unregistered_dialects
        dialect.load(self.context)
        self.diagnostics = []
        self.context.attach_diagnostic_handler(self._collect)
        self.verify_diagnostics = verify_diagnostics
        self.print_generic = print_generic
        with self.context:
            self.pass_manager = build_pass_manager(pipeline)

    def _collect(self, diagnostic):
        self.diagnostics.extend(flatten(diagnostic))
        return True

    def process(self, source, filename, first_line=1):
        """Parse `source` (lines numbered from `first_line`), run the pipeline and
        return (output or None, error lines for stderr, whether it succeeded)."""
        self.diagnostics = []
        output = None
        # Newlines in front keep line numbers those of the whole file; a default
        # location lets code that builds types without one report its errors. The
        # parser gets the input's bytes back (see main): it locates bytes that
        # are not valid UTF-8 as MLIR does, and accepts them in comments.
        with self.context, ir.Location.unknown():
            try:
                module = ir.Module.parse(("\n" * (first_line - 1) + source).encode("utf-8", "surrogateescape"))
                broken = declarations.check(module.operation)
                for function, message in broken:
                    self.diagnostics.append(Diag("error", function.location, message))
                if not broken:
                    self.pass_manager.run(module.operation)
                    output = module.operation.get_asm(print_generic_op_form=self.print_generic)
            except ir.MLIRError as err:
                for diagnostic in err.error_diagnostics:
                    self.diagnostics.extend(flatten(diagnostic))
                if not err.error_diagnostics:
                    self.diagnostics.append(Diag("error", ir.Location.unknown(), str(err)))
            except Exception as err:  # noqa: BLE001 - an internal error is reported, not raised
                message = f"internal error: {one_line(err)}"
                self.diagnostics.append(Diag("error", ir.Location.unknown(), message))
        if self.verify_diagnostics:
            errors = verify(self.diagnostics, expectations(source, first_line), filename)
            return output, errors, not errors
        errors = [f"{where(d.location, filename)}: {d.severity}: {d.message}" for d in self.diagnostics]
        return output, errors, output is not None

    def run(self, text, filename, split=False):
        """Process `text` whole or chunk by chunk, printing errors to stderr; return
        the outputs (joined by the split marker) and whether every chunk succeeded."""
        outputs, ok = [], True
        for source, first_line in chunks(text, split):
            output, errors, chunk_ok = self.process(source, filename, first_line)
            for line in errors:
                print(line, file=sys.stderr)
            if output is not None:
                outputs.append(output)
            ok = ok and chunk_ok
        return f"\n{SPLIT_MARKER}\n".join(outputs), ok


def argument_parser():
    passes = "\n".join(f"  --{name:<28} {p.summary}" for name, p in sorted(ALL_PASSES.items()))
    pipelines = "\n".join(f"  --{name:<28} {p.summary}" for name, p in sorted(PIPELINES.items()))
    parser = argparse.ArgumentParser(
        prog="mirax-opt",
        allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Run mirax and upstream MLIR passes on MLIR input and print the result.",
        epilog=f"mirax passes:\n{passes}\n\nmirax pipelines (what jit runs; mirax-cpu-pipeline on a program's \"mirax\" "
        f"stage prints its \"llvm\" stage):\n{pipelines}\n\n"
        "Two mirax passes take options, the same way: --mirax-vectorize-matmul=called-flops=N (pack\n"
        "matmuls of N flops or more; default 2^24) and --mirax-expand-math=library=0 (no calls of the\n"
        "kernel library). Any other --NAME[=OPTIONS] runs the upstream MLIR pass NAME{OPTIONS} (e.g.\n"
        "--canonicalize, --one-shot-bufferize=bufferize-function-boundaries). Pass flags run in the\n"
        "order given.",
    )
    parser.add_argument("input", nargs="?", default="-", help="input file ('-' or none: stdin)")
    parser.add_argument("-o", dest="output", default="-", help="output file (default: stdout)")
    parser.add_argument("--pass-pipeline", help="a textual pipeline 'builtin.module(...)' of mirax and upstream passes")
    parser.add_argument("--split-input-file", action="store_true", help="process each '// -----' chunk separately")
    parser.add_argument("--verify-diagnostics", action="store_true",
                        help="check diagnostics against expected-error/warning/note/remark comments")
    parser.add_argument("--mlir-print-op-generic", action="store_true", help="print ops in generic form")
    return parser


def pass_flag_element(flag):
    """'--canonicalize' -> 'canonicalize', '--foo=a=1 b=2' -> 'foo{a=1 b=2}'."""
    name, has_options, options = flag[2:].partition("=")
    return f"{name}{{{options}}}" if has_options else name


def main(argv=None):
    parser = argument_parser()
    args, pass_flags = parser.parse_known_args(argv)
    stray = [f for f in pass_flags if not f.startswith("--")]
    if stray:
        parser.error(f"unexpected arguments: {' '.join(stray)}")
    if pass_flags and args.pass_pipeline:
        parser.error("give either --pass-pipeline or pass flags, not both")
    pipeline = split_pipeline(args.pass_pipeline) if args.pass_pipeline else [pass_flag_element(f) for f in pass_flags]

    try:
        opt = Opt(pipeline, args.verify_diagnostics, args.mlir_print_op_generic)
    except ValueError as err:
        print(f"mirax-opt: error: {err}", file=sys.stderr)
        return 1
    filename = "<stdin>" if args.input == "-" else args.input
    try:
        data = sys.stdin.buffer.read() if args.input == "-" else Path(args.input).read_bytes()
    except OSError as err:
        print(f"mirax-opt: error: cannot read {filename}: {err.strerror}", file=sys.stderr)
        return 1
    # Bytes that are not UTF-8 survive as surrogates, for the parser to locate.
    result, ok = opt.run(data.decode("utf-8", "surrogateescape"), filename, args.split_input_file)
    try:
        if args.output == "-":
            sys.stdout.write(result)
        else:
            Path(args.output).write_text(result)
    except OSError as err:
        print(f"mirax-opt: error: cannot write {args.output}: {err.strerror}", file=sys.stderr)
        return 1
    return 0 if ok else 1

"""Build, here, what the GPU check (check.py) needs on the device machine and cannot
install there (no network; Python 3.12; nothing of mirax's pinned packages is sure to be
there), within what one `run` call carries (64 MiB with the working tree):

  .gpu_bundle/carry/site.tar.xz   the pinned cp312 packages mirax imports, trimmed and
                                  stripped: torch-mlir's MLIR bindings without torch-mlir-opt
                                  (the ExecutionEngine runs the host code), numpy, ml_dtypes,
                                  intel-openmp's libiomp5 alone, libdevice (for a PTX miss)
  .gpu_bundle/carry/ptx.json.xz   the PTX of every GPU program the check runs, recorded by
                                  running the check here (check.py --mode record): llvmlite,
                                  which makes the PTX, is 160 MB stripped (36 MB xz) and
                                  does not fit beside MLIR's library (153 MB stripped, 35 MB xz)

  .venv/bin/python scripts/gpu_check/build.py          (make gpu-check-bundle) both, then the sizes
  .venv/bin/python scripts/gpu_check/build.py --python 3.11 --site-only
                                  .gpu_bundle/py3.11/site, the same site for this Python,
                                  unpacked: check.py --mode dry-run --site runs with it here

The site is rebuilt when its wheels or this file change (xz takes ~4 minutes), the PTX
every time (it is valid for the mirax sources it was recorded from: ~3 minutes here).
"""
import argparse
import glob
import hashlib
import importlib.util
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ROOT = os.path.join(REPO, ".gpu_bundle")
CARRY = os.path.join(ROOT, "carry")
LIMIT = 64 << 20  # what one run call carries: the working tree and the carried paths
PACKAGES = ("torch-mlir", "numpy", "ml_dtypes", "intel-openmp")  # what mirax imports (llvmlite: see above)
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64")
# Left out of the site: what nothing imports or loads at run time.
TRIM = ("torch_mlir/_mlir_libs/torch-mlir-opt",  # 51 MB: an executable, mirax-opt is Python
        "numpy/_core/include", "numpy/_core/lib", "numpy/_pyinstaller", "numpy/f2py/tests")
TRIM_DIRS = ("__pycache__", "tests")  # numpy's and ml_dtypes' test suites
STRIP_OVER = 1 << 20  # shared libraries larger than this lose their symbol tables (strip --strip-unneeded)


def log(message):
    print(message, flush=True)


def pins():
    """{package: version} from pyproject.toml's dependencies."""
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    found = dict(d.replace(" ", "").split("==", 1) for d in dependencies)
    return {p: found[p] for p in PACKAGES}


def normalized(name):
    return name.replace("-", "_").lower()


def download(python, versions):
    """The wheels of `versions` for CPython `python` (e.g. '3.12'), downloaded once."""
    directory = os.path.join(ROOT, "wheels", f"py{python}")
    os.makedirs(directory, exist_ok=True)
    wheels = {}
    for package, version in versions.items():
        found = [w for w in glob.glob(os.path.join(directory, "*.whl"))
                 if os.path.basename(w).lower().startswith(f"{normalized(package)}-{version}-")]
        if found:
            wheels[package] = found[0]
    missing = [f"{p}=={v}" for p, v in versions.items() if p not in wheels]
    if missing:
        log(f"downloading {', '.join(missing)} for CPython {python}")
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                   "--python-version", python, "--implementation", "cp", "-d", directory]
        for platform in PLATFORMS:
            command += ["--platform", platform]
        subprocess.run(command + missing, check=True)
        return download(python, versions)
    return wheels


def _extract_openmp(wheel, site):
    """intel-openmp: libiomp5.so alone (runtime.py finds it through the distribution's RECORD)."""
    with zipfile.ZipFile(wheel) as z:
        library = next(n for n in z.namelist() if n.endswith("/libiomp5.so"))
        info = sorted({n.split("/")[0] for n in z.namelist() if n.split("/")[0].endswith(".dist-info")})[0]
        os.makedirs(os.path.join(site, "intel_openmp.libs"))
        with open(os.path.join(site, "intel_openmp.libs", "libiomp5.so"), "wb") as f:
            f.write(z.read(library))
        os.chmod(os.path.join(site, "intel_openmp.libs", "libiomp5.so"), 0o755)
        os.makedirs(os.path.join(site, info))
        for name in ("METADATA", "WHEEL"):
            with open(os.path.join(site, info, name), "wb") as f:
                f.write(z.read(f"{info}/{name}"))
        with open(os.path.join(site, info, "RECORD"), "w") as f:
            f.write(f"intel_openmp.libs/libiomp5.so,,\n{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")


def _extract(wheel, site):
    """A wheel's files as pip installs them (purelib and platlib at the root; its other
    .data folders, scripts and headers, are left out)."""
    with zipfile.ZipFile(wheel) as z:
        for member in z.infolist():
            name = member.filename
            parts = name.split("/")
            if parts[0].endswith(".data"):
                if len(parts) < 3 or parts[1] not in ("purelib", "platlib"):
                    continue
                name = "/".join(parts[2:])
            if name.endswith("/"):
                continue
            target = os.path.join(site, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(z.read(member))
            mode = member.external_attr >> 16
            if mode:
                os.chmod(target, mode & 0o777)


def _is_elf(path):
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def make_site(python, wheels):
    """The unpacked, trimmed, stripped site for CPython `python`; its size in bytes."""
    site = os.path.join(ROOT, f"py{python}", "site")
    shutil.rmtree(site, ignore_errors=True)
    os.makedirs(site)
    for package, wheel in wheels.items():
        (_extract_openmp if package == "intel-openmp" else _extract)(wheel, site)
    for relative in TRIM:
        path = os.path.join(site, relative)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    for directory, subdirectories, _ in os.walk(site):
        for name in list(subdirectories):
            if name in TRIM_DIRS:
                shutil.rmtree(os.path.join(directory, name))
                subdirectories.remove(name)
    nvvm = importlib.util.find_spec("nvidia.cu13")  # the nvidia-nvvm wheel's libdevice (the same file everywhere)
    libdevice = nvvm and os.path.join(nvvm.submodule_search_locations[0], "nvvm", "libdevice", "libdevice.10.bc")
    if libdevice and os.path.exists(libdevice):
        os.makedirs(os.path.join(site, "mirax_gpu_check_data"))
        shutil.copy(libdevice, os.path.join(site, "mirax_gpu_check_data"))
    else:
        log("libdevice.10.bc not found (the nvidia-nvvm wheel): a PTX missing from the cache may not compile there")
    strip = shutil.which("strip")
    stripped = 0
    for directory, _, files in os.walk(site):
        for name in files:
            path = os.path.join(directory, name)
            if ".so" in name and os.path.getsize(path) > STRIP_OVER and not os.path.islink(path) and _is_elf(path):
                if "numpy.libs" in path:  # auditwheel's patched libraries: strip can break them
                    continue
                before = os.path.getsize(path)
                if strip and subprocess.run([strip, "--strip-unneeded", path]).returncode == 0:
                    stripped += before - os.path.getsize(path)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(site) for f in fs)
    log(f"site for CPython {python}: {os.path.relpath(site, REPO)}, {size / 1e6:.1f} MB "
        f"({stripped / 1e6:.1f} MB of symbols stripped)")
    return site, size


def _stamp(wheels):
    digest = hashlib.sha256()
    with open(__file__, "rb") as f:
        digest.update(f.read())
    for wheel in sorted(wheels.values()):
        digest.update(os.path.basename(wheel).encode())
    return digest.hexdigest()


def compress(site, archive):
    """site/ -> archive (tar, xz -9e after the x86 filter: MLIR's library 153 -> 35 MB)."""
    start = time.perf_counter()
    filters = [{"id": lzma.FILTER_X86}, {"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]
    with lzma.open(archive + ".tmp", "wb", format=lzma.FORMAT_XZ, filters=filters) as raw, \
            tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(site, arcname="site")
    os.replace(archive + ".tmp", archive)
    log(f"compressed to {os.path.relpath(archive, REPO)}: {os.path.getsize(archive) / 1e6:.1f} MB "
        f"in {time.perf_counter() - start:.0f} s")


def working_tree_bytes():
    """What a run call sends besides the carried paths: tracked and untracked-not-ignored files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    paths = [os.path.join(REPO, p) for p in set(listed) if p]
    return sum(os.path.getsize(p) for p in paths if os.path.isfile(p))


def report():
    """The carried folder's files and what a run call would send, against its limit."""
    carried = {n: os.path.getsize(os.path.join(CARRY, n)) for n in sorted(os.listdir(CARRY))
               if os.path.isfile(os.path.join(CARRY, n))}
    tree = working_tree_bytes()
    total = tree + sum(carried.values())
    for name, size in carried.items():
        log(f"  .gpu_bundle/carry/{name}: {size / 2**20:.1f} MiB")
    log(f"  the working tree: {tree / 2**20:.1f} MiB")
    log(f"  one run call sends {total / 2**20:.1f} MiB of its {LIMIT / 2**20:.0f} MiB "
        f"({'fits' if total <= LIMIT else 'TOO LARGE'})")
    return total <= LIMIT


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", default="3.12", help="the CPython version of the site (the device's: 3.12)")
    parser.add_argument("--site-only", action="store_true", help="the unpacked site only: no archive, no PTX")
    parser.add_argument("--no-record", action="store_true", help="do not record the PTX again")
    parser.add_argument("--force", action="store_true", help="rebuild the site archive even if up to date")
    parser.add_argument("--jobs", type=int, default=2, help="pytest-xdist workers while recording")
    args = parser.parse_args(argv)
    versions = pins()
    wheels = download(args.python, versions)
    if args.site_only:
        make_site(args.python, wheels)
        return 0
    os.makedirs(CARRY, exist_ok=True)
    archive = os.path.join(CARRY, "site.tar.xz")
    stamp_path = os.path.join(ROOT, f"py{args.python}", "site.stamp")
    stamp = _stamp(wheels)
    if args.force or not os.path.exists(archive) or not os.path.exists(stamp_path) or open(stamp_path).read() != stamp:
        site, _ = make_site(args.python, wheels)
        compress(site, archive)
        with open(stamp_path, "w") as f:
            f.write(stamp)
    else:
        log(f"{os.path.relpath(archive, REPO)} is up to date ({', '.join(f'{p} {v}' for p, v in versions.items())})")
    with open(os.path.join(CARRY, "bundle.json"), "w") as f:
        json.dump({"python": args.python, "packages": versions,
                   "wheels": [os.path.basename(w) for w in wheels.values()]}, f, indent=1)
    code = 0
    if not args.no_record:
        log("recording the PTX: the check's programs compiled for the GPU, computed on the CPU")
        code = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), "--mode", "record", "--jobs",
                               str(args.jobs), "--out", os.path.join(ROOT, "record"),
                               "--ptx", os.path.join(CARRY, "ptx.json.xz")], cwd=REPO).returncode
        if code:
            log("recording FAILED (see above): the cache holds what was recorded")
    return code or (0 if report() else 1)


if __name__ == "__main__":
    sys.exit(main())

"""A stand-in for Kaggle's CLI (`pip install kaggle`), for tests without the network.

It implements what `build.py remote` calls, as kaggle/api/kaggle_api_extended.py does:
`config view`, `kernels push -p DIR`, `kernels status USER/SLUG` and
`kernels output USER/SLUG -p OUT [--force] [--file-pattern RE]` (and its `--help`). The "server" is a folder (KAGGLE_STANDIN_HOME).
A push checks kernel-metadata.json as the CLI does, clears the notebook's outputs and joins its
sources as the CLI does, then runs it at once with nbclient in a working folder of its own,
with no KAGGLE_ token in its environment and KAGGLE_KERNEL_RUN_TYPE set, as Kaggle runs it.
Its status calls then say queued, running and complete (or error), in that order; its output
is the working folder's files and SLUG.log, a JSON list of stream records.

The token: KAGGLE_USERNAME and KAGGLE_KEY, or KAGGLE_CONFIG_DIR/kaggle.json. Told by variables:
KAGGLE_STANDIN_FAIL=MESSAGE  every `loss.backward()` raises RuntimeError(MESSAGE) in the run
KAGGLE_STANDIN_HANG=1        the run never ends: status says running
KAGGLE_STANDIN_REFUSE=1      the server refuses the token (401), as the CLI reports it
KAGGLE_STANDIN_OLD=1         statuses printed as older CLIs print them ("complete")
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

AUTH_HELP = ("Authentication required to call the Kaggle API.\n\nFirst, you will need a Kaggle "
             "account. You can sign up at\n  https://www.kaggle.com/account/login\n")
STATES = ("queued", "running")
SECRETS = ("KAGGLE_KEY", "KAGGLE_USERNAME", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR")


def credentials() -> tuple[str, str] | None:
    user, key = os.environ.get("KAGGLE_USERNAME"), os.environ.get("KAGGLE_KEY")
    if user and key:
        return user, key
    config = Path(os.environ.get("KAGGLE_CONFIG_DIR") or Path.home() / ".kaggle") / "kaggle.json"
    try:
        data = json.loads(config.read_text())
        return data["username"], data["key"]
    except (OSError, ValueError, KeyError):
        return None


def refuse(key: str) -> int:
    print(AUTH_HELP)  # the CLI prints its help on a 401, to stdout, and exits 1
    # What a careless proxy or a debug line might echo: the journal must scrub it.
    print(f"401 Client Error: Unauthorized for url: https://www.kaggle.com/api/v1?key={key}",
          file=sys.stderr)
    return 1


def server() -> Path:
    return Path(os.environ["KAGGLE_STANDIN_HOME"])


def main(argv: list[str]) -> int:
    found = credentials()
    if found is None:
        print(AUTH_HELP)
        return 1
    user, key = found
    if argv[:2] == ["config", "view"]:
        print(f"Configuration values from {server()}\n- username: {user}\n- auth_method: "
              "legacy_api_key\n- path: None\n- proxy: None\n- competition: None")
        return 0
    if os.environ.get("KAGGLE_STANDIN_REFUSE"):
        return refuse(key)
    command, args = argv[:2], argv[2:]
    if command == ["kernels", "push"] and args[:1] == ["-p"]:
        return push(user, Path(args[1]))
    if command == ["kernels", "status"] and len(args) == 1:
        return status(args[0])
    if command == ["kernels", "output"] and args == ["--help"]:
        print("usage: kaggle kernels output [-h] [-p PATH] [-w] [-o] [-q] [--file-pattern "
              "FILE_PATTERN] [kernel]")
        return 0
    if command == ["kernels", "output"] and args[1:2] == ["-p"]:
        pattern = args[args.index("--file-pattern") + 1] if "--file-pattern" in args else ""
        return output(args[0], Path(args[2]), pattern)
    print(f"usage: kaggle: not a command the stand-in knows: {argv}", file=sys.stderr)
    return 2


def push(user: str, folder: Path) -> int:
    meta = json.loads((folder / "kernel-metadata.json").read_text(encoding="utf-8"))
    owner, _, slug = meta.get("id", "").partition("/")
    problems = [why for bad, why in (
        (len(meta.get("title", "")) < 5, "Title must be at least five characters"),
        (owner != user, f"Cannot push to {owner!r}: not your account"),
        (meta.get("language") != "python", "A valid language must be specified"),
        (meta.get("kernel_type") != "notebook", "A valid kernel type must be specified"),
        (not (folder / meta.get("code_file", "")).is_file(), "Source file not found"),
        (meta.get("title", "").lower().replace(" ", "-") != slug,
         "Your kernel title does not resolve to the specified id")) if bad]
    if problems:
        print(problems[0], file=sys.stderr)
        return 1
    notebook = json.loads((folder / meta["code_file"]).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:  # as the CLI sends it
        if cell["cell_type"] == "code":
            cell["outputs"] = []
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    kernel = server() / slug
    shutil.rmtree(kernel, ignore_errors=True)  # only the latest run's output is kept
    (kernel / "working").mkdir(parents=True)
    (kernel / "kernel-metadata.json").write_text(json.dumps(meta))
    failed = execute(notebook, kernel)
    (kernel / "state.json").write_text(json.dumps({"calls": 0, "failed": failed}))
    print(f"Kernel version 1 successfully pushed.  Please check progress at "
          f"https://www.kaggle.com/code/{user}/{slug}")
    return 0


def execute(notebook: dict, kernel: Path) -> bool:
    """Run the notebook as Kaggle does, stopping at the first error; True if one was raised."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    env["KAGGLE_KERNEL_RUN_TYPE"] = "Batch"
    if os.environ.get("KAGGLE_STANDIN_FAIL"):  # an IPython startup file breaks backward()
        startup = kernel / "ipython/profile_default/startup"
        startup.mkdir(parents=True)
        (startup / "00-fail.py").write_text(
            "import torch\n\n\ndef _fail(*args, **kwargs):\n"
            f"    raise RuntimeError({os.environ['KAGGLE_STANDIN_FAIL']!r})\n\n\n"
            "torch.Tensor.backward = _fail\n")
        env["IPYTHONDIR"] = str(kernel / "ipython")
    nb = nbformat.from_dict(notebook)
    started, failed = time.monotonic(), False
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(kernel / "working")}})
    try:
        client.execute(env=env, cwd=str(kernel / "working"))
    except CellExecutionError:
        failed = True
    log = [{"stream_name": "stderr", "time": 0.5,
            "data": "[NbConvertApp] Converting notebook __notebook__.ipynb to notebook\n"}]
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                log.append({"stream_name": out["name"], "time": time.monotonic() - started,
                            "data": out["text"]})
    (kernel / "log.json").write_text(json.dumps(log))
    return failed


def status(ref: str) -> int:
    slug = ref.partition("/")[2]
    path = server() / slug / "state.json"
    if not path.is_file():
        print("404 Client Error: Not Found for url: https://www.kaggle.com/api/v1/kernels/status",
              file=sys.stderr)
        return 1
    state = json.loads(path.read_text())
    calls, state["calls"] = state["calls"], state["calls"] + 1
    path.write_text(json.dumps(state))
    ended = "error" if state["failed"] else "complete"
    now = "running" if os.environ.get("KAGGLE_STANDIN_HANG") else \
        STATES[calls] if calls < len(STATES) else ended
    said = now if os.environ.get("KAGGLE_STANDIN_OLD") else f"KernelWorkerStatus.{now.upper()}"
    print(f'{ref} has status "{said}"')
    if now == "error":
        print('Failure message: "Your notebook tried to allocate more memory than is available."')
    return 0


def output(ref: str, target: Path, pattern: str) -> int:
    kernel = server() / ref.partition("/")[2]
    if not kernel.is_dir():
        print("404 Client Error: Not Found", file=sys.stderr)
        return 1
    target.mkdir(parents=True, exist_ok=True)
    for path in (kernel / "working").rglob("*"):
        if path.is_file() and re.search(pattern, path.name):
            place = target / path.relative_to(kernel / "working")
            place.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, place)
            print(f"Output file downloaded to {place}")
    shutil.copyfile(kernel / "log.json", target / f"{ref.partition('/')[2]}.log")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

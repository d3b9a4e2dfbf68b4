"""Reading deploy/: the units' commands as they would run from this checkout."""

import re
import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
SERVER_CHECKOUT = "/srv/petitions/app"
VENV_BIN = Path(sys.executable).parent  # the virtualenv running these tests


def unit_text(name: str) -> str:
    """The unit with the server's paths pointing at this checkout and its virtualenv."""
    text = (DEPLOY / name).read_text()
    text = text.replace(f"{SERVER_CHECKOUT}/.venv/bin", str(VENV_BIN))
    return text.replace(SERVER_CHECKOUT, str(ROOT))


def unit_setting(name: str, key: str) -> str:
    (value,) = re.findall(rf"^{key}=(.*)$", unit_text(name), re.M)
    return value


def exec_start(name: str, env: dict[str, str], hostname: str = "host") -> list[str]:
    """ExecStart as systemd runs it: ${VAR} is one argument, $VAR splits on spaces,
    %H is the host name."""
    args = []
    for word in shlex.split(unit_setting(name, "ExecStart").replace("%H", hostname)):
        if m := re.fullmatch(r"\$\{(\w+)\}", word):
            args.append(env[m.group(1)])
        elif m := re.fullmatch(r"\$(\w+)", word):
            args.extend(env[m.group(1)].split())
        else:
            args.append(word)
    return args


def env_variables_used(name: str) -> set[str]:
    return set(re.findall(r"\$\{?(\w+)\}?", unit_setting(name, "ExecStart"))) - {"MAINPID"}

"""The broker's Maven class path and the cache it lives in.

:func:`default_home` is where the Maven cache and the broker's state live (the worker keeps
Faust's data dir there too); :func:`resolve_classpath` resolves ``infra/pom.xml`` with Maven
into that cache once and returns the class path of the broker's jars.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from infra.errors import BrokerError

__all__ = ["default_home", "resolve_classpath"]


def default_home() -> Path:
    """Where the Maven cache and broker state live: ``$WALLBOARD_HOME``, else ``<repo>/.cache``
    for a source checkout, else ``~/.cache/cc-wallboard``."""
    env = os.environ.get("WALLBOARD_HOME")
    if env:
        return Path(env).expanduser().resolve()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file():
        return repo / ".cache"
    return Path.home() / ".cache" / "cc-wallboard"


def _packaged(name: str) -> str:
    return resources.files("infra").joinpath(name).read_text(encoding="utf-8")


def resolve_classpath(cache_dir: Path, *, log: Callable[[str], None] = print) -> str:
    """Resolve the broker's jars with Maven into ``cache_dir/m2`` once; return the class path.

    The class path file is keyed by the pom's content, so a version bump re-resolves.
    """
    pom_text = _packaged("pom.xml")
    key = uuid.uuid5(uuid.NAMESPACE_URL, pom_text).hex[:12]
    cache_dir.mkdir(parents=True, exist_ok=True)
    cp_file = cache_dir / f"kafka-classpath-{key}.txt"
    if cp_file.is_file():
        cp = cp_file.read_text(encoding="utf-8").strip()
        if cp and all(Path(p).is_file() for p in cp.split(os.pathsep)):
            return cp
    mvn = shutil.which("mvn")
    if mvn is None:
        raise BrokerError("Maven ('mvn') is not on PATH: it is needed to fetch the Kafka jars")
    pom = cache_dir / "kafka-runtime-pom.xml"
    pom.write_text(pom_text, encoding="utf-8")
    log(f"resolving Apache Kafka jars from Maven Central into {cache_dir / 'm2'} ...")
    cmd = [
        mvn, "-B", "-q", f"-Dmaven.repo.local={cache_dir / 'm2'}", "-f", str(pom),
        "dependency:build-classpath", f"-Dmdep.outputFile={cp_file}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not cp_file.is_file():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
        raise BrokerError("Maven could not resolve the Kafka jars:\n" + "\n".join(tail))
    return cp_file.read_text(encoding="utf-8").strip()

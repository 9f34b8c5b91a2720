"""Which node jsii runs on, so the infra tests silence exactly its end-of-life banner."""

from __future__ import annotations

import shutil
import subprocess

END_OF_LIFE_SILENCER = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def node_major() -> str:
    """The major version of the `node` jsii will start, or "" without one."""
    node = shutil.which("node")
    if node is None:
        return ""
    probe = [node, "-p", "process.versions.node.split('.')[0]"]
    return subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip()


def with_node_major(silencer: str) -> str:
    """jsii reads its end-of-life silencer as a list of node majors ("20"), not a flag ("1")."""
    majors = [v.strip() for v in silencer.split(",") if v.strip()]
    major = node_major()
    return ",".join([*majors, major] if major and major not in majors else majors)

"""Where a finished recording is kept: the recordings bucket in AWS, a folder locally.

S3: one managed upload per recording (multipart past `MULTIPART_BYTES`, so a long call is sent
in parts and a failed part is retried alone), tagged with its retention period; the bucket
encrypts it with its KMS key (default encryption, bucket key on) and a lifecycle rule per
retention tag deletes it (see infra/recordings.py and pitstop/recordings.py). Locally the file
lands under `PITSTOP_RECORDINGS_DIR` at the same key, where the local console serves it.
Both run after the call, in the record's writer thread: never on the audio path.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, Protocol

import boto3
from boto3.s3.transfer import TransferConfig

from pitstop.recordings import (
    CONTENT_TYPE,
    ENV_RECORDINGS_BUCKET,
    ENV_RECORDINGS_DIR,
    RETENTION_TAG,
)

MULTIPART_BYTES = 16 * 1024 * 1024


class RecordingStore(Protocol):
    def put(self, key: str, wav: IO[bytes], retention_days: int) -> None: ...


class BucketStore:
    """The recordings bucket (SSE-KMS by the bucket's default encryption)."""

    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    def put(self, key: str, wav: IO[bytes], retention_days: int) -> None:
        client = self._client if self._client is not None else _s3()
        client.upload_fileobj(
            wav,
            self.bucket,
            key,
            ExtraArgs={
                "ContentType": CONTENT_TYPE,
                "Tagging": f"{RETENTION_TAG}={retention_days}",
            },
            Config=TransferConfig(
                multipart_threshold=MULTIPART_BYTES,
                multipart_chunksize=MULTIPART_BYTES,
                max_concurrency=2,
            ),
        )


class FolderStore:
    """The local stack's recordings folder; the key is the path under it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def put(self, key: str, wav: IO[bytes], retention_days: int) -> None:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"recording key outside the recordings folder: {key!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with partial.open("wb") as out:
            shutil.copyfileobj(wav, out)
        partial.replace(path)  # a reader never sees half a file


def store_from_env() -> RecordingStore | None:
    """The store the environment names (read per call: cheap, and a test may set it late)."""
    bucket = os.environ.get(ENV_RECORDINGS_BUCKET)
    if bucket:
        return BucketStore(bucket)
    folder = os.environ.get(ENV_RECORDINGS_DIR)
    return FolderStore(Path(folder)) if folder else None


@lru_cache(maxsize=1)
def _s3() -> Any:
    """One S3 client for the process (clients are thread-safe; creating one is slow)."""
    return boto3.client("s3")

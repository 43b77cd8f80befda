"""A real S3-compatible server for the tests: moto's, in a thread, on 127.0.0.1.

It speaks the S3 HTTP API (signatures, multipart uploads, presigned URLs), so the S3
backend is tested over the wire exactly as it talks to a bucket in production.
"""

from __future__ import annotations

from aiobotocore.session import get_session
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
KEYS = {"access_key_id": "carnet-test", "secret_access_key": "carnet-test-secret"}


class S3Server:
    def __init__(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        return self.endpoint_url

    def stop(self) -> None:
        self.server.stop()

    async def create_bucket(self, name: str) -> None:
        async with get_session().create_client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=KEYS["access_key_id"],
            aws_secret_access_key=KEYS["secret_access_key"],
        ) as s3:
            await s3.create_bucket(Bucket=name)

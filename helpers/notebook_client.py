"""nbclient's NotebookClient without its lost-reply stall: for the tests, the grader and `course progress`.

A cell that shows an ipywidgets Output widget (`interactive` shows one) could be reported after
exactly its timeout (five minutes in the tests) although it ran in under a second. nbclient mimics a
front end's Output widget: each output the widget captures is sent back to the kernel as a comm_msg on
the shell channel, while the same socket is being polled for the cell's execute_reply. jupyter_client's
Session.send writes on a synchronous shadow of that asyncio socket, so pyzmq's asyncio layer never
learns of the send. A reply arriving during it has its (edge-triggered) wake-up consumed by the send,
and the poll sleeps until its timeout, whose last check finds the reply. The kernel is not involved: it
had dated its reply 0.02-0.5 s after the request. Upstream: jupyter/nbclient#312, jupyter/jupyter_client#1059.

Here the mimic sends through the asyncio socket itself, which looks at the socket again after every
send. `python scripts/count_stalls.py --output-widget-cells` counts the stall with either client.
"""
from __future__ import annotations

from typing import Any

import nbclient
from nbclient.jsonutil import json_clean
from nbclient.output_widget import OutputWidget as NbclientOutputWidget

class OutputWidget(NbclientOutputWidget):
    """nbclient's Output widget mimic, sending its comm messages through the asyncio shell socket."""

    def send(self, data: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
             buffers: list[Any] | None = None) -> None:
        session = self.kernel_client.session
        content = json_clean({"data": data or {}, "comm_id": self.comm_id})
        msg = session.msg("comm_msg", content=content, parent=self.parent_header, metadata=metadata or {})
        # zmq.asyncio sends at once when it can (else when the socket is writable) and then checks the
        # socket for a reply that came meanwhile; the returned Future needs no awaiting.
        self.kernel_client.shell_channel.socket.send_multipart(session.serialize(msg) + list(buffers or []))


WIDGETS = {"@jupyter-widgets/output": {"OutputModel": OutputWidget}}   # nbclient's widget_registry, with ours


class NotebookClient(nbclient.NotebookClient):
    """nbclient.NotebookClient with the Output widget mimic above."""

    def __init__(self, nb, km=None, **kwargs) -> None:
        super().__init__(nb, km, **kwargs)
        self.widget_registry = WIDGETS

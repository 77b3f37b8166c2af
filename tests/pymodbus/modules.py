#!/usr/bin/env python3
"""I/O modules laid out like a greenwave device profile, served by pymodbus (not greenwave's
code): one Modbus TCP server, one unit id per module, every table the profile names and no
other. Every write to the coils and holding registers is appended to a log as one JSON line,
with the server's monotonic time, so a test can replay the lamps write by write.

usage: modules.py PROFILE.toml UNITS LOG
Prints the port it listens on (bound to 127.0.0.1, port 0) on the first line of stdout.
"""

import asyncio
import json
import sys
import time
import tomllib

from pymodbus.datastore import (
    ModbusServerContext,
    ModbusSlaveContext,
    ModbusSparseDataBlock,
)
from pymodbus.server import ModbusTcpServer


class Recorded(ModbusSparseDataBlock):
    """A table that logs every write. pymodbus 3.8 addresses a table at protocol address + 1."""

    def __init__(self, values, unit, table, log):
        super().__init__(values)
        self.unit, self.table, self.log = unit, table, log

    def setValues(self, address, values, use_as_default=False):
        super().setValues(address, values, use_as_default)
        if not isinstance(values, list):
            values = [values]
        line = {"t": time.monotonic(), "unit": self.unit, "table": self.table,
                "address": address - 1, "values": [int(v) for v in values]}
        self.log.write(json.dumps(line) + "\n")
        self.log.flush()


def tables(profile):
    """The addresses of each table the profile names, with their initial values."""
    coils, inputs, input_regs, holding = {}, {}, {}, {}
    for bank in profile.get("outputs", []):
        for k in range(bank["count"]):
            coils[bank["address"] + k] = False
    for bank in profile.get("inputs", []):
        for k in range(bank["count"]):
            inputs[bank["address"] + k] = False
    for c in profile.get("counters", []):
        table = holding if c.get("table") == "holding" else input_regs
        for k in range(c["count"] * c.get("registers", 1)):
            table[c["address"] + k] = 0
    w = profile.get("watchdog", {})
    for key in ("timeout_register", "keepalive_register", "enable_register"):
        if key in w:
            holding[w[key]] = 0
    return coils, inputs, input_regs, holding


def shifted(values):
    return {a + 1: v for a, v in values.items()} or {1: 0}


async def main():
    profile_path, units, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(profile_path, "rb") as f:
        profile = tomllib.load(f)
    log = open(log_path, "w", encoding="utf-8")
    slaves = {}
    for unit in range(1, units + 1):
        coils, inputs, input_regs, holding = tables(profile)
        slaves[unit] = ModbusSlaveContext(
            co=Recorded(shifted(coils), unit, "coils", log),
            di=ModbusSparseDataBlock(shifted(inputs)),
            ir=ModbusSparseDataBlock(shifted(input_regs)),
            hr=Recorded(shifted(holding), unit, "holding", log),
        )
    context = ModbusServerContext(slaves=slaves, single=False)
    server = ModbusTcpServer(context, address=("127.0.0.1", 0))
    await server.serve_forever(background=True)
    print(server.transport.sockets[0].getsockname()[1], flush=True)
    await server.serving


if __name__ == "__main__":
    asyncio.run(main())

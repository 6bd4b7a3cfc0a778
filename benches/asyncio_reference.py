#!/usr/bin/env python3
"""The asyncio reference: spawn_many, yield_many, sleep_many and tcp_echo of
the benchmark suite, the same sizes as the Rust workloads (benches/workloads/),
for readers who come from asyncio.

    python3 benches/asyncio_reference.py [--reps N] [--only NAME,NAME]

Each workload asserts its result, runs once to warm up, then N times; the
median is printed as a line `RESULT <workload> <median ms>`, which
the compare runner (benches/compare/) reads. Standard library only, default
event loop.
"""

import argparse
import asyncio
import socket
import statistics
import sys
import time

SPAWN_MANY = 100_000
YIELD_TASKS = 200
YIELDS = 1_000
SLEEPERS = 50_000
CLIENTS = 50
ROUNDS = 2_000
MSG = 64


async def spawn_many():
    async def index(i):
        return i

    tasks = [asyncio.create_task(index(i)) for i in range(SPAWN_MANY)]
    total = 0
    for t in tasks:
        total += await t
    assert total == SPAWN_MANY * (SPAWN_MANY - 1) // 2, total


async def yield_many():
    async def yielder():
        n = 0
        for _ in range(YIELDS):
            await asyncio.sleep(0)
            n += 1
        return n

    tasks = [asyncio.create_task(yielder()) for _ in range(YIELD_TASKS)]
    total = 0
    for t in tasks:
        total += await t
    assert total == YIELD_TASKS * YIELDS, total


def delays_ms():
    """The LCG of benches/workloads/timers.rs: seed 7, ms = 1 + (x >> 33) mod 20."""
    x = 7
    out = []
    for _ in range(SLEEPERS):
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        out.append(1 + (x >> 33) % 20)
    return out


DELAYS = delays_ms()


async def sleep_many():
    async def sleeper(ms):
        await asyncio.sleep(ms / 1000)
        return ms

    tasks = [asyncio.create_task(sleeper(ms)) for ms in DELAYS]
    total = 0
    for t in tasks:
        total += await t
    assert total == sum(DELAYS), total


def message(c, r):
    return bytes((c * 31 + r * 7 + i) % 256 for i in range(MSG))


async def tcp_echo():
    echoed = []

    async def echo(reader, writer):
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        n = 0
        while True:
            data = await reader.read(1024)
            if not data:
                break
            writer.write(data)
            await writer.drain()
            n += len(data)
        writer.close()
        echoed.append(n)

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    async def client(c):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for r in range(ROUNDS):
            out = message(c, r)
            writer.write(out)
            await writer.drain()
            back = await reader.readexactly(MSG)
            assert back == out
        writer.close()
        await writer.wait_closed()
        return ROUNDS

    trips = sum(await asyncio.gather(*(client(c) for c in range(CLIENTS))))
    while len(echoed) < CLIENTS:  # the echo handlers see EOF after the clients close
        await asyncio.sleep(0)
    server.close()
    await server.wait_closed()
    assert trips == CLIENTS * ROUNDS, trips
    assert sum(echoed) == CLIENTS * ROUNDS * MSG, sum(echoed)


WORKLOADS = {
    "spawn_many": spawn_many,
    "yield_many": yield_many,
    "sleep_many": sleep_many,
    "tcp_echo": tcp_echo,
}


def timed(workload):
    """One run in a fresh event loop (as asyncio.run does), in ms."""
    start = time.perf_counter()
    asyncio.run(workload())
    return (time.perf_counter() - start) * 1000


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--only", default=",".join(WORKLOADS))
    args = p.parse_args()
    for name in args.only.split(","):
        workload = WORKLOADS[name]
        timed(workload)  # warm-up
        samples = [timed(workload) for _ in range(args.reps)]
        print(f"RESULT {name} {statistics.median(samples):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

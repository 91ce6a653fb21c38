# A script for the Python tests, over Tests/Fixtures/loop.c: a breakpoint on work() whose
# callback stops only at value 3, a command that reports what it saw, types from DWARF.
import swdbg

seen = []

def on_work(breakpoint):
    value = swdbg.register("rdi")
    seen.append(value)
    return value == 3

swdbg.breakpoint("loop!work", on_work)

def report(arguments):
    counter = int.from_bytes(swdbg.read_memory(swdbg.evaluate("loop!counter"), 4), "little")
    print(f"seen={seen} counter={counter} args={arguments!r}")
    frame = [word for word in swdbg.execute("k 1").split() if "!" in word][0]
    print("frame:", frame)

swdbg.command("report", report)

def poke(arguments):
    address = swdbg.evaluate("loop!counter")
    swdbg.write_memory(address, int(arguments).to_bytes(4, "little"))
    print("counter now", swdbg.evaluate("dwo(loop!counter)"))

swdbg.command("poke", poke)

def boom(arguments):
    raise ValueError("boom: " + arguments)

swdbg.command("boom", boom)

def invoke_script():
    print("invoke_script at", swdbg.symbol(swdbg.register("rip")), "threads", len(swdbg.threads()))

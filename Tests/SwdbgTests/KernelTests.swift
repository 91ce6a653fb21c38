import Foundation
import XCTest

/// A real Linux kernel (the stock Debian one) booted under QEMU's TCG with its gdbstub on
/// loopback, and a `kd>` session on it: kallsyms decoded from the image and slid by the KASLR
/// offset found in memory (checked against the guest's own /proc/kallsyms), a breakpoint on
/// `__sys_sendto` for the guest program's socket, the stack from the kernel through the
/// system call's pt_regs into the program's `main` (a static-pie program the guest put
/// anywhere), and `wt` on a kernel function counting what single steps count.
final class KernelTests: XCTestCase {
    /// The guest, booted until its program has connected; the serial console's text so far.
    private final class Guest {
        let qemu = Process()
        let console = Pipe()
        let port: Int
        var text = ""

        init(image: String, initramfs: String, port: Int) throws {
            self.port = port
            qemu.executableURL = URL(fileURLWithPath: "/usr/bin/qemu-system-x86_64")
            qemu.arguments = ["-accel", "tcg", "-m", "512", "-smp", "2", "-kernel", image, "-initrd", initramfs,
                              "-append", "console=ttyS0 quiet rdinit=/init", "-display", "none", "-serial", "stdio",
                              "-no-reboot", "-gdb", "tcp:127.0.0.1:\(port)"]
            qemu.standardOutput = console
            qemu.standardError = console
            qemu.standardInput = FileHandle.nullDevice
            try qemu.run()
        }

        deinit {
            if qemu.isRunning { qemu.terminate() }
            qemu.waitUntilExit()
        }

        /// Reads the console until `marker` (the boot takes 10–20 s under TCG).
        func wait(for marker: String) throws {
            text += try Harness.waitFor(marker, on: console.fileHandleForReading.fileDescriptor, timeout: 180).replacingOccurrences(of: "\r", with: "")
        }

        /// `MODULE: crc8 16384 0 - Live 0xffffffffc045f000`: where the guest loaded a module.
        func moduleAddress(_ name: String) -> UInt64? {
            text.split(separator: "\n").first { $0.hasPrefix("MODULE: \(name) ") }
                .flatMap { $0.split(separator: " ").last }.flatMap { UInt64($0.dropFirst(2), radix: 16) }
        }

        /// `KALLSYMS: ffffffff98000000 T _text`: the guest's own address of a symbol.
        func kallsyms(_ name: String) -> UInt64? {
            text.split(separator: "\n").first { $0.hasPrefix("KALLSYMS: ") && $0.hasSuffix(" \(name)") }
                .flatMap { UInt64($0.split(separator: " ")[1], radix: 16) }
        }
    }

    private func bootGuest(port: Int) throws -> (guest: Guest, image: String, program: String) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64"), FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            throw XCTSkip("QEMU or busybox is not installed (script/setup installs qemu-system-x86 and busybox-static)")
        }
        let boot = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        guard let kernel = boot.filter({ $0.hasPrefix("vmlinuz-") }).sorted().last else {
            throw XCTSkip("no /boot/vmlinuz-* (script/setup installs linux-image-amd64)")
        }
        let image = "/boot/" + kernel
        let folder = NSTemporaryDirectory() + "swdbg-kernel-\(getpid())"
        let built = try Harness.run(Harness.packageRoot.appendingPathComponent("script/kernel-guest").path, [folder], input: "", timeout: 300)
        XCTAssertEqual(built.status, 0, built.output)
        // A port another run still holds: the next one.
        for attempt in 0..<5 {
            let guest = try Guest(image: image, initramfs: folder + "/initramfs.cpio.gz", port: port + 7 * attempt)
            do {
                try guest.wait(for: "SENDLOOP: connected")
                return (guest, image, folder + "/sendloop")
            } catch where guest.text.contains("Failed to find an available port") || String(describing: error).contains("Failed to find an available port") {
                continue
            }
        }
        throw HarnessError("QEMU found no free port from \(port)")
    }

    func testKernelSessionUnderQemu() throws {
        let (guest, image, program) = try bootGuest(port: 40000 + Int(getpid() % 10000))
        let port = guest.port
        let sendto = try XCTUnwrap(guest.kallsyms("__sys_sendto"), guest.text)
        let text = try XCTUnwrap(guest.kallsyms("_text"), guest.text)
        let module = try XCTUnwrap(guest.moduleAddress("crc8"), guest.text)
        let moduleFunction = try XCTUnwrap(guest.kallsyms("crc8_populate_msb"), guest.text)
        let commands = ["x nt!__sys_sendto", "lm", "x crc8!crc8_populate_msb", "~1s", "!pcr", "~0s", "dt nt!task_struct", "!process 0 0",
                        "bp nt!__sys_sendto \".if (@rdi != 4) {gc}\"", "g", "r rdi", "db @rsi L5", "k", "!thread",
                        "p", "gu", "bc *", "ba e1 nt!__sys_sendto", "g", "bc *", "dt -r nt!sock",
                        "bp nt!import_single_range", "g", "wt", "g", "ta @$ra", "bc *", "q"]
        let out = try Harness.run(Harness.swdbg, ["-k", "gdb:server=127.0.0.1,port=\(port),image=\(image)", program],
                                  input: commands.joined(separator: "\n") + "\n", timeout: 600).output
        XCTAssertTrue(out.contains("Connected to the kernel stub at 127.0.0.1:\(port): 2 CPUs"), out)
        // The symbols are the guest's own, slid where KASLR put this boot's kernel.
        XCTAssertTrue(out.output(of: "x nt!__sys_sendto").hasPrefix(formatted(sendto) + " nt!__sys_sendto"), "\(out) vs \(String(sendto, radix: 16))")
        XCTAssertTrue(out.output(of: "lm").contains(formatted(text) + " "), out)
        XCTAssertTrue(out.output(of: "lm").contains(formatted(module) + " "), "the guest's crc8 module: \(out)")
        // The module's own symbols, from its kallsyms in memory.
        XCTAssertTrue(out.output(of: "x crc8!crc8_populate_msb").hasPrefix(formatted(moduleFunction) + " crc8!crc8_populate_msb"), out)
        // Stopped in another task (the idle one), the user program is not the context.
        XCTAssertFalse(out.output(of: "lm").contains("sendloop"), out)
        XCTAssertTrue(out.contains("0: kd> ") && out.contains("1: kd> "), out)
        XCTAssertTrue(out.output(of: "!pcr").hasPrefix("KPCR for Processor 1 at "), out)
        // Types from the kernel's BTF, the task list through them.
        XCTAssertTrue(out.output(of: "dt nt!task_struct").contains("+0x000 thread_info      : thread_info"), out)
        let processes = out.output(of: "!process 0 0")
        XCTAssertTrue(processes.contains("Image: swapper/0") && processes.contains("Image: init") && processes.contains("Image: sendloop"), processes)
        // Stopped for the program's client socket (fd 4), sending "hello N".
        // In the program's task: its module comes in, where the guest's ASLR put it.
        XCTAssertTrue(out.output(of: "g").hasPrefix("ModLoad: ") && out.output(of: "g").contains("/sendloop\nBreakpoint 0 hit"), out)
        XCTAssertEqual(out.output(of: "r rdi"), "rdi=0000000000000004", out)
        XCTAssertTrue(out.output(of: "db @rsi L5").hasSuffix("hello"), out)
        let stack = out.output(of: "k").split(separator: "\n").map { $0.split(separator: " ").dropFirst(3).first.map(String.init) ?? "" }
        let expected = ["nt!__sys_sendto", "nt!__x64_sys_sendto+0x20", "nt!do_syscall_64", "nt!entry_SYSCALL_64_after_hwframe",
                        "sendloop!send", "sendloop!send_message", "sendloop!main"]
        var position = 0
        for name in expected {
            guard let found = stack[position...].firstIndex(where: { $0.hasPrefix(name) }) else { XCTFail("no \(name) after frame \(position): \(out.output(of: "k"))"); break }
            position = found + 1
        }
        XCTAssertTrue(out.output(of: "!thread").contains("Owning Process  sendloop"), out)
        XCTAssertTrue(out.output(of: "p").contains("nt!__sys_sendto+0x"), out)
        XCTAssertTrue(out.output(of: "gu").contains("nt!__x64_sys_sendto+0x20:"), out)
        // A hardware breakpoint (the stub's Z1), and a kernel type with its nested members.
        XCTAssertTrue(out.output(of: "g", occurrence: 1).hasPrefix("Breakpoint 0 hit") && out.output(of: "g", occurrence: 1).contains("nt!__sys_sendto:"), out)
        XCTAssertTrue(out.output(of: "dt -r nt!sock").contains("skc_family       : Uint2B"), out)
        // wt's count of a kernel function, and single steps to its return address.
        XCTAssertTrue(out.output(of: "g", occurrence: 2).hasPrefix("Breakpoint 0 hit"), out)
        let traced = out.output(of: "wt").split(separator: "\n").first { $0.hasSuffix("] nt!import_single_range") }
        let count = try XCTUnwrap(traced.flatMap { Int($0.split(separator: " ").first ?? "") }, out.output(of: "wt"))
        XCTAssertTrue(out.output(of: "wt").contains("round trips to the stub"), out)
        let steps = out.output(of: "ta @$ra").components(separatedBy: "\nnt!").count - 1
        XCTAssertEqual(steps, count, "ta: \(out.output(of: "ta @$ra"))")
        // Let go: the guest's program goes on sending.
        let after = guest.text.count
        try guest.wait(for: "SENDLOOP: sent")
        XCTAssertGreaterThan(guest.text.count, after)
    }

    private func formatted(_ address: UInt64) -> String {
        let digits = String(address, radix: 16).leftPadded(16)
        return digits.prefix(8) + "`" + digits.suffix(8)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

import Foundation
import Symbols
import XCTest

/// The stock Debian kernel image read as the debugger reads it: the ELF out of the bzImage,
/// kallsyms decoded from `.rodata`, the ORC tables and the banner. Facts checked against the
/// image's own structure (sections, the ORC entry of a known function's first instruction).
final class KernelImageTests: XCTestCase {
    static func stockKernel() throws -> String {
        let boot = (try? FileManager.default.contentsOfDirectory(atPath: "/boot")) ?? []
        guard let name = boot.filter({ $0.hasPrefix("vmlinuz-") }).sorted().last else {
            throw XCTSkip("no /boot/vmlinuz-* (script/setup installs linux-image-amd64)")
        }
        return "/boot/" + name
    }

    func testSymbolsAndUnwindTablesFromABzImage() throws {
        let path = try Self.stockKernel()
        let image = try KernelImage(path: path)
        XCTAssertEqual("vmlinuz-" + image.release, (path as NSString).lastPathComponent)
        XCTAssertGreaterThan(image.symbols.count, 50_000)
        let text = try XCTUnwrap(image.symbols.first { $0.name == "_text" })
        XCTAssertEqual(text.address, image.textAddress)
        let sendto = try XCTUnwrap(image.symbols.first { $0.name == "__sys_sendto" })
        XCTAssertTrue(sendto.isFunction)
        XCTAssertGreaterThan(sendto.size, 16)
        XCTAssertNotNil(image.symbols.first { $0.name == "__x64_sys_sendto" && $0.isFunction })
        XCTAssertNotNil(image.symbols.first { $0.name == "entry_SYSCALL_64_after_hwframe" })
        // Sorted, and the per-CPU offsets kept apart.
        XCTAssertTrue(zip(image.symbols, image.symbols.dropFirst()).allSatisfy { $0.address <= $1.address })
        XCTAssertNotNil(image.perCPUOffsets["current_task"])
        // At a function's first instruction the return address is the only thing on the stack.
        let orc = try XCTUnwrap(image.orc)
        XCTAssertGreaterThan(orc.count, 100_000)
        let entry = try XCTUnwrap(orc.entry(at: sendto.address))
        XCTAssertEqual(entry.kind, .call)
        XCTAssertEqual(entry.spRegister, .sp)
        XCTAssertEqual(entry.spOffset, 8)
    }

    func testNotAKernelIsAClearError() throws {
        XCTAssertThrowsError(try KernelImage(path: "/bin/true")) { error in
            XCTAssertTrue(String(describing: error).contains("not a Linux kernel image"), String(describing: error))
        }
        XCTAssertThrowsError(try KernelImage(path: "/etc/hostname"))
    }
}

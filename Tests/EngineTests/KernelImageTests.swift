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

    /// BTF cut off after a record's header, and a struct that holds itself through an
    /// unnamed member: no crash, no endless search.
    func testHostileBTF() {
        func word(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let names: [UInt8] = [0] + Array("s".utf8) + [0] + Array("m".utf8) + [0]
        // One STRUCT named "s" of size 8 with one member of type 1 (itself), unnamed.
        let whole = word(1 << 0) + word(4 << 24 | 1) + word(8) + word(0) + word(1) + word(0)
        let cut = Array(whole.prefix(12))
        for types in [whole, cut] {
            let header: [UInt8] = [0x9f, 0xeb, 1, 0] + word(24) + word(0) + word(UInt32(types.count)) + word(UInt32(types.count)) + word(UInt32(names.count))
            guard let btf = BTFTypes(header + types + names) else { XCTFail("the header is valid"); continue }
            _ = btf.layout(named: "s")
            XCTAssertNil(btf.offset(of: "missing", in: "s"))
        }
        XCTAssertNil(BTFTypes([0, 1, 2]))
    }
}

import Targets
import XCTest

/// The gdb-remote framing and target descriptions, on bytes written by hand from the
/// protocol's documentation and from what gdbserver 13 and lldb-server send.
final class RemotePacketTests: XCTestCase {
    func testFramingEscapesAndChecksums() throws {
        XCTAssertEqual(String(decoding: RemotePackets.frame(Array("qSupported".utf8)), as: UTF8.self), "$qSupported#37")
        // `$ # } *` are escaped as `}` and the byte xor 0x20; the checksum covers the escaped text.
        let framed = RemotePackets.frame([0x24, 0x23, 0x7d, 0x2a, 0x41])
        XCTAssertEqual(Array(framed.prefix(10)), [0x24, 0x7d, 0x04, 0x7d, 0x03, 0x7d, 0x5d, 0x7d, 0x0a, 0x41])
        let (payload, length) = try XCTUnwrap(RemotePackets.unframe(framed[...]))
        XCTAssertEqual(payload, [0x24, 0x23, 0x7d, 0x2a, 0x41])
        XCTAssertEqual(length, framed.count)
    }

    func testRunLengthsAsGdbserverSendsThem() throws {
        // gdbserver's `0*}0*-`: '0' then 0x7d-29 = 96 more, then '0' again and '-'-29 = 16 more.
        let body = Array("0*}0*-".utf8)
        let sum = body.reduce(UInt8(0)) { $0 &+ $1 }
        let packet = [0x24] + body + [0x23] + Array(String(format: "%02x", sum).utf8)
        let (payload, _) = try XCTUnwrap(RemotePackets.unframe(packet[...]))
        XCTAssertEqual(payload, [UInt8](repeating: 0x30, count: 97 + 17))
    }

    /// A run after an escape repeats the byte as sent (gdbserver's `try_rle` runs on escaped
    /// text): `}` 0x03 `*` `"` is '#' and then five 0x03s.
    func testRunLengthAfterAnEscapeRepeatsTheSentByte() throws {
        let body: [UInt8] = [0x7d, 0x03, 0x2a, 0x22]
        let sum = body.reduce(UInt8(0)) { $0 &+ $1 }
        let packet = [0x24] + body + [0x23] + Array(String(format: "%02x", sum).utf8)
        let (payload, _) = try XCTUnwrap(RemotePackets.unframe(packet[...]))
        XCTAssertEqual(payload, [0x23] + [UInt8](repeating: 0x03, count: 5))
    }

    func testIncompleteAndCorruptPackets() throws {
        XCTAssertNil(try RemotePackets.unframe(Array("$OK#9".utf8)[...]), "the checksum has not arrived")
        XCTAssertThrowsError(try RemotePackets.unframe(Array("$OK#00".utf8)[...]))
        XCTAssertThrowsError(try RemotePackets.unframe(Array("OK#9a".utf8)[...]))
        XCTAssertEqual(RemotePackets.bytes(fromHex: Array("00ffxx10".utf8))?.bytes, [0, 255, 0, 16])
        XCTAssertEqual(RemotePackets.bytes(fromHex: Array("00ffxx10".utf8))?.unknown, true)
        XCTAssertNil(RemotePackets.bytes(fromHex: Array("0g".utf8)))
    }

    /// gdbserver: one document, no offsets (each register follows the one before); lldb-server:
    /// offsets given, sub-registers inside others, documents included by name.
    func testTargetDescriptions() throws {
        let gdb = """
        <target><feature name="org.gnu.gdb.i386.core">
          <reg name="rax" bitsize="64" type="int64"/><reg name="rbx" bitsize="64" type="int64"/>
          <reg name="eflags" bitsize="32" type="i386_eflags" regnum="17"/><reg name="cs" bitsize="32"/>
        </feature></target>
        """
        let registers = TargetDescription.registers(gdb) { _ in nil }
        XCTAssertEqual(registers.map(\.name), ["rax", "rbx", "eflags", "cs"])
        XCTAssertEqual(registers.map(\.offset), [0, 8, 16, 20])
        XCTAssertEqual(registers.map(\.number), [0, 1, 17, 18])
        let lldb = """
        <target><xi:include href="extra.xml"/><feature>
          <reg name="rax" bitsize="64" regnum="0" offset="80"/>
          <reg name="eax" bitsize="32" regnum="40" offset="80" value_regnums="0"/>
        </feature></target>
        """
        let included = TargetDescription.registers(lldb) { name in
            name == "extra.xml" ? #"<feature><reg name="r15" bitsize="64" regnum="15" offset="0"/></feature>"# : nil
        }
        XCTAssertEqual(included.map(\.name), ["r15", "rax", "eax"])
        XCTAssertEqual(included.map(\.offset), [0, 80, 80])
    }

    /// Stop replies as gdbserver 13, lldb-server and QEMU send them.
    func testStopReplies() throws {
        let breakpoint = try XCTUnwrap(RemoteStopReply("T05swbreak:;06:d0eedcf6ff7f0000;10:5951555555550000;thread:p176b.1772;core:0;"))
        XCTAssertEqual(breakpoint.kind, .signal(5))
        XCTAssertEqual(breakpoint.thread, "p176b.1772")
        XCTAssertEqual(breakpoint.fields["swbreak"], "")
        XCTAssertEqual(breakpoint.fields["core"], "0")
        let watch = try XCTUnwrap(RemoteStopReply("T05watch:555555558044;thread:p1.1;"))
        XCTAssertEqual(watch.fields["watch"], "555555558044")
        // lldb-server: the reason, and the threads of the process in every reply.
        let lldb = try XCTUnwrap(RemoteStopReply("T05thread:2b85;name:threads;threads:2b85,2b87;reason:breakpoint;"))
        XCTAssertEqual(lldb.thread, "2b85")
        XCTAssertEqual(lldb.fields["threads"], "2b85,2b87")
        XCTAssertEqual(RemoteStopReply("S02")?.kind, .signal(2))
        XCTAssertNil(RemoteStopReply("S02")?.thread)
        XCTAssertEqual(RemoteStopReply("W00;process:2b85")?.kind, .exited(0))
        XCTAssertEqual(RemoteStopReply("X09")?.kind, .killed(9))
        let exit = try XCTUnwrap(RemoteStopReply("w01;p2b85.2b87"))
        XCTAssertEqual(exit.kind, .threadExited(1))
        XCTAssertEqual(exit.thread, "p2b85.2b87")
        for bad in ["", "T", "Tzz", "OK", "E01", "Q05"] { XCTAssertNil(RemoteStopReply(bad), bad) }
    }

    /// Numbers a stub could send to crash a careless reader: an offset near Int.max, QEMU's
    /// ss/ds/es_base that its `g` leaves out (dropped only where they are three in a row).
    func testHostileAndQuirkyDescriptions() {
        let huge = TargetDescription.registers(#"<target><reg name="rip" bitsize="64" offset="9223372036854775807"/><reg name="rax" bitsize="64"/></target>"#) { _ in nil }
        XCTAssertEqual(huge.map(\.name), ["rax"])
        let qemu = TargetDescription.registers(#"<target><reg name="gs" bitsize="32"/><reg name="ss_base" bitsize="64"/><reg name="ds_base" bitsize="64"/><reg name="es_base" bitsize="64"/><reg name="fs_base" bitsize="64"/></target>"#) { _ in nil }
        let fitted = TargetDescription.fitted(qemu, generalLength: 12)
        XCTAssertEqual(fitted.map(\.name), ["gs", "fs_base"])
        XCTAssertEqual(fitted.map(\.offset), [0, 4])
        // Not three in a row: left as described.
        let scattered = TargetDescription.registers(#"<target><reg name="ss_base" bitsize="64"/><reg name="rip" bitsize="64"/><reg name="ds_base" bitsize="64"/><reg name="es_base" bitsize="64"/></target>"#) { _ in nil }
        XCTAssertEqual(TargetDescription.fitted(scattered, generalLength: 8).map(\.name), ["ss_base", "rip", "ds_base", "es_base"])
    }
}

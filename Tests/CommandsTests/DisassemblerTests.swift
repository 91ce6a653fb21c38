import XCTest
import Arch

final class DisassemblerTests: XCTestCase {
    private let disassembler = Disassembler()
    private let base: UInt64 = 0x7fff_f7e5_0e50

    private func decode(_ bytes: [UInt8], at address: UInt64? = nil, file: StaticString = #filePath,
                        line: UInt = #line) throws -> Instruction {
        try XCTUnwrap(disassembler.decode(bytes, at: address ?? base), file: file, line: line)
    }

    private func line(_ bytes: [UInt8], symbols: [UInt64: String] = [:]) throws -> String {
        disassembler.format(try decode(bytes)) { symbols[$0] }
    }

    func testFormatAddressSplitsHighAndLowHalves() {
        XCTAssertEqual(formatAddress(0x7fff_f7e5_0e50), "00007fff`f7e50e50")
        XCTAssertEqual(formatAddress(0x401000), "00000000`00401000")
    }

    func testPushRbp() throws {
        let instruction = try decode([0x55])
        XCTAssertEqual(instruction.mnemonic, "push")
        XCTAssertEqual(instruction.operands, "rbp")
        XCTAssertEqual(instruction.length, 1)
        XCTAssertEqual(instruction.flow, ControlFlow.none)
        XCTAssertNil(instruction.branchTarget)
    }

    func testMovRegisterToRegister() throws {
        let instruction = try decode([0x48, 0x89, 0xe5])
        XCTAssertEqual(instruction.mnemonic, "mov")
        XCTAssertEqual(instruction.operands, "rbp,rsp")
        XCTAssertEqual(instruction.bytes, [0x48, 0x89, 0xe5])
    }

    func testSubLineMatchesWinDbgLayout() throws {
        XCTAssertEqual(try line([0x48, 0x83, 0xec, 0x28]), "00007fff`f7e50e50 4883ec28        sub     rsp,28h")
    }

    func testDecodeKeepsOnlyTheInstructionsBytes() throws {
        let instruction = try decode([0x55, 0x48, 0x89, 0xe5])
        XCTAssertEqual(instruction.length, 1)
        XCTAssertEqual(instruction.bytes, [0x55])
    }

    func testDirectCallIsSymbolized() throws {
        let instruction = try decode([0xe8, 0x4b, 0x0e, 0x00, 0x00], at: 0x7fff_f7e5_0000)
        XCTAssertEqual(instruction.flow, .call)
        XCTAssertEqual(instruction.branchTarget, 0x7fff_f7e5_0e50)
        let symbolized = disassembler.format(instruction) { $0 == 0x7fff_f7e5_0e50 ? "libc!puts" : nil }
        XCTAssertTrue(symbolized.hasSuffix("e84b0e0000      call    libc!puts (00007fff`f7e50e50)"), symbolized)
        let plain = disassembler.format(instruction) { _ in nil }
        XCTAssertTrue(plain.hasSuffix("call    00007fff`f7e50e50"), plain)
    }

    func testIndirectCallHasNoTarget() throws {
        let instruction = try decode([0xff, 0xd0])
        XCTAssertEqual(instruction.flow, .call)
        XCTAssertNil(instruction.branchTarget)
        XCTAssertEqual(instruction.operands, "rax")
    }

    func testRetHasNoTrailingBlanks() throws {
        let instruction = try decode([0xc3])
        XCTAssertEqual(instruction.mnemonic, "ret")
        XCTAssertEqual(instruction.flow, .ret)
        XCTAssertEqual(try line([0xc3]), "00007fff`f7e50e50 c3              ret")
    }

    func testConditionalJumpUsesMicrosoftConditionNames() throws {
        let instruction = try decode([0x74, 0x05])
        XCTAssertEqual(instruction.mnemonic, "je")
        XCTAssertEqual(instruction.flow, .conditionalJump)
        XCTAssertEqual(instruction.branchTarget, base + 7)
        XCTAssertEqual(try decode([0x0f, 0x8d, 0, 0, 0, 0]).mnemonic, "jge")
        XCTAssertEqual(try decode([0x0f, 0x94, 0xc0]).mnemonic, "sete")
    }

    func testUnconditionalJump() throws {
        let instruction = try decode([0xeb, 0xfe])
        XCTAssertEqual(instruction.flow, .jump)
        XCTAssertEqual(instruction.branchTarget, base)
    }

    func testRepMovsIsAStringInstruction() throws {
        let instruction = try decode([0xf3, 0xa4])
        XCTAssertTrue(instruction.hasRepPrefix)
        XCTAssertEqual(instruction.mnemonic, "rep movs")
        XCTAssertEqual(instruction.operands, "byte ptr [rdi],byte ptr [rsi]")
        XCTAssertFalse(try decode([0xa4]).hasRepPrefix)
    }

    func testInt3() throws {
        XCTAssertEqual(try decode([0xcc]).flow, .interrupt)
        XCTAssertEqual(try line([0xcc]), "00007fff`f7e50e50 cc              int     3")
    }

    func testSyscall() throws {
        XCTAssertEqual(try decode([0x0f, 0x05]).flow, .syscall)
    }

    func testRipRelativeOperandShowsAbsoluteAddress() throws {
        let bytes: [UInt8] = [0x48, 0x8b, 0x05, 0xe1, 0x09, 0x15, 0x00]
        XCTAssertEqual(try decode(bytes).operands, "rax,qword ptr [00007fff`f7fa1838]")
        XCTAssertEqual(
            try line(bytes, symbols: [0x7fff_f7fa_1838: "libc!stdout"]),
            "00007fff`f7e50e50 488b05e1091500  mov     rax,qword ptr [libc!stdout (00007fff`f7fa1838)]"
        )
    }

    func testMasmNumbers() throws {
        XCTAssertEqual(try decode([0x48, 0x83, 0xe4, 0xf0]).operands, "rsp,0FFFFFFFFFFFFFFF0h")
        XCTAssertEqual(try decode([0x89, 0x7d, 0xfc]).operands, "dword ptr [rbp-4],edi")
        XCTAssertEqual(try decode([0x48, 0x89, 0x75, 0xf0]).operands, "qword ptr [rbp-10h],rsi")
        XCTAssertEqual(try decode([0x83, 0xf8, 0x0a]).operands, "eax,0Ah")
        XCTAssertEqual(try decode([0x48, 0x8b, 0x44, 0xc5, 0xa0]).operands, "rax,qword ptr [rbp+rax*8-60h]")
    }

    func testSegmentOverride() throws {
        let instruction = try decode([0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0x00, 0x00, 0x00])
        XCTAssertEqual(instruction.operands, "rax,qword ptr fs:[28h]")
    }

    func testLongInstructionBytesAreFollowedByOneBlank() throws {
        XCTAssertEqual(
            try line([0x66, 0x2e, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00]),
            "00007fff`f7e50e50 662e0f1f840000000000 nop     word ptr cs:[rax+rax]"
        )
    }

    func testInvalidBytesDecodeToNil() {
        XCTAssertNil(disassembler.decode([0xff, 0xff], at: base))
        XCTAssertNil(disassembler.decode([0x48, 0x8b], at: base))
        XCTAssertNil(disassembler.decode([], at: base))
    }

    /// What a kernel probe may run twice: general registers, flags, rip and the slot a push
    /// or call writes below rsp; nothing that writes memory, other registers or reads what it pushed.
    func testReexecutionHazards() {
        let safe: [[UInt8]] = [
            [0x55],                               // push rbp
            [0x48, 0x89, 0xe5],                   // mov rbp,rsp
            [0xf3, 0x0f, 0x1e, 0xfa],             // endbr64
            [0x8d, 0x44, 0x7f, 0x01],             // lea eax,[rdi+rdi*2+1]
            [0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00],  // mov rax,[rip+10h]
            [0xe8, 0x00, 0x00, 0x00, 0x00],       // call rel32
            [0xc3],                               // ret
            [0xc9],                               // leave
            [0x48, 0x83, 0xec, 0x28],             // sub rsp,28h
        ]
        for bytes in safe { XCTAssertNil(disassembler.reexecutionHazard(bytes, at: base), "\(bytes)") }
        let unsafe: [([UInt8], String)] = [
            ([0x89, 0x7d, 0xfc], "it writes memory"),                                    // mov [rbp-4],edi
            ([0xf0, 0x83, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01], "it writes memory"),      // lock add [rip],1
            ([0x0f, 0x05], "it is a system call"),
            ([0x66, 0x0f, 0xef, 0xc0], "it writes xmm0"),                                // pxor xmm0,xmm0
            ([0xff, 0x54, 0x24, 0xf8], "it reads the stack it writes"),                  // call [rsp-8]
            ([0x9c], "it writes memory"),                                                // pushfq
            ([0xf3, 0xa4], "it writes memory"),                                          // rep movsb
        ]
        for (bytes, reason) in unsafe { XCTAssertEqual(disassembler.reexecutionHazard(bytes, at: base), reason, "\(bytes)") }
    }
}

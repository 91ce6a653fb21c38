/// Help for one command, as `.help NAME` and `.hh NAME` show it: its syntax lines, what it
/// does, its options and an example or two.
struct CommandHelp: Sendable {
    let syntax: [String]
    let description: String
    let options: [(name: String, meaning: String)]
    let examples: [String]
}

extension Interpreter {
    /// Help by command name: the first name of each command table entry.
    static let commandHelp: [String: CommandHelp] = [
        // MARK: breakpoints

        "bp": CommandHelp(
            syntax: [
                "bp[ID] [/1] [/w \"Condition\"] [Address [Passes]] [\"CommandString\"]",
                "~Thread bp[ID] [/1] Address [Passes] [\"CommandString\"]",
                "bp[ID] [/1] `[Module!]File:Line` [Passes] [\"CommandString\"]",
            ],
            description: "Sets a software breakpoint (an int3) at Address, a MASM expression such as module!symbol+0x10 or a source line; with no address, at the current instruction. A name that no loaded module has yet becomes a deferred breakpoint, resolved when its module loads, and a source line with code in several places (inlined copies, templates) gets one breakpoint with a location at each; every location is resolved again from the spec when modules load and unload, on exec and on .restart. The target breaks in on the Passes-th hit and then runs CommandString, which can end with gc to go on. A condition — /w, or CommandString in one of the forms .if (C) {…} .else {gc}, .if (C) {gc} .else {…}, j (C) '…' ; 'gc' — is parsed once and evaluated by the engine at each hit: a false one lets the thread run on without reaching the command interpreter, and only hits whose condition holds count as passes.",
            options: [
                (name: "ID", meaning: "breakpoint number, decimal, glued to the command (bp5); at most 0xffff; default the lowest free number, or the number of the breakpoint already at that address (redefined)"),
                (name: "/1", meaning: "one-shot: the breakpoint is deleted when it breaks in"),
                (name: "/w \"Condition\"", meaning: "a C++ expression (as ?? takes) evaluated in the hit thread's frame: the breakpoint breaks in only where it is non-zero; one that cannot be evaluated breaks in and says why"),
                (name: "~Thread", meaning: "~N (thread number, decimal) or ~~[tid] before bp: break in only when that thread hits it"),
                (name: "Address", meaning: "module!symbol, @!\"C++ name(args)\", any MASM expression, or `File:Line` (File:Line without backticks works too; `:Line` is a line of the current source file)"),
                (name: "Passes", meaning: "break in on this hit and every one after it (an expression, hex by default: 0n10 is ten); bl shows the passes left"),
                (name: "\"CommandString\"", meaning: "commands run when it breaks in, separated by ;; gc resumes the way the breakpoint was reached"),
            ],
            examples: [
                "bp libc!send \".if (@rdi == 5) {} .else {gc}\"",
                "bp /1 libc!malloc 0n10 \"r rdi; kb\"",
                "~1 bp `main.c:42`",
            ]),

        "bu": CommandHelp(
            syntax: [
                "bu[ID] [/1] Address [Passes] [\"CommandString\"]",
                "~Thread bu[ID] [/1] Address [Passes] [\"CommandString\"]",
            ],
            description: "Sets an unresolved (deferred) breakpoint: Address, one word such as module!symbol or `File:Line`, is kept as text and resolved again whenever modules load, so it suits code in a library that is loaded later (dlopen). If it resolves now it is planted at once; until then bl shows it as eu.",
            options: [
                (name: "ID", meaning: "breakpoint number, decimal, glued to the command (bu3); default the lowest free number"),
                (name: "/1", meaning: "one-shot: the breakpoint is deleted when it breaks in"),
                (name: "~Thread", meaning: "~N or ~~[tid] before bu: break in only when that thread hits it"),
                (name: "Passes", meaning: "break in on this hit and every one after it (hex by default)"),
                (name: "\"CommandString\"", meaning: "commands run when it breaks in"),
            ],
            examples: [
                "bu libplugin!plugin_compute",
                "bu `libplugin!plugin.c:7` \"kb\"",
            ]),

        "bm": CommandHelp(
            syntax: ["bm [Module!]Pattern [\"CommandString\"]"],
            description: "Sets a breakpoint on every function symbol of the loaded modules whose name matches Pattern (wildcards * and ?, case-insensitive; without Module! in every module), printing each as N: address @!\"module!name\". Data symbols are skipped, and modules not loaded yet get none.",
            options: [
                (name: "Pattern", meaning: "matched against symbol names as x shows them (demangled C++ and Swift names)"),
                (name: "\"CommandString\"", meaning: "commands each of the breakpoints runs when it breaks in"),
            ],
            examples: [
                "bm libc!str*",
                "bm libc!send* \"kb; gc\"",
            ]),

        "bl": CommandHelp(
            syntax: ["bl"],
            description: "Lists the breakpoints: number, e or d (enabled, disabled; eu or du while unresolved), address with [file @ line], the passes left and set (hex), the thread it is limited to (0:~001, or 0:**** for any), its symbol, /1 and its command string. An unresolved one shows its expression in parentheses and, when nothing loaded could hold it, why.",
            options: [],
            examples: ["bl"]),

        "bc": CommandHelp(
            syntax: ["bc ID [ID ...]", "bc ID-ID", "bc *"],
            description: "Deletes breakpoints. IDs are decimal, as bl shows them, separated by blanks or commas; a range a-b takes every breakpoint in it and * takes them all.",
            options: [],
            examples: ["bc 1", "bc 1-3,5", "bc *"]),

        "bd": CommandHelp(
            syntax: ["bd ID [ID ...]", "bd ID-ID", "bd *"],
            description: "Disables breakpoints without deleting them: they stay in bl marked d and do not break in until be enables them. IDs as for bc.",
            options: [],
            examples: ["bd 2", "bd *"]),

        "be": CommandHelp(
            syntax: ["be ID [ID ...]", "be ID-ID", "be *"],
            description: "Enables disabled breakpoints again. IDs as for bc.",
            options: [],
            examples: ["be 2", "be 0-4"]),

        "br": CommandHelp(
            syntax: ["br OldID NewID"],
            description: "Renumbers a breakpoint, keeping everything else about it (both numbers decimal, NewID at most 0xffff); a breakpoint that already had NewID is replaced.",
            options: [],
            examples: ["br 1 5"]),

        // MARK: execution

        "g": CommandHelp(
            syntax: ["g [=StartAddress] [BreakAddress ...]", "~Thread g"],
            description: "Go: resumes every thread until a breakpoint or event stops the target; with BreakAddresses it also stops when any thread reaches one of them. A signal the thread stopped with is delivered to the program, except the program's own int3 (bpe).",
            options: [
                (name: "=StartAddress", meaning: "set rip there first: the instruction pointer jumps"),
                (name: "BreakAddress", meaning: "one or more addresses to stop at (temporary breakpoints)"),
                (name: "~Thread", meaning: "~N g: only that thread runs, the others stay frozen"),
            ],
            examples: ["g", "g libc!exit", "g poi(@rsp)"]),

        "ba": CommandHelp(
            syntax: ["ba[ID] [/1] [/w \"Condition\"] Access Size Address [Passes] [\"CommandString\"]", "~Thread ba[ID] Access Size Address [Passes] [\"CommandString\"]"],
            description: "Sets a hardware breakpoint: one of the four debug registers (DR0-DR3), armed on every thread of the process, threads created later included. A data breakpoint breaks in after the instruction that accessed the memory (the stop shows its successor, as WinDbg does); an execute breakpoint before the instruction runs, without changing a byte of code. Passes, conditions and command strings work as for bp. Detach, quit and errors leave no debug register armed.",
            options: [
                (name: "Access", meaning: "e (execute), w (write) or r (read or write: x86 has no read-only watch); i (I/O) needs kernel mode"),
                (name: "Size", meaning: "1, 2, 4 or 8 bytes, glued to Access or not (ba w4, ba w 4); Address must be aligned to it; e takes 1"),
                (name: "Address", meaning: "any MASM expression: prog!counter, @rsp+8, poi(@rdi)"),
            ],
            examples: ["ba w4 prog!counter", "ba r8 @rsp+8 \"k; gc\"", "ba e1 libc!send 3"]),

        "gc": CommandHelp(
            syntax: ["gc"],
            description: "Go from a conditional breakpoint the way it was reached: if the breakpoint interrupted a step or a plan (p over a call, gu, pa, g BreakAddress), that goes on to its end; otherwise it runs as g. Meant for breakpoint command strings, as in .else {gc}.",
            options: [],
            examples: ["bp libc!send \".if (@rdi == 5) {} .else {gc}\"", "gc"]),

        "wt": CommandHelp(
            syntax: ["wt [WatchOptions] [= StartAddress] [EndAddress]"],
            description: "Trace and watch data: at a function's first instruction (or on a call), runs the call to its return address and prints its call tree — one line per stretch of an invocation: instructions it ran itself so far, instructions in its callees, [depth], the function indented by depth — then how many instructions ran in how many debug events, a table of functions (invocations, fewest, most and average instructions), the Linux system calls executed by name, and where it stopped. Counts are exact (what single-stepping counts, each repetition of a string instruction included) but cost one stop per basic block: the thread runs to the block's last instruction and the debugger executes the branch. A breakpoint or event during the trace interrupts it; gc goes on with it. Elsewhere, without EndAddress, wt is a step (p).",
            options: [
                (name: "-l Depth", meaning: "calls Depth or more levels below the start run untraced (shown as \"(not traced)\")"),
                (name: "-m Module", meaning: "trace only code in Module (repeatable); calls and jumps out of it run untraced"),
                (name: "-i Module", meaning: "run code in Module untraced (repeatable; ignored with -m)"),
                (name: "-ni", meaning: "do not show the entries into untraced code"),
                (name: "-nc", meaning: "no call tree, only the summary"),
                (name: "-ns", meaning: "no summary, only the call tree"),
                (name: "-nw", meaning: "no warnings (wt gives none)"),
                (name: "-oa", meaning: "show the call site of each invocation"),
                (name: "-or", meaning: "show rax where an invocation returns, in the current radix"),
                (name: "-oR", meaning: "show the return value as the function's DWARF return type shows it"),
                (name: "EndAddress", meaning: "trace until the thread reaches this address instead of the return address"),
            ],
            examples: ["bp libc!send", "g", "wt", "wt -l 2 -or", "wt -m myprog -ni"]),

        "gh": CommandHelp(
            syntax: ["gh [=StartAddress] [BreakAddress ...]"],
            description: "Go with the exception handled: the signal the thread stopped with is discarded and the program never receives it (skip a SIGSEGV after fixing rip or the memory, say). Otherwise as g.",
            options: [
                (name: "=StartAddress", meaning: "set rip there first"),
                (name: "BreakAddress", meaning: "addresses to stop at"),
            ],
            examples: ["gh", "r rip=@rip+2; gh"]),

        "gn": CommandHelp(
            syntax: ["gn [=StartAddress] [BreakAddress ...]"],
            description: "Go with the exception not handled: the signal the thread stopped with is delivered to the program, whose handler runs or whose default action applies. For the program's own int3 (bpe) it passes the SIGTRAP to the program's handler, which g does not.",
            options: [
                (name: "=StartAddress", meaning: "set rip there first"),
                (name: "BreakAddress", meaning: "addresses to stop at"),
            ],
            examples: ["gn"]),

        "gu": CommandHelp(
            syntax: ["gu"],
            description: "Go up: runs until the current function returns to its caller (the return address found by unwinding, with the stack back above this frame) and stops there. A breakpoint that hits first stops it; gc then finishes it.",
            options: [],
            examples: ["gu"]),

        "p": CommandHelp(
            syntax: ["p [Count]", "~Thread p [Count]"],
            description: "Step: executes Count instructions (default 1), showing each, and runs over calls and rep string instructions as one step. With l+t (source mode) each step is a source line, over calls, as gdb's next; an empty line repeats it.",
            options: [
                (name: "Count", meaning: "number of steps, hex by default (p 0n10 is ten)"),
                (name: "~Thread", meaning: "~N p: only that thread runs, the others stay frozen"),
            ],
            examples: ["p", "p 5", "~1 p"]),

        "t": CommandHelp(
            syntax: ["t [Count]", "~Thread t [Count]"],
            description: "Trace: executes Count instructions (default 1), showing each, and steps into calls. With l+t (source mode) each step is a source line, into calls, as gdb's step (never stopping in ld.so's lazy-binding resolver).",
            options: [
                (name: "Count", meaning: "number of steps, hex by default"),
                (name: "~Thread", meaning: "~N t: only that thread runs, the others stay frozen"),
            ],
            examples: ["t", "t 0n20"]),

        "pa": CommandHelp(
            syntax: ["pa StopAddress"],
            description: "Step to address: steps over calls an instruction at a time, showing each step, until rip is StopAddress or another event stops it.",
            options: [],
            examples: ["pa loop!work+0xd"]),

        "ta": CommandHelp(
            syntax: ["ta StopAddress"],
            description: "Trace to address: steps into calls an instruction at a time, showing each step, until rip is StopAddress or another event stops it.",
            options: [],
            examples: ["ta loop!work+0xd"]),

        "pc": CommandHelp(
            syntax: ["pc"],
            description: "Step to next call: steps over calls until the thread stands on the next call instruction, which is left unexecuted; only the stop is shown. A call at the current instruction is stepped over first.",
            options: [],
            examples: ["pc"]),

        "tc": CommandHelp(
            syntax: ["tc"],
            description: "Trace to next call: steps into calls until the thread stands on the next call instruction, in this function or a callee; only the stop is shown.",
            options: [],
            examples: ["tc"]),

        "pt": CommandHelp(
            syntax: ["pt"],
            description: "Step to next return: steps over calls until the thread stands on the next ret instruction of this function, which is left unexecuted; only the stop is shown.",
            options: [],
            examples: ["pt", "pt; p"]),

        "ph": CommandHelp(
            syntax: ["ph", "~Thread ph"],
            description: "Step to next branching instruction: steps over calls until the thread stands on the next jump, conditional jump, call, return or system call of this function, which is left unexecuted; the thread runs from block to block, as wt does.",
            options: [],
            examples: ["ph"]),

        "th": CommandHelp(
            syntax: ["th", "~Thread th"],
            description: "Trace to next branching instruction: as ph, but into calls (the next branch may be in the callee).",
            options: [],
            examples: ["th"]),

        "tt": CommandHelp(
            syntax: ["tt"],
            description: "Trace to next return: steps into calls until the thread stands on the next ret instruction, which may be a callee's; only the stop is shown.",
            options: [],
            examples: ["tt"]),

        // MARK: events

        "sx": CommandHelp(
            syntax: ["sx"],
            description: "Lists the event filters: each event's code, what it is and what happens (break, second-chance break, output, ignore), with its -c commands and :Pattern. Windows exceptions are Linux signals here: av is SIGSEGV and SIGBUS, ii SIGILL, dz SIGFPE, bpe the program's own int3, and other signals go by their lower-case names (sigusr1); ld/ud are module load and unload, ct/et thread create and exit, cpr/epr process create and exit.",
            options: [],
            examples: ["sx"]),

        "sxe": CommandHelp(
            syntax: [
                "sxe [-c \"Commands\"] Event",
                "sxe [-c \"Commands\"] ld[:Pattern]",
                "sxe [-c \"Commands\"] ud[:Pattern]",
            ],
            description: "Enables breaking in at the first chance of Event, before the program's signal handler sees it. For ld and ud, :Pattern limits it to modules whose file or module name matches; sxe cpr followed by .restart stops right after the exec, before the dynamic loader runs.",
            options: [
                (name: "-c \"Commands\"", meaning: "commands run when the event breaks in (first chance); gc in them goes on"),
                (name: "Event", meaning: "av ii dz bpe ld ud ct et cpr epr, or a signal by lower-case name (sigusr1, sigpipe, sigabrt)"),
                (name: ":Pattern", meaning: "for ld and ud: a wildcard on the file or module name (libz, libfoo*)"),
            ],
            examples: ["sxe av", "sxe -c \"kb; gc\" sigusr1", "sxe ld:libz"]),

        "sxd": CommandHelp(
            syntax: ["sxd Event"],
            description: "Second chance only: a signal prints its first-chance line and goes to the program, and the debugger breaks in only if it would kill the program (default action, no handler); this is the default for most signals. For events that are not signals, sxd prints a line as sxn does.",
            options: [
                (name: "Event", meaning: "av ii dz bpe ld ud ct et cpr epr, or a signal by lower-case name"),
            ],
            examples: ["sxd av", "sxd sigpipe"]),

        "sxn": CommandHelp(
            syntax: ["sxn Event"],
            description: "Output: prints a line when the event happens and lets the program go on (for ld and ud, the ModLoad and Unload lines). A signal that would kill the program still breaks in at its second chance, as with sxd.",
            options: [
                (name: "Event", meaning: "av ii dz bpe ld ud ct et cpr epr, or a signal by lower-case name"),
            ],
            examples: ["sxn ct", "sxn sigusr1"]),

        "sxi": CommandHelp(
            syntax: ["sxi Event"],
            description: "Ignore: nothing is printed and the debugger does not break in, not even at the second chance (a signal that kills the program still kills it). The default for ct, et, cpr and quiet signals such as sigchld, sigalrm and sigwinch.",
            options: [
                (name: "Event", meaning: "av ii dz bpe ld ud ct et cpr epr, or a signal by lower-case name"),
            ],
            examples: ["sxi sigalrm", "sxi bpe"]),

        ".lastevent": CommandHelp(
            syntax: [".lastevent"],
            description: "Shows the last event that stopped the target.",
            options: [],
            examples: [".lastevent"]),

        // MARK: dumps

        ".opendump": CommandHelp(
            syntax: [".opendump CoreFile [Program]"],
            description: "Opens a core file as the target (as swdbg -z does): written by the kernel, by gdb's gcore or by .dump. Every inspection command works on it; commands that run or change the target say there are no runnable debuggees. Memory the core leaves out (the text of mapped files) is read from the files; a file that is not the one the process ran (another build id) is a warning, and lm marks it (mismatched).",
            options: [
                (name: "CoreFile", meaning: "the core file"),
                (name: "Program", meaning: "the executable, where the core's path to it is wrong (moved, or from another machine)"),
            ],
            examples: [".opendump core", ".opendump /var/crash/core.1234 ./server"]),

        ".dump": CommandHelp(
            syntax: [".dump [/ma | /m] [/o] FileName"],
            description: "Writes the target as it stands into an ELF core file that swdbg, gdb and eu-stack read. The current thread goes first, with the signal it stopped with (or a breakpoint trap), so opening the dump shows the stop it was written at. The debugger's own breakpoints are not in it.",
            options: [
                (name: "/ma", meaning: "all memory: every readable mapping"),
                (name: "/m", meaning: "the default, small: the threads' stacks, the vDSO, each mapped file's first page, the modules' writable data and the dynamic linker's module list; code is read back from the files"),
                (name: "/o", meaning: "replace FileName if it exists"),
            ],
            examples: [".dump /ma /tmp/full.core", ".dump /m /o small.core"]),

        "!process": CommandHelp(
            syntax: ["!process 0 0", "!process Address"],
            description: "In a kernel session (swdbg -k): every process — the task list from init_task, thread group leaders — with its task_struct address, Cid (tgid, hex), ParentCid, its mm (none for a kernel thread), its state and its name; or the task_struct at Address. Laid out through the kernel's BTF.",
            options: [],
            examples: ["!process 0 0", "!process ffff8de8411f48c0"]),

        "!thread": CommandHelp(
            syntax: ["!thread [Address]"],
            description: "In a kernel session: the task the current CPU runs (its per-CPU current_task), or the task_struct at Address: Cid as tgid.pid, state, the process's name and mm.",
            options: [],
            examples: ["!thread", "!thread ffff8de842630000"]),

        "!pcr": CommandHelp(
            syntax: ["!pcr [Processor]"],
            description: "In a kernel session: a CPU's per-CPU area (gs_base in kernel mode, k_gs_base in user mode) and the task it runs.",
            options: [],
            examples: ["!pcr", "!pcr 1"]),

        "!analyze": CommandHelp(
            syntax: ["!analyze [-v]"],
            description: "Explains the last exception (the signal that ended a dumped process, or a live stop at a signal): the faulting instruction and the address it touched, the class of problem (null or wild pointer, stack overflow, abort, assertion, heap corruption found by glibc, stack smashing, divide by zero, illegal instruction, a signal sent from outside) with glibc's abort message where there is one, the faulting thread's stack, the frame to blame (the first outside the system's libraries) and FAILURE_BUCKET_ID, which names the crash site without addresses: the same crash gets the same id in every run, under any ASLR slide.",
            options: [(name: "-v", meaning: "everything (without it: the probable cause and the bucket id)")],
            examples: ["!analyze -v", "!analyze"]),

        "!address": CommandHelp(
            syntax: ["!address", "!address address", "!address -summary"],
            description: "The process's memory map in WinDbg's layout: each region's base, end and size, its type (MEM_IMAGE for a module's mappings, MEM_MAPPED for another file's, MEM_PRIVATE), state (MEM_COMMIT, MEM_RESERVE for PROT_NONE, MEM_FREE for the gaps), protection and usage: Image with its module, Stack with its thread, Heap (the brk heap and malloc's mmap'd arenas, found through libc's main_arena), MappedFile, Anonymous, Other ([vvar], [vsyscall]) or Free. Live processes and core files.",
            options: [(name: "address", meaning: "the region holding one address, in detail"), (name: "-summary", meaning: "totals by usage, type, state and protection, and the largest region of each usage")],
            examples: ["!address", "!address @rsp", "!address -summary"]),

        "!heap": CommandHelp(
            syntax: ["!heap -s", "!heap -a [arena]", "!heap -p -a address", "!heap -v"],
            description: "glibc malloc's heap, laid out from libc's DWARF (libc6-dbg: malloc_state, malloc_par, tcache_perthread_struct): every arena (main_arena's ring), its heap, its chunks and free lists — tcache (safe-linked), fastbins, the unsorted, small and large bins.",
            options: [(name: "-s", meaning: "each arena: its heap, system memory, busy and free totals, chunk counts, and how many chunks each free list holds"),
                      (name: "-a [arena]", meaning: "the chunks of every arena (or one), in address order, each busy, free with the list that holds it, or the top chunk"),
                      (name: "-p -a address", meaning: "the chunk holding an address: its start, size, user pointer, usable size and state"),
                      (name: "-v", meaning: "a consistency check: chunk sizes, the walk reaching the top chunk, the lists' links (bk->fd), double frees in tcache and fastbins, counts; each problem explained")],
            examples: ["!heap -s", "!heap -a", "!heap -p -a poi(@rsp+8)", "!heap -v"]),

        ".scriptload": CommandHelp(
            syntax: [".scriptload file.py"],
            description: "Runs a Python script's top level in an embedded CPython 3.11, as a module named after the file. The script imports swdbg: read_memory(address, size), write_memory(address, data), evaluate(masm), register(name), symbol(address), execute(command) (its output), breakpoint(expression, callback) (callback(id) returning true stops, false runs on), command(name, function) (!script.name arguments calls function(arguments)), sizeof(type) and offsetof(type, member) from DWARF, threads(). print() goes to the session. A script that raises prints its traceback and is an error; loading it again replaces it.",
            options: [],
            examples: [".scriptload /home/me/probe.py", "!probe.report"]),

        ".scriptrun": CommandHelp(
            syntax: [".scriptrun file.py"],
            description: "Loads a Python script as .scriptload does, then calls its invoke_script() (WinDbg's invokeScript).",
            options: [],
            examples: [".scriptrun /home/me/probe.py"]),

        ".scriptunload": CommandHelp(
            syntax: [".scriptunload name"],
            description: "Forgets a loaded script and its !commands (by its module name or path).",
            options: [],
            examples: [".scriptunload probe"]),

        ".scriptlist": CommandHelp(
            syntax: [".scriptlist"],
            description: "Lists the loaded Python scripts with their paths and the commands they added.",
            options: [],
            examples: [".scriptlist"]),

        ".scriptcallback": CommandHelp(
            syntax: [".scriptcallback callback id"],
            description: "What a breakpoint set by a script's swdbg.breakpoint runs at a hit: the script's callback with the breakpoint's id; a false answer resumes as gc does. Set by swdbg, not typed.",
            options: [],
            examples: [".scriptcallback 0 2"]),

        "!swift.types": CommandHelp(
            syntax: ["!swift.types module"],
            description: "A module's Swift nominal types (classes, structs, enums, protocols) from its swift5_types section, each with its kind, qualified name and context descriptor. Read from the target's memory: no DWARF needed.",
            options: [],
            examples: ["!swift.types classes"]),

        "!swift.name2ee": CommandHelp(
            syntax: ["!swift.name2ee Module.Type.method"],
            description: "Finds a Swift method (or every method of a name prefix) in the loaded modules: its module, whole name and address, as SOS's !name2ee does for a managed method.",
            options: [],
            examples: ["!swift.name2ee classes.Square.perimeter"]),

        "!swift.dumpmt": CommandHelp(
            syntax: ["!swift.dumpmt Module.Class"],
            description: "A Swift class's metadata, as SOS's !DumpMT -MD: its descriptor, superclass, metadata and instance size, stored property count, and its vtable — each entry's implementation and method name.",
            options: [],
            examples: ["!swift.dumpmt classes.Square"]),

        "!swift.dumpobj": CommandHelp(
            syntax: ["!swift.dumpobj address"],
            description: "A Swift heap object: its class (from its isa's class descriptor), metadata, instance size, strong and unowned reference counts, and its stored properties — superclasses' first — at the offsets the metadata gives, with their types from the field reflection metadata and the values of Int, UInt, Double, Bool and String.",
            options: [],
            examples: ["!swift.dumpobj @rdi"]),

        "!py.bt": CommandHelp(
            syntax: ["!py.bt", "!py.bt -n"],
            description: "The current thread's Python frames in a CPython 3.11 debuggee, innermost first, as gdb's py-bt shows them: File \"path\", line N, in function (the qualified name). Read from libpython's DWARF (_PyRuntime, PyThreadState, _PyInterpreterFrame, PyCodeObject), the line from the code object's location table.",
            options: [(name: "-n", meaning: "the native stack with each Python frame under the _PyEval_EvalFrameDefault call that runs it")],
            examples: ["!py.bt", "!bt", "!py.bt -n"]),

        "!py.locals": CommandHelp(
            syntax: ["!py.locals [frame]"],
            description: "A Python frame's local variables in a CPython 3.11 debuggee (frame 0, the innermost, by default; numbered as !py.bt lists them): each name with its value as repr shows an int, float, str, bool or None, other objects by their type's name and address.",
            options: [(name: "frame", meaning: "the frame's number in !py.bt, from 0")],
            examples: ["!py.locals", "!py.locals 2"]),

        "!py.threads": CommandHelp(
            syntax: ["!py.threads"],
            description: "Every Python thread state of a CPython 3.11 debuggee: its native thread (and ~ number), its PyThreadState and its innermost Python frame.",
            options: [],
            examples: ["!py.threads"]),

        ".load": CommandHelp(
            syntax: [".load path", ".load name"],
            description: "Loads an extension library built against swdbg_extension.h (Sources/CExtension/include): its commands run as !name or !library.name. A bare name is looked for as libname.so or name.so in the folders of $SWDBG_EXTENSION_PATH. A library built for another extension API version, or without swdbg_extension_version, swdbg_extension_commands and a swdbg_command_NAME for each name, is refused with the reason.",
            options: [],
            examples: [".load /opt/ext/libheapwalk.so", ".load heapwalk"]),

        ".loadby": CommandHelp(
            syntax: [".loadby name module"],
            description: "Loads the extension libname.so (or name.so) from the folder of a loaded module's file, as WinDbg's .loadby sos clr finds sos beside the runtime it serves.",
            options: [],
            examples: [".loadby swiftext libswiftCore"]),

        ".unload": CommandHelp(
            syntax: [".unload name"],
            description: "Unloads a loaded extension library (its swdbg_extension_uninitialize runs first). The built-in ext and kdexts cannot be unloaded.",
            options: [],
            examples: [".unload heapwalk"]),

        ".unloadall": CommandHelp(
            syntax: [".unloadall"],
            description: "Unloads every loaded extension library.",
            options: [],
            examples: [".unloadall"]),

        ".chain": CommandHelp(
            syntax: [".chain"],
            description: "Lists the extension chain in the order !name searches it: loaded libraries, newest first, with their API version, command count and path; then the built-in ext (!analyze, !address, !list, !sym) and kdexts (!process, !thread, !pcr).",
            options: [],
            examples: [".chain"]),

        ".extmatch": CommandHelp(
            syntax: [".extmatch pattern", ".extmatch /e module pattern"],
            description: "Lists the extension commands whose names match a wildcard pattern, as !module.name, over the whole chain or one module.",
            options: [(name: "/e module", meaning: "only that extension's commands")],
            examples: [".extmatch *", ".extmatch /e ext a*"]),

        ".exr": CommandHelp(
            syntax: [".exr -1"],
            description: "Shows the last exception (the signal of the last event, or the one that ended a dumped process) as WinDbg's exception record: address, NTSTATUS-style code, for an access violation whether it read, wrote or executed and where, and the signal with its si_code.",
            options: [(name: "-1", meaning: "the most recent exception")],
            examples: [".exr -1"]),

        ".ecxr": CommandHelp(
            syntax: [".ecxr"],
            description: "Switches to the thread of the last exception and shows its registers and instruction at the fault: the context to run k, dv and u in.",
            options: [],
            examples: [".ecxr", ".ecxr; kb"]),

        // MARK: registers

        "r": CommandHelp(
            syntax: [
                "r",
                "r Register[, Register ...]",
                "r Register=Expression[, Register=Expression ...]",
                "r xmmN=Float [Float Float Float]",
                "~Thread r [Register ...]",
            ],
            description: "With no argument, shows the register block and the current instruction (~* r: every thread's). Otherwise shows or assigns registers, several on one line separated by commas; assigned values are MASM expressions.",
            options: [
                (name: "Register", meaning: "rax..r15 and their parts (eax, ax, al, ah, r8d), rip, efl and its flags (of df if sf zf af pf cf tf), cs ss ds es fs gs, fs_base gs_base; @ may prefix it"),
                (name: "xmmN, ymmN", meaning: "shown as float lanes, highest first; one value sets the lowest lane and clears the others, four (eight for ymm) set them all"),
                (name: "mxcsr", meaning: "the SSE control and status register"),
                (name: "$t0-$t19", meaning: "user pseudo-registers; $ip $ra $csp $retreg $tid $tpid $exentry can be shown too"),
            ],
            examples: ["r", "r rax, rdi", "r rip=poi(@rsp)", "r $t0 = @$t0 + 1"]),

        // MARK: memory

        "d": CommandHelp(
            syntax: ["d [Address] [L Count | EndAddress]"],
            description: "Displays memory in the format of the last db/dd/dq... command (db to begin with); with no address, continues after the last display.",
            options: [],
            examples: ["d", "d @rsp"]),

        "da": CommandHelp(
            syntax: ["da [Address] [L Count | EndAddress]"],
            description: "Displays the NUL-terminated ASCII string at Address, up to 0x100 characters (or Count), 48 to a line, with unprintable bytes as dots. With no address it continues after the last display.",
            options: [
                (name: "L Count", meaning: "most characters to read (hex by default)"),
            ],
            examples: ["da @rdi", "da poi(@rsp+8)"]),

        "du": CommandHelp(
            syntax: ["du [Address] [L Count | EndAddress]"],
            description: "Displays the NUL-terminated Unicode string at Address in UTF-16 units (Windows' wide strings), up to 0x100 characters or Count. Linux's wchar_t is 4 bytes: ?? shows such strings.",
            options: [
                (name: "L Count", meaning: "most characters to read (hex by default)"),
            ],
            examples: ["du @rsi"]),

        "db": CommandHelp(
            syntax: [
                "db [/c Columns] [Address] [L Count | EndAddress]",
                "dw|dW|dd|dc|dq|dp|dD|df|dds|dps|dqs [/c Columns] [Address] [L Count | EndAddress]",
            ],
            description: "Displays memory in WinDbg's layouts, an address and a line of values per row, with ???? where memory cannot be read. With no address it continues after the last display (the first time, at the current instruction); Count above 0x100000 elements needs L? (at most 0x1000000).",
            options: [
                (name: "db", meaning: "bytes and ASCII characters (default 0x80 bytes)"),
                (name: "dw, dW", meaning: "words; dW adds ASCII characters"),
                (name: "dd, dc", meaning: "dwords; dc adds ASCII characters"),
                (name: "dq, dp", meaning: "qwords; dp is pointer-sized, the same on x86-64"),
                (name: "dD, df", meaning: "doubles, floats"),
                (name: "dds, dps, dqs", meaning: "one dword (dds) or qword (dps, dqs) per line with the module!symbol it points into"),
                (name: "/c Columns", meaning: "values per line, 1 to 256"),
                (name: "L Count", meaning: "number of elements (hex by default; L? lifts the 0x100000 limit)"),
                (name: "EndAddress", meaning: "display up to and including this address"),
            ],
            examples: ["dd @rsp", "db loop!counter L20", "dps @rsp L8"]),

        // MARK: edit

        "e": CommandHelp(
            syntax: ["e Address Value [Value ...]"],
            description: "Enters values in the size of the last eb/ew/ed/eq command (bytes to begin with). Values are MASM expressions; there is no interactive entry, so at least one is needed.",
            options: [],
            examples: ["e @rip 90 90"]),

        "eb": CommandHelp(
            syntax: [
                "eb Address Value [Value ...]",
                "ew Address Value [Value ...]",
                "ed Address Value [Value ...]",
                "eq Address Value [Value ...]",
            ],
            description: "Writes bytes (eb), words (ew), dwords (ed) or qwords (eq), little-endian, one after another from Address. Each Value is a MASM expression (hex by default) cut to the element size.",
            options: [],
            examples: ["eb @rip 90", "ed loop!counter 0n42", "eq @rsp+8 0"]),

        "ea": CommandHelp(
            syntax: ["ea Address \"String\"", "eza Address \"String\""],
            description: "Writes a string's bytes (ASCII, or UTF-8) at Address; eza adds the terminating NUL, ea does not.",
            options: [],
            examples: ["eza @rdi \"hello\"", "ea @rsi \"abc\""]),

        "f": CommandHelp(
            syntax: ["f Address L Count Pattern [Pattern ...]", "f Address EndAddress Pattern [Pattern ...]"],
            description: "Fills memory with the byte pattern, repeated over the range; each pattern value is a MASM expression cut to a byte.",
            options: [
                (name: "L Count", meaning: "number of bytes (hex by default)"),
            ],
            examples: ["f loop!counter L4 aa", "f @rsp L20 0 ff"]),

        "s": CommandHelp(
            syntax: [
                "s [-b|-w|-d|-q] Range Pattern [Pattern ...]",
                "s -a Range \"String\"",
                "s -u Range \"String\"",
            ],
            description: "Searches the memory of Range (Address L Count or Address EndAddress, counted in bytes) for the pattern and prints a db-style line at each match; unreadable pages are skipped. A range above 0x100000 bytes needs L? (at most 0x1000000).",
            options: [
                (name: "-b", meaning: "byte values (the default)"),
                (name: "-w, -d, -q", meaning: "word, dword or qword values, matched at multiples of their size from the start"),
                (name: "-a", meaning: "an ASCII string"),
                (name: "-u", meaning: "a UTF-16 string"),
            ],
            examples: ["s -d loop!counter L8 0xcafe", "s -a @rsp L1000 \"HOME=\""]),

        "c": CommandHelp(
            syntax: ["c Range Address"],
            description: "Compares the bytes of Range (Address L Count or Address EndAddress) with those at Address and prints each difference as address1 value1 - address2 value2.",
            options: [],
            examples: ["c loop!counter L8 loop!counter+8"]),

        "m": CommandHelp(
            syntax: ["m Range Address"],
            description: "Moves (copies) the bytes of Range (Address L Count or Address EndAddress) to Address; the whole range is read first, so overlapping ranges are safe.",
            options: [],
            examples: ["m loop!counter L4 loop!counter+4"]),

        // MARK: expressions

        "?": CommandHelp(
            syntax: ["? Expression"],
            description: "Evaluates a MASM expression and prints it in decimal and hex (Evaluate expression: 16 = 00000000`00000010). Numbers without a prefix are hex unless n changed the radix.",
            options: [
                (name: "0n 0x 0t 0y", meaning: "decimal, hex, octal and binary numbers; ` may separate digits (00007fff`ffffe000)"),
                (name: "@rax, @$ip", meaning: "registers and pseudo-registers: $ip $ra $csp $retreg $exentry $tid $tpid $t0-$t19"),
                (name: "module!symbol", meaning: "a symbol's address (a local variable's name is its address); `[Module!]File:Line` a source line's"),
                (name: "poi by wo dwo qwo", meaning: "the pointer, byte, word, dword or qword at an address"),
                (name: "hi low", meaning: "the high and low 16 bits of the low 32"),
                (name: "operators", meaning: "+ - * / % (mod) & (and) | (or) ^ (xor) << >> >>> == != < <= > >= ! (not) ~, grouping with ( ) or [ ]"),
                (name: "@@c++(Expression)", meaning: "the value of a C++ expression, as ?? evaluates it"),
            ],
            examples: ["? @rsp+0n16", "? poi(@rsp)", "? libc!send"]),

        ".formats": CommandHelp(
            syntax: [".formats Expression"],
            description: "Shows the value of a MASM expression as hex, decimal, octal, binary, characters, a time (seconds since 1970, UTC), two floats (its low and high halves) and a double.",
            options: [],
            examples: [".formats 41", ".formats @rax"]),

        "n": CommandHelp(
            syntax: ["n [Radix]"],
            description: "Shows or sets the default radix of MASM numbers without a prefix: 16 (the default), 10 or 8, itself written in decimal. Breakpoint and thread numbers stay decimal whatever it is.",
            options: [],
            examples: ["n", "n 10"]),

        "??": CommandHelp(
            syntax: ["?? Expression"],
            description: "Evaluates a C++ expression over the program's variables (the .frame frame's parameters and locals, then globals) with their DWARF types, and prints the typed result as WinDbg does: int 0n20, a pointer with the members of the record it points to, a record's members, an array's elements (up to 256), strings as text. It has members (. and ->), [], * and &, casts, sizeof, arithmetic with C's promotions, comparisons and assignment; @rdi is a register and @@masm(...) a MASM value.",
            options: [],
            examples: ["?? local.count", "?? nodes[1].next->value", "?? sizeof(struct record)"]),

        "dx": CommandHelp(
            syntax: ["dx [-rDepth] Expression"],
            description: "Display expression, as WinDbg's data model shows it: evaluates a C++ expression (the evaluator of ??) and prints Expression : summary [Type: type], through visualizers for libstdc++ (std::string, vector, list, deque, map, set, unordered_map, unordered_set, shared_ptr, weak_ptr, unique_ptr, optional, variant) and Swift String, Array and Dictionary. Its children (members, elements, [size] and the like) follow four spaces in, expanded to Depth levels.",
            options: [
                (name: "-rDepth", meaning: "levels of children to show, 0 to 16, glued to -r (default 1; -r alone is 1)"),
            ],
            examples: ["dx names", "dx -r2 table", "dx -r0 local"]),

        ".visualizers": CommandHelp(
            syntax: [".visualizers [on|off]"],
            description: "Turns the visualizers on or off for dv, kp and ?? (off to begin with): a container then shows on one line as dx summarizes it, such as { size=3 } = {1, 2, 3}, rather than its raw members. dx always uses them; with no argument it shows the setting.",
            options: [],
            examples: [".visualizers on", ".visualizers off"]),

        // MARK: types and lists

        "dl": CommandHelp(
            syntax: ["dl Address [MaxCount [Size]]", "dlb Address [MaxCount [Size]]"],
            description: "Walks a linked list whose nodes begin with their forward link, the backward link next (as Windows' LIST_ENTRY); dlb follows the backward links. It prints a line per node, its address and Size pointers from it, and stops at a null link, back at Address, or after MaxCount nodes.",
            options: [
                (name: "MaxCount", meaning: "most nodes (default 0x20, at most 0x10000)"),
                (name: "Size", meaning: "pointers shown per node (default 2, 1 to 0x20)"),
            ],
            examples: ["dl ring", "dlb ring 10 3"]),

        "!list": CommandHelp(
            syntax: ["!list -t [Module!]Type.Field [-x \"Command\"] [-m MaxCount] Address"],
            description: "Walks a list of records from the node at Address, each next node being the pointer in Field (a path a.b may name a nested member). For each node it runs Command with @$extret set to the node's address, or without -x prints the node's address and members as dt does; it stops at a null pointer, back at the start, or after MaxCount nodes.",
            options: [
                (name: "-t Type.Field", meaning: "the node type and its link member"),
                (name: "-x \"Command\"", meaning: "a command line to run per node, with @$extret the node"),
                (name: "-m MaxCount", meaning: "most nodes (default 0x1000)"),
            ],
            examples: ["!list -t node.next -x \"dt node @$extret\" poi(head)", "!list -t entry.next -m 2 first"]),

        "dt": CommandHelp(
            syntax: ["dt [-r] [Module!]Type [Address]", "dt [-r] [Module!]Variable"],
            description: "Displays a structure, union or class layout from DWARF in WinDbg's form (+0x000 member : Int4B, bitfields as Pos 1, 3 Bits, base classes as __BaseClass); with an Address, or for a variable, each member's value instead. A name is looked up as a local of the .frame frame, then a global, then a type; a local that points to a record shows the record.",
            options: [
                (name: "-r", meaning: "expand members that are records themselves, at every level"),
                (name: "Address", meaning: "where the Type is in memory (an expression)"),
            ],
            examples: ["dt -r local", "dt types!record 0", "dt shapes!geometry::Rectangle"]),

        // MARK: disassembly

        "u": CommandHelp(
            syntax: ["u [Address] [L Count]", "u Address EndAddress"],
            description: "Unassembles 8 instructions (or Count, or up to EndAddress) in MASM syntax, with module!symbol: labels, symbolized targets and [file @ line]. With no address it continues after the last u, or starts at the current instruction after a stop.",
            options: [
                (name: "L Count", meaning: "number of instructions (hex by default, at most 0x10000)"),
            ],
            examples: ["u", "u libc!send L10", "u @rip @rip+20"]),

        "ub": CommandHelp(
            syntax: ["ub [Address] [L Count]"],
            description: "Unassembles backwards: the Count (default 8) instructions that end just before Address (default the current instruction), found by decoding forward from the enclosing function's start, or else from increasing distances back.",
            options: [
                (name: "L Count", meaning: "number of instructions (at most 0x1000)"),
            ],
            examples: ["ub", "ub poi(@rsp) L4"]),

        "uf": CommandHelp(
            syntax: ["uf [Address]"],
            description: "Unassembles the whole function containing Address (default the current instruction), from its symbol's start to its end in address order; the symbol must have a size.",
            options: [],
            examples: ["uf libc!send", "uf"]),

        // MARK: stack

        "k": CommandHelp(
            syntax: ["k[b|v|p|P|n] [FrameCount]", "~Thread k[b|v|p|P|n] [FrameCount]"],
            description: "Displays the call stack of the current thread (~N k: thread N, ~*k: every thread): frame number, Child-SP, RetAddr and call site as module!function+0xoff [file @ line], with inlined calls as (Inline Function) frames. Frames are unwound by CFI (.eh_frame, .debug_frame), else by the frame pointer chain, with WinDbg's warning where that guessing starts; option letters combine (kbn, kpn).",
            options: [
                (name: "b", meaning: "also the first four quadwords on the stack above each return address (Args to Child; x64 passes arguments in registers)"),
                (name: "v", meaning: "as b, plus how each frame was found (registers, CFI, frame pointer, return address on the stack)"),
                (name: "p", meaning: "each frame's parameters with types and values from DWARF: module!f(int n = 0n5)+0x4"),
                (name: "P", meaning: "the same, one parameter per line"),
                (name: "n", meaning: "frame numbers (always shown)"),
                (name: "FrameCount", meaning: "most frames (hex by default; default 0x100)"),
            ],
            examples: ["k", "kb 5", "~*k", "kpn 3"]),

        ".frame": CommandHelp(
            syntax: [".frame [FrameNumber]"],
            description: "Shows the current local context frame or, with FrameNumber (hex, as k numbers frames), selects that frame for dv, dt, ?? and local names in expressions. Each stop selects frame 0 again.",
            options: [],
            examples: [".frame", ".frame 1"]),

        "dv": CommandHelp(
            syntax: ["dv [/t] [/v] [/i] [Pattern]"],
            description: "Displays the parameters and local variables of the .frame frame from DWARF, as name = value; a value the optimizer did not keep shows as <value unavailable>. Pattern (wildcards) limits it to matching names.",
            options: [
                (name: "/t", meaning: "show each variable's type"),
                (name: "/v", meaning: "show where each lives: register, address or <computed>"),
                (name: "/i", meaning: "show prv param or prv local"),
            ],
            examples: ["dv", "dv /t /i", "dv /v cou*"]),

        // MARK: modules and symbols

        "lm": CommandHelp(
            syntax: ["lm [v] [m Pattern]", "lmvm Module"],
            description: "Lists the loaded modules: start, end, name, symbol state ((deferred), (dwarf), (elf symbols), (export symbols)) and path. Modules are named as WinDbg would: libc.so.6 is libc, ld-linux-x86-64.so.2 is ld_linux_x86_64.",
            options: [
                (name: "v", meaning: "verbose: image path and name, load bias, symbol count, separate debug file"),
                (name: "m Pattern", meaning: "only modules whose name matches the wildcard"),
                (name: "o l e f 1", meaning: "accepted and ignored"),
            ],
            examples: ["lm", "lmvm libc", "lm m lib*"]),

        "x": CommandHelp(
            syntax: ["x [Module!]Pattern"],
            description: "Examines symbols: lists those whose name matches Pattern (wildcards * and ?, case-insensitive; demangled C++ and Swift names or mangled linkage names) in the modules matching Module, or in all of them. Each shows its address and, for a function, its parameter list from the demangled name or DWARF.",
            options: [],
            examples: ["x libc!str*", "x *!main", "x geometry!*Rectangle.area*"]),

        "ln": CommandHelp(
            syntax: ["ln [Address]"],
            description: "Lists the nearest symbols to Address (default the current instruction): the one at or before it with the offset, [file @ line], and the next symbol after it; at a symbol's start also every name for that address.",
            options: [],
            examples: ["ln @rip", "ln poi(@rsp)"]),

        ".reload": CommandHelp(
            syntax: [".reload"],
            description: "Forgets the module list and reads it again from the dynamic loader's list (r_debug); symbols are loaded again when needed. Options such as /f are accepted and ignored.",
            options: [],
            examples: [".reload"]),

        ".lines": CommandHelp(
            syntax: [".lines [-e|-d|-t]"],
            description: "Turns source line information on (-e) or off (-d), or toggles it (-t or no option); it is on to begin with. When it is off, stops, k, u and ln show no [file @ line], and l+t steps by instruction.",
            options: [],
            examples: [".lines -d", ".lines -e"]),

        ".sympath": CommandHelp(
            syntax: [".sympath", ".sympath Element[;Element ...]", ".sympath+ Element[;Element ...]"],
            description: "Shows or sets where separate debug files are looked for, after /usr/lib/debug (by build ID or .gnu_debuglink): folders, and symbol servers written srv* (the debuginfod servers of DEBUGINFOD_URLS), srv*URL or srv*Cache*URL. .sympath+ appends.",
            options: [],
            examples: [".sympath", ".sympath /opt/debug;srv*/tmp/symcache*https://debuginfod.debian.net", ".sympath+ /home/me/debug"]),

        ".symfix": CommandHelp(
            syntax: [".symfix [Cache]", ".symfix+ [Cache]"],
            description: "Sets the symbol path to the debuginfod servers of DEBUGINFOD_URLS (srv*, or srv*Cache* with a cache folder); .symfix+ appends that element instead. It warns when DEBUGINFOD_URLS is not set.",
            options: [],
            examples: [".symfix", ".symfix+ /tmp/symcache"]),

        "!sym": CommandHelp(
            syntax: ["!sym noisy", "!sym quiet", "!sym"],
            description: "noisy reports every place searched for a module's debug files; quiet stops it. With no argument it shows the mode.",
            options: [],
            examples: ["!sym noisy", "!sym quiet"]),

        // MARK: source

        "l+t": CommandHelp(
            syntax: ["l+t", "l-t", "l+s", "l-s"],
            description: "Source options: l+t makes p and t step by source line (as gdb's next and step) rather than by instruction, l+s shows the source line at each stop; l-t and l-s turn them off. Each prints the options now on.",
            options: [
                (name: "t", meaning: "step and trace by source line"),
                (name: "s", meaning: "display the source line at the prompt"),
            ],
            examples: ["l+t", "l+s; l-t"]),

        "lsa": CommandHelp(
            syntax: ["lsa [Address]"],
            description: "Lists the source around Address (default the current instruction): five lines either side of its line, which is marked >. That file becomes the current source file for ls.",
            options: [],
            examples: ["lsa @rip", "lsa loop!work"]),

        "ls": CommandHelp(
            syntax: ["ls"],
            description: "Lists the next 10 lines of the current source file (set by lsa, lsf, the last ls or an l+s stop); an empty line repeats it.",
            options: [],
            examples: ["ls"]),

        "lsf": CommandHelp(
            syntax: ["lsf File"],
            description: "Makes File, found through .srcpath, the current source file: ls lists it from line 1 and `:Line` in bp means a line of it.",
            options: [],
            examples: ["lsf loop.c", "lsf /src/app/main.c"]),

        ".prompt_allow": CommandHelp(
            syntax: [".prompt_allow [+|-Item ...]"],
            description: "Chooses what each stop shows after its event line, and prints the choices. r with no argument always shows everything.",
            options: [
                (name: "reg", meaning: "the register block"),
                (name: "dis", meaning: "the current instruction"),
                (name: "sym", meaning: "its module!symbol+0xoff label"),
                (name: "src", meaning: "its source line (with l+s)"),
                (name: "ea", meaning: "the address and value of its memory operand"),
            ],
            examples: [".prompt_allow -reg", ".prompt_allow -reg -ea +src"]),

        ".srcpath": CommandHelp(
            syntax: [".srcpath", ".srcpath Element[;Element ...]", ".srcpath+ Element[;Element ...]"],
            description: "Shows or sets where source files are found: a file is tried remapped, then as the debug information names it, then under each folder with its trailing path components (Folder/src/a.c, Folder/a.c). An element Old=New replaces a path prefix, as gdb's set substitute-path; .srcpath+ appends.",
            options: [],
            examples: [".srcpath /home/me/src", ".srcpath+ /build/app=/home/me/app"]),

        // MARK: command language

        ".if": CommandHelp(
            syntax: [".if (Condition) { Commands } [.elsif (Condition) { Commands }] [.else { Commands }]",
                     ".while (Condition) { Commands }", ".do { Commands } (Condition)", ".for (Initial ; Condition ; Step) { Commands }",
                     ".foreach [/pS Skip] [/ps Skip] (Variable { Commands }) { Commands }", ".foreach /s (Variable \"Words\") { Commands }",
                     ".foreach /f (Variable \"File\") { Commands }", ".break  .continue  .block { Commands }  .catch { Commands }  .leave"],
            description: "The command language's control flow (book 30.18). .if runs the block of the first MASM Condition that is nonzero, else the .else block; as a breakpoint's command string, bp Address \".if (Condition) {} .else {gc}\" breaks in only when Condition holds. .while, .do and .for loop (Ctrl-C stops one); .foreach runs its body once per blank-separated word of what the first commands print (or of a string, or a file), with Variable replaced by the word; /pS skips words before the first, /ps after each. .break and .continue leave or restart the innermost loop. .block replaces aliases in its commands when it runs; .catch stops at an error in its block and goes on after it; .leave leaves the .catch block.",
            options: [],
            examples: [".if (@rax == 0) { .echo zero } .else { r rax }", "bp libc!send \".if (@rdi == 5) {} .else {gc}\"",
                       ".for (r $t0 = 0; @$t0 < 4; r $t0 = @$t0 + 1) { ? @$t0 }", ".foreach (frame { k }) { .echo frame }",
                       ".catch { ? nosuch; .echo not reached }; .echo goes on"]),

        "j": CommandHelp(
            syntax: ["j Condition 'Commands' ; 'Commands'", "j Condition Command ; Command"],
            description: "Runs the first commands if the MASM Condition is nonzero, else the second. The quotes are needed only for a branch with semicolons of its own; '' does nothing.",
            options: [],
            examples: ["bp libc!send \"j (@rdi == 5) '' ; 'gc'\"", "j (@$t0 > 3) '.echo big; k' ; '.echo small'"]),

        ".echo": CommandHelp(
            syntax: [".echo [String]", ".echo \"String\""],
            description: "Prints the text (without its surrounding double quotes). Quote it to keep a semicolon in it; aliases in it are replaced.",
            options: [],
            examples: [".echo hello", ".echo \"rdi follows; then the stack\"", ".echo ${myval}"]),

        ".sleep": CommandHelp(
            syntax: [".sleep Milliseconds"],
            description: "Pauses the debugger (the target stays as it is: stopped, or running on after .detach).",
            options: [],
            examples: [".sleep 0n500", ".detach; .sleep 0n2000"]),

        ".kernelconditions": CommandHelp(
            syntax: [".kernelconditions [on|off]"],
            description: "Whether breakpoint conditions are evaluated in the kernel where they can be: a BPF program on a uprobe at the breakpoint, so a hit whose condition is false never stops the program. It applies to conditions that read only registers, constants and memory (poi, by, wo, dwo, qwo), on instructions that can run twice; bl says where each condition is evaluated and why. off evaluates every condition in the debugger at an int3; the breakpoints set move at once. Without an argument it says which is in force.",
            options: [],
            examples: [".kernelconditions", ".kernelconditions off", "bp libc!send \".if (@rdi == 5) {} .else {gc}\"; bl"]),

        "as": CommandHelp(
            syntax: [
                "as Name EquivalentText",
                "aS Name \"EquivalentText\"",
                "as /x|/e|/ma|/mu|/f|/c Name Value",
            ],
            description: "Defines an alias: Name, standing as a whole word or written ${Name}, is replaced by its text in later command lines. as takes the rest of the line as the text, semicolons included; aS takes one quoted string (or one word).",
            options: [
                (name: "/x", meaning: "the value of a MASM expression, as 0x hex"),
                (name: "/e", meaning: "the value of an environment variable"),
                (name: "/ma, /mu", meaning: "the NUL-terminated ASCII or UTF-16 string at an address"),
                (name: "/f", meaning: "the contents of a file"),
                (name: "/c", meaning: "what a command line prints (its lines joined by blanks)"),
            ],
            examples: ["as /x base @rsp+8", "aS msg \"hello world\"", "as /c regs r rip"]),

        "ad": CommandHelp(
            syntax: ["ad Name", "ad *"],
            description: "Deletes an alias, or every alias with *.",
            options: [],
            examples: ["ad msg", "ad *"]),

        "al": CommandHelp(
            syntax: ["al"],
            description: "Lists the aliases and their values.",
            options: [],
            examples: ["al"]),

        "$$<": CommandHelp(
            syntax: ["$$< File", "$< File"],
            description: "Runs a command file line by line, each line shown after the prompt as cdb shows it; an error on one line is printed and the next line runs. Scripts nest up to 16 deep; a file may have 16 MiB, a line 64 KiB.",
            options: [],
            examples: ["$$< /tmp/setup.txt"]),

        "$$><": CommandHelp(
            syntax: ["$$>< File", "$>< File"],
            description: "Runs a command file as one command line: its lines are joined with semicolons, so an .if block or a j may span lines. Nothing is echoed, and an error ends the rest.",
            options: [],
            examples: ["$$>< /tmp/check.txt"]),

        ".logopen": CommandHelp(
            syntax: [".logopen File", ".logappend File"],
            description: "Copies the session to File from now on: the commands as typed after the prompt and everything printed. .logopen truncates the file, .logappend appends to it; a log already open is closed first.",
            options: [],
            examples: [".logopen /tmp/session.log", ".logappend /tmp/session.log"]),

        "$$>a<": CommandHelp(
            syntax: ["$$>a< File [Argument ...]"],
            description: "Runs File as one command line (as $$><) with arguments: while it runs, the aliases $arg0 (the file) and $arg1, $arg2, … (the arguments; quotes group words) are defined, so the script says ${$arg1}.",
            options: [],
            examples: ["$$>a< dumpnode.txt poi(@rdi) 0n8"]),

        ".printf": CommandHelp(
            syntax: [".printf [/D] \"Format\" [, Argument ...]"],
            description: "Prints Format as C's printf does, each argument a MASM expression (\\n and \\t in Format are a newline and a tab). %d %i %u %x %X %o %c take 32 bits unless I64 (or ll) is given (%I64x); %f %e %g take a 32-bit float unless l (a double); %p prints an address as WinDbg does, %N a pointer's 16 hex digits, %y the symbol at an address and %ly its source line too, %ma and %s the ASCII string at an address, %mu the UTF-16 one. Flags, width and precision are C's.",
            options: [],
            examples: [".printf \"rdi=%p len=%d name=%ma\\n\", @rdi, @rdx, poi(@rsi)", ".printf \"%y\\n\", @rip"]),

        ".call": CommandHelp(
            syntax: [".call Module!Function(Argument, ...)"],
            description: "Sets up a call of a function in the program on the current thread: the arguments are MASM expressions, passed as the function's DWARF prototype types them (integers and pointers in rdi, rsi, rdx, rcx, r8, r9; float and double in xmm0-7), on a stack below the red zone, returning to an address the debugger watches. The next g runs it; a breakpoint inside it stops as usual. When it returns, .call returns: shows the result as its return type reads, and the thread's registers are as they were before the call. Structures passed by value, more than six integer or eight floating-point arguments, and functions without DWARF are refused.",
            options: [],
            examples: [".call prog!checksum(poi(@rsp+8), 0n16)", "g"]),

        ".expr": CommandHelp(
            syntax: [".expr", ".expr /s masm", ".expr /s c++", ".expr /q"],
            description: "Shows the default expression evaluator, which reads command arguments (? 1+2, dd Address); /s chooses MASM or C++ (then ? counter * 2 reads counter as the C++ variable), /q lists both. Breakpoint addresses and conditions in .if and j stay MASM; @@c++() and @@masm() switch within one expression either way.",
            options: [],
            examples: [".expr /s c++", "? items[2].size", ".expr /s masm"]),

        ".logclose": CommandHelp(
            syntax: [".logclose"],
            description: "Closes the log file.",
            options: [],
            examples: [".logclose"]),

        ".help": CommandHelp(
            syntax: [".help", ".help Command", ".hh Command", "?help"],
            description: "With no argument, lists every command with a one-line summary; .help Command shows that command's syntax, what it does, its options and examples (as .hh Command does).",
            options: [],
            examples: [".help", ".help bp", ".help sxe"]),

        // MARK: session

        "q": CommandHelp(
            syntax: ["q"],
            description: "Quits, ending the target whether swdbg launched it or attached to it; qd or .detach leave an attached process running.",
            options: [],
            examples: ["q"]),

        "qd": CommandHelp(
            syntax: ["qd"],
            description: "Detaches from the target, restoring every byte the debugger changed (its int3s), and quits; the process runs on.",
            options: [],
            examples: ["qd"]),

        ".detach": CommandHelp(
            syntax: [".detach"],
            description: "Detaches from the process, restoring every byte the debugger changed; the process runs on without the debugger, and swdbg stays with no target.",
            options: [],
            examples: [".detach"]),

        ".kill": CommandHelp(
            syntax: [".kill"],
            description: "Ends the process (SIGKILL) and reaps it. Breakpoints stay and resolve again in the next process (.restart).",
            options: [],
            examples: [".kill"]),

        ".restart": CommandHelp(
            syntax: [".restart"],
            description: "Ends the process and starts the same command line again, up to the initial breakpoint; breakpoints are kept and resolve again in the new process. Only for a program swdbg launched.",
            options: [],
            examples: [".restart", "sxe cpr; .restart"]),

        ".attach": CommandHelp(
            syntax: [".attach PID"],
            description: "Attaches to a running process when none is being debugged: every thread stops, the modules are read from the dynamic loader's list and the break-in is reported. PID is an expression, hex by default: write 0n1234 for decimal.",
            options: [],
            examples: [".attach 0n4242"]),
    ]
}

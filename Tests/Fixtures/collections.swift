// Swift fixture for collection visualizers (dx): String, Array and Dictionary values with
// contents known by construction, built in run() and held as locals and globals while
// stopHere() is called once.  Build: swiftc -g -Onone collections.swift -o collections
// Dictionary iteration order depends on the per-process hash seed: run with
// SWIFT_DETERMINISTIC_HASHING=1 in the environment for a stable bucket order.

@inline(never)
func stopHere() {
    print("stop")
}

// Globals (symbols $s11collections...): a literal > 15 bytes is an immortal string whose
// bytes live in the binary's read-only data; a string built at run time is a native heap object.
let globalSmall = "hello"
let globalLongLiteral = "a long literal string, longer than 15 bytes"
let globalInts = [10, 20, 30]
let globalEmptyInts: [Int] = []
let globalDict = ["one": 1, "two": 2, "three": 3]

@inline(never)
func makeNative(_ base: String, _ times: Int) -> String {
    var s = ""
    for _ in 0..<times { s += base }
    return s
}

@inline(never)
func run() {
    let small = "apple"                                // small ASCII: 5 bytes inline
    let smallMax = "fifteen chars!!"                   // 15 bytes: the longest small string
    let nonASCII = "café"                              // small, not ASCII: 5 UTF-8 bytes
    let longLiteral = "this literal is longer than fifteen bytes"   // immortal, large
    let native = makeNative("native-", 4)              // "native-native-native-native-": 28 bytes, heap
    let nativeNonASCII = makeNative("über·", 4)        // 28 UTF-8 bytes, 20 characters, heap
    let ints = [1, 2, 3]
    let strings = ["ant", "bee", "a string longer than 15"]
    let empty: [Int] = []
    var grown: [Int] = []
    for i in 0..<5 { grown.append(i * i) }             // capacity > count
    let dict: [String: Int] = ["alice": 30, "bob": 25, "carol": 35]
    let emptyDict: [String: Int] = [:]
    let intDict: [Int: Int] = [1: 100, 2: 200]

    stopHere()

    print(small, smallMax, nonASCII, longLiteral, native, nativeNonASCII, ints, strings, empty,
          grown, dict.count, emptyDict.count, intDict.count)
}

run()
print(globalSmall, globalLongLiteral, globalInts, globalEmptyInts, globalDict.count)
